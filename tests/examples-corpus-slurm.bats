#!/usr/bin/env bats
# examples/corpus submitted to a real one-host Slurm (tests/helpers/
# slurm-cluster) by its submit-slurm: a job array a stage, chained afterok.
# A task of the filter stage is killed mid-run with scancel: its part has
# no output, the stages after it are cancelled, and submitting again makes
# only what is missing, to the bytes make -j1 gives.

load test_helper
load helpers/slurm
load helpers/corpus

setup_file() {
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	slurm_setup_file
}

teardown_file() {
	slurm_teardown_file
}

setup() {
	slurm_setup
	corpus_setup
}

teardown() {
	corpus_teardown
}

# wait_jobs FILE SECONDS: every job named in FILE ("stage jobid" lines)
# has ended.
wait_jobs() {
	local j
	for j in $(awk '{ print $2 }' "$1"); do slurm_wait "$j" "$2"; done
}

@test "examples/corpus: submit-slurm; a task killed mid-run leaves no output and cancels the later stages; submitted again, make -j1's bytes" {
	reference j1
	recipe run
	stopping_shim shim "$SLUICE_BIN"
	cd run
	./submit-slurm -- SLUICE_BIN="$BATS_TEST_TMPDIR/work/shim" "${VARS[@]}" > jobs1.txt || fail "submit-slurm failed"
	assert_equal "$(awk '{ print $1 }' jobs1.txt | tr '\n' ' ')" "raw filtered sig bkt drop dedup counts tokenizer tokens bin "
	wait_for 120 "part 2's filter to be caught mid-run" test -e stopped
	filtered=$(awk '$1 == "filtered" { print $2 }' jobs1.txt)
	scancel "${filtered}_2"
	wait_jobs jobs1.txt 60
	assert_equal "$(slurm_tasks "$filtered" | awk '$1 == 2 { print $2 }')" CANCELLED
	[ ! -e filtered/2.rec ] || fail "the killed task left its output"
	for i in 0 1 3; do [ -e filtered/$i.rec ] || fail "part $i was not filtered"; done
	[ ! -e sig/0.sig ] && [ ! -e tokenizer.json ] || fail "a stage after the killed task ran"
	touch -d '2000-01-01' raw/*.rec filtered/0.rec filtered/1.rec filtered/3.rec
	before=$(stat -c '%n %Y' raw/*.rec filtered/0.rec filtered/1.rec filtered/3.rec)

	./submit-slurm -- SLUICE_BIN="$SLUICE_BIN" "${VARS[@]}" > jobs2.txt || fail "submit-slurm failed"
	wait_jobs jobs2.txt 300
	for j in $(awk '{ print $2 }' jobs2.txt); do
		bad=$(slurm_tasks "$j" | grep -v ' COMPLETED 0:0$' || true)
		[ -z "$bad" ] || fail "job $j: $bad: $(cat slurm-"$j"_*.out | tail -n 20)"
	done
	# Only part 2 was filtered again; the rest were found made.
	assert_equal "$(stat -c '%n %Y' raw/*.rec filtered/0.rec filtered/1.rec filtered/3.rec)" "$before"
	cd ..
	same j1 run
}
