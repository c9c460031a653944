# slurm.bash - running jobs on the real one-host Slurm cluster that
# tests/helpers/slurm-cluster brings up, for bats files.  Load after
# test_helper; then
#
#   setup_file()    { slurm_setup_file; }
#   teardown_file() { slurm_teardown_file; }
#   setup()         { slurm_setup; }    # skips where Slurm cannot run
#
#   jid=$(slurm_run_array 0-3 shard.sh)   # submit, wait, fail on a failed task
#   slurm_tasks "$jid"                    # "INDEX STATE EXIT" per task
#
# Jobs run in the test's directory (bats' work dir), as the user running
# the tests, with its environment (sbatch --export=ALL: $SLUICE_BIN first on
# PATH, the sanitizers' options); each task's output goes to
# slurm-JOB_INDEX.out there.

load "$HELPERS/engines.bash"

slurm_setup_file() {
	# Nothing of an enclosing Slurm job (the suite may itself run in one)
	# may steer sbatch or the tasks: only our cluster's configuration.
	local v
	for v in $(compgen -e); do
		case $v in SLURM_* | SBATCH_* | SALLOC_* | SRUN_* | SQUEUE_* | SINFO_*) unset "$v" ;; esac
	done
	export SLURM_DIR=$BATS_FILE_TMPDIR/slurm
	engine_up slurm "$HELPERS/slurm-cluster" "$SLURM_DIR"
}

slurm_teardown_file() {
	"$HELPERS/slurm-cluster" down "$SLURM_DIR" 3>&-
}

slurm_setup() {
	engine_need
	# Tasks get this environment: sluice's programs by name.
	export PATH="$SLUICE_BIN:$PATH"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work" || return
}

# slurm_submit SBATCH_ARGS...: submit, print the job id.
slurm_submit() {
	local out
	out=$(sbatch --parsable --output='slurm-%A_%a.out' "$@") || fail "sbatch $* failed"
	echo "${out%%;*}"
}

# slurm_active JOBID: some task of the job is pending, running or ending.
slurm_active() {
	[ -n "$(squeue -h -j "$1" -o %i 2>/dev/null)" ]
}

# slurm_wait JOBID [SECONDS]: wait until no task of the job is pending,
# running or completing (30 s by default).  sbatch --wait polls after 2 s,
# then 8 s, then 32 s; this polls every 0.1 s.
slurm_wait() {
	local n=$((${2:-30} * 10))
	while slurm_active "$1"; do
		n=$((n - 1))
		[ $n -gt 0 ] || fail "job $1 still queued or running after ${2:-30}s: $(squeue -j "$1" 2>&1)"
		sleep 0.1
	done
}

# slurm_tasks JOBID: one line per task of the (finished or not) job,
# "INDEX STATE EXIT", by index; INDEX is - for a job that is not an array.
slurm_tasks() {
	scontrol -o show job "$1" | sed -E 's/.*( |^)ArrayTaskId=([^ ]*).*( |^)JobState=([^ ]*).*( |^)ExitCode=([^ ]*).*/\2 \4 \6/; t; s/.*( |^)JobState=([^ ]*).*( |^)ExitCode=([^ ]*).*/- \2 \4/' |
		sort -n
}

# slurm_task_field JOBID FIELD: scontrol's FIELD (Reason, JobState...) of a
# job (an array's task as JOBID_INDEX).
slurm_task_field() {
	scontrol -o show job "$1" | sed -nE "s/.*( |^)$2=([^ ]*).*/\\2/p"
}

# slurm_run_array ARRAY SCRIPT [SBATCH_ARGS...]: run SCRIPT as the job
# array ARRAY (sbatch --array syntax), wait for it, print its job id.  Fails
# when a task did not complete with status 0, with the task's output.
slurm_run_array() {
	local array=$1 script=$2 jid bad t
	shift 2
	jid=$(slurm_submit --array="$array" "$@" "$script") || return 1
	slurm_wait "$jid" || return 1
	bad=$(slurm_tasks "$jid" | grep -v ' COMPLETED 0:0$' || true)
	if [ -n "$bad" ]; then
		while read -r t _; do
			echo "--- slurm-${jid}_$t.out" >&2
			cat "slurm-${jid}_$t.out" >&2 2>/dev/null
		done <<<"$bad"
		fail "job $jid: tasks that failed (index state exit): $bad"
	fi
	echo "$jid"
}
