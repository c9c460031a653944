# fish completion for train-step(1), part of sluice

# Model
complete -c train-step -l model -x -a 'gpt2:124M gpt2:350M gpt2:774M gpt2:1558M lstm:2,256' -d 'A GPT-2 size, or lstm:LAYERS,HIDDEN'
complete -c train-step -l layers -x -d 'Transformer blocks'
complete -c train-step -l heads -x -d 'Attention heads'
complete -c train-step -l dim -x -d 'Channels; a multiple of --heads'
complete -c train-step -l ctx -x -d 'Longest sequence (default: the batches\' T)'
complete -c train-step -l vocab -x -d 'Vocabulary size (default: the input header\'s)'
complete -c train-step -l init -r -F -d 'Start from an llm.c model file'
complete -c train-step -l export -r -F -d 'Write the model file at the end'
complete -c train-step -l export-dtype -x -a 'fp32 bf16' -d 'Parameters of --export'

# Data
complete -c train-step -l data -r -F -d 'Batch records or llm.c shards (repeatable)'
complete -c train-step -s B -l batch -x -d 'Rows of a batch read from shards (default 4)'
complete -c train-step -s T -l seq-len -x -d 'Sequence length of shards'
complete -c train-step -l bin-dtype -x -a 'u16 u32' -d 'Ids of raw .bin files (default u16)'

# Evaluation
complete -c train-step -l val -r -F -d 'Validation batches (repeatable)'
complete -c train-step -l eval-every -x -d 'Validation loss every N steps'
complete -c train-step -l eval-batches -x -d 'Batches of --val an evaluation reads'

# Training
complete -c train-step -l steps -x -d 'Optimizer steps to take'
complete -c train-step -l lr -x -d 'Peak learning rate (default 6e-4)'
complete -c train-step -l lr-min -x -d 'Learning rate at the last step (default lr/10)'
complete -c train-step -l warmup -x -d 'Linear warmup steps, then cosine decay (default 0)'
complete -c train-step -l beta1 -x -d 'AdamW beta1 (default 0.9)'
complete -c train-step -l beta2 -x -d 'AdamW beta2 (default 0.95)'
complete -c train-step -l eps -x -d 'AdamW epsilon (default 1e-8)'
complete -c train-step -l weight-decay -x -d 'Decoupled weight decay (default 0.1)'
complete -c train-step -l grad-clip -x -d 'Clip the global gradient norm (default 1.0; 0 off)'
complete -c train-step -l total-batch -x -d 'Tokens a step, a multiple of B*T'
complete -c train-step -l seed -x -d 'Seed of the random initialisation (default 0)'
complete -c train-step -s j -l threads -x -d 'Threads (default: all cores)'
complete -c train-step -l device -x -a 'auto cpu cuda cuda:0 cuda:1' -d 'Where to train (default auto)'
complete -c train-step -l precision -x -a 'auto fp32 bf16 fp16' -d 'GPU arithmetic (default auto)'

# Checkpoints
complete -c train-step -l ckpt-dir -x -a '(__fish_complete_directories (commandline -ct))' -d 'Write checkpoints to DIR'
complete -c train-step -l ckpt-every -x -d 'Checkpoint every N steps'
complete -c train-step -l keep -x -d 'Keep the newest K checkpoints (default 0: all)'
complete -c train-step -l resume -d 'Continue from the newest checkpoint in --ckpt-dir'

# Output
complete -c train-step -l log -r -F -d 'Metrics of each step as JSON lines'
complete -c train-step -l events -r -F -d 'Lifecycle events as JSON lines'
complete -c train-step -l progress -d 'Show a progress line even when stderr is not a terminal'
complete -c train-step -s q -l quiet -d 'No progress line'
complete -c train-step -s h -l help -d 'Show help and exit'
complete -c train-step -l version -d 'Show the version and exit'
