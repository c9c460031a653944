# fish completion for lm-run(1), part of sluice

set -l cmds generate score
complete -c lm-run -n "not __fish_seen_subcommand_from $cmds" -f -a generate -d 'Sample continuations of prompts'
complete -c lm-run -n "not __fish_seen_subcommand_from $cmds" -f -a score -d 'Loss, perplexity and surprisal'

# Model and tokenizer
complete -c lm-run -s m -l model -r -F -d 'Model file, checkpoint or checkpoint directory'
complete -c lm-run -s t -l tokenizer -r -F -d 'Tokenizer file or name'
complete -c lm-run -l offline -d 'Download no tokenizer (also HF_HUB_OFFLINE=1)'
complete -c lm-run -l eot -x -d 'End-of-text id'

# generate
complete -c lm-run -n '__fish_seen_subcommand_from generate' -s p -l prompt -x -d 'A prompt'
complete -c lm-run -n '__fish_seen_subcommand_from generate' -s n -l max-new-tokens -x -d 'Tokens to generate at most'
complete -c lm-run -n '__fish_seen_subcommand_from generate' -l temperature -x -d '0 is greedy (default 1)'
complete -c lm-run -n '__fish_seen_subcommand_from generate' -l top-k -x -d 'Sample from the K most likely'
complete -c lm-run -n '__fish_seen_subcommand_from generate' -l top-p -x -d 'Sample from the smallest set reaching P'
complete -c lm-run -n '__fish_seen_subcommand_from generate' -l stop -x -d 'End the text before STRING'
complete -c lm-run -n '__fish_seen_subcommand_from generate' -l ignore-eot -d 'Go on past the end-of-text token'
complete -c lm-run -n '__fish_seen_subcommand_from generate' -l samples -x -d 'Continuations of each prompt'
complete -c lm-run -n '__fish_seen_subcommand_from generate' -l seed -x -d 'Seed of the sampling'
complete -c lm-run -n '__fish_seen_subcommand_from generate' -l completion-only -d 'Print the continuation only'

# score
complete -c lm-run -n '__fish_seen_subcommand_from score' -l per-token -d 'Each token\'s surprisal and text too'
complete -c lm-run -n '__fish_seen_subcommand_from score' -l no-eot-context -d 'No end-of-text before each document'

# Output
complete -c lm-run -l format -x -a 'text jsonl records' -d 'Output format'
complete -c lm-run -s o -l output -r -F -d 'Write FILE atomically'
complete -c lm-run -s j -l threads -x -d 'Threads (default: all cores)'
complete -c lm-run -l device -x -a 'auto cpu cuda cuda:0 cuda:1' -d 'Where the model runs (default auto)'
complete -c lm-run -l precision -x -a 'auto fp32 bf16 fp16' -d 'GPU arithmetic (default auto)'
complete -c lm-run -l progress -d 'Accepted for consistency'
complete -c lm-run -s q -l quiet -d 'No summary on stderr'
complete -c lm-run -s h -l help -d 'Show help and exit'
complete -c lm-run -l version -d 'Show the version and exit'
