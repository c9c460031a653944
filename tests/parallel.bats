#!/usr/bin/env bats
# GNU parallel running a job list, on this machine and through a real sshd
# on localhost (tests/helpers/sshd-local, brought up once for the file) with
# --sshlogin, as a recipe that fans sluice out over hosts does (issue 21):
# every job runs exactly once with its arguments as given (quoting through
# the remote shell included), where it was sent, and a failing job shows in
# parallel's exit status as parallel(1)'s EXIT STATUS section says: the
# number of failed jobs, or with --halt now,fail=1 the failing job's own.

load test_helper
load helpers/sshd

setup_file() {
	# parallel keeps caches and its citation notice's state here, not in ~.
	export PARALLEL_HOME=$BATS_FILE_TMPDIR/parallel-home
	sshd_setup_file
}

teardown_file() {
	sshd_teardown_file
}

setup() {
	# Jobs here get sluice's programs by name (over ssh: --env PATH).
	export PATH="$SLUICE_BIN:$PATH"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work" || return
}

par() { parallel --will-cite "$@"; }

# Arguments a shell would mangle if parallel or ssh quoted them wrong.
ARGS=('a b' "it's" '$HOME' '*' 'x"y' '-n' 'ü' 'back\slash' ';true')

# job.sh ARGS...: one line per run in ./runs, in one write: its arguments
# (%q-quoted in the C locale, which a login over ssh has), then where it ran
# (the sshd's directory, from its SetEnv, or local); exits N when its first
# argument is failN.
job_script() {
	cat >job.sh <<-'EOF'
		#!/bin/bash
		export LC_ALL=C
		line="$(printf '%q ' "$@")| ${SLUICE_SSHD_LOCAL:-local}"
		echo "$line" >>runs
		case $1 in fail*) exit "${1#fail}" ;; esac
		exit 0
	EOF
	chmod +x job.sh
}

# expect WHERE ARG...: the lines job.sh writes for one run per ARG, sorted.
expect() {
	local where=$1 a
	shift
	for a in "$@"; do (export LC_ALL=C; printf '%q | %s\n' "$a" "$where"); done | sort
}

@test "parallel, here: each job runs once, with its argument exactly as given" {
	job_script
	run --separate-stderr par -j 3 ./job.sh {} ::: "${ARGS[@]}"
	assert_success
	assert_no_stderr
	assert_equal "$(sort runs)" "$(expect local "${ARGS[@]}")"
}

@test "parallel, here: two input sources, each combination once" {
	job_script
	run --separate-stderr par -j 4 ./job.sh {1} {2} ::: 1 2 3 ::: x 'y z'
	assert_success
	want=$(for a in 1 2 3; do for b in x 'y z'; do printf '%q %q | local\n' "$a" "$b"; done; done | sort)
	assert_equal "$(sort runs)" "$want"
}

@test "parallel, here: failing jobs: the exit status counts them, --joblog has each job's status, --halt now,fail=1 stops with the job's own" {
	job_script
	run --separate-stderr par -j 2 --joblog log ./job.sh {} ::: ok fail3 ok fail5 ok
	assert_failure 2
	assert_equal "$(sort runs)" "$(expect local ok fail3 ok fail5 ok)"
	# The joblog: a header, then one row per job; Exitval is column 7.
	assert_equal "$(tail -n +2 log | awk -F'\t' '{ print $NF, $7 }' | sort)" \
		"$(printf '%s\n' './job.sh fail3 3' './job.sh fail5 5' './job.sh ok 0' './job.sh ok 0' './job.sh ok 0')"
	rm runs
	run --separate-stderr par -j 1 --halt now,fail=1 ./job.sh {} ::: ok fail3 ok ok
	assert_failure 3
	assert_equal "$(cat runs)" "$(printf '%s\n' 'ok | local' 'fail3 | local')"
}

@test "parallel --sshlogin through sshd: each job runs once, over ssh, in --workdir, with its argument exactly as given" {
	sshd_need
	job_script
	run --separate-stderr par -S "2/$SSHD_LOCAL_SSH" --workdir "$PWD" ./job.sh {} ::: "${ARGS[@]}"
	assert_success
	assert_no_stderr
	assert_equal "$(sort runs)" "$(expect "$SSHD_DIR" "${ARGS[@]}")"
}

@test "parallel --sshlogin: failing jobs over ssh: the exit status counts them, --joblog has each one's status and host" {
	sshd_need
	job_script
	run --separate-stderr par -S "2/$SSHD_LOCAL_SSH" --workdir "$PWD" --joblog log ./job.sh {} ::: ok fail4 ok fail7
	assert_failure 2
	assert_equal "$(sort runs)" "$(expect "$SSHD_DIR" ok fail4 ok fail7)"
	# Column 2 is the host: the sshlogin each job went to.
	assert_equal "$(tail -n +2 log | awk -F'\t' '{ print $NF, $7, ($2 == ENVIRON["SSHD_LOCAL_SSH"]) }' | sort)" \
		"$(printf '%s\n' './job.sh fail4 4 1' './job.sh fail7 7 1' './job.sh ok 0 1' './job.sh ok 0 1')"
	rm runs
	run --separate-stderr par -j 1 -S "1/$SSHD_LOCAL_SSH" --workdir "$PWD" --halt now,fail=1 ./job.sh {} ::: ok fail6 ok
	assert_failure 6
	assert_equal "$(cat runs)" "$(printf '%s\n' "ok | $SSHD_DIR" "fail6 | $SSHD_DIR")"
}

@test "parallel --sshlogin --env: a variable of the caller reaches the jobs over ssh" {
	sshd_need
	export SLUICE_PAR_TEST='two  words $and "quotes"'
	run --separate-stderr par -S "1/$SSHD_LOCAL_SSH" --env SLUICE_PAR_TEST 'printf "%s|%s\n" {} "$SLUICE_PAR_TEST"' ::: 1
	assert_success
	assert_output "1|$SLUICE_PAR_TEST"
	run --separate-stderr par -S "1/$SSHD_LOCAL_SSH" 'printf "%s|%s\n" {} "${SLUICE_PAR_TEST-unset}"' ::: 1
	assert_output "1|unset"
}

@test "sshd-local: its ssh line logs in as this user; usage errors; a second up on a directory in use is refused" {
	sshd_need
	run $SSHD_LOCAL_SSH id -un
	assert_success
	assert_output "$(id -un)"
	run --separate-stderr "$HELPERS/sshd-local" up
	assert_failure 2
	run --separate-stderr "$HELPERS/sshd-local" up "$SSHD_DIR"
	assert_failure 2
	assert_equal "$stderr" "sshd-local: $SSHD_DIR already holds an sshd"
}

@test "sshd-local down: a session still running: sshd and the session's command end" {
	sshd_need
	s=$BATS_TEST_TMPDIR/s2
	run --separate-stderr "$HELPERS/sshd-local" up "$s"
	assert_success
	eval "$output"
	$SSHD_LOCAL_SSH 'sleep 300 & echo $! >'"$PWD"'/pid; wait' 3>&- &
	wait_for 20 "the remote command to start" test -s pid
	daemon=$(cat "$s/sshd.pid")
	run --separate-stderr "$HELPERS/sshd-local" down "$s"
	assert_success
	assert_no_stderr
	assert_ended "$daemon" "$(cat pid)"
	wait
}
