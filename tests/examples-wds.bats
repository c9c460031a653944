#!/usr/bin/env bats
# examples/wds-shards: the recipe users copy, run as CI runs it (SMALL=1):
# shards from the licence texts, then a small GPT-2 trained from them.

load test_helper

setup() {
	export PATH="$SLUICE_BIN:$PATH"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
	cp "$TOP/examples/wds-shards/Makefile" .
}

@test "examples/wds-shards: SMALL=1 writes shards and an index, trains from them, plots and samples" {
	run make SMALL=1 SLUICE_BIN="$SLUICE_BIN"
	assert_success
	# Every paragraph became one sample, spread over shards of 100.
	docs=$(rec-cat --stats docs.rec | jq .records)
	[ "$docs" -gt 300 ] || fail "only $docs paragraphs"
	nshards=$(jq '.shardlist | length' shards/docs.json)
	assert_equal "$nshards" $(( (docs + 99) / 100 ))
	assert_equal "$(jq '[.shardlist[].nsamples] | add' shards/docs.json)" "$docs"
	assert_equal "$(ls shards/docs-*.tar | wc -l)" "$nshards"
	# The shards hold the texts, in order, as KEY.txt members.
	cmp <(rec-cat --text docs.rec) <(wds-cat -q --key txt shards/docs-*.tar | rec-cat --text)
	tar -tf shards/docs-000000.tar | head -1 | grep -qx '000000000.txt'
	# Training read them: losses and validation losses logged, a PNG drawn,
	# and each sample starts with the prompt.
	[ "$(jq -s '[.[] | select(.val_loss)] | length' log.jsonl)" -ge 1 ]
	file loss.png | grep -q 'PNG image'
	assert_equal "$(grep -c '^The licensee' samples.txt)" 2
}

@test "examples/wds-shards: the same SEED gives the same batches, another SEED others" {
	make -s SMALL=1 SLUICE_BIN="$SLUICE_BIN" train.rec >/dev/null
	mv train.rec first.rec
	make -s SMALL=1 SLUICE_BIN="$SLUICE_BIN" train.rec >/dev/null
	cmp first.rec train.rec
	rm train.rec val.rec
	make -s SMALL=1 SEED=2 SLUICE_BIN="$SLUICE_BIN" train.rec >/dev/null
	! cmp -s first.rec train.rec
}
