#!/usr/bin/env bats
# The embedded store against a model (random sequences of upserts, deletes
# by id and by filter and compactions, each followed by a check that the
# store holds exactly what a dict of the same operations holds), and its
# integrity checks: what opening refuses, what --verify finds.

load test_helper

setup() {
	export PATH="$SLUICE_BIN:$PATH"
	cd "$BATS_TEST_TMPDIR"
}

@test "random upserts, deletes and compactions leave exactly the points a model predicts (5 seeds)" {
	for seed in 1 2 3 4 5; do
		run "$PY" "$HELPERS/vs_model.py" "$SLUICE_BIN" "$BATS_TEST_TMPDIR/store-$seed" "$seed"
		assert_success
		assert_output --regexp '^ok [0-9]+$'
	done
}

@test "--verify: a whole store passes; a flipped byte in its vectors or its index fails --verify, not an open" {
	"$PY" -c '
import json, random
r = random.Random(3)
for i in range(500):
    print(json.dumps({"id": i, "vector": [r.uniform(-1, 1) for _ in range(8)], "metadata": {"i": i}}))' > pts.jsonl
	vs-upsert -q -s st -d 8 -m dot pts.jsonl
	vs-query -s st --verify
	cp -r st good
	# The first vector of the segment: 128 bytes into the file.
	seg=$(ls st/seg-*.vs)
	printf '\x7f' | dd of="$seg" bs=1 seek=130 conv=notrunc status=none
	run --separate-stderr vs-query -s st --verify
	assert_equal "$status" 1
	assert_regex "$stderr" "^vs-query: st: seg-[0-9]+\.vs: the vectors do not match their checksum"
	run vs-query -s st --stats
	assert_success
	rm -r st && cp -r good st
	idx=$(ls st/hnsw-*.idx)
	size=$(stat -c %s "$idx")
	printf '\x01\x02' | dd of="$idx" bs=1 seek=$((size / 2)) conv=notrunc status=none
	run --separate-stderr vs-query -s st --verify
	assert_equal "$status" 1
	assert_regex "$stderr" "^vs-query: st: hnsw-[0-9]+\.idx: "
	head -3 pts.jsonl | vs-query -s st -k 3 > /dev/null
}

@test "a flipped byte in a segment's ids or metadata is refused at open, naming the file" {
	printf '{"id":"a","vector":[1,2],"metadata":{"k":"v"}}\n' | vs-upsert -q -s st -d 2 -m dot
	seg=$(ls st/seg-*.vs)
	size=$(stat -c %s "$seg")
	printf 'X' | dd of="$seg" bs=1 seek=$((size - 12)) conv=notrunc status=none
	run --separate-stderr vs-query -s st --stats
	assert_equal "$status" 1
	assert_regex "$stderr" "seg-[0-9]+\.vs: checksum mismatch in the ids or metadata"
}
