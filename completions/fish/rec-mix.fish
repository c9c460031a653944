# fish completion for rec-mix(1), part of sluice
# INPUT arguments complete as files, fish's default; so does -o/--output.

complete -c rec-mix -s p -l probabilities -x -d 'Draw each record\'s input with these probabilities, one per INPUT'
complete -c rec-mix -l seed -x -d 'Seed of the draws, as numpy\'s default_rng(S) (default 0)'
complete -c rec-mix -l stop -x -a 'first_exhausted all_exhausted' -d 'When the mix ends'
complete -c rec-mix -s n -l take -x -d 'Stop after N records'
complete -c rec-mix -s o -l output -r -F -d 'Write FILE atomically instead of stdout'
complete -c rec-mix -l progress -d 'Show a progress line even when stderr is not a terminal'
complete -c rec-mix -s q -l quiet -d 'No progress line'
complete -c rec-mix -s h -l help -d 'Show help and exit'
complete -c rec-mix -l version -d 'Show the version and exit'
