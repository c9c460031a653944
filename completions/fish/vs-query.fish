# fish completion for vs-query(1), part of sluice
# FILE arguments (queries) complete as paths, fish's default.

complete -c vs-query -s s -l store -r -a '(__fish_complete_directories)' -d 'A directory, or qdrant://HOST:PORT/NAME'
complete -c vs-query -s k -l k -x -d 'Neighbours per query (default 10)'
complete -c vs-query -l filter -x -d 'Only points this Qdrant filter matches (@FILE reads it)'
complete -c vs-query -l ef -x -d 'HNSW candidate list (default max(K, 64))'
complete -c vs-query -l exact -d 'Scan every point instead of using the index'
complete -c vs-query -l batch -x -d 'Queries answered together (default 256)'
complete -c vs-query -l timings -d 'Print the open time and query latency percentiles on stderr'
complete -c vs-query -l verify -d 'Read the whole store against its checksums'
complete -c vs-query -l id -x -d 'Print the point with this id (repeatable)'
complete -c vs-query -l scan -d 'Print every point the filter matches'
complete -c vs-query -l limit -x -d 'With --scan, at most N points'
complete -c vs-query -l stats -d "Print the store's statistics as JSON"
complete -c vs-query -s f -l format -x -a 'jsonl records' -d 'Output format'
complete -c vs-query -l with-vector -d "Include each point's vector"
complete -c vs-query -l timeout -x -d 'Qdrant: seconds without progress before a request is retried'
complete -c vs-query -l retries -x -d 'Qdrant: retries of a failed request'
complete -c vs-query -l progress -d 'Show a progress line even when stderr is not a terminal'
complete -c vs-query -s q -l quiet -d 'No progress line'
complete -c vs-query -s h -l help -d 'Show help and exit'
complete -c vs-query -l version -d 'Show the version and exit'
