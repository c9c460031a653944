#!/usr/bin/env bats
# Slurm job arrays on a real one-host cluster (issue 21): munged, slurmctld
# and slurmd brought up once for the file under its temp dir
# (tests/helpers/slurm-cluster), jobs submitted with the real sbatch.  What
# sluice's --shard auto and a user's recipes rely on: the variables each
# array task gets, dependencies between stages, and that a killed task
# leaves no output behind and can be run again on its own.  The expected
# values come from sbatch(1)'s rules for --array (A-B:S is A, A+S, ... up to
# B), computed here with seq, not from a run.

load test_helper
load helpers/slurm

setup_file() {
	# One cluster of a few CPUs: tests would only queue behind each other.
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	slurm_setup_file
}

teardown_file() {
	slurm_teardown_file
}

setup() {
	slurm_setup
}

# A task that writes what Slurm told it, once per run (appending, so a task
# run twice shows two lines).
array_env_script() {
	cat >env.sh <<-'EOF'
		#!/bin/bash
		echo "$SLURM_ARRAY_TASK_ID $SLURM_ARRAY_TASK_MIN $SLURM_ARRAY_TASK_MAX $SLURM_ARRAY_TASK_COUNT $SLURM_ARRAY_TASK_STEP $SLURM_ARRAY_JOB_ID" >>"task-$SLURM_ARRAY_TASK_ID"
	EOF
}

# check_array_env JOBID FIRST STEP LAST: each index of seq FIRST STEP LAST
# ran exactly once, with MIN, MAX, COUNT and STEP of that index set, and
# nothing else ran.
check_array_env() {
	local jid=$1 ids i n
	ids=$(seq "$2" "$3" "$4")
	n=$(wc -l <<<"$ids")
	assert_equal "$(ls task-* | sed 's/^task-//' | sort -n)" "$ids"
	for i in $ids; do
		assert_equal "$(cat "task-$i")" "$i $2 $(tail -n 1 <<<"$ids") $n $3 $jid"
	done
}

@test "sbatch --array=0-3 --wait: each task runs once, with its index, the array's min, max, count and step" {
	array_env_script
	run --separate-stderr sbatch --parsable --wait --array=0-3 --output='slurm-%A_%a.out' env.sh
	assert_success
	check_array_env "${output%%;*}" 0 1 3
	assert_equal "$(slurm_tasks "${output%%;*}")" "$(printf '%s COMPLETED 0:0\n' 0 1 2 3)"
}

@test "sbatch --array=2-8:3: tasks 2, 5 and 8, step 3, min 2, count 3" {
	# Waited for by polling squeue (slurm_run_array): sbatch --wait sleeps
	# 2 s, then 8, before it looks again.
	array_env_script
	jid=$(slurm_run_array 2-8:3 env.sh)
	check_array_env "$jid" 2 3 8
}

@test "a list of indices and a lone index: min and max are the extreme indices, count the number of tasks, step 1" {
	# What --shard auto meets when a user picks tasks by hand, or resubmits
	# one: the indices need not be MIN + k*STEP, and a lone index is an
	# array of one.  (sbatch(1) leaves the step of a list unsaid: Slurm
	# says 1.)
	array_env_script
	jid=$(slurm_run_array 1,4,6 env.sh)
	for i in 1 4 6; do
		assert_equal "$(cat "task-$i")" "$i 1 6 3 1 $jid"
	done
	assert_equal "$(ls task-* | wc -l)" 3
	rm task-*
	jid=$(slurm_run_array 2 env.sh)
	assert_equal "$(cat task-2)" "2 2 2 1 1 $jid"
	assert_equal "$(ls task-*)" task-2
}

@test "a task that fails: sbatch --wait exits with the highest exit status of the array's tasks" {
	printf '#!/bin/sh\ncase $SLURM_ARRAY_TASK_ID in 1) exit 3 ;; 2) exit 5 ;; esac\n' >fail.sh
	run --separate-stderr sbatch --parsable --wait --array=0-3 --output='slurm-%A_%a.out' fail.sh
	assert_failure 5
	assert_equal "$(slurm_tasks "${output%%;*}")" "$(printf '0 COMPLETED 0:0\n1 FAILED 3:0\n2 FAILED 5:0\n3 COMPLETED 0:0')"
}

# A stage: each task writes its part atomically (a temp file, then mv), as
# sluice's programs do, after a pause long enough that a stage started too
# early would find no parts.
stage_scripts() {
	cat >stage1.sh <<-'EOF'
		#!/bin/bash
		i=$SLURM_ARRAY_TASK_ID
		sleep 1
		[ "$i" != "${FAIL:-}" ] || exit 4
		mkdir -p parts
		seq "$i" 2 20 >"parts/.$i.tmp" && mv "parts/.$i.tmp" "parts/$i"
	EOF
	cat >stage2.sh <<-'EOF'
		#!/bin/bash
		cat parts/* | sort -n >merged.tmp && mv merged.tmp merged
	EOF
}

@test "--dependency=afterok: the second stage runs after the first, on all of its outputs" {
	stage_scripts
	first=$(slurm_submit --array=0-1 stage1.sh)
	second=$(slurm_submit --dependency=afterok:"$first" stage2.sh)
	slurm_wait "$second"
	assert_equal "$(slurm_tasks "$first")" "$(printf '0 COMPLETED 0:0\n1 COMPLETED 0:0')"
	assert_equal "$(slurm_tasks "$second")" "- COMPLETED 0:0"
	assert_equal "$(cat merged)" "$(seq 0 20)"
}

@test "--dependency=afterok: a failed task of the first stage keeps the second from running" {
	stage_scripts
	first=$(FAIL=1 slurm_submit --array=0-1 stage1.sh)
	second=$(slurm_submit --dependency=afterok:"$first" stage2.sh)
	slurm_wait "$first"
	assert_equal "$(slurm_tasks "$first")" "$(printf '0 COMPLETED 0:0\n1 FAILED 4:0')"
	# Slurm leaves the second stage pending for good, and says why.
	wait_for 10 "the second stage's DependencyNeverSatisfied" \
		eval '[ "$(slurm_task_field "$second" Reason)" = DependencyNeverSatisfied ]'
	assert_equal "$(slurm_task_field "$second" JobState)" PENDING
	scancel "$second"
	slurm_wait "$second"
	assert_equal "$(slurm_task_field "$second" JobState)" CANCELLED
	assert [ ! -e merged ]
	assert_equal "$(ls | grep "^slurm-${second}_" || true)" ""
	assert_equal "$(ls parts)" 0
}

@test "scancel of one array task mid-run: its processes end, its output is absent, the others' present; --array=2 completes the set" {
	# Each task writes part i (every 4th number from i) to a temp file and
	# moves it into place; task SLOW stops between the two until killed.
	cat >part.sh <<-'EOF'
		#!/bin/bash
		i=$SLURM_ARRAY_TASK_ID
		seq "$i" 4 100 >".part-$i.tmp"
		if [ "$i" = "${SLOW:-}" ]; then
			sleep 60 &
			echo "$$ $!" >"pids-$i"
			# Its work killed, the task commits nothing.  Slurm may signal
			# the sleep before this shell, and wait then returns 143; the
			# shell then ends by the same signal, so the task's exit code
			# is 0:15 whichever of the two Slurm reached first.
			wait $! || kill -TERM $$
		fi
		mv ".part-$i.tmp" "part-$i"
	EOF
	jid=$(SLOW=2 slurm_submit --array=0-3 part.sh)
	wait_for 20 "tasks 0, 1 and 3 to finish and task 2 to start its work" \
		eval '[ -e part-0 ] && [ -e part-1 ] && [ -e part-3 ] && [ -s pids-2 ]'
	assert_equal "$(slurm_task_field "${jid}_2" JobState)" RUNNING
	scancel "${jid}_2"
	slurm_wait "$jid"
	assert_equal "$(slurm_tasks "$jid")" "$(printf '0 COMPLETED 0:0\n1 COMPLETED 0:0\n2 CANCELLED 0:15\n3 COMPLETED 0:0')"
	assert [ ! -e part-2 ]
	# shellcheck disable=SC2046
	assert_ended $(cat pids-2)
	for i in 0 1 3; do
		assert_equal "$(cat "part-$i")" "$(seq "$i" 4 100)"
	done
	# Run only the missing index again: the set is whole, each number once.
	slurm_run_array 2 part.sh >/dev/null
	assert_equal "$(cat part-0 part-1 part-2 part-3 | sort -n)" "$(seq 0 100)"
}

@test "slurm-cluster: usage errors, and a second up on a directory in use is refused" {
	run --separate-stderr "$HELPERS/slurm-cluster" up
	assert_failure 2
	run --separate-stderr "$HELPERS/slurm-cluster" sideways "$SLURM_DIR"
	assert_failure 2
	run --separate-stderr "$HELPERS/slurm-cluster" up "$SLURM_DIR"
	assert_failure 2
	assert_equal "$stderr" "slurm-cluster: $SLURM_DIR already holds a cluster"
	# The cluster is still there.
	run sinfo -h -N -o %T
	assert_output idle
}

@test "slurm-cluster down: a second cluster with a job running: its daemons and the job's processes all end" {
	c=$BATS_TEST_TMPDIR/c2
	run --separate-stderr "$HELPERS/slurm-cluster" up "$c"
	assert_success
	assert_output "SLURM_CONF=$c/slurm.conf"
	printf '#!/bin/bash\nsleep 300 &\necho "$$ $!" >pids\nwait\n' >long.sh
	SLURM_CONF=$c/slurm.conf sbatch --quiet --output=/dev/null long.sh
	wait_for 20 "the job to start" test -s pids
	daemons=$(cat "$c"/munged.pid "$c"/slurmctld.pid "$c"/slurmd.pid)
	assert_equal "$(wc -w <<<"$daemons")" 3
	run --separate-stderr "$HELPERS/slurm-cluster" down "$c"
	assert_success
	assert_no_stderr
	# shellcheck disable=SC2046,SC2086
	assert_ended $daemons $(cat pids)
	# The file's own cluster is untouched.
	run sinfo -h -N -o %T
	assert_output idle
}

@test "slurm-cluster up as a user other than root: exit 77 and the one line that says why" {
	[ "$(id -u)" = 0 ] && command -v setpriv >/dev/null || skip "needs root and setpriv to become another user"
	# A copy nobody can read: the checkout may lie under a private home.
	local d
	d=$(mktemp -d /tmp/sluice-slurm-helper.XXXXXX)
	cp -r "$HELPERS"/. "$d"/
	chmod -R a+rX "$d"
	run --separate-stderr setpriv --reuid=nobody --regid=nogroup --clear-groups "$d/slurm-cluster" up "$d/c"
	rm -rf "$d"
	assert_failure 77
	assert_equal "$stderr" "slurm-cluster: not root: slurmd must be root to start jobs (SlurmUser=root)"
	assert_output ""
}

@test "--shard auto in real array tasks: each task reads --shard I/N's part, together the whole; a rerun of one part needs SLUICE_SHARD_COUNT" {
	shard_texts_files 90
	cat > part.sh <<-'EOF'
		#!/bin/bash
		set -e
		rec-filter -q --shard auto a.txt b.txt c.txt -o "part-$SLURM_ARRAY_TASK_ID.rec"
	EOF
	# 1-5: five parts numbered from 1, fewer files than parts (by record).
	slurm_run_array 1-5 part.sh > /dev/null
	: > all.txt
	for i in 0 1 2 3 4; do
		rec-cat --header part-$((i + 1)).rec | grep -q "\"shard\":\"$i/5\"" || fail "task $((i + 1)) is not part $i/5"
		assert_equal "$(rec-cat --text part-$((i + 1)).rec)" "$(shard_cut $i 5 a.txt b.txt c.txt)"
		rec-cat --text part-$((i + 1)).rec >> all.txt
	done
	assert_equal "$(sort all.txt)" "$(cat a.txt b.txt c.txt | sort)"
	# A rerun of part 2 as an array of one: refused without the count, part
	# 2 of 5 with it.
	rm part-*.rec
	jid=$(slurm_submit --array=2 part.sh)
	slurm_wait "$jid"
	assert_equal "$(slurm_tasks "$jid")" "2 FAILED 2:0"
	grep -q "SLUICE_SHARD_COUNT" "slurm-${jid}_2.out" || fail "$(cat "slurm-${jid}_2.out")"
	[ ! -e part-2.rec ] || fail "a refused task wrote its output"
	SLUICE_SHARD_COUNT=5 slurm_run_array 2 part.sh > /dev/null
	assert_equal "$(rec-cat --text part-2.rec)" "$(shard_cut 2 5 a.txt b.txt c.txt)"
}
