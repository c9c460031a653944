# fish completion for rec-cat(1), part of sluice
# FILE arguments (record streams) complete as files, fish's default.

complete -c rec-cat -s t -l text -d 'Print text payloads only, one per line, byte for byte'
complete -c rec-cat -s z -l null -d 'With --text, end each payload with NUL instead of newline'
complete -c rec-cat -s s -l stats -d 'Print counts per type, bytes, token totals and the header'
complete -c rec-cat -s c -l validate -d 'Check the streams and print nothing'
complete -c rec-cat -s n -l take -x -d 'Stop after N records'
complete -c rec-cat -l head -x -d 'Stop after N records (the old name of --take)'
complete -c rec-cat -l skip -x -d 'Skip the first N records'
complete -c rec-cat -s H -l header -d 'Print the header JSON of each input and stop'
complete -c rec-cat -l progress -d 'Show a progress line even when stderr is not a terminal'
complete -c rec-cat -s q -l quiet -d 'No progress line'
complete -c rec-cat -s h -l help -d 'Show help and exit'
complete -c rec-cat -l version -d 'Show the version and exit'
