# fish completion for train-plot(1), part of sluice
# LOG arguments complete as paths, fish's default; so does -o.

# Plot
complete -c train-plot -l label -x -d 'The legend of the next run (repeatable)'
complete -c train-plot -l smooth -x -d 'Also draw the trailing mean of the last N training losses'
complete -c train-plot -l logy -d 'Logarithmic loss axis'
complete -c train-plot -l title -x -d 'A title above the plot'
complete -c train-plot -l size -x -a '900,540 1200,720 1600,900' -d 'The image in pixels (default 900,540)'

# Output
complete -c train-plot -s o -l output -r -F -d 'Write the PNG to FILE atomically (default loss.png)'
complete -c train-plot -l script -d 'Print the gnuplot script, data inline, instead of running gnuplot'
complete -c train-plot -l progress -d 'Show a progress line even when stderr is not a terminal'
complete -c train-plot -s q -l quiet -d 'No progress line'
complete -c train-plot -s h -l help -d 'Show help and exit'
complete -c train-plot -l version -d 'Show the version and exit'
