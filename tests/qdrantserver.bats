#!/usr/bin/env bats
# The Qdrant-shaped server (tests/helpers/qdrantserver.py) that the Qdrant
# driver's suites run against: each operation's happy path, request
# validation against Qdrant's OpenAPI document (each kind of failure), the
# response self check, auth, filter semantics, snapshots, and the request
# log.  Each test starts its own server and asks it with curl and jq;
# expected scores are computed independently with numpy.

load test_helper

QSERVER=$TOP/tests/helpers/qdrantserver.py
QCHECK=$TOP/tests/helpers/openapi_check.py

setup() {
	command -v curl >/dev/null || skip "no curl"
	command -v jq >/dev/null || skip "no jq"
	"$PY" -c 'import jsonschema' 2>/dev/null || skip "no python3-jsonschema"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
	LOG=$BATS_TEST_TMPDIR/q.log
	HDR=()
}

teardown() {
	[ -z "${QPID:-}" ] || kill "$QPID" 2>/dev/null || true
}

# start_q [ARGS...]: start the server; sets URL and QPID.
start_q() {
	local pf=$BATS_TEST_TMPDIR/port.json i
	rm -f "$pf"
	"$PY" "$QSERVER" --port-file "$pf" --log "$LOG" "$@" \
		2>"$BATS_TEST_TMPDIR/q.err" 3>&- &
	QPID=$!
	for i in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
	[ -s "$pf" ] || fail "qdrantserver did not start: $(cat "$BATS_TEST_TMPDIR/q.err")"
	URL=$(jq -r .url "$pf")
	[ "$(jq -r .pid "$pf")" = "$QPID" ]
}

# api METHOD PATH [JSON]: the status in CODE, the body in out.json.
api() {
	local args=(-s -o out.json -w '%{http_code}' -X "$1" "$URL$2")
	[ $# -lt 3 ] || args+=(-H 'Content-Type: application/json' --data-binary "$3")
	CODE=$(curl "${args[@]}" "${HDR[@]}")
}

# ok METHOD PATH [JSON]: api, and it must answer 200 with status "ok".
ok() {
	api "$@"
	[ "$CODE" = 200 ] || fail "$1 $2 -> $CODE $(cat out.json)"
	[ "$(jq -r .status out.json)" = ok ]
}

# err: the error text of the last answer.
err() { jq -r .status.error out.json; }

# mkcoll NAME SIZE DISTANCE
mkcoll() { ok PUT "/collections/$1" "{\"vectors\":{\"size\":$2,\"distance\":\"$3\"}}"; }

# The last log line.
lastlog() { tail -1 "$LOG"; }

U7=00000000-0000-0000-0000-000000000007

# Points for the filter and search tests: payloads that exercise arrays,
# nulls, missing keys, nested objects and type mismatches.
load_fixture() {
	mkcoll c 2 Dot
	ok PUT "/collections/c/points?wait=true" '{"points":[
	 {"id":1,"vector":[1,0],"payload":{"city":"Berlin","n":3,"tags":["a","b"],"price":9.5}},
	 {"id":2,"vector":[0,1],"payload":{"city":["London","Berlin"],"n":7}},
	 {"id":3,"vector":[1,1],"payload":{"city":"Moscow","n":[1,10],"tags":[]}},
	 {"id":4,"vector":[2,0],"payload":{"country":{"cities":[{"name":"Berlin","pop":3},{"name":"Bonn","pop":0.3}]}}},
	 {"id":5,"vector":[0,2],"payload":{"city":null,"flag":true}},
	 {"id":6,"vector":[-1,0]},
	 {"id":"'$U7'","vector":[0,-1],"payload":{"n":"3","when":"2024-01-02T03:04:05Z"}}]}'
}

@test "the port file names the url and the pid; SIGTERM stops the server" {
	start_q
	[[ $URL =~ ^http://127\.0\.0\.1:[0-9]+$ ]]
	ok GET /collections
	[ "$(jq -c .result out.json)" = '{"collections":[]}' ]
	kill -TERM "$QPID"
	for i in $(seq 50); do kill -0 "$QPID" 2>/dev/null || break; sleep 0.05; done
	! kill -0 "$QPID" 2>/dev/null
	QPID=
}

@test "collections: create, info, exists, list, delete" {
	start_q
	mkcoll docs 4 Cosine
	[ "$(jq -r .result out.json)" = true ]
	ok GET /collections/docs
	[ "$(jq -c .result.config.params.vectors out.json)" = '{"size":4,"distance":"Cosine"}' ]
	[ "$(jq -r .result.points_count out.json)" = 0 ]
	ok GET /collections/docs/exists
	[ "$(jq -r .result.exists out.json)" = true ]
	mkcoll other 2 Euclid
	ok GET /collections
	[ "$(jq -r '[.result.collections[].name] | join(",")' out.json)" = docs,other ]
	ok DELETE /collections/docs
	[ "$(jq -r .result out.json)" = true ]
	ok GET /collections/docs/exists
	[ "$(jq -r .result.exists out.json)" = false ]
	ok DELETE /collections/docs
	[ "$(jq -r .result out.json)" = false ]
}

@test "a collection that exists already is a 400, a missing one a 404" {
	start_q
	mkcoll docs 4 Dot
	api PUT /collections/docs '{"vectors":{"size":4,"distance":"Dot"}}'
	[ "$CODE" = 400 ] && [ "$(err)" = 'Wrong input: Collection `docs` already exists!' ]
	jq -e '.time | type == "number"' out.json
	api GET /collections/nope
	[ "$CODE" = 404 ] && [ "$(err)" = 'Not found: Collection `nope` doesn'"'"'t exist!' ]
	api POST /collections/nope/points/count '{}'
	[ "$CODE" = 404 ]
}

@test "upsert (list form) and retrieve: payload, vector, missing ids left out" {
	start_q
	mkcoll c 3 Dot
	ok PUT "/collections/c/points?wait=true" \
		'{"points":[{"id":1,"vector":[1,2,3],"payload":{"a":1}},{"id":2,"vector":[0.5,0,0]}]}'
	[ "$(jq -r .result.status out.json)" = completed ]
	jq -e '.result.operation_id | type == "number"' out.json
	ok POST /collections/c/points '{"ids":[2,1,99],"with_payload":true,"with_vector":true}'
	[ "$(jq -c '[.result[] | [.id, .payload, .vector]]' out.json)" = '[[2,{},[0.5,0,0]],[1,{"a":1},[1,2,3]]]' ]
	ok POST /collections/c/points '{"ids":[1],"with_payload":false}'
	[ "$(jq -c '.result[0] | [.payload, .vector]' out.json)" = '[null,null]' ]
	ok GET /collections/c/points/1
	[ "$(jq -c .result.vector out.json)" = '[1,2,3]' ]
	ok GET /collections/c
	[ "$(jq -r .result.points_count out.json)" = 2 ]
}

@test "upsert (batch form) overwrites a point as a whole" {
	start_q
	mkcoll c 2 Dot
	ok PUT /collections/c/points '{"points":[{"id":1,"vector":[1,1],"payload":{"old":true}}]}'
	ok PUT /collections/c/points '{"batch":{"ids":[1,2],"vectors":[[3,4],[5,6]],"payloads":[{"new":1},null]}}'
	[ "$(jq -r .result.status out.json)" = acknowledged ] # no ?wait=true
	ok POST /collections/c/points '{"ids":[1,2],"with_payload":true,"with_vector":true}'
	[ "$(jq -c '[.result[] | [.id, .payload, .vector]]' out.json)" = '[[1,{"new":1},[3,4]],[2,{},[5,6]]]' ]
}

@test "Cosine vectors are normalized on upsert and returned normalized" {
	start_q
	mkcoll c 2 Cosine
	ok PUT /collections/c/points '{"points":[{"id":1,"vector":[3,4]}]}'
	ok POST /collections/c/points '{"ids":[1],"with_vector":true}'
	[ "$(jq -c '.result[0].vector | map(. * 1000 | round)' out.json)" = '[600,800]' ]
}

@test "UUID ids in any form Qdrant parses are the same point, answered hyphenated lowercase" {
	start_q
	mkcoll c 2 Dot
	ok PUT /collections/c/points '{"points":[{"id":"550E8400E29B41D4A716446655440000","vector":[1,0]}]}'
	ok PUT /collections/c/points '{"points":[{"id":"550e8400-e29b-41d4-a716-446655440000","vector":[0,1]}]}'
	ok POST /collections/c/points/count '{}'
	[ "$(jq -r .result.count out.json)" = 1 ]
	ok POST /collections/c/points '{"ids":["{550e8400-e29b-41d4-a716-446655440000}"],"with_vector":true}'
	[ "$(jq -c '.result[0] | [.id, .vector]' out.json)" = '["550e8400-e29b-41d4-a716-446655440000",[0,1]]' ]
}

@test "bad id types are 400 and logged invalid: string, negative, float, bool" {
	start_q
	mkcoll c 2 Dot
	for id in '"abc"' -1 1.5 true '"5"'; do
		api PUT /collections/c/points '{"points":[{"id":'"$id"',"vector":[1,0]}]}'
		[ "$CODE" = 400 ] || fail "id $id -> $CODE"
		[[ $(err) == "Format error in JSON body: body.points[0].id"* ]] || fail "id $id: $(err)"
		[ "$(lastlog | jq -r .valid)" = false ]
	done
	ok POST /collections/c/points/count '{}'
	[ "$(jq -r .result.count out.json)" = 0 ]
}

@test "a wrong-typed body field is a 400 naming the field" {
	start_q
	api PUT /collections/c '{"vectors":{"size":"4","distance":"Dot"}}'
	[ "$CODE" = 400 ]
	[[ $(err) == *"'4' is not of type 'integer'"* ]]
	mkcoll c 2 Dot
	api POST /collections/c/points/scroll '{"limit":"ten"}'
	[ "$CODE" = 400 ] && [[ $(err) == *"body.limit"* ]]
}

@test "an unknown distance is a 400 that lists the known ones" {
	start_q
	api PUT /collections/c '{"vectors":{"size":4,"distance":"Hamming"}}'
	[ "$CODE" = 400 ]
	[[ $(err) == *"'Hamming' is not one of ['Cosine', 'Euclid', 'Dot', 'Manhattan']"* ]]
	api GET /collections/c/exists
	[ "$(jq -r .result.exists out.json)" = false ]
}

@test "a missing required field is a 400: point without vector, retrieve without ids, empty body" {
	start_q
	mkcoll c 2 Dot
	api PUT /collections/c/points '{"points":[{"id":1}]}'
	[ "$CODE" = 400 ] && [[ $(err) == *"'vector' is a required property"* ]]
	api POST /collections/c/points '{"with_payload":true}'
	[ "$CODE" = 400 ] && [[ $(err) == *"'ids' is a required property"* ]]
	api POST /collections/c/points/delete '{}'
	[ "$CODE" = 400 ]
	api PUT /collections/c/points ''
	[ "$CODE" = 400 ] && [[ $(err) == "Format error in JSON body: EOF"* ]]
	api PUT /collections/c/points '{"points": ['
	[ "$CODE" = 400 ] && [[ $(err) == "Format error in JSON body:"* ]]
}

@test "a filter with an unknown clause is a 400 (Filter allows no other properties)" {
	start_q
	mkcoll c 2 Dot
	api POST /collections/c/points/count '{"filter":{"mustt":[]}}'
	[ "$CODE" = 400 ] && [[ $(err) == *"'mustt' was unexpected"* ]]
	api POST /collections/c/points/count '{"filter":{"must":[{"key":"a","match":{"value":1.5}}]}}'
	[ "$CODE" = 400 ]
}

@test "a JSON body without Content-Type: application/json is a 400, as actix does" {
	start_q
	CODE=$(curl -s -o out.json -w '%{http_code}' -X PUT -H 'Content-Type: text/plain' \
		--data-binary '{"vectors":{"size":2,"distance":"Dot"}}' "$URL/collections/c")
	[ "$CODE" = 400 ] && [[ $(err) == "Content type error"* ]]
	[ "$(lastlog | jq -r .valid)" = false ]
	CODE=$(curl -s -o out.json -w '%{http_code}' -X PUT -H 'Content-Type: application/json; charset=utf-8' \
		--data-binary '{"vectors":{"size":2,"distance":"Dot"}}' "$URL/collections/c")
	[ "$CODE" = 200 ]
}

@test "query parameters are typed: wait=maybe and timeout=0 are 400" {
	start_q
	mkcoll c 2 Dot
	api PUT "/collections/c/points?wait=maybe" '{"points":[{"id":1,"vector":[1,0]}]}'
	[ "$CODE" = 400 ] && [[ $(err) == "Query deserialize error: query parameter wait"* ]]
	api PUT "/collections/c/points?timeout=0" '{"points":[{"id":1,"vector":[1,0]}]}'
	[ "$CODE" = 400 ]
	ok PUT "/collections/c/points?wait=true&timeout=5" '{"points":[{"id":1,"vector":[1,0]}]}'
}

@test "a vector of the wrong dimension is a 400 (valid by the spec)" {
	start_q
	mkcoll c 3 Dot
	api PUT /collections/c/points '{"points":[{"id":1,"vector":[1,0]}]}'
	[ "$CODE" = 400 ]
	[ "$(err)" = "Wrong input: Vector dimension error: expected dim: 3, got 2" ]
	[ "$(lastlog | jq -r .valid)" = true ]
}

@test "a path Qdrant does not have is 404, a known path with another method 405; both logged invalid" {
	start_q
	api GET /nope
	[ "$CODE" = 404 ] && [ "$(lastlog | jq -r .valid)" = false ]
	api DELETE /collections/c/points/count
	[ "$CODE" = 405 ] && [ "$(lastlog | jq -r .valid)" = false ]
}

# scores: "$PY" computing Qdrant's scores for query Q over vectors V
expect_scores() {
	"$PY" - "$@" <<-'EOF'
		import json, sys
		import numpy as np
		metric, q, vs = sys.argv[1], np.array(json.loads(sys.argv[2]), np.float32), json.loads(sys.argv[3])
		out = []
		for pid, v in vs:
		    v = np.array(v, np.float32)
		    if metric == "Cosine":
		        s = float(np.dot(q / np.linalg.norm(q), v / np.linalg.norm(v)))
		    elif metric == "Dot":
		        s = float(np.dot(q, v))
		    else:
		        s = float(np.linalg.norm(q - v))
		    out.append((s, pid))
		out.sort(key=lambda t: -t[0] if metric != "Euclid" else t[0])
		print(" ".join("%d:%.4f" % (p, s) for s, p in out))
	EOF
}

# query_metric METRIC: upsert 5 fixed vectors, query, compare with numpy.
query_metric() {
	local vs='[[1,[0.1,0.9,0.3]],[2,[1,0.2,-0.5]],[3,[-0.3,0.4,0.9]],[4,[0.6,0.6,0.1]],[5,[2,-1,0.9]]]'
	local q='[0.4,0.7,-0.2]'
	mkcoll c 3 "$1"
	ok PUT /collections/c/points "{\"points\": $(jq -c '[.[] | {id: .[0], vector: .[1]}]' <<<"$vs")}"
	ok POST /collections/c/points/query "{\"query\": $q, \"limit\": 5, \"params\": {\"hnsw_ef\": 64, \"exact\": true}}"
	[ "$(jq -r '[.result.points[] | "\(.id):\(.score * 10000 | round / 10000 | tostring)"] | join(" ")' out.json |
		"$PY" -c 'import sys; print(" ".join("%s:%.4f" % (a, float(b)) for a, b in (t.split(":") for t in sys.stdin.read().split())))')" = \
		"$(expect_scores "$1" "$q" "$vs")" ]
}

@test "query, Cosine: cosine similarity, best first" {
	start_q
	query_metric Cosine
}

@test "query, Dot: dot product, best first" {
	start_q
	query_metric Dot
}

@test "query, Euclid: euclidean distance, nearest first" {
	start_q
	query_metric Euclid
}

@test "query: limit, offset, with_payload, {nearest: ...} form" {
	start_q
	load_fixture
	ok POST /collections/c/points/query '{"query":{"nearest":[1,0]},"limit":2,"with_payload":true}'
	[ "$(jq -c '[.result.points[] | [.id, .score]]' out.json)" = '[[4,2],[1,1]]' ]
	[ "$(jq -c '.result.points[1].payload.city' out.json)" = '"Berlin"' ]
	jq -e '.result.points[0].version == 0' out.json
	ok POST /collections/c/points/query '{"query":[1,0],"limit":2,"offset":1}'
	[ "$(jq -c '[.result.points[].id]' out.json)" = '[1,3]' ]
	[ "$(jq -c '.result.points[0].payload' out.json)" = null ]
}

@test "query: score_threshold keeps score >= t for Dot, <= t for Euclid" {
	start_q
	load_fixture
	ok POST /collections/c/points/query '{"query":[1,0],"score_threshold":1,"limit":10}'
	[ "$(jq -c '[.result.points[].id]' out.json)" = '[4,1,3]' ]
	mkcoll e 2 Euclid
	ok PUT /collections/e/points '{"points":[{"id":1,"vector":[0,0]},{"id":2,"vector":[3,4]},{"id":3,"vector":[1,0]}]}'
	ok POST /collections/e/points/query '{"query":[0,0],"score_threshold":1}'
	[ "$(jq -c '[.result.points[] | [.id, .score]]' out.json)" = '[[1,0],[3,1]]' ]
}

@test "query: a filter restricts the candidates" {
	start_q
	load_fixture
	ok POST /collections/c/points/query '{"query":[1,0],"filter":{"must":[{"key":"city","match":{"value":"Berlin"}}]}}'
	[ "$(jq -c '[.result.points[].id]' out.json)" = '[1,2]' ]
}

@test "query by point id uses its vector and leaves the point out" {
	start_q
	load_fixture
	ok POST /collections/c/points/query '{"query":1,"limit":2}'
	[ "$(jq -c '[.result.points[].id]' out.json)" = '[4,3]' ]
}

@test "query batch: one result list per search" {
	start_q
	load_fixture
	ok POST /collections/c/points/query/batch '{"searches":[{"query":[1,0],"limit":1},{"query":[0,1],"limit":2}]}'
	[ "$(jq -c '[.result[] | [.points[].id]]' out.json)" = '[[4],[5,2]]' ]
}

@test "delete points by id and by filter" {
	start_q
	load_fixture
	ok POST "/collections/c/points/delete?wait=true" '{"points":[1,"'$U7'",42]}'
	[ "$(jq -r .result.status out.json)" = completed ]
	ok POST /collections/c/points/delete '{"filter":{"must":[{"key":"city","match":{"any":["Moscow","London"]}}]}}'
	ok POST /collections/c/points/scroll '{}'
	[ "$(jq -c '[.result.points[].id]' out.json)" = '[4,5,6]' ]
}

@test "count with and without a filter" {
	start_q
	load_fixture
	ok POST /collections/c/points/count '{"exact":true}'
	[ "$(jq -r .result.count out.json)" = 7 ]
	ok POST /collections/c/points/count '{"filter":{"must":[{"key":"n","range":{"gte":5}}]},"exact":true}'
	[ "$(jq -r .result.count out.json)" = 2 ]
}

@test "scroll: id order (integers, then UUIDs), pages through next_page_offset" {
	start_q
	load_fixture
	ok POST /collections/c/points/scroll '{"limit":3,"with_payload":false}'
	[ "$(jq -c '[.result.points[].id]' out.json)" = '[1,2,3]' ]
	[ "$(jq -c '.result.points[0].payload' out.json)" = null ]
	[ "$(jq -r .result.next_page_offset out.json)" = 4 ]
	ok POST /collections/c/points/scroll '{"limit":3,"offset":4}'
	[ "$(jq -c '[.result.points[].id]' out.json)" = '[4,5,6]' ]
	[ "$(jq -r .result.next_page_offset out.json)" = "$U7" ]
	ok POST /collections/c/points/scroll '{"limit":3,"offset":"'$U7'","with_payload":["n"]}'
	[ "$(jq -c '.result.points' out.json)" = '[{"id":"'$U7'","payload":{"n":"3"},"vector":null}]' ]
	[ "$(jq -c .result.next_page_offset out.json)" = null ]
	ok POST /collections/c/points/scroll '{"filter":{"must":{"key":"city","match":{"value":"Berlin"}}}}'
	[ "$(jq -c '[.result.points[].id]' out.json)" = '[1,2]' ]
}

@test "filters: Qdrant's semantics over a table of cases" {
	start_q
	load_fixture
	local u=$U7 n=0 f want got
	while IFS='|' read -r f want; do
		[ -n "$f" ] || continue
		n=$((n + 1))
		ok POST /collections/c/points/scroll "{\"limit\":100,\"with_payload\":false,\"filter\":$f}"
		got=$(jq -r '[.result.points[].id | tostring] | join(",")' out.json)
		[ "$got" = "$want" ] || fail "case $n: $f: got [$got], want [$want]"
	done <<-EOF
		{"must":[{"key":"city","match":{"value":"Berlin"}}]}|1,2
		{"should":[{"key":"city","match":{"value":"London"}},{"key":"city","match":{"value":"Moscow"}}]}|2,3
		{"must_not":[{"key":"city","match":{"value":"Berlin"}}]}|3,4,5,6,$u
		{"must":[{"key":"city","match":{"any":["Moscow","London"]}}]}|2,3
		{"must":[{"key":"city","match":{"except":["Berlin"]}}]}|2,3
		{"must":[{"key":"n","range":{"gte":5}}]}|2,3
		{"must":[{"key":"price","range":{"lt":10,"gt":9}}]}|1
		{"must":[{"key":"n","match":{"value":3}}]}|1
		{"must":[{"key":"n","match":{"value":"3"}}]}|$u
		{"must":[{"key":"flag","match":{"value":true}}]}|5
		{"must":[{"key":"tags","values_count":{"gt":1}}]}|1
		{"must":[{"key":"tags","values_count":{"lt":1}}]}|2,3,4,5,6,$u
		{"must":[{"is_empty":{"key":"tags"}}]}|2,3,4,5,6,$u
		{"must_not":[{"is_empty":{"key":"city"}}]}|1,2,3
		{"must":[{"is_null":{"key":"city"}}]}|5
		{"must":[{"has_id":[1,"$u",99]}]}|1,$u
		{"must":[{"nested":{"key":"country.cities","filter":{"must":[{"key":"name","match":{"value":"Bonn"}},{"key":"pop","range":{"gt":1}}]}}}]}|
		{"must":[{"nested":{"key":"country.cities","filter":{"must":[{"key":"name","match":{"value":"Berlin"}},{"key":"pop","range":{"gt":1}}]}}}]}|4
		{"must":[{"key":"country.cities[].name","match":{"value":"Bonn"}},{"key":"country.cities[].pop","range":{"gt":1}}]}|4
		{"must":[{"key":"country.cities.name","match":{"value":"Bonn"}}]}|
		{"must":[{"key":"tags[0]","match":{"value":"a"}}]}|1
		{"min_should":{"conditions":[{"key":"city","match":{"value":"Berlin"}},{"key":"n","range":{"gte":5}},{"key":"tags","values_count":{"gte":1}}],"min_count":2}}|1,2
		{"should":[{"must":[{"key":"city","match":{"value":"Berlin"}},{"key":"n","range":{"lt":5}}]},{"key":"flag","match":{"value":true}}]}|1,5
		{"must":[{"key":"when","range":{"gte":"2024-01-01T00:00:00Z","lt":"2024-02-01T00:00:00Z"}}]}|$u
		{"must":[{"key":"city","match":{"text":"erl"}}]}|1,2
		{"should":[]}|
		{"must":[]}|1,2,3,4,5,6,$u
	EOF
	[ "$n" -eq 27 ]
}

@test "snapshots: create, list, download, recover from a location on this server" {
	start_q
	load_fixture
	ok POST "/collections/c/snapshots?wait=true"
	local name size sum
	name=$(jq -r .result.name out.json)
	size=$(jq -r .result.size out.json)
	sum=$(jq -r .result.checksum out.json)
	ok GET /collections/c/snapshots
	[ "$(jq -r '.result[0].name' out.json)" = "$name" ]
	curl -sf -o snap.bin "$URL/collections/c/snapshots/$name"
	[ "$(filesize snap.bin)" = "$size" ]
	[ "$(sha256sum snap.bin | cut -d' ' -f1)" = "$sum" ]
	ok POST /collections/c/points/scroll '{"limit":100,"with_vector":true}'
	mv out.json before.json
	ok POST /collections/c/points/delete '{"filter":{}}'
	ok POST /collections/c/points/count '{}'
	[ "$(jq -r .result.count out.json)" = 0 ]
	ok PUT "/collections/c/snapshots/recover?wait=true" \
		"{\"location\":\"$URL/collections/c/snapshots/$name\",\"checksum\":\"$sum\"}"
	ok POST /collections/c/points/scroll '{"limit":100,"with_vector":true}'
	diff <(jq .result before.json) <(jq .result out.json)
	# into a new collection, and a bad checksum is refused
	ok PUT /collections/copy/snapshots/recover "{\"location\":\"$URL/collections/c/snapshots/$name\"}"
	ok POST /collections/copy/points/count '{}'
	[ "$(jq -r .result.count out.json)" = 7 ]
	api PUT /collections/copy/snapshots/recover \
		"{\"location\":\"$URL/collections/c/snapshots/$name\",\"checksum\":\"00$sum\"}"
	[ "$CODE" = 400 ]
	ok DELETE "/collections/c/snapshots/$name"
	api GET "/collections/c/snapshots/$name"
	[ "$CODE" = 404 ]
}

@test "snapshots: upload (multipart) restores into another collection" {
	start_q
	load_fixture
	ok POST /collections/c/snapshots
	curl -sf -o snap.bin "$URL/collections/c/snapshots/$(jq -r .result.name out.json)"
	CODE=$(curl -s -o out.json -w '%{http_code}' -F "snapshot=@snap.bin" "$URL/collections/up/snapshots/upload?wait=true")
	[ "$CODE" = 200 ] || fail "$(cat out.json)"
	ok POST /collections/up/points '{"ids":[4],"with_payload":true}'
	[ "$(jq -r '.result[0].payload.country.cities[1].name' out.json)" = Bonn ]
	ok GET /collections/up
	[ "$(jq -r .result.config.params.vectors.distance out.json)" = Dot ]
}

@test "auth: with --api-key, no key or a wrong key is 401; api-key or Bearer passes" {
	start_q --api-key s3cret
	api GET /collections
	[ "$CODE" = 401 ] && [ "$(err)" = "Must provide an API key or an Authorization bearer token" ]
	HDR=(-H "api-key: wrong")
	api GET /collections
	[ "$CODE" = 401 ] && [ "$(err)" = "Invalid API key or JWT" ]
	HDR=(-H "api-key: s3cret")
	ok GET /collections
	HDR=(-H "Authorization: Bearer s3cret")
	ok GET /collections
}

@test "every response this server produced passed the response schema" {
	start_q
	load_fixture
	ok POST /collections/c/points/query '{"query":[1,0],"with_payload":true,"with_vector":true}'
	ok POST /collections/c/points/scroll '{"with_vector":true}'
	ok GET /collections/c
	api GET /collections/zz
	[ "$(jq -s 'map(select(.response_valid != true)) | length' "$LOG")" = 0 ]
	[ ! -s "$BATS_TEST_TMPDIR/q.err" ]
}

@test "a response that breaks its schema becomes a 500, logged and said on stderr" {
	start_q --corrupt query_points
	load_fixture
	api POST /collections/c/points/query '{"query":[1,0]}'
	[ "$CODE" = 500 ]
	[[ $(err) == "qdrantserver produced an invalid response: response 200.result"* ]]
	[ "$(lastlog | jq -r .response_valid)" = false ]
	grep -q "INVALID RESPONSE to POST /collections/c/points/query" "$BATS_TEST_TMPDIR/q.err"
}

@test "the validator on its own: known-good and known-bad bodies" {
	echo '{"points":[{"id":1,"vector":[0.5]}]}' >good.json
	echo '{"points":[{"id":"x","vector":[0.5]}]}' >bad.json
	run -0 "$PY" "$QCHECK" request PUT '/collections/c/points?wait=true' good.json
	run -1 "$PY" "$QCHECK" request PUT /collections/c/points bad.json
	[[ $output == *"'x' is not a 'uuid'"* ]]
	run -1 "$PY" "$QCHECK" request PUT '/collections/c/points?wait=1' good.json
	echo '{"result":{"points":[{"id":1,"score":0.5}]},"status":"ok","time":0.1}' >resp.json
	run -1 "$PY" "$QCHECK" response POST /collections/c/points/query 200 resp.json
	[[ $output == *"'version' is a required property"* ]]
	echo '{"status":{"error":"x"},"time":0.1}' >e.json
	run -0 "$PY" "$QCHECK" response POST /collections/c/points/query 404 e.json
	echo '{"should":[{"key":"a","match":{"value":1}}],"must":null}' >f.json
	run -0 "$PY" "$QCHECK" schema Filter f.json
	echo '{"should":[{"key":"a","match":{"value":1}}],"foo":1}' >f.json
	run -1 "$PY" "$QCHECK" schema Filter f.json
	run -1 "$PY" "$QCHECK" request GET /no/such/path
}

@test "the request log: method, path, query, operation, status and validity" {
	start_q
	mkcoll c 2 Dot
	api PUT "/collections/c/points?wait=true" '{"points":[{"id":"bad","vector":[1,0]}]}'
	ok PUT "/collections/c/points?wait=true" '{"points":[{"id":1,"vector":[1,0]}]}'
	[ "$(wc -l <"$LOG")" -eq 3 ]
	[ "$(sed -n 2p "$LOG" | jq -c '[.method, .path, .query, .op, .status, .valid]')" = \
		'["PUT","/collections/c/points","wait=true","upsert_points",400,false]' ]
	sed -n 2p "$LOG" | jq -e '.error | test("uuid")'
	[ "$(sed -n 3p "$LOG" | jq -c '[.status, .valid, .response_valid, .error]')" = '[200,true,true,null]' ]
}
