#!/usr/bin/env bats
# The Qdrant driver (libcommon/vs/qdrant.c) through tests/helpers/qdrant-tool,
# against the loopback server tests/helpers/qdrantserver.py, which checks
# every request against Qdrant's OpenAPI document: collections made on
# first use, dim/metric mismatches, the id mapping (integers, UUIDs, the
# UUIDv5 stand-ins of other ids), metadata, deletes, counts, scans across
# pages, searches against a numpy brute force for each metric, snapshots,
# the api key, and failures.  Every test ends by checking the server's log:
# no request the driver made was invalid.

load test_helper

QSERVER=$TOP/tests/helpers/qdrantserver.py

setup() {
	command -v jq >/dev/null || skip "no jq"
	"$PY" -c 'import jsonschema, numpy' 2>/dev/null || skip "no python3-jsonschema or numpy"
	QT=$SLUICE_TEST_BIN/qdrant-tool
	[ -x "$QT" ] || fail "no qdrant-tool in SLUICE_TEST_BIN=$SLUICE_TEST_BIN (make test-helpers)"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
	LOG=$BATS_TEST_TMPDIR/q.log
	unset QDRANT_API_KEY
	export SLUICE_HTTP_BACKOFF_SCALE=0.01
}

teardown() {
	[ -z "${QPID:-}" ] || kill "$QPID" 2>/dev/null || true
}

# start_q [ARGS...]: start the server; sets HTTP (its URL), Q (a
# collection "c" on it, as the driver names it) and QPID.
start_q() {
	local pf=$BATS_TEST_TMPDIR/port.json i
	rm -f "$pf"
	"$PY" "$QSERVER" --port-file "$pf" --log "$LOG" "$@" \
		2>"$BATS_TEST_TMPDIR/q.err" 3>&- &
	QPID=$!
	for i in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
	[ -s "$pf" ] || fail "qdrantserver did not start: $(cat "$BATS_TEST_TMPDIR/q.err")"
	HTTP=$(jq -r .url "$pf")
	Q=qdrant://${HTTP#http://}/c
}

# logged JQ_CONDITION: some line of the server's log meets it.
logged() { jq -s -e "any(.[]; $1)" "$LOG" >/dev/null || fail "no request with $1 in the log"; }

# Every request in the log was valid, and so was every answer.
log_valid() {
	[ -s "$LOG" ] || fail "empty server log"
	local bad
	bad=$(jq -c 'select(.valid == false or .response_valid == false)' "$LOG")
	[ -z "$bad" ] || fail "invalid requests: $bad"
}

# points N DIM: N JSON lines of points with random vectors (seeded), ids
# cycling through strings, integers and UUIDs, and a payload {"i": i,
# "half": i % 2}.
points() {
	"$PY" - "$@" <<-'EOF'
		import json, sys, uuid
		import numpy as np
		n, dim = int(sys.argv[1]), int(sys.argv[2])
		rng = np.random.default_rng(7)
		v = rng.standard_normal((n, dim)).astype(np.float32)
		for i in range(n):
		    if i % 3 == 0:
		        pid = "doc-%d" % i
		    elif i % 3 == 1:
		        pid = i
		    else:
		        pid = str(uuid.UUID(int=i))
		    print(json.dumps({"id": pid, "vector": [float(x) for x in v[i]],
		                      "metadata": {"i": i, "half": i % 2}}))
	EOF
}

@test "a missing collection is created on first use, with the asked metric and HNSW parameters" {
	start_q
	run -1 "$QT" "$Q" open
	assert_output --partial "qdrant: ${HTTP#http://}/c: 404 Not Found: Not found: Collection \`c\` doesn't exist!"
	run -0 "$QT" --create --dim 4 --metric dot --m 8 --ef-construction 50 "$Q" open
	assert_output "dim 4 metric dot"
	run -0 "$QT" "$Q" open
	assert_output "dim 4 metric dot"
	run -0 "$QT" "$Q" stats
	[ "$(jq -c '[.backend, .collection, .dim, .metric, .points]' <<<"$output")" = '["qdrant","c",4,"dot",0]' ]
	logged '.method == "PUT" and .path == "/collections/c"'
	log_valid
}

@test "a collection of another dim or metric is an error naming both" {
	start_q
	"$QT" --create --dim 4 --metric l2 "$Q" open
	run -1 "$QT" --dim 3 "$Q" open
	assert_output "qdrant-tool: qdrant: ${HTTP#http://}/c: the collection has dim 4, not 3"
	run -1 "$QT" --dim 4 --metric cosine "$Q" open
	assert_output "qdrant-tool: qdrant: ${HTTP#http://}/c: the collection has metric l2, not cosine"
	log_valid
}

@test "the UUIDv5 and SHA-1 are those of Python's uuid and hashlib" {
	local name
	for name in "" a "sluice:a" "$(printf '%055d' 0)" "$(printf '%056d' 0)" "$(printf '%064d' 0)" \
		"$(printf '%0119d' 0)" "日本語 id"; do
		[ "$("$QT" --uuid5 "$name")" = "$("$PY" -c 'import sys, uuid; print(uuid.uuid5(uuid.NAMESPACE_URL, sys.argv[1]))' "$name")" ]
	done
	for n in 0 1 55 56 63 64 65 119 120 1000 100000; do
		head -c "$n" /dev/urandom >data
		[ "$("$QT" --sha1 <data)" = "$("$PY" -c 'import hashlib, sys; print(hashlib.sha1(open(sys.argv[1], "rb").read()).hexdigest())' data)" ]
	done
}

@test "ids: integers and UUIDs are sent as themselves, other ids as UUIDv5 stand-ins; all come back as given" {
	start_q
	"$QT" --create --dim 2 "$Q" open
	printf '%s\n' '{"id":"a","vector":[1,0]}' '{"id":7,"vector":[0,1]}' \
		'{"id":"00000000-0000-0000-0000-00000000000a","vector":[1,1]}' \
		'{"id":"007","vector":[1,2]}' '{"id":"9223372036854775808","vector":[2,1]}' \
		'{"id":"9223372036854775807","vector":[2,2]}' \
		'{"id":"00000000-0000-0000-0000-00000000000B","vector":[3,1]}' | "$QT" "$Q" upsert
	# What the server holds, asked without the driver.
	curl -s -X POST -H 'Content-Type: application/json' -d '{"limit":100,"with_payload":true}' \
		"$HTTP/collections/c/points/scroll" >raw.json
	local ua
	ua=$("$PY" -c 'import uuid; print(uuid.uuid5(uuid.NAMESPACE_URL, "sluice:a"))')
	[ "$(jq -c --arg u "$ua" '.result.points[] | select(.id == $u) | .payload' raw.json)" = '{"__sluice_id__":"a"}' ]
	jq -e '.result.points[] | select(.id == 7) | .payload == {}' raw.json
	jq -e '.result.points[] | select(.id == 9223372036854775807)' raw.json >/dev/null
	jq -e '.result.points[] | select(.id == "00000000-0000-0000-0000-00000000000a") | .payload == {}' raw.json
	[ "$(jq '[.result.points[] | select(.payload.__sluice_id__ != null)] | length' raw.json)" = 4 ]
	run -0 --separate-stderr "$QT" "$Q" get a 7 00000000-0000-0000-0000-00000000000a 007 \
		9223372036854775808 9223372036854775807 00000000-0000-0000-0000-00000000000B
	[ "$(jq -r .id <<<"$output" | paste -sd' ')" = \
		"a 7 00000000-0000-0000-0000-00000000000a 007 9223372036854775808 9223372036854775807 00000000-0000-0000-0000-00000000000B" ]
	[ "$stderr" = "missing 0" ]
	run -0 "$QT" "$Q" scan
	[ "$(jq -r .id <<<"$output" | sort | paste -sd' ')" = \
		"00000000-0000-0000-0000-00000000000B 00000000-0000-0000-0000-00000000000a 007 7 9223372036854775807 9223372036854775808 a" ]
	log_valid
}

@test "metadata round-trips, the driver's id key hidden; its use by a caller is refused" {
	start_q
	"$QT" --create --dim 2 "$Q" open
	printf '%s\n' '{"id":"x","vector":[1,0],"metadata":{"s":"ü","n":1.5,"a":[1,{"b":null}],"o":{"k":true}}}' \
		'{"id":3,"vector":[0,1],"metadata":{"t":"v"}}' '{"id":"e","vector":[1,1],"metadata":{}}' | "$QT" "$Q" upsert
	run -0 --separate-stderr "$QT" "$Q" get x 3 e
	[ "${lines[0]}" = '{"id":"x","metadata":{"s":"ü","n":1.5,"a":[1,{"b":null}],"o":{"k":true}}}' ]
	[ "${lines[1]}" = '{"id":"3","metadata":{"t":"v"}}' ]
	[ "${lines[2]}" = '{"id":"e"}' ]
	run -0 bash -c "echo '[1,0]' | '$QT' --k 1 '$Q' search"
	[ "$(jq -c .metadata <<<"$output")" = '{"s":"ü","n":1.5,"a":[1,{"b":null}],"o":{"k":true}}' ]
	run -1 bash -c "echo '{\"id\":\"y\",\"vector\":[1,0],\"metadata\":{\"__sluice_id__\":\"z\"}}' | '$QT' '$Q' upsert"
	assert_output --partial "the metadata key __sluice_id__ is the driver's own"
	log_valid
}

@test "an upsert replaces a point: vector and metadata" {
	start_q
	"$QT" --create --dim 2 --metric dot "$Q" open
	echo '{"id":"p","vector":[1,0],"metadata":{"v":1}}' | "$QT" "$Q" upsert
	echo '{"id":"p","vector":[0,3],"metadata":{"v":2}}' | "$QT" "$Q" upsert
	[ "$("$QT" "$Q" count)" = 1 ]
	run -0 --separate-stderr "$QT" --vectors "$Q" get p
	assert_output '{"id":"p","metadata":{"v":2},"vector":[0,3]}'
	log_valid
}

@test "upserts go in one PUT ?wait=true per batch" {
	start_q
	"$QT" --create --dim 8 "$Q" open
	points 250 8 | "$QT" --batch 100 "$Q" upsert
	[ "$(jq -s '[.[] | select(.method == "PUT" and .path == "/collections/c/points")] | length' "$LOG")" = 3 ]
	[ "$(jq -s -c '[.[] | select(.method == "PUT" and .path == "/collections/c/points") | .query] | unique' "$LOG")" = '["wait=true"]' ]
	[ "$("$QT" "$Q" count)" = 250 ]
	log_valid
}

@test "a server error is a message with Qdrant's own text" {
	start_q
	"$QT" --create --dim 2 "$Q" open
	run -1 "$QT" "$Q" delete-filter '{"must":[{"key":"a","match":{"nope":1}}]}'
	assert_output --regexp "^qdrant-tool: qdrant: ${HTTP#http://}/c: 400 Bad Request: .+"
	run -1 "$QT" "$Q" delete-filter 'not json'
	assert_output --partial "the filter is not a JSON object"
	# The bad filter was the only invalid request, and it was the server's to reject.
	[ "$(jq -s '[.[] | select(.valid == false)] | length' "$LOG")" = 1 ]
}

@test "delete by ids counts what was there; delete by filter removes what matches" {
	start_q
	"$QT" --create --dim 8 "$Q" open
	points 30 8 | "$QT" "$Q" upsert
	run -0 "$QT" "$Q" delete doc-0 1 00000000-0000-0000-0000-000000000002 doc-99 1234
	assert_output "deleted 3"
	run -0 --separate-stderr "$QT" "$Q" get doc-0 1 doc-3
	[ "$stderr" = "missing 2" ]
	[ "$(jq -r .id <<<"$output")" = doc-3 ]
	run -0 "$QT" "$Q" delete-filter '{"must":[{"key":"half","match":{"value":1}}]}'
	assert_output "deleted 14" # the 15 odd i less 1, gone already
	[ "$("$QT" "$Q" count)" = 13 ]
	run -0 "$QT" "$Q" scan
	[ "$(jq -s 'map(.metadata.half) | unique' <<<"$output" | jq -c .)" = '[0]' ]
	log_valid
}

@test "scan: a filter, a limit, and pages followed by next_page_offset" {
	start_q
	"$QT" --create --dim 4 "$Q" open
	points 700 4 | "$QT" --batch 250 "$Q" upsert
	run -0 "$QT" "$Q" scan --filter '{"must":[{"key":"half","match":{"value":0}}]}'
	[ "${#lines[@]}" = 350 ]
	[ "$(jq -s 'map(.metadata.half) | unique | length' <<<"$output")" = 1 ]
	[ "$(jq -r .id <<<"$output" | sort -u | wc -l)" = 350 ]
	# The ids are those the filter matches, as given.
	diff <(jq -r .id <<<"$output" | sort) <(points 700 4 | jq -r 'select(.metadata.half == 0) | .id | tostring' | sort)
	[ "$(jq -s '[.[] | select(.path == "/collections/c/points/scroll")] | length' "$LOG")" = 2 ]
	run -0 "$QT" --limit 300 "$Q" scan
	[ "${#lines[@]}" = 300 ]
	[ "$(jq -r .id <<<"$output" | sort -u | wc -l)" = 300 ]
	run -0 "$QT" --limit 0 "$Q" scan
	[ -z "$output" ]
	log_valid
}

# search_vs_numpy METRIC: 300 points of dim 16 and 12 queries; the top 10
# of each query (exact and not, with and without a filter) must be numpy's,
# ids in order and scores within float rounding.
search_vs_numpy() {
	start_q
	"$QT" --create --dim 16 --metric "$1" "$Q" open
	points 300 16 >pts.jsonl
	"$QT" "$Q" upsert <pts.jsonl
	"$PY" -c 'import numpy as np
rng = np.random.default_rng(11)
for q in rng.standard_normal((12, 16)).astype(np.float32): print([float(x) for x in q])' >queries
	local flt='{"must":[{"key":"half","match":{"value":1}}]}'
	"$QT" --k 10 --exact "$Q" search <queries >got-exact.jsonl
	"$QT" --k 10 --ef 64 "$Q" search <queries >got-index.jsonl
	"$QT" --k 10 --filter "$flt" "$Q" search <queries >got-filter.jsonl
	head -1 queries | "$QT" --k 5 "$Q" search >got-one.jsonl
	"$PY" - "$1" <<-'EOF'
		import json, sys
		import numpy as np
		metric = sys.argv[1]
		pts = [json.loads(l) for l in open("pts.jsonl")]
		ids = np.array([str(p["id"]) for p in pts])
		half = np.array([p["metadata"]["half"] for p in pts])
		v = np.array([p["vector"] for p in pts], dtype=np.float64)
		qs = np.array([json.loads(l) for l in open("queries")], dtype=np.float64)
		def scores(q):
		    if metric == "cosine":
		        return (v / np.linalg.norm(v, axis=1)[:, None]) @ (q / np.linalg.norm(q))
		    if metric == "dot":
		        return v @ q
		    return np.linalg.norm(v - q, axis=1)
		def check(fname, k, mask, nq):
		    got = [json.loads(l) for l in open(fname)]
		    assert len(got) == nq * k, (fname, len(got))
		    for qi in range(nq):
		        s = scores(qs[qi])
		        idx = np.nonzero(mask)[0]
		        order = idx[np.argsort(s[idx] if metric == "l2" else -s[idx], kind="stable")][:k]
		        mine = [g for g in got if g["query"] == qi]
		        assert [g["rank"] for g in mine] == list(range(k)), mine
		        assert [g["id"] for g in mine] == list(ids[order]), (fname, qi, [g["id"] for g in mine], list(ids[order]))
		        assert np.allclose([g["score"] for g in mine], s[order], rtol=1e-4, atol=1e-4), fname
		        assert all(g["metadata"]["half"] in (0, 1) for g in mine)
		allm = np.ones(len(pts), bool)
		check("got-exact.jsonl", 10, allm, 12)
		check("got-index.jsonl", 10, allm, 12)
		check("got-filter.jsonl", 10, half == 1, 12)
		check("got-one.jsonl", 5, allm, 1)
	EOF
	# Many queries go as batches, one as a single query; ef and exact are sent.
	logged '.path == "/collections/c/points/query/batch"'
	logged '.path == "/collections/c/points/query"'
	log_valid
}

@test "search, cosine: numpy's top k, cosine similarities" {
	search_vs_numpy cosine
}

@test "search, dot: numpy's top k, dot products" {
	search_vs_numpy dot
}

@test "search, l2: numpy's top k, Euclidean distances ascending" {
	search_vs_numpy l2
}

@test "search: more queries than one batch request holds" {
	start_q
	"$QT" --create --dim 4 --metric l2 "$Q" open
	points 20 4 | "$QT" "$Q" upsert
	"$PY" -c 'for i in range(150): print([i, 0, 0, 0])' | "$QT" --k 3 "$Q" search >hits
	[ "$(wc -l <hits)" = 450 ]
	[ "$(jq -s 'map(.query) | unique | length' hits)" = 150 ]
	[ "$(jq -s '[.[] | select(.path == "/collections/c/points/query/batch")] | length' "$LOG")" = 3 ]
	log_valid
}

@test "snapshot and restore: a new collection with the same points, ids and metadata" {
	start_q
	"$QT" --create --dim 8 --metric dot "$Q" open
	points 50 8 | "$QT" "$Q" upsert
	"$QT" "$Q" snapshot snap.bin
	[ -s snap.bin ]
	[ -z "$(ls -A | grep -v '^snap.bin$')" ] # no temporary file left
	# The server's copy was removed after the download.
	[ "$(curl -s "$HTTP/collections/c/snapshots" | jq '.result | length')" = 0 ]
	run -0 "$QT" "${Q}2" restore snap.bin
	run -0 "$QT" "${Q}2" open
	assert_output "dim 8 metric dot"
	diff <("$QT" --vectors "$Q" scan | sort) <("$QT" --vectors "${Q}2" scan | sort)
	[ "$("$QT" "${Q}2" scan | wc -l)" = 50 ]
	logged '.path == "/collections/c2/snapshots/upload"'
	log_valid
}

@test "restore refuses a collection that exists, and a missing file" {
	start_q
	"$QT" --create --dim 2 "$Q" open
	"$QT" "$Q" snapshot snap.bin
	run -1 "$QT" "$Q" restore snap.bin
	assert_output "qdrant-tool: qdrant: ${HTTP#http://}/c: the collection exists already (a restore makes a new one)"
	run -1 "$QT" "${Q}2" restore nope.bin
	assert_output "qdrant-tool: nope.bin: No such file or directory"
	log_valid
}

@test "api key: none is a 401 saying to set QDRANT_API_KEY; the right one works; a wrong one is refused" {
	start_q --api-key sekrit
	run -1 "$QT" --create --dim 2 "$Q" open
	assert_output "qdrant-tool: qdrant: ${HTTP#http://}/c: 401 Unauthorized: Must provide an API key or an Authorization bearer token (set QDRANT_API_KEY)"
	QDRANT_API_KEY=wrong run -1 "$QT" --create --dim 2 "$Q" open
	assert_output "qdrant-tool: qdrant: ${HTTP#http://}/c: 401 Unauthorized: Invalid API key or JWT"
	export QDRANT_API_KEY=sekrit
	run -0 "$QT" --create --dim 2 "$Q" open
	echo '{"id":"a","vector":[1,0]}' | "$QT" "$Q" upsert
	"$QT" "$Q" snapshot snap.bin
	run -0 "$QT" "${Q}2" restore snap.bin
	[ "$("$QT" "${Q}2" count)" = 1 ]
	# The key is never in a message.
	log_valid
	QDRANT_API_KEY=sekrit run -1 "$QT" "$Q" delete-filter '{"must":[{"key":"a","match":{"nope":1}}]}'
	refute_output --partial sekrit
}

@test "a server that is gone: one line naming the URL, after the retries" {
	start_q
	"$QT" --create --dim 2 "$Q" open
	kill "$QPID"
	wait "$QPID" 2>/dev/null || true
	QPID=
	run -1 "$QT" --retries 2 "$Q" count
	assert_output --regexp "^qdrant-tool: qdrant: GET $HTTP/collections/c: .*\\(after 2 retries\\)$"
	[ "${#lines[@]}" = 1 ]
}

@test "a bad URL is a message saying what is wanted" {
	run -1 "$QT" qdrant://localhost:6333/ open
	assert_output --partial "no collection name (qdrant://HOST:PORT/COLLECTION)"
	run -1 "$QT" qdrant://localhost:99999/c open
	assert_output --partial "bad port"
}

@test "a collection name is sent percent-encoded" {
	start_q
	run -0 "$QT" --create --dim 2 "qdrant://${HTTP#http://}/my coll" open
	logged '.path == "/collections/my%20coll" and .method == "PUT"'
	[ "$(curl -s "$HTTP/collections/my%20coll/exists" | jq .result.exists)" = true ]
	log_valid
}

@test "vs-upsert and vs-query: a Qdrant collection answers as the embedded store does" {
	[ -x "$SLUICE_BIN/vs-upsert" ] && [ -x "$SLUICE_BIN/vs-query" ] || skip "no vs-upsert/vs-query in SLUICE_BIN"
	start_q
	local m
	points 200 8 >pts.jsonl
	"$PY" -c 'import json, numpy as np
rng = np.random.default_rng(5)
for i, q in enumerate(rng.standard_normal((10, 8))): print(json.dumps({"id": "q%d" % i, "vector": [float(x) for x in q]}))' >queries
	for m in cosine dot l2; do
		"$SLUICE_BIN"/vs-upsert -q --store "$Q$m" --dim 8 --metric "$m" pts.jsonl
		"$SLUICE_BIN"/vs-upsert -q --store "dir-$m" --dim 8 --metric "$m" pts.jsonl
		"$SLUICE_BIN"/vs-query --store "$Q$m" -k 7 --exact queries >q.jsonl
		"$SLUICE_BIN"/vs-query --store "dir-$m" -k 7 --exact queries >d.jsonl
		"$PY" - <<-'EOF2'
			import json
			q = [json.loads(l) for l in open("q.jsonl")]
			d = [json.loads(l) for l in open("d.jsonl")]
			assert len(q) == len(d) == 70, (len(q), len(d))
			for a, b in zip(q, d):
			    assert (a["query"], a["rank"], a["id"], a.get("metadata")) == (b["query"], b["rank"], b["id"], b.get("metadata")), (a, b)
			    assert abs(a["score"] - b["score"]) <= 1e-4 * max(1, abs(b["score"])), (a, b)
		EOF2
		diff <("$SLUICE_BIN"/vs-query --store "$Q$m" --id doc-3 --id 4 --id 00000000-0000-0000-0000-000000000005) \
			<("$SLUICE_BIN"/vs-query --store "dir-$m" --id doc-3 --id 4 --id 00000000-0000-0000-0000-000000000005)
	done
	log_valid
}
