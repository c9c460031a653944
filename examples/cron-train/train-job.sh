#!/bin/sh
# train-job.sh: one run of a training job that cron starts every few
# minutes until the job is done.  Each run takes the lock, prepares the data
# if it is not there yet (make data), and trains on from the newest
# checkpoint for at most RUN_STEPS steps and RUN_SECONDS seconds.  The
# settings are the Makefile's beside it (make job-config prints them), so
# `./train-job.sh` and `make` run the same job; give make's
# variables in the environment: SMALL=1 ./train-job.sh.
#
#   */10 * * * * cd /path/to/cron-train && ./train-job.sh >> job.log 2>&1
#
# Exit status, for cron wrappers and monitors:
#   0       progress: the newest checkpoint is later than before the run
#   1-8     train-step's own failure, passed through (see train-step(1))
#   10      finished: the newest checkpoint is at STEPS; nothing was done
#           (take the crontab line out)
#   64      a bad setting: make job-config failed, or a number that is
#           not a whole number (EX_USAGE)
#   65      the data could not be made: make data failed (EX_DATAERR)
#   70      train-step exited 0 without a new checkpoint (EX_SOFTWARE)
#   75      another run holds job.lock; nothing was done (EX_TEMPFAIL)
#   128+N   train-step killed by signal N, passed through: 137 (SIGKILL)
#           also when it did not stop within GRACE seconds of RUN_SECONDS
# A run that is killed loses the steps after its newest checkpoint (at most
# CKPT_EVERY); the next run takes them again from that checkpoint, and
# train-step --resume first cuts them out of log.jsonl, so the log reads
# as one run.

EX_FINISHED=10
EX_USAGE=64
EX_DATAERR=65
EX_SOFTWARE=70
EX_TEMPFAIL=75

me=train-job
cd "$(dirname "$0")" || exit 1

# The lock is held by this shell and everything it starts: while a
# train-step that outlives its wrapper still runs, the job stays locked.
exec 9>>job.lock || exit 1
if ! flock -n 9; then
	echo "$me: another run holds job.lock; nothing done" >&2
	exit $EX_TEMPFAIL
fi

make -s --no-print-directory data >&2 || {
	echo "$me: make data failed; nothing trained" >&2
	exit $EX_DATAERR
}
steps='' run_steps='' run_seconds='' grace='' train_step='' train_args=''
config=$(make -s --no-print-directory job-config) || {
	echo "$me: make job-config failed" >&2
	exit $EX_USAGE
}
eval "$config"
for v in "$steps" "$run_seconds" "$grace" ${run_steps:+"$run_steps"}; do
	case $v in '' | *[!0-9]*)
		echo "$me: STEPS, RUN_STEPS, RUN_SECONDS and GRACE must be whole numbers" >&2
		exit $EX_USAGE ;;
	esac
done

# newest: the step of the newest checkpoint in ckpt/, 0 when there is none.
# A checkpoint directory appears, whole, under its name by a rename.
newest() {
	printf '%s\n' ckpt/step-* | awk '/^ckpt\/step-[0-9]+$/ { s = substr($0, 11) + 0; if (s > m) m = s } END { print m + 0 }'
}

from=$(newest)
if [ "$from" -ge "$steps" ]; then
	echo "$me: finished: step $from of $steps; nothing to do" >&2
	exit $EX_FINISHED
fi

# train-step's --steps is where the schedule ends; with run_steps it is
# where this run stops (the Makefile then keeps the rate flat after warmup).
to=$steps
if [ -n "$run_steps" ] && [ $((from + run_steps)) -lt "$steps" ]; then
	to=$((from + run_steps))
fi
echo "$me: training from step $from to $to of $steps" >&2

# SIGTERM at run_seconds: train-step ends the step under way, checkpoints
# and exits 0.
resume=
[ "$from" -eq 0 ] || resume=--resume
# shellcheck disable=SC2086 # train_args and resume are lists of words
timeout --preserve-status -k "$grace" "$run_seconds" \
	"$train_step" $train_args --steps "$to" $resume
status=$?
[ $status -eq 0 ] || exit $status

now=$(newest)
if [ "$now" -le "$from" ]; then
	echo "$me: train-step made no checkpoint after step $from" >&2
	exit $EX_SOFTWARE
fi
echo "$me: step $now of $steps" >&2
exit 0
