# fish completion for rec-pack(1), part of sluice
# FILE arguments complete as files, fish's default; so does -o/--output.

complete -c rec-pack -s z -l null -d 'Lines end with NUL instead of newline'
complete -c rec-pack -s J -l jsonl -d 'Each line is a JSON object; its text field becomes a text record'
complete -c rec-pack -l field -x -d 'The text field (default: text)'
complete -c rec-pack -l key-field -x -d 'The field that becomes the record key'
complete -c rec-pack -l json -d 'Keep whole objects: JSON-row records'
complete -c rec-pack -l vector-field -x -d 'The field holding an array of numbers: vector records'
complete -c rec-pack -l metadata-field -x -d 'The object stored with each vector'
complete -c rec-pack -s f -l files -d 'Each FILE is one text record keyed by its path'
complete -c rec-pack -s o -l output -r -F -d 'Write FILE atomically instead of stdout'
complete -c rec-pack -l progress -d 'Show a progress line even when stderr is not a terminal'
complete -c rec-pack -s q -l quiet -d 'No progress line'
complete -c rec-pack -s h -l help -d 'Show help and exit'
complete -c rec-pack -l version -d 'Show the version and exit'
