# fish completion for wds-write(1), part of sluice
# PATTERN and FILE arguments complete as files, fish's default.

complete -c wds-write -s c -l maxcount -x -d 'At most N samples per shard'
complete -c wds-write -s s -l maxsize -x -d 'At most BYTES of tar per shard'
complete -c wds-write -s z -l compress -x -a 'none gz zstd' -d 'Shard compression'
complete -c wds-write -l level -x -d 'Compression level'
complete -c wds-write -l start -x -d 'Number of the first shard'
complete -c wds-write -l keys -x -a 'record index' -d 'Where sample keys come from'
complete -c wds-write -l index -r -F -d 'Write the wids shard index to FILE'
complete -c wds-write -l no-index -d 'Write no index'
complete -c wds-write -l progress -d 'Show a progress line even when stderr is not a terminal'
complete -c wds-write -s q -l quiet -d 'No progress line and no summary'
complete -c wds-write -s h -l help -d 'Show help and exit'
complete -c wds-write -l version -d 'Show the version and exit'
