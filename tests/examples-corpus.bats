#!/usr/bin/env bats
# examples/corpus: the sharded recipe, run as users run it (SMALL=1) on the
# loopback Hub of tests/helpers/hubserver.py: by make -j1 (the reference),
# make -j3 and GNU parallel, which must give the same bytes, and with a
# task killed mid-run, after which running again redoes only its part.

load test_helper

load helpers/corpus

setup() {
	export PATH="$SLUICE_BIN:$PATH"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
	corpus_setup
}

teardown() {
	corpus_teardown
}

@test "examples/corpus: make -j1, make -j3 and run-parallel give the same shards and tokenizer; each stage did its part" {
	recipe j1
	run make -C j1 -j1 SLUICE_BIN="$SLUICE_BIN" "${VARS[@]}"
	echo "$output"
	assert_success
	cd j1
	# Every row was read once, by one of the four parts.
	assert_equal "$(rec-cat --stats raw/*.rec | jq .records)" "$(wc -l < ../rows.jsonl)"
	for i in 0 1 2 3; do rec-cat --header raw/$i.rec | grep -q "\"shard\":\"$i/4\"" || fail "raw/$i.rec: no shard $i/4"; done
	# The filter dropped some, dedup removed copies across the parts (the
	# GPL's paragraphs come in several versions), and the accounts add up.
	rec-cat --stats filtered/*.rec > f.json
	rec-cat --stats dedup/*.rec > d.json
	[ "$(jq .trailer.dropped f.json)" -gt 0 ] || fail "the filter dropped nothing"
	assert_equal "$(jq .trailer.read d.json)" "$(jq .trailer.kept f.json)"
	[ "$(jq .trailer.duplicates d.json)" -gt 0 ] || fail "dedup removed nothing"
	assert_equal "$(jq .records d.json)" "$(jq .trailer.kept d.json)"
	# The tokenizer has the vocabulary asked for; the shards hold every
	# token of every part, with an end-of-text after each document.
	assert_equal "$(tok-bpe info -t tokenizer.json | jq .vocab_size)" 512
	tokens=$(rec-cat --stats tokens/*.rec | jq .tokens)
	[ "$tokens" -gt 1000 ] || fail "only $tokens tokens"
	# (llm.c's shards also open with one, before the first document.)
	eot=$(rec-cat --header tokens/0.rec | jq .eot)
	"$PY" - "$tokens" "$eot" bin/*.bin <<-'PY'
		import struct, sys
		want, eot, total, first = int(sys.argv[1]), int(sys.argv[2]), 0, None
		for path in sys.argv[3:]:
		    data = open(path, "rb").read()
		    magic, version, n = struct.unpack("<3i", data[:12])
		    assert magic == 20240520 and version == 1, (path, magic, version)
		    assert len(data) == 1024 + 2 * n, (path, len(data), n)
		    if first is None:
		        first = struct.unpack("<H", data[1024:1026])[0]
		    total += n
		assert first == eot, (first, eot)
		assert total == want + 1, (total, want)
	PY
	cd ..

	recipe j3
	run make -C j3 -j3 SLUICE_BIN="$SLUICE_BIN" "${VARS[@]}"
	assert_success
	same j1 j3

	recipe par
	(cd par && ./run-parallel -j 3 -- SLUICE_BIN="$SLUICE_BIN" "${VARS[@]}") || fail "run-parallel failed"
	same j1 par

	# Done is done: a second run streams nothing and makes nothing.
	nreq=$(wc -l < requests.jsonl)
	run make -C par -q SLUICE_BIN="$SLUICE_BIN" "${VARS[@]}" bin/.done tokenizer.json
	assert_success
	assert_equal "$(wc -l < requests.jsonl)" "$nreq"
}

@test "examples/corpus: a task killed mid-run leaves no output of its part; running again redoes that part only" {
	reference ref
	# rec-filter of part 2 is killed (SIGKILL) mid-run; the other programs
	# are the real ones.
	stopping_shim shim "$SLUICE_BIN" kill
	recipe run
	# -k: the other parts are made whatever becomes of part 2 (without it
	# make starts no new target once one has failed).
	run make -C run -k -j2 SLUICE_BIN="$PWD/shim" "${VARS[@]}" stage-filtered
	assert_failure
	[ -e run/stopped ] || fail "the task was not caught mid-run"
	[ ! -e run/filtered/2.rec ] || fail "a killed task left its output"
	for i in 0 1 3; do [ -e run/filtered/$i.rec ] || fail "part $i was not made"; done
	touch -d '2000-01-01' run/filtered/0.rec run/filtered/1.rec run/filtered/3.rec run/raw/*.rec
	before=$(stat -c '%n %Y' run/filtered/0.rec run/filtered/1.rec run/filtered/3.rec run/raw/*.rec)
	run make -C run -j2 SLUICE_BIN="$SLUICE_BIN" "${VARS[@]}"
	assert_success
	assert_equal "$(stat -c '%n %Y' run/filtered/0.rec run/filtered/1.rec run/filtered/3.rec run/raw/*.rec)" "$before"
	same ref run
}
