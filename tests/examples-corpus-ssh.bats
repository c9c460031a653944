#!/usr/bin/env bats
# examples/corpus run by GNU parallel over ssh (run-parallel --sshlogin)
# through a real sshd on localhost (tests/helpers/sshd-local): the jobs run
# in login shells of their own, with only what --env passes, and give the
# bytes make -j1 gives.

load test_helper
load helpers/sshd
load helpers/corpus

setup_file() {
	export PARALLEL_HOME=$BATS_FILE_TMPDIR/parallel-home
	sshd_setup_file
}

teardown_file() {
	sshd_teardown_file
}

setup() {
	sshd_need
	export PATH="$SLUICE_BIN:$PATH"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
	corpus_setup
}

teardown() {
	corpus_teardown
}

@test "examples/corpus: run-parallel --sshlogin gives make -j1's shards and tokenizer, every job run over ssh" {
	reference j1
	recipe ssh
	log=$PWD/jobs.log
	(cd ssh && ./run-parallel -S "2/$SSHD_LOCAL_SSH" --env HF_ENDPOINT --env HF_HUB_CACHE --env HF_HOME \
		--joblog +"$log" -- SLUICE_BIN="$SLUICE_BIN" "${VARS[@]}") || fail "run-parallel over ssh failed"
	same j1 ssh
	# One job a target of every stage, each on the ssh login, each done.
	n=$(for s in raw filtered sig bkt drop dedup counts tokenizer tokens bin; do make -s -C ssh "${VARS[@]}" targets-$s; done | wc -l)
	assert_equal "$(awk -F'\t' '$1 != "Seq" && $7 == 0' jobs.log | wc -l)" "$n"
	assert_equal "$(awk -F'\t' '$1 != "Seq" { print $2 }' jobs.log | sort -u)" "$SSHD_LOCAL_SSH"
}
