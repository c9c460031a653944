# fish completion for batchify(1), part of sluice
# FILE arguments complete as paths, fish's default; so do -o and --val-out.

# Batches
complete -c batchify -s B -l batch -x -d 'Rows per batch (default 4)'
complete -c batchify -s T -l seq-len -x -d 'Sequence length; a row holds T+1 ids (default 1024)'
complete -c batchify -l eot -x -d 'End-of-text id (default: the stream header\'s)'
complete -c batchify -l pad -d 'One document a row, cut or padded, with a mask'
complete -c batchify -l drop-last -d 'Drop the last, incomplete batch'
complete -c batchify -l epochs -x -d 'Read the input N times (files only; default 1)'
complete -c batchify -l shuffle -x -d 'Shuffle documents through a buffer of N'
complete -c batchify -l seed -x -d 'Seed of the shuffle (default 0)'
complete -c batchify -l vocab-size -x -d 'Ids must be below N (default: the header\'s)'

# Validation split
complete -c batchify -l val-frac -x -d 'Send this share of the documents, by a hash, to validation'
complete -c batchify -l val-out -r -F -d 'The validation batches (one epoch, no shuffle)'

# llm.c shards
complete -c batchify -l from-bin -r -F -d 'Read llm.c shards or raw nanoGPT .bin files matching GLOB'
complete -c batchify -l bin-dtype -x -a 'u16 u32' -d 'The ids of raw .bin files (default u16)'
complete -c batchify -l to-bin -x -a '(__fish_complete_directories (commandline -ct))' -d 'Write the packed stream as llm.c shards in DIR'
complete -c batchify -l shard -x -a auto -d 'Only part I of N (I/N, 0-based), or auto from a job array'
complete -c batchify -l shard-tokens -x -d 'Ids per shard (default 100000000)'

# Output
complete -c batchify -s o -l output -r -F -d 'Write FILE atomically instead of stdout'
complete -c batchify -l progress -d 'Show a progress line even when stderr is not a terminal'
complete -c batchify -s q -l quiet -d 'No progress line'
complete -c batchify -s h -l help -d 'Show help and exit'
complete -c batchify -l version -d 'Show the version and exit'
