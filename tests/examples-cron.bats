#!/usr/bin/env bats
# examples/cron-train: the recipe users copy, run as cron runs it: its
# train-job.sh started again and again (SMALL=1: a character LSTM on the
# GPL 3, 60 steps, 20 a run, a checkpoint every 5), and what each run's exit
# status and files say: progress, resumption, the lock, the end of the job,
# a run killed mid-training and the run after it.

load test_helper

setup() {
	export PATH="$SLUICE_BIN:$PATH"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
	cp "$TOP/examples/cron-train/Makefile" "$TOP/examples/cron-train/train-job.sh" .
	export SLUICE_BIN SMALL=1
}

teardown() {
	# a run the test left behind (a failed assertion mid-way)
	[ -z "${JOB:-}" ] || kill -9 "$JOB" 2>/dev/null || true
}

# newest : the step of the newest checkpoint, 0 when there is none.
newest() { ls ckpt 2>/dev/null | sed -n 's/^step-0*\([0-9]\)/\1/p' | sort -n | tail -1 | grep . || echo 0; }

# steps : the step numbers of log.jsonl's training lines, one a line.
steps() { jq -r 'select(has("loss")) | .step' log.jsonl; }

# snapshot : every file under ckpt/ with its size, time and checksum, and
# log.jsonl's checksum.
snapshot() {
	find ckpt -type f -printf '%p %s %T@\n' | sort
	find ckpt -type f -exec md5sum {} + | sort
	md5sum log.jsonl events.jsonl
}

# child PID NAME : the pid of PID's child process called NAME (from /proc,
# which needs no ps).
child() {
	local s
	for s in /proc/[0-9]*/stat; do
		read -r line 2>/dev/null <"$s" || continue
		local comm=${line#*(} rest=${line##*) }
		comm=${comm%)*}
		set -- "$1" "$2" $rest
		[ "$4" = "$1" ] && [ "$comm" = "$2" ] && { echo "${s//[^0-9]/}"; return 0; }
		set -- "$1" "$2"
	done
	return 1
}

# wait_for_step N : until log.jsonl has a training line of step N or later
# (at most 60 s).
wait_for_step() {
	local i
	for i in $(seq 3000); do
		[ -s log.jsonl ] && [ "$(steps | tail -1)" -ge "$1" ] 2>/dev/null && return 0
		sleep 0.02
	done
	fail "no step $1 in log.jsonl after 60 s"
}

@test "examples/cron-train: each run trains on from the newest checkpoint; after the last step, 10" {
	run ./train-job.sh
	assert_success
	assert_output --partial 'train-job: training from step 0 to 20 of 60'
	assert_equal "$(newest)" 20
	assert_equal "$(steps | tr '\n' ' ')" "$(seq -s ' ' 1 20) "
	assert_equal "$(jq -c 'select(.event == "started") | [.step, .resumed]' events.jsonl)" '[0,false]'
	data=$(stat -c '%i %Y' train.rec val.rec bytes.json)

	# the second run resumes at step 21: its steps follow, the log grows
	run ./train-job.sh
	assert_success
	assert_output --partial 'train-job: training from step 20 to 40 of 60'
	assert_equal "$(newest)" 40
	assert_equal "$(steps | tr '\n' ' ')" "$(seq -s ' ' 1 40) "
	assert_equal "$(jq -s '[.[] | select(.event == "started")] | last | [.step, .resumed]' events.jsonl | tr -d ' \n')" '[20,true]'
	# a checkpoint every 5 steps, the newest 3 kept; the data made once
	assert_equal "$(ls ckpt | tr '\n' ' ')" 'step-00000030 step-00000035 step-00000040 '
	assert_equal "$(stat -c '%i %Y' train.rec val.rec bytes.json)" "$data"

	run ./train-job.sh
	assert_success
	assert_equal "$(newest)" 60
	assert_equal "$(steps | wc -l)" 60
	# the loss fell over the job
	assert_equal "$(jq -s '[.[] | select(has("loss")) | .loss] | (.[-5:] | add) < (.[:5] | add)' log.jsonl)" true

	# then the job is finished: 10, and nothing changes
	before=$(snapshot)
	run --separate-stderr ./train-job.sh
	assert_error 10 'train-job: finished: step 60 of 60; nothing to do'
	assert_equal "$(snapshot)" "$before"
	run make -s status
	assert_success
	assert_line --index 0 'steps done: 60 of 60 (checkpoint ckpt/step-00000060)'
	assert_line --index 1 --regexp '^last loss: [0-9.]+, last validation loss: [0-9.]+$'
}

@test "examples/cron-train: while another holds job.lock a run exits 75 and touches nothing" {
	./train-job.sh 2>/dev/null
	before=$(snapshot)
	exec 8>>job.lock
	flock -n 8
	run --separate-stderr ./train-job.sh
	assert_error 75 'train-job: another run holds job.lock; nothing done'
	assert_equal "$(snapshot)" "$before"
	# make clean will not pull the files from under it either
	run make -s clean
	assert_failure
	[ -d ckpt ] && [ -f train.rec ]
	exec 8>&-
	run ./train-job.sh
	assert_success
	assert_equal "$(newest)" 40
	make -s clean
	assert_equal "$(ls | tr '\n' ' ')" 'Makefile train-job.sh '
}

@test "examples/cron-train: a run killed mid-training (kill -9), then one that resumes from its last whole checkpoint" {
	# slower steps, one cosine schedule over 30, no step limit per run
	export MODEL=lstm:2,256 STEPS=30 RUN_STEPS= CKPT_EVERY=10
	make -s data
	mkdir ref && cp Makefile train-job.sh train.rec val.rec bytes.json ref/
	./train-job.sh 2>job.err &
	JOB=$!
	wait_for_step 1
	tmo=$(child "$JOB" timeout)
	ts=$(child "$tmo" train-step)
	# a run that starts meanwhile finds the lock held
	run --separate-stderr ./train-job.sh
	assert_error 75 'train-job: another run holds job.lock; nothing done'
	# the OOM killer, say, takes train-step between two checkpoints
	wait_for_step 12
	# stopped, so that it is caught with steps logged after its newest checkpoint
	for _ in $(seq 100); do
		kill -STOP "$ts"
		[ "$(steps | tail -1)" -gt "$(newest)" ] && break
		kill -CONT "$ts"
		sleep 0.01
	done
	kill -9 "$ts"
	st=0
	wait "$JOB" || st=$?
	assert_equal "$st" 137
	JOB=
	killed=$(newest)
	last=$(steps | tail -1)
	[ "$killed" -ge 10 ] && [ "$killed" -lt 30 ] || fail "newest checkpoint $killed"
	[ "$last" -gt "$killed" ] || fail "log.jsonl ends at $last, the checkpoint is $killed: nothing to lose"

	# the next run goes on from that checkpoint; train-step --resume cuts
	# the steps after it from the log
	run ./train-job.sh
	assert_success
	assert_output --partial "train-job: training from step $killed to 30 of 30"
	assert_equal "$(newest)" 30
	assert_equal "$(steps | tr '\n' ' ')" "$(seq -s ' ' 1 30) "
	# and the losses are those of a job never interrupted, bit for bit
	(cd ref && ./train-job.sh 2>/dev/null)
	cmp <(jq -c 'select(has("loss")) | [.step, .loss]' log.jsonl) \
		<(jq -c 'select(has("loss")) | [.step, .loss]' ref/log.jsonl)
}

@test "examples/cron-train: RUN_SECONDS ends a run with a checkpoint; the next goes on from it" {
	export MODEL=lstm:2,256 STEPS=100000 RUN_STEPS= RUN_SECONDS=1 CKPT_EVERY=100000
	run ./train-job.sh
	assert_success
	first=$(newest)
	[ "$first" -ge 1 ] || fail "no checkpoint"
	assert_equal "$(jq -s -r 'map(select(.event == "finished")) | last | .reason' events.jsonl)" signal
	assert_equal "$(steps | tail -1)" "$first"
	run ./train-job.sh
	assert_success
	[ "$(newest)" -gt "$first" ]
	assert_equal "$(steps | wc -l)" "$(newest)"
	assert_equal "$(jq -s -r 'map(select(.event == "started")) | last | .step' events.jsonl)" "$first"
}

@test "examples/cron-train: train-step's failure passes through; data that cannot be made is 65" {
	./train-job.sh 2>/dev/null
	# a cut training file: train-step's status 4 (a truncated frame), its message
	truncate -s 3000 train.rec
	run --separate-stderr ./train-job.sh
	assert_equal "$status" 4
	[[ ${stderr_lines[1]} == 'train-step: train.rec:'*': truncated frame: '* ]] || fail "$stderr"
	[ "$(newest)" = 20 ]
	# no text to make the data from
	rm -f train.rec val.rec bytes.json
	run --separate-stderr env TEXT=$PWD/no-such-text ./train-job.sh
	assert_equal "$status" 65
	assert_equal "${stderr_lines[-1]}" 'train-job: make data failed; nothing trained'
	[ ! -e train.rec ]
}

@test "examples/cron-train: make SMALL=1 is one run and where the job stands; make crontab gives the line" {
	unset SMALL
	run make SMALL=1
	assert_success
	assert_line 'train-job.sh: 0 (progress)'
	assert_line 'steps done: 20 of 60 (checkpoint ckpt/step-00000020)'
	run make -s SMALL=1 crontab
	assert_output "*/10 * * * * cd $PWD && SMALL=1 ./train-job.sh >> job.log 2>&1"
	# the curve and samples of the model so far
	make -s SMALL=1 loss.png samples.txt 2>/dev/null
	[ "$(head -c 8 loss.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
	assert_equal "$(grep -c '^This License' samples.txt)" 1
	assert_equal "$(grep -c '^The ' samples.txt)" 1
	# a setting that is not a number: 64, nothing trained
	run --separate-stderr env RUN_SECONDS=1m ./train-job.sh
	assert_error 64 'train-job: STEPS, RUN_STEPS, RUN_SECONDS and GRACE must be whole numbers'
	run --separate-stderr env STEPS=6O ./train-job.sh
	assert_equal "$status" 64
	assert_equal "${stderr_lines[-1]}" 'train-job: make job-config failed'
	assert_equal "$(ls ckpt | tr '\n' ' ')" 'step-00000010 step-00000015 step-00000020 '
}
