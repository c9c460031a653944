#!/usr/bin/env bats
# libcommon/model/ckpt: checkpoint directories written whole or not at all, the
# newest found for a resume, the oldest beyond --keep removed.

load test_helper

ck() { "$SLUICE_TEST_BIN/ckpt-tool" "$@"; }

@test "a checkpoint holds its files; the newest is found by its step, not its name's order" {
	ck save run 9 0 model.bin=nine manifest.json='{"step":9}'
	ck save run 10 0 model.bin=ten
	run ck latest run
	assert_output "run/step-00000010 10"
	run ck cat run/step-00000009 manifest.json
	assert_output '{"step":9}'
	run ck cat run/step-00000010 model.bin
	assert_output "ten"
	run ls -A run
	assert_output $'step-00000009\nstep-00000010'
}

@test "keep K leaves the newest K" {
	for s in 1 2 3 4 5; do ck save run $s 2 model.bin=m$s; done
	run ls -A run
	assert_output $'step-00000004\nstep-00000005'
}

@test "what a crash leaves half-written is ignored by resume and removed by the next save" {
	ck save run 1 0 model.bin=one
	mkdir run/.step-00000002.partial
	echo half > run/.step-00000002.partial/model.bin
	run ck latest run
	assert_output "run/step-00000001 1"
	ck save run 2 0 model.bin=two
	run ls -A run
	assert_output $'step-00000001\nstep-00000002'
	run ck cat run/step-00000002 model.bin
	assert_output "two"
}

@test "no checkpoint directory: nothing to resume; a file where the directory should be: an error" {
	run ck latest nowhere
	assert_failure
	touch afile
	run --separate-stderr ck save afile 1 0 x=y
	assert_failure
	[[ $stderr == "ckpt-tool: afile/.step-00000001.partial: Not a directory" ]]
}
