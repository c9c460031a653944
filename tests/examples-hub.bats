#!/usr/bin/env bats
# examples/hub-dataset: the recipe users copy, run as CI runs it (SMALL=1)
# against the loopback Hub of tests/helpers/hubserver.py serving a dataset
# repo that the test builds: the licence texts Debian ships, one paragraph
# a JSON line.

load test_helper
load helpers/hub

setup() {
	export PATH="$SLUICE_BIN:$PATH"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
	export HF_HUB_CACHE=$PWD/cache HF_HOME=$PWD/hf-home
	unset HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_HUB_OFFLINE HF_ENDPOINT
}

teardown() {
	hub_stop
}

# org/stories: every paragraph of the licence texts, a JSON line each.
make_repo() {
	local d=hub/datasets/org/stories
	mkdir -p $d/data
	licence_rows > $d/data/train-00000-of-00001.jsonl
	printf -- '---\nlicense: other\n---\n# Stories\n' > $d/README.md
}

@test "examples/hub-dataset: SMALL=1 streams from the Hub, learns a BPE, trains, plots and samples" {
	make_repo
	hub_serve
	mkdir recipe
	cp "$TOP/examples/hub-dataset/Makefile" recipe/
	run make -C recipe SMALL=1 SLUICE_BIN="$SLUICE_BIN" DATASET=org/stories PROMPT='The Licensee'
	echo "$output"
	assert_success
	cd recipe
	# the rows came from the Hub: its API, then the file through the CDN
	n=$(rec-cat --text docs.rec | wc -l)
	[ "$n" -gt 500 ]
	"$PY" - <<-'EOF'
		import json
		log = [json.loads(l) for l in open("../requests.jsonl")]
		assert any(r["port"] == "hub" and r["path"].startswith("/api/datasets/org/stories") for r in log), log
		assert any(r["port"] == "hub" and r["path"].endswith("/data/train-00000-of-00001.jsonl") for r in log), log
		assert any(r["port"] == "cdn" and r["method"] == "GET" and r["status"] in (200, 206) for r in log), log
	EOF
	rec-cat --header docs.rec | grep -q 'hf://datasets/org/stories@'
	# a BPE of 512 tokens
	tok-bpe info -t tokenizer.json > info.json
	assert_equal "$(json_get info.json 'j["vocab_size"]')" 512
	# a loss log whose loss fell, a PNG, three samples of the prompt
	"$PY" - <<-'EOF'
		import json
		recs = [json.loads(l) for l in open("log.jsonl")]
		steps = [r["loss"] for r in recs if "loss" in r]
		vals = [r["val_loss"] for r in recs if "val_loss" in r]
		assert len(steps) == 40 and len(vals) == 5, (len(steps), len(vals))
		assert steps[-1] < steps[0] and vals[-1] < steps[0], (steps[0], steps[-1], vals)
	EOF
	[ "$(head -c 8 loss.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
	[ "$(wc -l < samples.txt)" -eq 3 ]
	[ "$(grep -c '^The Licensee' samples.txt)" -eq 3 ]
	[ "$(awk '{ n += length($0) } END { print n }' samples.txt)" -gt 60 ]
	# a second make is a no-op: nothing is streamed again
	nreq=$(wc -l < ../requests.jsonl)
	run make SMALL=1 SLUICE_BIN="$SLUICE_BIN" DATASET=org/stories -q samples.txt loss.png
	assert_success
	assert_equal "$(wc -l < ../requests.jsonl)" "$nreq"
}
