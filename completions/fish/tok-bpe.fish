# fish completion for tok-bpe(1), part of sluice
# The command (encode, decode, stats, info, train, count, fetch) comes first; FILE
# arguments complete as paths, fish's default; so do -t and -o.

set -l cmds encode decode stats info train count fetch
complete -c tok-bpe -n "not __fish_seen_subcommand_from $cmds" -f
complete -c tok-bpe -n "not __fish_seen_subcommand_from $cmds" -a encode -d 'Text records into token records'
complete -c tok-bpe -n "not __fish_seen_subcommand_from $cmds" -a decode -d 'Token records into text records'
complete -c tok-bpe -n "not __fish_seen_subcommand_from $cmds" -a stats -d 'How text tokenizes, as JSON'
complete -c tok-bpe -n "not __fish_seen_subcommand_from $cmds" -a info -d 'Describe the tokenizer, as JSON'
complete -c tok-bpe -n "not __fish_seen_subcommand_from $cmds" -a train -d 'Train a byte-level BPE'
complete -c tok-bpe -n "not __fish_seen_subcommand_from $cmds" -a count -d 'Count the words train would learn from, for a shard'
complete -c tok-bpe -n "not __fish_seen_subcommand_from $cmds" -a fetch -d 'Fill the caches with named tokenizers'
complete -c tok-bpe -n '__fish_seen_subcommand_from info' -f
complete -c tok-bpe -n '__fish_seen_subcommand_from fetch' -f -a 'gpt2 r50k_base p50k_base p50k_edit cl100k_base o200k_base o200k_harmony' -d 'tiktoken encoding'

# Tokenizer
complete -c tok-bpe -n '__fish_seen_subcommand_from encode decode stats info' -s t -l tokenizer -r -F -a 'gpt2 r50k_base p50k_base p50k_edit cl100k_base o200k_base o200k_harmony' -d 'tokenizer.json, encoder.json, *.tiktoken, a directory or a name'
complete -c tok-bpe -n '__fish_seen_subcommand_from encode decode stats info fetch' -l offline -d 'Download nothing (also HF_HUB_OFFLINE=1)'
complete -c tok-bpe -n '__fish_seen_subcommand_from encode stats info train count' -l pattern -x -a 'gpt2 cl100k o200k' -d 'The pre-tokenizer pattern (gpt2, cl100k, o200k or a regex)'

# encode
complete -c tok-bpe -n '__fish_seen_subcommand_from encode' -l allowed-special -x -a 'all none' -d 'Special tokens encoded as their ids (default none)'
complete -c tok-bpe -n '__fish_seen_subcommand_from encode' -l disallowed-special -x -a 'all none' -d 'Special tokens that are an error in the text (default all)'
complete -c tok-bpe -n '__fish_seen_subcommand_from encode' -l eot -d 'Append the end-of-text id to each document'
complete -c tok-bpe -n '__fish_seen_subcommand_from encode' -l ids -d 'Print each document ids as a line of numbers'
complete -c tok-bpe -n '__fish_seen_subcommand_from encode stats train count' -s j -l threads -x -d 'Threads (default: all cores)'

# decode
complete -c tok-bpe -n '__fish_seen_subcommand_from decode' -l bytes -d 'Keep the raw bytes; no U+FFFD for invalid UTF-8'
complete -c tok-bpe -n '__fish_seen_subcommand_from decode' -l text -d 'Print plain text, one document a line'

# train
complete -c tok-bpe -n '__fish_seen_subcommand_from train' -l vocab-size -x -d 'Size of the vocabulary, specials included (default 32000)'
complete -c tok-bpe -n '__fish_seen_subcommand_from train' -l min-frequency -x -d 'A pair must occur at least N times to merge (default 2)'
complete -c tok-bpe -n '__fish_seen_subcommand_from train count' -l special -x -d 'A special token (repeatable; default: <|endoftext|>)'
complete -c tok-bpe -n '__fish_seen_subcommand_from train' -l max-token-length -x -d 'No token longer than N bytes'
complete -c tok-bpe -n '__fish_seen_subcommand_from train' -l holdout -x -d 'Keep FRAC of the documents out and report coverage on them'
complete -c tok-bpe -n '__fish_seen_subcommand_from train' -l bytes-only -d 'No merges: the 256 byte tokens and the specials'
complete -c tok-bpe -n '__fish_seen_subcommand_from train' -l format -x -a 'json tiktoken' -d 'tokenizer.json or a tiktoken rank file (default: by extension)'
complete -c tok-bpe -n '__fish_seen_subcommand_from train' -l from-counts -d 'The files are count files of tok-bpe count, summed'

# count
complete -c tok-bpe -n '__fish_seen_subcommand_from count' -l shard -x -a auto -d 'Only shard I/N (0-based), or auto from a job array'
complete -c tok-bpe -n '__fish_seen_subcommand_from count' -l mem -x -d 'Memory for the counts before sorted runs spill to disk (default 1G)'
complete -c tok-bpe -n '__fish_seen_subcommand_from count' -l tmpdir -x -a '(__fish_complete_directories)' -d 'Temporary files (default: $TMPDIR or /tmp)'

# Output
complete -c tok-bpe -n "__fish_seen_subcommand_from $cmds" -s o -l output -r -F -d 'Write FILE atomically instead of stdout'
complete -c tok-bpe -n "__fish_seen_subcommand_from $cmds" -l progress -d 'Show a progress line even when stderr is not a terminal'
complete -c tok-bpe -n "__fish_seen_subcommand_from $cmds" -s q -l quiet -d 'No progress line'
complete -c tok-bpe -s h -l help -d 'Show help and exit'
complete -c tok-bpe -l version -d 'Show the version and exit'
