#!/usr/bin/env bats
# The embedded vector store under kill -9 and concurrent readers (issue 10):
# vs-upsert killed at random moments while it writes, checkpoints or
# compacts loses no acknowledged point and leaves a store that opens, and a
# reader running beside a writer always succeeds and sees whole batches.
# The loops are in tests/helpers/vs_crash.py, which says what it checks.

load test_helper

crash() { "$PY" "$HELPERS/vs_crash.py" "$@"; }

setup() {
	[ -x "$SLUICE_BIN/vs-upsert" ] && [ -x "$SLUICE_BIN/vs-query" ] ||
		fail "no vs-upsert/vs-query in SLUICE_BIN=$SLUICE_BIN (run make first)"
	export PATH="$SLUICE_BIN:$PATH"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
}

@test "kill -9 at random moments of 50 upsert runs loses no acknowledged point, and the store opens" {
	# 50 in the plain build; 15 under the sanitizers, which check the same
	# code paths for memory errors at several times the cost per run.
	local runs=50
	[ -z "${SLUICE_SANITIZED:-}" ] || runs=15
	run crash kill "$BATS_TEST_TMPDIR/s" --runs $runs --seed 1
	echo "$output"
	assert_success
	assert_output --regexp "^$runs runs \([0-9]+ killed"
}

@test "a reader beside a writer always succeeds, and sees each batch whole or not at all" {
	run crash reader "$BATS_TEST_TMPDIR/s"
	echo "$output"
	assert_success
}

@test "kill -9 during --compact leaves a store that opens with every live point" {
	run crash compact "$BATS_TEST_TMPDIR/s" --kills 8 --seed 1
	echo "$output"
	assert_success
}
