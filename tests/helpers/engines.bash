# engines.bash - bringing up a real engine once for a bats file: the
# one-host Slurm cluster of tests/slurm.bats (helpers/slurm-cluster) and the
# sshd that GNU parallel reaches in tests/parallel.bats (helpers/sshd-local).
# Load after test_helper.
#
# A helper's `up DIR` prints VAR=value lines (shell-quoted) to export, and
# exits 77 with one line on stderr when this machine cannot run the engine
# (not root, a package missing, a container that forbids something).  Such
# a file's tests then skip with that line, except where SLUICE_TEST_REQUIRE
# names the engine (CI, where scripts/install-deps ran as root: e.g.
# SLUICE_TEST_REQUIRE="slurm sshd"), where they fail with it.

# engine_up NAME HELPER DIR: in setup_file.  Another failure of HELPER (a
# timeout) fails setup_file with its words.
engine_up() {
	local name=$1 helper=$2 dir=$3 out rc line
	out=$("$helper" up "$dir" 2>"$dir.err" 3>&-) && rc=0 || rc=$?
	case $rc in
	0)
		while IFS= read -r line; do
			eval "export $line"
		done <<<"$out" ;;
	77)
		ENGINE_SKIP=$(head -n 1 "$dir.err")
		export ENGINE_SKIP ENGINE_NAME=$name ;;
	*)
		cat "$dir.err" >&2
		return 1 ;;
	esac
}

# engine_need: in setup: skip (or fail, when required) where the engine
# could not come up.
engine_need() {
	[ -n "${ENGINE_SKIP:-}" ] || return 0
	case " ${SLUICE_TEST_REQUIRE:-} " in
	*" $ENGINE_NAME "*) fail "$ENGINE_SKIP (SLUICE_TEST_REQUIRE names $ENGINE_NAME)" ;;
	esac
	skip "$ENGINE_SKIP"
}

# wait_for SECONDS WHAT COMMAND...: run COMMAND every 0.1 s until it
# succeeds; fail the test, naming WHAT, when SECONDS pass first.
wait_for() {
	local n=$(($1 * 10)) what=$2
	shift 2
	until "$@"; do
		n=$((n - 1))
		[ $n -gt 0 ] || fail "timed out waiting for $what"
		sleep 0.1
	done
}

# assert_ended PID...: each process is gone, or dead and waiting to be
# reaped (a zombie: an orphan's new parent, pid 1 in a container, may never
# reap it).  The state is read once, so a process reaped meanwhile passes.
assert_ended() {
	local p st
	for p in "$@"; do
		st=$(sed -n 's/^State:[[:space:]]*//p' "/proc/$p/status" 2>/dev/null) || true
		case $st in
		'' | Z* | X*) ;;
		*) fail "process $p has not ended: $st: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" ;;
		esac
	done
}
