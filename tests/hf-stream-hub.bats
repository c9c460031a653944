#!/usr/bin/env bats
# hf-stream on the Hub: a Hub-shaped server on loopback
# (tests/helpers/hubserver.py: the API, resolve URLs redirecting to a second
# "CDN" port, ETags and Range, injected faults), the huggingface_hub cache,
# offline mode, auth.  Every test compares with reading the same files
# locally, which tests/hf-stream.bats checks against DuckDB.

load test_helper

duck() { node "$TOP/tests/helpers/duck.mjs" "$@"; }

setup() {
	export PATH="$SLUICE_BIN:$PATH"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
	export HF_HUB_CACHE=$PWD/cache HF_HOME=$PWD/hf-home
	unset HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_HUB_OFFLINE HF_ENDPOINT
	export SLUICE_HTTP_BACKOFF_SCALE=0.01
	echo '[]' > faults.json
}

teardown() {
	[ -f ports.json ] && kill "$(json_get ports.json 'j["pid"]')" 2>/dev/null || true
}

# serve [ARGS]: the server on ./hub, its ports in ports.json; HF_ENDPOINT set.
serve() {
	"$PY" "$HELPERS/hubserver.py" --root hub --port-file ports.json --log requests.jsonl --faults faults.json "$@" \
		2> server.err 3>&- &
	for _ in $(seq 100); do [ -s ports.json ] && break; sleep 0.1; done
	[ -s ports.json ] || fail "the hub server did not start: $(cat server.err)"
	export HF_ENDPOINT=$(json_get ports.json 'j["hub"]')
}

# texts FILE: the text payloads of a record stream, one JSON string a line.
texts() {
	rec-cat "$1" | "$PY" -c '
import json, sys
for line in sys.stdin:
    print(json.dumps(json.loads(line)["text"]))'
}

# A repo of the licence texts: parquet train (two files), jsonl.gz test.
make_repo() { # DIR
	mkdir -p "$1/data"
	duck "CREATE TABLE p AS SELECT row_number() OVER () - 1 AS id, para AS text
	      FROM (SELECT unnest(string_split(content, chr(10) || chr(10))) AS para
	            FROM read_text('/usr/share/common-licenses/*')), range(3) WHERE length(para) > 0" \
		"COPY (SELECT * FROM p WHERE id % 2 = 0) TO '$1/data/train-00000-of-00002.parquet' (FORMAT parquet, ROW_GROUP_SIZE 500)" \
		"COPY (SELECT * FROM p WHERE id % 2 = 1) TO '$1/data/train-00001-of-00002.parquet' (FORMAT parquet, ROW_GROUP_SIZE 500)" \
		"COPY (SELECT * FROM p WHERE id % 7 = 0) TO '$1/data/test-00000-of-00001.jsonl' (FORMAT json)"
	gzip "$1/data/test-00000-of-00001.jsonl"
	printf -- '---\nlicense: other\n---\n# Licences\n' > "$1/README.md"
}

@test "a Hub dataset streams as the same directory does locally: parquet by ranges, jsonl.gz by a stream" {
	make_repo hub/datasets/org/lic
	serve
	hf-stream hub/datasets/org/lic --split train -o local.rec
	hf-stream org/lic --split train -o remote.rec
	texts local.rec > want && texts remote.rec > got
	[ "$(wc -l < want)" -gt 500 ]
	cmp want got
	hf-stream hub/datasets/org/lic --split test -o local-test.rec
	hf-stream org/lic:default:test -o remote-test.rec
	cmp <(texts local-test.rec) <(texts remote-test.rec)
	# parquet came by Range requests from the CDN, never a whole GET
	"$PY" - <<-'EOF'
		import json
		log = [json.loads(l) for l in open("requests.jsonl")]
		pq = [r for r in log if r["port"] == "cdn" and r["method"] == "GET" and ".parquet" in r["query"]]
		assert pq and all(r["range"] for r in pq), pq[:3]
		assert not any(r["auth"] for r in log if r["port"] == "cdn")
	EOF
	# the header names the commit the run was pinned to
	sha=$(json_get <(curl -s "$HF_ENDPOINT/api/datasets/org/lic") 'j["sha"]')
	rec-cat --header remote.rec > h.json
	json_get h.json 'j["files"][0]["path"]' | grep -q "hf://datasets/org/lic@$sha/data/train-00000-of-00002.parquet"
	# --verbose counts every request, the prefetch thread's too
	before=$(wc -l < requests.jsonl)
	hf-stream -v org/lic --split train -o v.rec 2> v.err
	after=$(wc -l < requests.jsonl)
	grep -q "org/lic@$sha: $((after - before)) requests, 0 retries, 0 resumed" v.err
	# listing: configs, splits, files
	run hf-stream org/lic --list-splits
	assert_output "$(printf 'train\ntest')"
	run hf-stream org/lic --list-files
	assert_line --partial "data/train-00001-of-00002.parquet"
}

@test "hf:// URLs with a revision and a glob; pagination of the tree" {
	make_repo hub/datasets/org/lic
	serve --page-size 2
	hf-stream 'hf://datasets/org/lic/data/train-*.parquet' -o glob.rec
	hf-stream org/lic -o plain.rec
	cmp <(texts glob.rec) <(texts plain.rec)
	# the tree came in pages of 2, each page asked once
	"$PY" - <<-'EOF'
		import json
		log = [json.loads(l) for l in open("requests.jsonl")]
		tree = [r for r in log if "/tree/" in r["path"]]
		assert len(tree) >= 3, tree
	EOF
	sha=$(json_get <(curl -s "$HF_ENDPOINT/api/datasets/org/lic") 'j["sha"]')
	hf-stream "hf://datasets/org/lic@$sha/data/test-00000-of-00001.jsonl.gz" -o rev.rec
	[ "$(rec-cat rev.rec | wc -l)" -gt 10 ]
	run --separate-stderr hf-stream 'hf://datasets/org/lic/nothing/*.parquet'
	assert_equal "$status" 1
	[[ ${stderr_lines[0]} == *"no file of org/lic at $sha matches 'nothing/*.parquet'"* ]]
}

@test "a gated dataset: 401 without a token, read with one; the token never reaches the CDN" {
	make_repo hub/datasets/org/gated
	echo '{"gated": "auto"}' > hub/datasets/org/gated.json
	serve --token hf_secret_123
	run --separate-stderr hf-stream org/gated -o x.rec
	assert_equal "$status" 1
	[[ ${stderr_lines[0]} == "hf-stream: org/gated: 401 Unauthorized (gated)"* ]]
	[[ ${stderr_lines[0]} == *"accept its conditions on $HF_ENDPOINT/datasets/org/gated, then set HF_TOKEN"* ]]
	# a private one, a refused token, a revision that is not there: each its own words
	make_repo hub/datasets/org/private
	echo '{"private": true}' > hub/datasets/org/private.json
	run --separate-stderr hf-stream org/private -o x.rec
	assert_equal "$status" 1
	[[ ${stderr_lines[0]} == *"no such dataset, or a private one: set HF_TOKEN to a token with read access"* ]]
	HF_TOKEN=hf_wrong run --separate-stderr hf-stream org/gated -o x.rec
	assert_equal "$status" 1
	[[ ${stderr_lines[0]} == *"the token was refused: check HF_TOKEN"* ]]
	[[ ${stderr_lines[0]} != *hf_wrong* ]]
	HF_TOKEN=hf_secret_123 run --separate-stderr hf-stream -r nope org/gated -o x.rec
	assert_equal "$status" 1
	[[ ${stderr_lines[0]} == *"404 Not Found"*"no revision 'nope'"* ]]
	HF_TOKEN=hf_secret_123 hf-stream org/gated -o y.rec
	mkdir -p hf-home && printf 'hf_secret_123\n' > hf-home/token
	hf-stream org/gated -o z.rec
	MYTOK=hf_secret_123 hf-stream --token-env MYTOK org/gated -o w.rec
	cmp <(texts y.rec) <(texts z.rec)
	cmp <(texts y.rec) <(texts w.rec)
	"$PY" - <<-'EOF'
		import json
		log = [json.loads(l) for l in open("requests.jsonl")]
		assert any(r["auth"] for r in log if r["port"] == "hub")
		assert [r for r in log if r["port"] == "cdn"], "nothing from the cdn"
		assert not any(r["auth"] for r in log if r["port"] == "cdn"), "the token reached the CDN"
	EOF
	! grep -rq hf_secret_123 y.rec "$HF_HUB_CACHE" 2>/dev/null
	run --separate-stderr hf-stream org/nope
	assert_equal "$status" 1
	[[ ${stderr_lines[0]} == "hf-stream: org/nope: 404 Not Found"* ]]
}

@test "--download fills the huggingface_hub cache; offline reads it; offline without it says what is missing" {
	make_repo hub/datasets/org/lic
	serve
	hf-stream --download org/lic -o online.rec
	sha=$(json_get <(curl -s "$HF_ENDPOINT/api/datasets/org/lic") 'j["sha"]')
	d=cache/datasets--org--lic
	assert_equal "$(cat $d/refs/main)" "$sha"
	[ -L "$d/snapshots/$sha/data/train-00000-of-00002.parquet" ]
	cmp "$d/snapshots/$sha/data/train-00000-of-00002.parquet" hub/datasets/org/lic/data/train-00000-of-00002.parquet
	assert_equal "$(readlink "$d/snapshots/$sha/README.md" | cut -c1-12)" "../../blobs/"
	# the server is gone: offline mode reads the cache alone
	kill "$(json_get ports.json 'j["pid"]')"
	rm ports.json
	HF_HUB_OFFLINE=1 hf-stream org/lic -o offline.rec
	cmp <(texts online.rec) <(texts offline.rec)
	hf-stream --offline org/lic -o offline2.rec
	cmp <(texts online.rec) <(texts offline2.rec)
	run --separate-stderr hf-stream --offline org/other
	assert_equal "$status" 1
	[[ ${stderr_lines[0]} == *"offline, and the cache"*"has no ref 'main'"* ]]
}

@test "faults: drops, 429 with Retry-After, 503 bursts, no Range, a short body: the output is byte-identical" {
	make_repo hub/datasets/org/lic
	serve
	hf-stream org/lic --split train -o clean.rec
	hf-stream org/lic --split test -o clean-test.rec
	i=0
	for f in '{"match":".parquet","port":"cdn","kind":"drop","after":3000,"times":3}' \
		'{"match":"/api/datasets/org/lic","port":"hub","kind":"status","code":429,"retry_after":1,"times":2}' \
		'{"match":"","port":"any","kind":"status","code":503,"times":4}' \
		'{"match":".parquet","port":"cdn","kind":"bad_length","times":2}' \
		'{"match":".parquet","port":"cdn","kind":"stall","after":2000,"delay":3,"times":1}' \
		'{"match":"/tree/","port":"hub","kind":"slow","delay":0.5,"times":2}'; do
		echo "[$f]" > faults.json
		hf-stream -v --timeout 1 org/lic --split train -o faulty-$i.rec 2> err-$i.txt
		cmp <(texts clean.rec) <(texts faulty-$i.rec)
		grep -q "requests" err-$i.txt
		i=$((i + 1))
	done
	# the faults were met and retried, the stall by the --timeout of 1 s (a
	# range whose bytes all came before the lying Content-Length ran out
	# needs no retry)
	for i in 0 1 2 4; do grep -Eq ", [1-9][0-9]* retries" err-$i.txt || fail "no retry in run $i: $(cat err-$i.txt)"; done
	# the streamed jsonl.gz: dropped mid-body, then a server that ignores Range
	echo '[{"match":"test-00000","port":"any","kind":"drop","after":500,"times":1},
	       {"match":"test-00000","port":"any","kind":"no_range","times":1}]' > faults.json
	hf-stream org/lic --split test -o faulty-test.rec
	cmp <(texts clean-test.rec) <(texts faulty-test.rec)
	# out of retries: one line, status 1
	echo '[{"match":"","port":"hub","kind":"status","code":503,"times":100}]' > faults.json
	run --separate-stderr hf-stream --retries 2 org/lic -o never.rec
	assert_equal "$status" 1
	[[ ${stderr_lines[0]} == *503* ]]
	[ ! -e never.rec ]
}

@test "no data files sluice reads, or --parquet-export: the Hub's auto-converted parquet" {
	mkdir -p hub/datasets/org/script
	printf 'import datasets\n' > hub/datasets/org/script/script.py
	make_repo conv
	mkdir -p hub/datasets/org/script.parquet-export/default/train
	cp conv/data/train-00000-of-00002.parquet hub/datasets/org/script.parquet-export/default/train/0000.parquet
	cp conv/data/train-00001-of-00002.parquet hub/datasets/org/script.parquet-export/default/train/0001.parquet
	echo '{"parquet_export": {"default": {"train": ["default/train/0000.parquet", "default/train/0001.parquet"]}}}' \
		> hub/datasets/org/script.json
	serve
	hf-stream org/script -o export.rec
	hf-stream conv --split train -o local.rec
	cmp <(texts local.rec) <(texts export.rec)
	run --separate-stderr hf-stream org/script --split validation -o none.rec
	assert_equal "$status" 1
	[[ ${stderr_lines[0]} == *"no parquet export of config 'default', split 'validation'"* ]]
	# the export's configs and splits, from the Hub's index of it
	assert_equal "$(hf-stream org/script --list-configs)" "default (default)"
	assert_equal "$(hf-stream org/script --list-splits)" "train"
	# --info reads the footers by ranges, as locally
	hf-stream org/script --info > remote-info.jsonl
	hf-stream conv --split train --info > local-info.jsonl
	"$PY" - <<-'EOF'
		import json
		r = [json.loads(l) for l in open("remote-info.jsonl")]
		l = [json.loads(l) for l in open("local-info.jsonl")]
		assert len(r) == len(l) == 2, (r, l)
		for a, b in zip(r, l):
		    for k in ("columns", "rows", "row_groups", "size"):
		        assert a[k] == b[k], (k, a, b)
	EOF
}

@test "403: a token without access is told to accept the conditions; 401 and 404 have their own words" {
	make_repo hub/datasets/org/lic
	serve
	echo '[{"match":"/api/datasets/org/lic","port":"hub","kind":"status","code":403,"times":1}]' > faults.json
	run --separate-stderr hf-stream org/lic -o x.rec
	assert_equal "$status" 1
	[[ ${stderr_lines[0]} == "hf-stream: org/lic: 403 Forbidden"*"accept its conditions on $HF_ENDPOINT/datasets/org/lic"* ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ ! -e x.rec ]
}

@test "README configs: the same configs, splits and rows remotely as locally" {
	d=hub/datasets/org/cfg
	mkdir -p $d/en $d/fr
	for i in 1 2 3; do echo "{\"text\": \"english $i\"}"; done > $d/en/a.jsonl
	for i in 1 2; do echo "{\"text\": \"français $i\"}"; done > $d/fr/train.jsonl
	for i in 1 2; do echo "{\"text\": \"test fr $i\"}"; done > $d/fr/test.jsonl
	cat > $d/README.md <<-'EOF2'
		---
		configs:
		- config_name: en
		  data_files:
		  - split: train
		    path: en/*.jsonl
		- config_name: fr
		  data_files:
		  - split: train
		    path: fr/train.jsonl
		  - split: test
		    path: fr/test.jsonl
		  default: true
		---
		# two languages
	EOF2
	serve
	assert_equal "$(hf-stream org/cfg --list-configs)" "$(hf-stream $d --list-configs)"
	assert_equal "$(hf-stream org/cfg:fr --list-splits)" "$(printf 'train\ntest')"
	hf-stream org/cfg:fr:test -o remote.rec
	hf-stream $d -c fr -s test -o local.rec
	cmp <(texts local.rec) <(texts remote.rec)
	hf-stream org/cfg -c en -o en.rec
	assert_equal "$(rec-cat --text en.rec)" "$(printf 'english 1\nenglish 2\nenglish 3')"
	run --separate-stderr hf-stream org/cfg:de
	assert_equal "$status" 2
	[[ ${stderr_lines[0]} == *"de"* ]]
}

@test "a cache laid out by hand in huggingface_hub's layout is read offline, with no server" {
	commit=0123456789abcdef0123456789abcdef01234567
	d=cache/datasets--org--hand
	mkdir -p $d/blobs $d/refs $d/snapshots/$commit/data
	printf '{"text": "from the cache"}\n{"text": "second row"}\n' > row.jsonl
	etag=$(sha256sum row.jsonl | cut -d' ' -f1)
	cp row.jsonl $d/blobs/$etag
	ln -s ../../../blobs/$etag $d/snapshots/$commit/data/train.jsonl
	printf '%s' $commit > $d/refs/main
	HF_HUB_OFFLINE=1 hf-stream org/hand -o out.rec
	assert_equal "$(rec-cat --text out.rec)" "$(printf 'from the cache\nsecond row')"
	# a revision by its commit, and a file the cache lacks
	hf-stream --offline "hf://datasets/org/hand@$commit/data/train.jsonl" -o byrev.rec
	cmp out.rec byrev.rec || cmp <(rec-cat --text out.rec) <(rec-cat --text byrev.rec)
	run --separate-stderr hf-stream --offline -r v2 org/hand
	assert_equal "$status" 1
	[[ ${stderr_lines[0]} == *"has no ref 'v2'"* ]]
}

@test "--download resumes a blob an interrupted download left half-written, with a range from where it stopped" {
	make_repo hub/datasets/org/lic
	serve
	f=hub/datasets/org/lic/data/train-00000-of-00002.parquet
	etag=$(sha256sum $f | cut -d' ' -f1)
	size=$(stat -c %s $f)
	half=$((size / 2))
	mkdir -p cache/datasets--org--lic/blobs
	head -c $half $f > cache/datasets--org--lic/blobs/$etag.incomplete
	hf-stream --download org/lic --split train -o dl.rec
	cmp cache/datasets--org--lic/blobs/$etag $f
	[ ! -e cache/datasets--org--lic/blobs/$etag.incomplete ]
	"$PY" - "$half" <<-'EOF2'
		import json, sys
		half = int(sys.argv[1])
		log = [json.loads(l) for l in open("requests.jsonl")]
		got = [r["range"] for r in log if r["port"] == "cdn" and r["method"] == "GET" and
		       "train-00000-of-00002" in r["query"]]
		assert got and got[0].startswith("bytes=%d-" % half), got
	EOF2
	hf-stream org/lic --split train -o stream.rec
	cmp <(texts dl.rec) <(texts stream.rec)
}
