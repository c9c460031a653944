# fish completion for rec-dedup(1), part of sluice
# A stage's name may come first (sign, buckets, clusters, remove, index);
# without one, it is the one-shot run.  FILE arguments complete as paths,
# fish's default.

# Whether the stage on the command line (its first word after rec-dedup,
# "all" when that is no stage's name) is one of the arguments.
function __rec_dedup_stage_is
    set -l words (commandline -opc)
    set -l stage all
    if set -q words[2]; and contains -- $words[2] sign buckets clusters remove index
        set stage $words[2]
    end
    contains -- $stage $argv
end

complete -c rec-dedup -n '__fish_is_first_arg' -a sign -d 'The signature file of a shard'
complete -c rec-dedup -n '__fish_is_first_arg' -a buckets -d 'The buckets of a range of bands'
complete -c rec-dedup -n '__fish_is_first_arg' -a clusters -d 'The drop lists of all shards'
complete -c rec-dedup -n '__fish_is_first_arg' -a remove -d 'A shard without what its drop list names'
complete -c rec-dedup -n '__fish_is_first_arg' -a index -d 'An index of evaluation texts'

# What counts as a copy
complete -c rec-dedup -n '__rec_dedup_stage_is all sign index' -l normalize -x -a 'none\t"The bytes as they are" ws\t"White space collapsed" lower-punct\t"Lowercased, punctuation and symbols deleted (default)"' -d 'What counts as the same text'
complete -c rec-dedup -n '__rec_dedup_stage_is all sign index' -l field -x -d 'The text of a JSON row (default: text)'
complete -c rec-dedup -n '__rec_dedup_stage_is all sign' -l by -x -d 'Exact copies by this JSON field, not the text'
complete -c rec-dedup -n '__rec_dedup_stage_is all sign' -l near -d 'Near copies too: MinHash LSH over word n-grams'
complete -c rec-dedup -n '__rec_dedup_stage_is all sign' -l ngram -x -d 'Words per shingle (default 5)'
complete -c rec-dedup -n '__rec_dedup_stage_is all sign' -l bands -x -d 'LSH bands (default 14)'
complete -c rec-dedup -n '__rec_dedup_stage_is all sign' -l rows -x -d 'Hashes per band (default 8)'
complete -c rec-dedup -n '__rec_dedup_stage_is all sign' -l seed -x -d 'The MinHash permutations\' seed (default 0)'
complete -c rec-dedup -n '__rec_dedup_stage_is all sign clusters' -l verify-jaccard -x -d 'Drop a near copy only when its Jaccard similarity is T or more'

# Decontamination
complete -c rec-dedup -n '__rec_dedup_stage_is all sign' -l decontaminate -r -F -d 'Drop records sharing an n-gram with EVAL (records or an index)'
complete -c rec-dedup -n '__rec_dedup_stage_is all sign index' -l decontam-ngram -x -d 'Words per n-gram (default 13)'
complete -c rec-dedup -n '__rec_dedup_stage_is all sign' -l no-dedup -d 'Only decontaminate'

# Stages
complete -c rec-dedup -n '__rec_dedup_stage_is buckets' -l band-range -x -d 'Bands A to B (default: all)'
complete -c rec-dedup -n '__rec_dedup_stage_is sign buckets remove' -l shard -x -a auto -d 'Only part I of N (I/N, 0-based), or auto from a job array'
complete -c rec-dedup -n '__rec_dedup_stage_is remove' -l drop -r -F -d 'The shard\'s drop list from clusters'

# Output and resources
complete -c rec-dedup -n '__rec_dedup_stage_is all remove' -l removed -r -F -d 'Write the dropped records to FILE as JSON rows saying why'
complete -c rec-dedup -n '__rec_dedup_stage_is all buckets clusters' -l mem -x -d 'Memory for sorting before spilling to disk (default 1G)'
complete -c rec-dedup -n '__rec_dedup_stage_is all sign buckets clusters remove' -l tmpdir -x -a '(__fish_complete_directories)' -d 'Temporary files (default: $TMPDIR or /tmp)'
complete -c rec-dedup -n '__rec_dedup_stage_is all sign index' -s j -l threads -x -d 'Threads (default: all cores)'
complete -c rec-dedup -n 'not __rec_dedup_stage_is clusters' -s o -l output -r -F -d 'Write FILE atomically instead of stdout'
complete -c rec-dedup -n '__rec_dedup_stage_is clusters' -s o -l output -x -a '(__fish_complete_directories)' -d 'The directory for the drop lists'
complete -c rec-dedup -l progress -d 'Show a progress line even when stderr is not a terminal'
complete -c rec-dedup -s q -l quiet -d 'No progress line'
complete -c rec-dedup -s h -l help -d 'Show help and exit'
complete -c rec-dedup -l version -d 'Show the version and exit'
