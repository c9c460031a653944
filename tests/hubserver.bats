#!/usr/bin/env bats
# The fake Hugging Face Hub (tests/helpers/hubserver.py) that the hf-stream
# suites run against: its API JSON, pagination, resolve redirects, the CDN's
# Range support, auth, every fault kind, and the request log.  Each test
# builds a repository tree of its own, starts a server on it and asks it with
# curl; hashes are computed independently (git hash-object, sha256sum).

load test_helper

HUBSERVER=$TOP/tests/helpers/hubserver.py

setup() {
	command -v curl >/dev/null || skip "no curl"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
	ROOT=$BATS_TEST_TMPDIR/root
	REPO=$ROOT/datasets/org/ds
	mkdir -p "$REPO"
}

teardown() {
	[ -z "${HUBPID:-}" ] || kill "$HUBPID" 2>/dev/null || true
}

# start_hub [ARGS...]: start the server on $ROOT; sets HUB, CDN, HUBPID.
start_hub() {
	local pf=$BATS_TEST_TMPDIR/ports.json i
	rm -f "$pf"
	"$PY" "$HUBSERVER" --root "$ROOT" --port-file "$pf" \
		--log "$BATS_TEST_TMPDIR/hub.log" "$@" 3>&- &
	HUBPID=$!
	for i in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
	[ -s "$pf" ] || fail "hubserver did not start"
	HUB=$(jq -r .hub "$pf")
	CDN=$(jq -r .cdn "$pf")
	[ "$(jq -r .pid "$pf")" = "$HUBPID" ]
}

# header NAME FILE: the value of a response header in a curl -D dump.
header() { grep -i "^$1:" "$2" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

faults() { printf '%s\n' "$1" >"$BATS_TEST_TMPDIR/faults.json"; }

big() { head -c "$2" /dev/urandom >"$1"; }

@test "dataset info: id, flags, siblings, and sha = git tree id of the revision" {
	mkdir -p "$REPO/data"
	printf -- '---\nconfigs:\n- config_name: default\n  data_files: data/*.jsonl\n---\n# ds\n' >"$REPO/README.md"
	printf '{"text":"a"}\n' >"$REPO/data/train.jsonl"
	printf '{"text":"b"}\n' >"$REPO/data/test.jsonl"
	start_hub
	run -0 curl -sf "$HUB/api/datasets/org/ds"
	echo "$output" >info.json
	[ "$(jq -r .id info.json)" = org/ds ]
	[ "$(jq -r .private info.json)" = false ]
	[ "$(jq -r .gated info.json)" = false ]
	[ "$(jq -r '[.siblings[].rfilename] | join(",")' info.json)" = README.md,data/test.jsonl,data/train.jsonl ]
	jq -e '.lastModified | test("^[0-9-]+T[0-9:.]+Z$")' info.json
	# the sha is what git computes for the same tree
	cp -r "$REPO" copy && git -C copy init -q && git -C copy add -A
	[ "$(jq -r .sha info.json)" = "$(git -C copy write-tree)" ]
	# ...and changes with the content; the same through /revision/main
	printf 'more\n' >>"$REPO/data/test.jsonl"
	run -0 curl -sf "$HUB/api/datasets/org/ds/revision/main"
	[ "$(echo "$output" | jq -r .sha)" != "$(jq -r .sha info.json)" ]
	# with ?blobs=true the siblings carry size and blobId
	run -0 curl -sf "$HUB/api/datasets/org/ds?blobs=true"
	[ "$(echo "$output" | jq -r '.siblings[] | select(.rfilename=="data/train.jsonl") | .blobId')" = \
		"$(git hash-object "$REPO/data/train.jsonl")" ]
}

@test "unknown repo 404 RepoNotFound, unknown revision 404 RevisionNotFound, unknown file EntryNotFound" {
	echo x >"$REPO/a.txt"
	start_hub
	run -0 curl -s -D h1 -o b1 -w '%{http_code}' "$HUB/api/datasets/org/nope"
	[ "$output" = 404 ] && [ "$(header X-Error-Code h1)" = RepoNotFound ]
	[ "$(jq -r .error b1)" = "Repository not found" ]
	run -0 curl -s -D h2 -o /dev/null -w '%{http_code}' "$HUB/api/datasets/org/ds/revision/v9"
	[ "$output" = 404 ] && [ "$(header X-Error-Code h2)" = RevisionNotFound ]
	run -0 curl -s -D h3 -o /dev/null -w '%{http_code}' "$HUB/datasets/org/ds/resolve/main/b.txt"
	[ "$output" = 404 ] && [ "$(header X-Error-Code h3)" = EntryNotFound ]
}

@test "tree: page size 2 over 5 files gives 3 pages linked by rel=next; the union is the listing" {
	for i in 1 2 3 4 5; do echo "row $i" >"$REPO/f$i.txt"; done
	start_hub --page-size 2
	url="$HUB/api/datasets/org/ds/tree/main?recursive=true"
	pages=0
	: >all.json
	while [ -n "$url" ]; do
		curl -sf -D h -o page.json "$url"
		pages=$((pages + 1))
		[ "$(jq length page.json)" -le 2 ]
		jq -c '.[]' page.json >>all.json
		url=$(grep -i '^link:' h | sed -n 's/.*<\([^>]*\)>; *rel="next".*/\1/p')
		[ -z "$url" ] || [[ $url == *cursor=* ]]
		[ "$pages" -le 5 ]
	done
	[ "$pages" = 3 ]
	[ "$(jq -r .path all.json | tr '\n' ' ')" = "f1.txt f2.txt f3.txt f4.txt f5.txt " ]
	jq -se '.[] | select(.path=="f3.txt") | .type=="file" and .size==6' all.json
	[ "$(jq -r 'select(.path=="f3.txt") | .oid' all.json)" = "$(git hash-object "$REPO/f3.txt")" ]
}

@test "tree: directories, recursive or not, LFS entries, a sub-path" {
	mkdir -p "$REPO/data/sub"
	echo a >"$REPO/data/a.txt"
	echo b >"$REPO/data/sub/b.txt"
	big "$REPO/data/big.bin" 5000
	start_hub
	run -0 curl -sf "$HUB/api/datasets/org/ds/tree/main"
	[ "$(echo "$output" | jq -c '[.[] | [.type, .path, .size]]')" = '[["directory","data",0]]' ]
	run -0 curl -sf "$HUB/api/datasets/org/ds/tree/main/data?recursive=false"
	[ "$(echo "$output" | jq -r '[.[].path] | join(",")')" = data/a.txt,data/big.bin,data/sub ]
	run -0 curl -sf "$HUB/api/datasets/org/ds/tree/main?recursive=true"
	echo "$output" >tree.json
	[ "$(jq -r '[.[].path] | join(",")' tree.json)" = data,data/a.txt,data/big.bin,data/sub,data/sub/b.txt ]
	sha=$(sha256sum "$REPO/data/big.bin" | cut -d' ' -f1)
	[ "$(jq -c '.[] | select(.path=="data/big.bin") | [.size, .lfs.oid, .lfs.size, .lfs.pointerSize]' tree.json)" = \
		"[5000,\"$sha\",5000,$(printf 'version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize 5000\n' "$sha" | wc -c)]" ]
	jq -e '.[] | select(.path=="data/a.txt") | has("lfs") | not' tree.json
}

@test "resolve a small file: 200, ETag = git blob sha1, X-Repo-Commit; Range works too" {
	printf 'hello, hub\n' >"$REPO/small.txt"
	start_hub
	sha=$(curl -sf "$HUB/api/datasets/org/ds" | jq -r .sha)
	run -0 curl -s -D h -o body -w '%{http_code}' "$HUB/datasets/org/ds/resolve/main/small.txt"
	[ "$output" = 200 ]
	cmp body "$REPO/small.txt"
	[ "$(header ETag h)" = "\"$(git hash-object "$REPO/small.txt")\"" ]
	[ "$(header X-Repo-Commit h)" = "$sha" ]
	[ "$(header Content-Length h)" = 11 ]
	# by commit sha, and by Range
	run -0 curl -s -r 7-9 -o part -w '%{http_code}' "$HUB/datasets/org/ds/resolve/$sha/small.txt"
	[ "$output" = 206 ]
	[ "$(cat part)" = hub ]
}

@test "resolve a large file: 302 to the CDN port with X-Linked-Etag, X-Linked-Size; HEAD too" {
	big "$REPO/big.bin" 4096
	start_hub
	run -0 curl -s -D h -o /dev/null -w '%{http_code}' "$HUB/datasets/org/ds/resolve/main/big.bin"
	[ "$output" = 302 ]
	[[ $(header Location h) == "$CDN/"*"?"*Signature=* ]]
	[ "$(header X-Linked-Etag h)" = "\"$(sha256sum "$REPO/big.bin" | cut -d' ' -f1)\"" ]
	[ "$(header X-Linked-Size h)" = 4096 ]
	[ -n "$(header X-Repo-Commit h)" ] && [ -n "$(header ETag h)" ]
	run -0 curl -s -I -o /dev/null -w '%{http_code}' "$HUB/datasets/org/ds/resolve/main/big.bin"
	[ "$output" = 302 ]
	run -0 curl -sfL -o got "$HUB/datasets/org/ds/resolve/main/big.bin"
	cmp got "$REPO/big.bin"
	# a parquet file is LFS whatever its size
	echo tiny >"$REPO/t.parquet"
	run -0 curl -s -o /dev/null -w '%{http_code}' "$HUB/datasets/org/ds/resolve/main/t.parquet"
	[ "$output" = 302 ]
}

@test "CDN: Range gives 206 with Content-Range and the right bytes; a bad range 416; a bad signature 403" {
	big "$REPO/big.bin" 10000
	start_hub
	loc=$(curl -s -o /dev/null -w '%{redirect_url}' "$HUB/datasets/org/ds/resolve/main/big.bin")
	run -0 curl -s -D h -r 1000-1999 -o part -w '%{http_code}' "$loc"
	[ "$output" = 206 ]
	[ "$(header Content-Range h)" = "bytes 1000-1999/10000" ]
	[ "$(header Accept-Ranges h)" = bytes ]
	[ "$(header ETag h)" = "\"$(sha256sum "$REPO/big.bin" | cut -d' ' -f1)\"" ]
	dd if="$REPO/big.bin" of=want bs=1000 skip=1 count=1 2>/dev/null
	cmp part want
	curl -sf -r -300 -o tail "$loc"
	tail -c 300 "$REPO/big.bin" | cmp - tail
	curl -sf -r 9990- -o tail2 "$loc"
	tail -c 10 "$REPO/big.bin" | cmp - tail2
	run -0 curl -s -r 20000-20010 -o /dev/null -w '%{http_code}' "$loc"
	[ "$output" = 416 ]
	run -0 curl -s -o /dev/null -w '%{http_code}' "${loc/Signature=/Signature=0}"
	[ "$output" = 403 ]
}

@test "gated: 401 GatedRepo without a token or with a wrong one, 200 with it; private: 401 RepoNotFound" {
	echo x >"$REPO/a.txt"
	echo '{"gated": "auto"}' >"$ROOT/datasets/org/ds.json"
	mkdir -p "$ROOT/datasets/org/secret" && echo y >"$ROOT/datasets/org/secret/b.txt"
	echo '{"private": true}' >"$ROOT/datasets/org/secret.json"
	start_hub --token hf_good
	for u in api/datasets/org/ds datasets/org/ds/resolve/main/a.txt api/datasets/org/ds/tree/main; do
		run -0 curl -s -D h -o body -w '%{http_code}' "$HUB/$u"
		[ "$output" = 401 ] && [ "$(header X-Error-Code h)" = GatedRepo ]
		jq -e '.error | test("restricted")' body
		run -0 curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer hf_bad' "$HUB/$u"
		[ "$output" = 401 ]
		run -0 curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer hf_good' "$HUB/$u"
		[ "$output" = 200 ]
	done
	run -0 curl -s -H 'Authorization: Bearer hf_good' "$HUB/api/datasets/org/ds"
	[ "$(echo "$output" | jq -r .gated)" = auto ]
	run -0 curl -s -D h -o /dev/null -w '%{http_code}' "$HUB/api/datasets/org/secret"
	[ "$output" = 401 ] && [ "$(header X-Error-Code h)" = RepoNotFound ]
	run -0 curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer hf_good' "$HUB/api/datasets/org/secret"
	[ "$output" = 200 ]
}

@test "revisions from the settings file, by name and by sha" {
	echo new >"$REPO/a.txt"
	mkdir "$ROOT/datasets/org/ds@v1" && echo old >"$ROOT/datasets/org/ds@v1/a.txt"
	echo '{"revisions": {"v1.0": "ds@v1"}}' >"$ROOT/datasets/org/ds.json"
	start_hub
	sha=$(curl -sf "$HUB/api/datasets/org/ds/revision/v1.0" | jq -r .sha)
	[ "$sha" != "$(curl -sf "$HUB/api/datasets/org/ds" | jq -r .sha)" ]
	[ "$(curl -sf "$HUB/datasets/org/ds/resolve/v1.0/a.txt")" = old ]
	[ "$(curl -sf "$HUB/datasets/org/ds/resolve/$sha/a.txt")" = old ]
	[ "$(curl -sf "$HUB/datasets/org/ds/resolve/main/a.txt")" = new ]
	curl -sf -D h -o /dev/null "$HUB/datasets/org/ds/resolve/v1.0/a.txt"
	[ "$(header X-Repo-Commit h)" = "$sha" ]
}

@test "parquet export: listing, per split, N.parquet redirects to resolve at refs/convert/parquet" {
	echo x >"$REPO/a.bin"
	pe=$ROOT/datasets/org/ds.parquet-export
	mkdir -p "$pe/default/train" "$pe/default/test"
	big "$pe/default/train/0000.parquet" 1500
	big "$pe/default/train/0001.parquet" 1700
	big "$pe/default/test/0000.parquet" 100
	start_hub
	run -0 curl -sf "$HUB/api/datasets/org/ds/parquet"
	[ "$(echo "$output" | jq -c 'to_entries | map([.key, (.value | keys)])')" = '[["default",["test","train"]]]' ]
	[ "$(echo "$output" | jq -r '.default.train[1]')" = "$HUB/api/datasets/org/ds/parquet/default/train/1.parquet" ]
	run -0 curl -sf "$HUB/api/datasets/org/ds/parquet/default/train"
	[ "$(echo "$output" | jq length)" = 2 ]
	loc=$(curl -s -o /dev/null -w '%{redirect_url}' "$HUB/api/datasets/org/ds/parquet/default/train/1.parquet")
	[ "$loc" = "$HUB/datasets/org/ds/resolve/refs%2Fconvert%2Fparquet/default/train/0001.parquet" ]
	curl -sfL -o got "$HUB/api/datasets/org/ds/parquet/default/train/1.parquet"
	cmp got "$pe/default/train/0001.parquet"
	run -0 curl -sf "$HUB/api/datasets/org/ds/tree/refs%2Fconvert%2Fparquet/default?recursive=true"
	[ "$(echo "$output" | jq -r '[.[].path] | join(",")')" = \
		default/test,default/test/0000.parquet,default/train,default/train/0000.parquet,default/train/0001.parquet ]
	run -0 curl -sf "$HUB/api/datasets/org/ds/revision/refs%2Fconvert%2Fparquet"
	[ "$(echo "$output" | jq -r '.siblings | length')" = 3 ]
}

@test "fault drop: the body stops after 'after' bytes and curl reports a partial transfer" {
	big "$REPO/big.bin" 8000
	start_hub --faults "$BATS_TEST_TMPDIR/faults.json"
	faults '[{"match": "/repos/org/ds/", "port": "cdn", "kind": "drop", "after": 3000}]'
	run curl -sL -o part "$HUB/datasets/org/ds/resolve/main/big.bin"
	[ "$status" = 18 ]
	[ "$(stat -c %s part)" = 3000 ]
	head -c 3000 "$REPO/big.bin" | cmp - part
	# used once: the next request is whole; resume from 3000 with Range
	curl -sfL -r 3000- -o rest "$HUB/datasets/org/ds/resolve/main/big.bin"
	cat part rest | cmp - "$REPO/big.bin"
	# "reset": the connection ends with an RST instead
	faults '[{"port": "cdn", "kind": "drop", "after": 10, "reset": true}]'
	run curl -sL -o part "$HUB/datasets/org/ds/resolve/main/big.bin"
	[ "$status" = 56 ]
}

@test "fault status: 429 with Retry-After and RateLimit, for 'times' requests, then normal" {
	echo small >"$REPO/a.txt"
	start_hub --faults "$BATS_TEST_TMPDIR/faults.json"
	faults '[{"match": "a.txt", "port": "hub", "kind": "status", "code": 429, "retry_after": 2,
	          "ratelimit": "limit=100, remaining=0, reset=2", "times": 2}]'
	for i in 1 2; do
		run -0 curl -s -D h -o /dev/null -w '%{http_code}' "$HUB/datasets/org/ds/resolve/main/a.txt"
		[ "$output" = 429 ]
		[ "$(header Retry-After h)" = 2 ]
		[ "$(header RateLimit h)" = "limit=100, remaining=0, reset=2" ]
	done
	run -0 curl -s -o /dev/null -w '%{http_code}' "$HUB/datasets/org/ds/resolve/main/a.txt"
	[ "$output" = 200 ]
	# a rewritten file starts new counters; a non-matching port is left alone
	faults '[{"match": "a.txt", "port": "cdn", "kind": "status", "code": 500},
	         {"match": "a.txt", "kind": "status", "code": 503}]'
	run -0 curl -s -o /dev/null -w '%{http_code}' "$HUB/datasets/org/ds/resolve/main/a.txt"
	[ "$output" = 503 ]
	run -0 curl -s -o /dev/null -w '%{http_code}' "$HUB/datasets/org/ds/resolve/main/a.txt"
	[ "$output" = 200 ]
}

@test "fault no_range: 200 and the whole body despite Range" {
	big "$REPO/big.bin" 5000
	start_hub --faults "$BATS_TEST_TMPDIR/faults.json"
	faults '[{"port": "cdn", "kind": "no_range"}]'
	run -0 curl -sL -r 100-199 -o got -w '%{http_code}' "$HUB/datasets/org/ds/resolve/main/big.bin"
	[ "$output" = 200 ]
	cmp got "$REPO/big.bin"
	run -0 curl -sL -r 100-199 -o got -w '%{http_code}' "$HUB/datasets/org/ds/resolve/main/big.bin"
	[ "$output" = 206 ]
}

@test "faults bad_length, slow and stall" {
	big "$REPO/big.bin" 5000
	start_hub --faults "$BATS_TEST_TMPDIR/faults.json"
	faults '[{"port": "cdn", "kind": "bad_length", "extra": 50}]'
	run curl -sL -D h -o got "$HUB/datasets/org/ds/resolve/main/big.bin"
	[ "$status" = 18 ]
	grep -qi '^content-length: 5050' h
	cmp got "$REPO/big.bin"
	faults '[{"port": "hub", "kind": "slow", "delay": 0.6}]'
	t0=$(date +%s%N)
	run -0 curl -s -o /dev/null -w '%{http_code}' "$HUB/datasets/org/ds/resolve/main/big.bin"
	[ "$output" = 302 ]
	[ $(( ($(date +%s%N) - t0) / 1000000 )) -ge 550 ]
	faults '[{"port": "cdn", "kind": "stall", "after": 1000, "delay": 0.6}]'
	t0=$(date +%s%N)
	curl -sfL -o got "$HUB/datasets/org/ds/resolve/main/big.bin"
	[ $(( ($(date +%s%N) - t0) / 1000000 )) -ge 550 ]
	cmp got "$REPO/big.bin"
}

@test "the log: one JSON line per request; Authorization reaches the hub only" {
	big "$REPO/big.bin" 3000
	echo '{"gated": "auto"}' >"$ROOT/datasets/org/ds.json"
	start_hub --token hf_tok
	loc=$(curl -s -o /dev/null -w '%{redirect_url}' -H 'Authorization: Bearer hf_tok' \
		"$HUB/datasets/org/ds/resolve/main/big.bin")
	curl -sf -r 0-9 -o /dev/null "$loc"
	log=$BATS_TEST_TMPDIR/hub.log
	[ "$(wc -l <"$log")" = 2 ]
	[ "$(sed -n 1p "$log" | jq -c '[.port, .method, .path, .query, .range, .auth, .status, .fault]')" = \
		'["hub","GET","/datasets/org/ds/resolve/main/big.bin","",null,true,302,null]' ]
	[ "$(sed -n 2p "$log" | jq -c '[.port, .method, .range, .auth, .status]')" = \
		'["cdn","GET","bytes=0-9",false,206]' ]
	sed -n 2p "$log" | jq -e '.query | test("Signature=")'
}
