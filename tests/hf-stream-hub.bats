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
	# a .py not named after the repository: no script dataset, so the
	# export is read for want of data files, and said nothing about
	mkdir -p hub/datasets/org/script
	printf 'import datasets\n' > hub/datasets/org/script/build.py
	make_repo conv
	mkdir -p hub/datasets/org/script.parquet-export/default/train
	cp conv/data/train-00000-of-00002.parquet hub/datasets/org/script.parquet-export/default/train/0000.parquet
	cp conv/data/train-00001-of-00002.parquet hub/datasets/org/script.parquet-export/default/train/0001.parquet
	echo '{"parquet_export": {"default": {"train": ["default/train/0000.parquet", "default/train/0001.parquet"]}}}' \
		> hub/datasets/org/script.json
	serve
	hf-stream org/script -o export.rec 2> export.err
	hf-stream conv --split train -o local.rec
	cmp <(texts local.rec) <(texts export.rec)
	[ ! -s export.err ]
	run --separate-stderr hf-stream org/script --split validation -o none.rec
	assert_equal "$status" 2
	assert_equal "$stderr" "hf-stream: org/script: no split 'validation' in config 'default' of the Hub's parquet export (splits: train)"
	run --separate-stderr hf-stream org/script -c en -o none.rec
	assert_equal "$status" 2
	assert_equal "$stderr" "hf-stream: org/script: no config 'en' in the Hub's parquet export (configs: default)"
	# no export either: one line, status 1
	mkdir -p hub/datasets/org/bare && printf 'x' > hub/datasets/org/bare/bare.bin
	run --separate-stderr hf-stream org/bare -o none.rec
	assert_equal "$status" 1
	assert_equal "$stderr" "hf-stream: org/bare: no data file sluice reads, and the Hub has no parquet export of it"
	[ ! -e none.rec ]
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

# A loading script and the helper files it reads, as in
# togethercomputer/RedPajama-Data-1T: lists of URLs, not data.
make_redpajama() { # DIR
	mkdir -p "$1/urls"
	printf 'import datasets\n_URL_LISTS = {"arxiv": "urls/arxiv.txt", "book": "urls/book.txt"}\n' > "$1/RedPajama-Data-1T.py"
	for s in arxiv book; do
		for i in 0 1 2; do echo "https://data.together.xyz/redpajama-data-1T/v1.0.0/$s/${s}_000$i.jsonl"; done > "$1/urls/$s.txt"
	done
	printf -- '---\ntask_categories:\n- text-generation\n---\n# RedPajama\n' > "$1/README.md"
}

# reads_no_data: the request log shows no file of the repository was read
# but its README.md and loading script.
reads_no_data() {
	"$PY" - <<-'EOF'
		import json
		log = [json.loads(l) for l in open("requests.jsonl")]
		got = [r["path"] for r in log if "/resolve/" in r["path"] and not r["path"].endswith((".py", "README.md"))]
		assert not got, got
	EOF
}

@test "a script dataset (RedPajama's layout) with no parquet export: one line, status 1, nothing read" {
	make_redpajama hub/datasets/togethercomputer/RedPajama-Data-1T
	serve
	want="hf-stream: togethercomputer/RedPajama-Data-1T: a script dataset (RedPajama-Data-1T.py loads it, and sluice does not run loading scripts) and the Hub has no parquet export of it; read its data files instead: hf://datasets/togethercomputer/RedPajama-Data-1T/PATH-OR-GLOB"
	run --separate-stderr hf-stream togethercomputer/RedPajama-Data-1T -o out.rec
	assert_equal "$status" 1
	assert_equal "$stderr" "$want"
	assert_equal "$output" ""
	[ ! -e out.rec ]
	# the same for the hf:// name, -q, a split, and the listings
	for args in hf://datasets/togethercomputer/RedPajama-Data-1T "-q togethercomputer/RedPajama-Data-1T" \
		"togethercomputer/RedPajama-Data-1T:default:train" "--list-configs togethercomputer/RedPajama-Data-1T" \
		"--list-splits togethercomputer/RedPajama-Data-1T" "--list-files togethercomputer/RedPajama-Data-1T"; do
		run --separate-stderr hf-stream $args -o out.rec
		assert_equal "$status" 1
		assert_equal "$output" ""
		[[ $stderr == *": a script dataset (RedPajama-Data-1T.py loads it, "*"PATH-OR-GLOB" ]] || fail "$args: $stderr"
		[ "${#stderr_lines[@]}" -eq 1 ]
	done
	# a revision asked for is kept in the way out
	echo '{"revisions": {"v1.0": "RedPajama-Data-1T"}}' > hub/datasets/togethercomputer/RedPajama-Data-1T.json
	run --separate-stderr hf-stream -r v1.0 togethercomputer/RedPajama-Data-1T -o out.rec
	assert_equal "$status" 1
	[[ $stderr == *"hf://datasets/togethercomputer/RedPajama-Data-1T@v1.0/PATH-OR-GLOB" ]]
	reads_no_data
	# a directory laid out the same, named after its script, is one too
	run --separate-stderr hf-stream hub/datasets/togethercomputer/RedPajama-Data-1T -o out.rec
	assert_equal "$status" 1
	assert_equal "$stderr" "hf-stream: hub/datasets/togethercomputer/RedPajama-Data-1T: a script dataset (RedPajama-Data-1T.py loads it, and sluice does not run loading scripts); read its data files instead: give them, or a glob of them, as the sources"
	# the files it names are still read when named: the URL lists, as text
	hf-stream 'hf://datasets/togethercomputer/RedPajama-Data-1T/urls/*.txt' -o urls.rec
	assert_equal "$(rec-cat --text urls.rec)" "$(cat hub/datasets/togethercomputer/RedPajama-Data-1T/urls/{arxiv,book}.txt)"
}

@test "a script dataset (proof-pile-2's layout) fails even with README configs; an hf:// glob reads exactly its files" {
	d=hub/datasets/EleutherAI/proof-pile-2
	for part in arxiv/train/arxiv_000 arxiv/train/arxiv_001 arxiv/validation/arxiv_000 \
		open-web-math/train/owm_000 algebraic-stack/train/as_000; do
		mkdir -p "$d/$(dirname $part)"
		for i in 1 2 3; do echo "{\"text\": \"$part row $i\", \"meta\": {}}"; done | zstd -q -o "$d/$part.jsonl.zst"
	done
	printf 'import datasets\n' > $d/proof-pile-2.py
	# README configs with data_files: `datasets` still takes the script (load.py
	# looks for it first), so sluice does too
	cat > $d/README.md <<-'EOF2'
		---
		configs:
		- config_name: arxiv
		  data_files:
		  - split: train
		    path: arxiv/train/*.jsonl.zst
		---
		# Proof-Pile-2
	EOF2
	serve
	for src in EleutherAI/proof-pile-2 EleutherAI/proof-pile-2:arxiv "-c arxiv --split validation EleutherAI/proof-pile-2"; do
		run --separate-stderr hf-stream $src -o out.rec
		assert_equal "$status" 1
		assert_equal "$stderr" "hf-stream: ${src##* }: a script dataset (proof-pile-2.py loads it, and sluice does not run loading scripts) and the Hub has no parquet export of it; read its data files instead: hf://datasets/EleutherAI/proof-pile-2/PATH-OR-GLOB"
		[ ! -e out.rec ]
	done
	reads_no_data
	# the way out: exactly the two files of arxiv/train, in name order
	hf-stream 'hf://datasets/EleutherAI/proof-pile-2/arxiv/train/*.jsonl.zst' -o arxiv.rec
	assert_equal "$(rec-cat --text arxiv.rec)" "$(zstdcat $d/arxiv/train/arxiv_000.jsonl.zst $d/arxiv/train/arxiv_001.jsonl.zst | "$PY" -c '
import json, sys
for l in sys.stdin: print(json.loads(l)["text"])')"
	rec-cat --header arxiv.rec > h.json
	assert_equal "$(json_get h.json '[f["path"].split("/", 5)[5] for f in j["files"]]')" \
		'["arxiv/train/arxiv_000.jsonl.zst", "arxiv/train/arxiv_001.jsonl.zst"]'
	hf-stream --list-files 'hf://datasets/EleutherAI/proof-pile-2/**/train/*.jsonl.zst' > files
	assert_equal "$(cut -f1 files | sed 's|.*/proof-pile-2@[0-9a-f]*/||')" \
		"$(printf 'algebraic-stack/train/as_000.jsonl.zst\narxiv/train/arxiv_000.jsonl.zst\narxiv/train/arxiv_001.jsonl.zst\nopen-web-math/train/owm_000.jsonl.zst')"
}

@test "a script dataset with a parquet export reads the export, says so once unless -q, offline too" {
	d=hub/datasets/org/wiki
	mkdir -p $d/urls
	printf 'import datasets\n' > $d/wiki.py
	echo 'https://example.org/wiki.jsonl' > $d/urls/en.txt
	make_repo conv
	mkdir -p hub/datasets/org/wiki.parquet-export/default/train
	cp conv/data/train-0000{0,1}-of-00002.parquet hub/datasets/org/wiki.parquet-export/default/train/
	serve
	hf-stream org/wiki -o export.rec 2> export.err
	hf-stream conv --split train -o local.rec
	cmp <(texts local.rec) <(texts export.rec)
	assert_equal "$(cat export.err)" "hf-stream: org/wiki: a script dataset (wiki.py loads it, and sluice does not run loading scripts): reading the Hub's parquet export of config 'default', split 'train' instead"
	hf-stream -q org/wiki -o quiet.rec 2> quiet.err
	[ ! -s quiet.err ]
	cmp <(texts export.rec) <(texts quiet.rec)
	# --parquet-export asked for it: nothing to say
	hf-stream --parquet-export org/wiki -o asked.rec 2> asked.err
	[ ! -s asked.err ]
	# no file of the repository itself was read, only the export's
	"$PY" - <<-'EOF'
		import json
		log = [json.loads(l) for l in open("requests.jsonl")]
		got = [r["path"] for r in log if "/resolve/main/" in r["path"] and not r["path"].endswith("/wiki.py")]
		assert not got, got
	EOF
	assert_equal "$(hf-stream org/wiki --list-configs 2>/dev/null)" "default (default)"
	assert_equal "$(hf-stream -q org/wiki --list-splits)" "train"
	# the export is of main: another revision is the script's to load
	echo '{"revisions": {"v1.0": "wiki"}}' > hub/datasets/org/wiki.json
	run --separate-stderr hf-stream -r v1.0 org/wiki -o rev.rec
	assert_equal "$status" 1
	assert_equal "$stderr" "hf-stream: org/wiki: a script dataset (wiki.py loads it, and sluice does not run loading scripts) and the Hub's parquet export is of main, not of revision 'v1.0'; read its data files instead: hf://datasets/org/wiki@v1.0/PATH-OR-GLOB"
	# offline: the script and the export come from the cache
	hf-stream -q --download org/wiki -o online.rec
	[ -f cache/datasets--org--wiki/snapshots/$(cat cache/datasets--org--wiki/refs/main)/wiki.py ]
	kill "$(json_get ports.json 'j["pid"]')"
	rm ports.json
	HF_HUB_OFFLINE=1 hf-stream org/wiki -o offline.rec 2> offline.err
	cmp <(texts online.rec) <(texts offline.rec)
	grep -q "reading the Hub's parquet export of config 'default', split 'train' instead" offline.err
	assert_equal "$(HF_HUB_OFFLINE=1 hf-stream org/wiki --list-splits 2>/dev/null)" "train"
	# offline without the export in the cache: the script's line
	rm cache/datasets--org--wiki/refs/refs/convert/parquet
	run --separate-stderr hf-stream --offline org/wiki -o none.rec
	assert_equal "$status" 1
	[[ $stderr == *"a script dataset (wiki.py loads it, and sluice does not run loading scripts) and offline, the cache holds no parquet export of it; "* ]]
}

@test "a script dataset's export with several configs: -c picks one; without it the default as datasets picks it" {
	d=hub/datasets/org/multi
	mkdir -p $d
	printf 'import datasets\n' > $d/multi.py
	make_repo conv
	for c in en fr; do
		mkdir -p hub/datasets/org/multi.parquet-export/$c/train
		cp conv/data/train-00000-of-00002.parquet hub/datasets/org/multi.parquet-export/$c/train/0000.parquet
	done
	cp conv/data/train-00001-of-00002.parquet hub/datasets/org/multi.parquet-export/fr/train/0000.parquet
	serve
	run --separate-stderr hf-stream org/multi -o none.rec
	assert_equal "$status" 2
	assert_equal "$stderr" "hf-stream: org/multi: no default config: pick one of en, fr"
	hf-stream -q org/multi:fr -o fr.rec
	cmp <(texts fr.rec) <(hf-stream -q conv/data/train-00001-of-00002.parquet | texts /dev/stdin)
	assert_equal "$(hf-stream -q org/multi --list-configs)" "$(printf 'en\nfr')"
	# a config named default is the default, unless the script names its own
	mkdir -p hub/datasets/org/multi.parquet-export/default/train
	cp conv/data/train-00000-of-00002.parquet hub/datasets/org/multi.parquet-export/default/train/0000.parquet
	hf-stream -q org/multi -o def.rec
	cmp <(texts def.rec) <(hf-stream -q conv/data/train-00000-of-00002.parquet | texts /dev/stdin)
	assert_equal "$(hf-stream -q org/multi --list-configs)" "$(printf 'default (default)\nen\nfr')"
	printf 'import datasets\nDEFAULT_CONFIG_NAME = "fr"\n' > $d/multi.py
	run --separate-stderr hf-stream -q org/multi -o none.rec
	assert_equal "$status" 2
	assert_equal "$stderr" "hf-stream: org/multi: no default config (its loading script names it, the parquet export does not): pick one of default, en, fr"
	hf-stream -q -c fr org/multi -o fr2.rec
	cmp fr.rec fr2.rec || cmp <(texts fr.rec) <(texts fr2.rec)
}

@test "a .py not named after the repository, or below its top, makes no script dataset: the data files are read" {
	make_repo hub/datasets/org/lic
	printf 'print(1)\n' > hub/datasets/org/lic/make_data.py
	mkdir -p hub/datasets/org/lic/tools && printf 'print(1)\n' > hub/datasets/org/lic/tools/lic.py
	printf 'print(1)\n' > hub/datasets/org/lic/Lic.py
	serve
	hf-stream org/lic --split train -o remote.rec 2> remote.err
	hf-stream hub/datasets/org/lic --split train -o local.rec
	cmp <(texts local.rec) <(texts remote.rec)
	[ ! -s remote.err ]
	assert_equal "$(hf-stream org/lic --list-splits)" "$(printf 'train\ntest')"
}

# A plain URL that redirects (the Hub's resolve URL 302s parquet to its CDN,
# as servers redirect to presigned URLs that expire): the open asks the
# named URL again and follows a fresh redirect, never the target expansion
# saw, which a long run may reach only after it expired.
@test "a redirected https:// parquet file is asked again at open, not read from the expansion's redirect" {
	make_repo hub/datasets/org/lic
	serve
	url="$HF_ENDPOINT/datasets/org/lic/resolve/main/data/train-00000-of-00002.parquet"
	hf-stream -q "$url" -o remote.rec
	hf-stream -q hub/datasets/org/lic/data/train-00000-of-00002.parquet -o local.rec
	cmp <(texts local.rec) <(texts remote.rec)
	run -0 jq -c 'select(.port == "hub" and .method == "HEAD" and (.path | endswith("train-00000-of-00002.parquet")))' requests.jsonl
	assert_equal "${#lines[@]}" 2
}
