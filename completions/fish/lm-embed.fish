# fish completion for lm-embed(1), part of sluice

# Model and tokenizer
complete -c lm-embed -s m -l model -r -F -d 'GPT-2 model file, checkpoint or checkpoint directory'
complete -c lm-embed -s t -l tokenizer -r -F -d 'The model\'s tokenizer: file or name'
complete -c lm-embed -l offline -d 'Download no tokenizer (also HF_HUB_OFFLINE=1)'

# Input
complete -c lm-embed -l text -x -d 'Embed TEXT instead of reading input'
complete -c lm-embed -l text-field -x -d 'JSON: the field holding the text'
complete -c lm-embed -l id-field -x -d 'JSON: the field holding the id'
complete -c lm-embed -l on-empty -x -a 'error skip' -d 'What a document without tokens does'
complete -c lm-embed -s n -l take -x -d 'Stop after N vectors'

# Embedding
complete -c lm-embed -l pool -x -a 'mean last' -d 'Pooling of the hidden states'
complete -c lm-embed -l no-normalize -d 'Keep the pooled vector\'s length'
complete -c lm-embed -s b -l batch -x -d 'Windows of tokens per forward pass'

# Output
complete -c lm-embed -l format -x -a 'records jsonl' -d 'Output format'
complete -c lm-embed -l keep-text -x -d 'First N characters of the text in the metadata'
complete -c lm-embed -s o -l output -r -F -d 'Write FILE atomically'
complete -c lm-embed -s j -l threads -x -d 'Threads (default: all cores)'
complete -c lm-embed -l progress -d 'Show a progress line even when stderr is not a terminal'
complete -c lm-embed -s q -l quiet -d 'No progress line and no summary'
complete -c lm-embed -s h -l help -d 'Show help and exit'
complete -c lm-embed -l version -d 'Show the version and exit'
