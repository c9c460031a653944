#!/usr/bin/env bats
# vs-upsert and vs-query, the CLI of the vector store (issue 10): creating,
# appending and replacing points, exact search checked against a numpy
# oracle for each metric (tests/helpers/vs_data.py), recall of the index on
# clustered data, Qdrant filters checked against an independent evaluator
# (tests/helpers/vfilter_oracle.py), scans, lookups by id, deletes,
# snapshots, compaction and bad input.
#
# The same suite runs against both backends: by default each test's store
# is a directory (the embedded store); with VS_BACKEND=qdrant it is a fresh
# collection of a Qdrant-shaped server on loopback (tests/helpers/
# qdrantserver.py, which validates every request against Qdrant's OpenAPI
# document), started once for the file.  tests/vs-qdrant.bats runs this
# file that way.  Tests of what only the embedded store has (its files,
# the writer lock, compaction) skip under qdrant.

load test_helper

vsdata() { "$PY" "$HELPERS/vs_data.py" "$@"; }

qdrant() { [ "${VS_BACKEND:-}" = qdrant ]; }

embedded_only() { qdrant && skip "$1: the embedded store only" || true; }

setup_file() {
	export D=$BATS_FILE_TMPDIR
	if qdrant; then
		"$PY" -c 'import jsonschema' 2>/dev/null || return 0 # setup skips each test
		local pf=$D/port.json i
		"$PY" "$HELPERS/qdrantserver.py" --port-file "$pf" --log "$D/q.log" 2>"$D/q.err" 3>&- &
		export QPID=$!
		for i in $(seq 200); do [ -s "$pf" ] && break; sleep 0.05; done
		[ -s "$pf" ] || { echo "qdrantserver did not start: $(cat "$D/q.err")" >&2; return 1; }
		QADDR=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"][len("http://"):])' "$pf")
		export QADDR
		# The server searches in pure Python: keep the "big" set small.
		vsdata gen "$D/big" 2000 50 32 --clusters 100 --seed 2
	else
		vsdata gen "$D/big" 20000 200 32 --clusters 100 --sigma 1.0 --seed 2
	fi
	vsdata gen "$D/small" 1500 40 16 --clusters 20 --seed 1
	vsdata gen "$D/tiny" 60 10 8 --clusters 4 --seed 3
	# The stores that tests share, made here so that tests may run in
	# parallel (bats --jobs).
	local set metric
	for set in small:cosine small:dot small:l2 big:cosine; do
		metric=${set#*:} set=${set%:*}
		shared_store "$set" "$metric"
		"$SLUICE_BIN/vs-upsert" -q --store "$S" --dim "$(vsdata dim "$D/$set/points.jsonl")" \
			--metric "$metric" <"$D/$set/points.jsonl" ||
			{ echo "could not make the shared store $set-$metric" >&2; return 1; }
	done
}

teardown_file() {
	[ -z "${QPID:-}" ] || kill "$QPID" 2>/dev/null || true
}

setup() {
	[ -x "$SLUICE_BIN/vs-upsert" ] && [ -x "$SLUICE_BIN/vs-query" ] ||
		fail "no vs-upsert/vs-query in SLUICE_BIN=$SLUICE_BIN (run make first)"
	if qdrant; then
		"$PY" -c 'import jsonschema' 2>/dev/null || skip "no python3-jsonschema for qdrantserver.py"
		[ -n "${QADDR:-}" ] || fail "no qdrantserver"
	fi
	command -v jq >/dev/null || skip "no jq"
	export PATH="$SLUICE_BIN:$PATH"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
}

# store NAME: a new store of this test's own.
store() {
	if qdrant; then
		echo "qdrant://$QADDR/t$BATS_TEST_NUMBER-$1"
	else
		echo "$BATS_TEST_TMPDIR/$1"
	fi
}

# shared_store SET METRIC: sets S to the store setup_file made of
# $D/SET/points.jsonl with METRIC, which tests only read.
shared_store() {
	if qdrant; then S=qdrant://$QADDR/shared-$1-$2; else S=$D/store-$1-$2; fi
}

# After run: exit 0, else the failure with its stderr (run
# --separate-stderr keeps it apart) and the start of its output.
assert_ok() {
	[ "$status" -eq 0 ] || fail "exit $status; stderr: ${stderr:-}
output: ${output:0:3000}"
}

# stats_of STORE KEY: one member of vs-query --stats.
stats_of() {
	vs-query --store "$1" --stats >stats.json || fail "vs-query --stats failed"
	json_get stats.json "j['$2']"
}

# ids_of FILE: the "id" of each JSON line, sorted.
ids_of() { "$PY" -c 'import json,sys; [print(json.loads(l)["id"]) for l in open(sys.argv[1])]' "$1" | sort; }

# oracle_ids FILTER POINTS: the ids of the points the filter matches, sorted.
oracle_ids() { vsdata match "$1" "$2" | sort; }

# head_points N SET: the first N points of a data set, into pts.jsonl.
head_points() { head -n "$1" "$D/$2/points.jsonl" >pts.jsonl; }

# ---- creating, appending, replacing ----

@test "the store is created on first use with --dim and --metric" {
	S=$(store s)
	run --separate-stderr vs-upsert -q --store "$S" --dim 3 --metric dot <<<'{"id":"a","vector":[1,2,3]}'
	assert_ok
	assert_equal "$(stats_of "$S" points)" 1
	assert_equal "$(stats_of "$S" dim)" 3
	assert_equal "$(stats_of "$S" metric)" dot
}

@test "without --dim a new store takes the first point's dimension; a later point of another is exit 8" {
	S=$(store s)
	run --separate-stderr vs-upsert -q --store "$S" <<<'{"id":"a","vector":[1,2,3]}
{"id":"b","vector":[3,2,1]}'
	assert_ok
	assert_equal "$(stats_of "$S" dim)" 3
	assert_equal "$(stats_of "$S" points)" 2
	run --separate-stderr vs-upsert -q --store "$S" <<<'{"id":"c","vector":[1,2]}'
	assert_equal "$status" 8
	assert_regex "$stderr" '^vs-upsert: <stdin>:1: the vector has 2 values, the store has dim 3'
	assert_equal "$(stats_of "$S" points)" 2
}

@test "without a store, --dim or any point, vs-upsert says it cannot create one, and makes none" {
	S=$(store s)
	run --separate-stderr vs-upsert -q --store "$S" </dev/null
	assert_equal "$status" 1
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" '^vs-upsert: .*(--dim|dimension)'
	run vs-query --store "$S" --stats
	assert_failure
}

@test "vs-query on a store that does not exist is exit 1 with one line, and makes none" {
	S=$(store none)
	run --separate-stderr vs-query --store "$S" -k 1 <<<'{"id":"q","vector":[1,2]}'
	assert_equal "$status" 1
	assert_equal "${#stderr_lines[@]}" 1
	assert_output ''
	run --separate-stderr vs-query --store "$S" --stats
	assert_equal "$status" 1
	qdrant || [ ! -e "$S" ] || fail "vs-query made $S"
}

@test "a second run appends to the store, and needs no --dim" {
	S=$(store s)
	vs-upsert -q --store "$S" --dim 2 <<<'{"id":"a","vector":[1,0]}'
	run --separate-stderr vs-upsert -q --store "$S" <<<'{"id":"b","vector":[0,1]}'
	assert_ok
	assert_equal "$(stats_of "$S" points)" 2
	vs-query --store "$S" --scan >scan.jsonl
	assert_equal "$(ids_of scan.jsonl | tr '\n' ' ')" "a b "
}

@test "upserting an id again replaces its vector and its metadata" {
	S=$(store s)
	vs-upsert -q --store "$S" --dim 3 --metric dot <<<'{"id":"a","vector":[1,0,0],"metadata":{"v":1}}
{"id":"b","vector":[0,1,0],"metadata":{"v":1}}'
	vs-upsert -q --store "$S" <<<'{"id":"a","vector":[0,0,2],"metadata":{"v":2,"w":"x"}}'
	assert_equal "$(stats_of "$S" points)" 2
	run vs-query --store "$S" --id a --with-vector
	assert_ok
	assert_output '{"id":"a","metadata":{"v":2,"w":"x"},"vector":[0,0,2]}'
	run vs-query --store "$S" -k 1 --exact <<<'{"id":"q","vector":[0,0,1]}'
	assert_output '{"query":"q","rank":1,"id":"a","metadata":{"v":2,"w":"x"},"score":2}'
	run vs-query --store "$S" -k 1 <<<'{"id":"q","vector":[0,0,1]}'
	assert_output '{"query":"q","rank":1,"id":"a","metadata":{"v":2,"w":"x"},"score":2}'
}

@test "the integer id 7 and the string id \"7\" are one point" {
	S=$(store s)
	vs-upsert -q --store "$S" --dim 2 --metric dot <<<'{"id":7,"vector":[1,0],"metadata":{"from":"int"}}'
	vs-upsert -q --store "$S" <<<'{"id":"7","vector":[0,1],"metadata":{"from":"string"}}'
	assert_equal "$(stats_of "$S" points)" 1
	run vs-query --store "$S" --id 7 --with-vector
	assert_ok
	assert_output '{"id":"7","metadata":{"from":"string"},"vector":[0,1]}'
	run vs-query --store "$S" --filter '{"must":[{"has_id":[7]}]}' --scan
	assert_output '{"id":"7","metadata":{"from":"string"}}'
}

@test "vector records (rec-pack --vector-field --metadata-field) make the same store as JSON lines" {
	head_points 200 small
	A=$(store from-jsonl) B=$(store from-records)
	vs-upsert -q --store "$A" --dim 16 <pts.jsonl
	rec-pack -q -J --key-field id --vector-field vector --metadata-field metadata <pts.jsonl >pts.rec
	run --separate-stderr vs-upsert -q --store "$B" --dim 16 pts.rec
	assert_ok
	vs-query --store "$A" --scan --with-vector >a.jsonl
	vs-query --store "$B" --scan --with-vector >b.jsonl
	assert_equal "$(wc -l <b.jsonl)" 200
	cmp a.jsonl b.jsonl
}

@test "vector records are taken as queries too, named by their keys" {
	shared_store small cosine
	head -n 5 "$D/small/queries.jsonl" >q.jsonl
	rec-pack -q -J --key-field id --vector-field vector <q.jsonl >q.rec
	vs-query --store "$S" --exact -k 3 <q.jsonl >from-jsonl
	vs-query --store "$S" --exact -k 3 q.rec >from-records
	assert_equal "$(wc -l <from-records)" 15
	cmp from-jsonl from-records
}

@test "the store directory holds the manifest and every file it names" {
	embedded_only "store files"
	S=$(store s)
	vs-upsert -q --store "$S" --dim 8 <"$D/tiny/points.jsonl"
	[ -f "$S/manifest.json" ]
	for f in $(json_get "$S/manifest.json" "' '.join(j['segments'] + [j['index'], j['wal']])"); do
		[ -f "$S/$f" ] || fail "manifest.json names $f, which is not there"
	done
	[ "$(json_get "$S/manifest.json" "j['dim']")" = 8 ]
}

# ---- search ----

# exact_equals_oracle METRIC: --exact answers are the numpy oracle's.
exact_equals_oracle() {
	shared_store small "$1"
	run --separate-stderr vs-query -q --store "$S" --exact -k 10 <"$D/small/queries.jsonl"
	assert_ok
	echo "$output" >ans.jsonl
	assert_equal "$(wc -l <ans.jsonl)" 400
	run vsdata check --metric "$1" -k 10 --queries "$D/small/queries.jsonl" --answer ans.jsonl "$D/small/points.jsonl"
	assert_ok
}

@test "--exact answers are numpy's brute force: cosine (scores: cosine similarity)" { exact_equals_oracle cosine; }
@test "--exact answers are numpy's brute force: dot (scores: dot products)" { exact_equals_oracle dot; }
@test "--exact answers are numpy's brute force: l2 (scores: Euclidean distances, nearest first)" { exact_equals_oracle l2; }

@test "an answer line has query, rank (from 1), id, metadata and score, and nothing else" {
	shared_store small cosine
	head -n 3 "$D/small/queries.jsonl" >q.jsonl
	vs-query --store "$S" -k 4 <q.jsonl >ans.jsonl
	assert_equal "$(jq -c 'keys' ans.jsonl | sort -u)" '["id","metadata","query","rank","score"]'
	assert_equal "$(jq -r '"\(.query) \(.rank)"' ans.jsonl | tr '\n' ' ')" \
		"q0 1 q0 2 q0 3 q0 4 q1 1 q1 2 q1 3 q1 4 q2 1 q2 2 q2 3 q2 4 "
	assert_equal "$(jq -r '[(.score|type), (.metadata|type), (.id|type)] | join(" ")' ans.jsonl | sort -u)" \
		"number object string"
}

@test "a query without an id is named by its number among the queries, from 0" {
	shared_store small cosine
	head -n 2 "$D/small/queries.jsonl" | jq -c '{vector}' >q.jsonl
	run vs-query --store "$S" -k 1 <q.jsonl
	assert_ok
	assert_equal "$(jq -r .query <<<"$output" | tr '\n' ' ')" "0 1 "
}

@test "-k sets the number of hits per query, and a store with fewer points gives all of them" {
	shared_store small cosine
	head -n 7 "$D/small/queries.jsonl" >q.jsonl
	assert_equal "$(vs-query --store "$S" -k 3 <q.jsonl | wc -l)" 21
	assert_equal "$(vs-query --store "$S" -k 1 <q.jsonl | wc -l)" 7
	S=$(store few)
	vs-upsert -q --store "$S" --dim 16 <<<"$(head -n 4 "$D/small/points.jsonl")"
	assert_equal "$(vs-query --store "$S" -k 10 <q.jsonl | wc -l)" 28
	assert_equal "$(vs-query --store "$S" -k 10 --exact <q.jsonl | wc -l)" 28
}

@test "--format records gives the same objects as JSON records keyed by the query (rec-cat shows them)" {
	shared_store small cosine
	head -n 5 "$D/small/queries.jsonl" >q.jsonl
	vs-query --store "$S" -k 3 <q.jsonl >ans.jsonl
	run --separate-stderr vs-query --store "$S" -k 3 --format records <q.jsonl
	assert_ok
	vs-query --store "$S" -k 3 --format records <q.jsonl >ans.rec
	rec-cat ans.rec >shown.jsonl
	assert_equal "$(jq -c .json shown.jsonl)" "$(jq -c . ans.jsonl)"
	assert_equal "$(jq -r '"\(.type) \(.key)"' shown.jsonl | sort -u | tr '\n' ' ')" \
		"json q0 json q1 json q2 json q3 json q4 "
}

# blas_cores: the OpenBLAS kernel families (OPENBLAS_CORETYPE) this CPU
# runs, the floor first.  Exact search must not depend on them: it did
# through sgemm, whose sums follow the kernel and the matrix shape (issue
# 25), and the first machines it ran on happened to agree.
blas_cores() {
	echo Prescott
	grep -qw avx2 /proc/cpuinfo && echo Haswell
	grep -qw avx512f /proc/cpuinfo && echo SkylakeX
	true
}

# same_scores EXACT INDEXED: every (query, id) that both answers hold has
# the same score in both, to the bit (JSON numbers print the float's
# shortest round trip), and most of them are shared.
same_scores() {
	run "$PY" - "$1" "$2" <<-'EOF'
		import json, sys
		def read(p):
		    return {(o["query"], o["id"]): o["score"] for o in map(json.loads, open(p))}
		a, b = read(sys.argv[1]), read(sys.argv[2])
		both = set(a) & set(b)
		bad = [(k, a[k], b[k]) for k in sorted(both) if a[k] != b[k]]
		assert not bad, bad[:5]
		assert len(both) >= 0.9 * len(a), (len(both), len(a))
		print(len(both), "shared hits, the same scores")
	EOF
	assert_ok
}

@test "--batch 1 and --batch 1000 give the same answers, exact and indexed, under any OpenBLAS kernel" {
	shared_store small cosine
	cores=($(blas_cores))
	OPENBLAS_CORETYPE=${cores[0]} vs-query --store "$S" --exact --batch 1 <"$D/small/queries.jsonl" >e1
	OPENBLAS_CORETYPE=${cores[-1]} vs-query --store "$S" --exact --batch 1000 <"$D/small/queries.jsonl" >e1000
	cmp e1 e1000
	vs-query --store "$S" --batch 1 <"$D/small/queries.jsonl" >i1
	vs-query --store "$S" --batch 1000 <"$D/small/queries.jsonl" >i1000
	cmp i1 i1000
	assert_equal "$(wc -l <i1)" 400
}

@test "--exact scores are the same bits whatever the batch, OpenBLAS kernel, SIMD level and order of the points; numpy's within 1e-5; the index's the same" {
	embedded_only "our own kernels"
	for metric in cosine dot l2; do
		shared_store small "$metric"
		vs-query --store "$S" --exact --batch 1000 <"$D/small/queries.jsonl" >ref.jsonl
		run vsdata check --metric "$metric" -k 10 --queries "$D/small/queries.jsonl" --answer ref.jsonl \
			"$D/small/points.jsonl"
		assert_ok
		for core in $(blas_cores); do
			for simd in portable avx2 avx512; do
				for b in 1 3 1000; do
					OPENBLAS_CORETYPE=$core SLUICE_SIMD=$simd vs-query --store "$S" --exact --batch "$b" \
						<"$D/small/queries.jsonl" >got.jsonl
					cmp ref.jsonl got.jsonl ||
						fail "$metric: OPENBLAS_CORETYPE=$core SLUICE_SIMD=$simd --batch $b is not --batch 1000's"
				done
			done
		done
		# the same points written in the reverse order: other slots, the same answers
		T=$(store "rev-$metric")
		tac "$D/small/points.jsonl" | vs-upsert -q --store "$T" --dim 16 --metric "$metric"
		vs-query --store "$T" --exact --batch 1000 <"$D/small/queries.jsonl" >rev.jsonl
		cmp ref.jsonl rev.jsonl || fail "$metric: the points in the reverse order answer otherwise"
		# the index scores a point as the exact scan does
		vs-query --store "$S" --batch 1000 <"$D/small/queries.jsonl" >index.jsonl
		same_scores ref.jsonl index.jsonl
	done
}

@test "recall@10 of the index (no --exact) is at least 0.95 on clustered data" {
	shared_store big cosine
	run --separate-stderr vs-query -q --store "$S" -k 10 <"$D/big/queries.jsonl"
	assert_ok
	echo "$output" >ans.jsonl
	run vsdata recall --min 0.95 -k 10 --queries "$D/big/queries.jsonl" --answer ans.jsonl "$D/big/points.jsonl"
	assert_ok
}

@test "a query of the wrong dimension is exit 8 with one line naming file:line" {
	shared_store small cosine
	head -n 1 "$D/small/queries.jsonl" >q.jsonl
	echo '{"id":"short","vector":[1,2,3]}' >>q.jsonl
	run --separate-stderr vs-query -q --store "$S" q.jsonl
	assert_error 8 "vs-query: q.jsonl:2: the query has 3 values, the store has dim 16"
}

@test "a query holding NaN is exit 8 with one line naming file:offset" {
	shared_store small cosine
	mkframes header 'vector@ok:1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16' \
		'vector@bad:1,2,nan,4,5,6,7,8,9,10,11,12,13,14,15,16' end >q.rec
	run --separate-stderr vs-query -q --store "$S" q.rec
	assert_error 8 "vs-query: q.rec:$(frame_offset q.rec 2): the query holds NaN or Inf at index 2"
}

# ---- filters ----

# filtered_exact FILTER: --exact with the filter answers as the oracle's
# filtered brute force does, and the filter matches something.
filtered_exact() {
	shared_store small cosine
	[ "$(oracle_ids "$1" "$D/small/points.jsonl" | wc -l)" -gt 0 ] || fail "the filter matches nothing"
	run --separate-stderr vs-query -q --store "$S" --exact -k 10 --filter "$1" <"$D/small/queries.jsonl"
	assert_ok
	echo "$output" >ans.jsonl
	run vsdata check -k 10 --filter "$1" --queries "$D/small/queries.jsonl" --answer ans.jsonl \
		"$D/small/points.jsonl"
	assert_ok
}

@test "filter match value: string, integer, and an element of an array" {
	filtered_exact '{"must":[{"key":"cat","match":{"value":"c1"}}]}'
	filtered_exact '{"must":[{"key":"n","match":{"value":42}}]}'
	filtered_exact '{"must":[{"key":"tags","match":{"value":"black"}}]}'
}
@test "filter match any" { filtered_exact '{"must":[{"key":"tags","match":{"any":["red","blue"]}}]}'; }
@test "filter match except" { filtered_exact '{"must":[{"key":"cat","match":{"except":["c0","c1","c2"]}}]}'; }
@test "filter range over reals and integers" {
	filtered_exact '{"must":[{"key":"x","range":{"gte":0.25,"lt":0.5}},{"key":"n","range":{"gt":10,"lte":60}}]}'
}
@test "filter must_not" { filtered_exact '{"must_not":[{"key":"obj.y","match":{"value":3}},{"key":"cat","match":{"value":"c4"}}]}'; }
@test "filter should" { filtered_exact '{"should":[{"key":"cat","match":{"value":"c2"}},{"key":"n","range":{"lt":5}}]}'; }
@test "filter has_id, integer and string ids mixed (4 and \"4\" alike)" {
	filtered_exact '{"must":[{"has_id":[0,"p-1","4",6,"p-7",100,"p-101",1499,"nope"]}]}'
}
@test "filter is_empty (null, [] and a missing field are empty)" { filtered_exact '{"must":[{"is_empty":{"key":"opt"}}]}'; }
@test "filter nested: both conditions on the same element of an array" {
	filtered_exact '{"must":[{"nested":{"key":"arr","filter":{"must":[{"key":"a","match":{"value":3}},{"key":"b","match":{"value":"s1"}}]}}}]}'
}
@test "filter paths into objects and through arrays (obj.y, arr[].a)" {
	filtered_exact '{"must":[{"key":"obj.y","match":{"any":[1,2]}},{"key":"arr[].a","range":{"gte":5}}]}'
}

# filtered_recall FILTER: indexed answers under FILTER on the big set have
# recall@10 of at least 0.95 against the oracle's.
filtered_recall() {
	shared_store big cosine
	run --separate-stderr vs-query -q --store "$S" -k 10 --filter "$1" <"$D/big/queries.jsonl"
	assert_ok
	echo "$output" >ans.jsonl
	run vsdata recall --min 0.95 -k 10 --filter "$1" --queries "$D/big/queries.jsonl" --answer ans.jsonl \
		"$D/big/points.jsonl"
	assert_ok
}

@test "a selective filter (0.5% of the points) keeps recall@10 at least 0.95 through the index" {
	filtered_recall '{"must":[{"key":"rare","match":{"value":true}}]}'
}

@test "a broad filter (a fifth of the points) keeps recall@10 at least 0.95 through the index" {
	filtered_recall '{"must":[{"key":"cat","match":{"value":"c3"}}]}'
}

@test "a filter that matches nothing gives no lines and exit 0 (search, exact search, scan)" {
	shared_store small cosine
	F='{"must":[{"key":"cat","match":{"value":"no such"}}]}'
	run --separate-stderr vs-query --store "$S" --filter "$F" <"$D/small/queries.jsonl"
	assert_ok
	assert_output ''
	run --separate-stderr vs-query --store "$S" --exact --filter "$F" <"$D/small/queries.jsonl"
	assert_ok
	assert_output ''
	run --separate-stderr vs-query --store "$S" --scan --filter "$F"
	assert_ok
	assert_output ''
}

@test "--filter @FILE reads the filter from a file" {
	shared_store small cosine
	echo '{"must":[{"key":"cat","match":{"value":"c1"}}]}' >f.json
	vs-query --store "$S" --scan --filter @f.json >a.jsonl
	vs-query --store "$S" --scan --filter "$(cat f.json)" >b.jsonl
	assert_equal "$(wc -l <a.jsonl)" "$(oracle_ids "$(cat f.json)" "$D/small/points.jsonl" | wc -l)"
	cmp a.jsonl b.jsonl
}

@test "a bad filter is exit 2 with one line: search, scan and delete" {
	shared_store small cosine
	for F in '{"must":[{"geo_radius":{"center":{"lon":0,"lat":0},"radius":1}}]}' '{"must":' \
		'{"must":[{"key":"n","match":{"value":1.5}}]}' '{"must":[{"key":"n","range":{"gt":"a"}}]}'; do
		run --separate-stderr vs-query -q --store "$S" --filter "$F" <"$D/small/queries.jsonl"
		assert_equal "$status" 2
		assert_equal "${#stderr_lines[@]}" 1
		assert_regex "$stderr" '^vs-query: .*filter'
		assert_output ''
		run --separate-stderr vs-query -q --store "$S" --scan --filter "$F"
		assert_equal "$status" 2
		assert_equal "${#stderr_lines[@]}" 1
		assert_output ''
	done
	T=$(store t)
	vs-upsert -q --store "$T" --dim 8 <"$D/tiny/points.jsonl"
	run --separate-stderr vs-upsert -q --store "$T" --delete --filter '{"must":[{"nope":1}]}'
	assert_equal "$status" 2
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" '^vs-upsert: .*filter'
	assert_equal "$(stats_of "$T" points)" 60
}

# ---- scan, id, stats ----

@test "--scan prints every point once, with its metadata" {
	shared_store small cosine
	run --separate-stderr vs-query --store "$S" --scan
	assert_ok
	echo "$output" >scan.jsonl
	assert_equal "$(wc -l <scan.jsonl)" 1500
	assert_equal "$(ids_of scan.jsonl)" "$(ids_of "$D/small/points.jsonl")"
	jq -cS '{id: (.id|tostring), metadata}' "$D/small/points.jsonl" | sort >want
	jq -cS . scan.jsonl | sort >got
	cmp want got
}

@test "--scan --filter prints the points the oracle matches" {
	shared_store small cosine
	F='{"must":[{"key":"tags","match":{"any":["green"]}}],"must_not":[{"key":"n","range":{"gte":50}}]}'
	vs-query --store "$S" --scan --filter "$F" >scan.jsonl
	assert_equal "$(ids_of scan.jsonl)" "$(oracle_ids "$F" "$D/small/points.jsonl")"
}

@test "--scan --limit N prints N points, with a filter N of those it matches" {
	shared_store small cosine
	run vs-query --store "$S" --scan --limit 25
	assert_ok
	assert_equal "${#lines[@]}" 25
	assert_equal "$(jq -r .id <<<"$output" | sort -u | wc -l)" 25
	F='{"must":[{"key":"cat","match":{"value":"c0"}}]}'
	vs-query --store "$S" --scan --limit 7 --filter "$F" >scan.jsonl
	assert_equal "$(wc -l <scan.jsonl)" 7
	assert_equal "$(jq -r .metadata.cat scan.jsonl | sort -u)" c0
	assert_equal "$(vs-query --store "$S" --scan --limit 100000 | wc -l)" 1500
}

@test "--scan --with-vector gives the vectors as stored (dot: unchanged)" {
	shared_store small dot
	vs-query --store "$S" --scan --with-vector --limit 50 >scan.jsonl
	"$PY" - "$D/small/points.jsonl" scan.jsonl <<-'EOF'
		import json, sys
		import numpy as np
		pts = {str(o["id"]): o["vector"] for o in map(json.loads, open(sys.argv[1]))}
		n = 0
		for o in map(json.loads, open(sys.argv[2])):
		    got, want = np.float32(o["vector"]), np.float32(pts[o["id"]])
		    assert np.array_equal(got, want), (o["id"], got, want)
		    n += 1
		assert n == 50, n
	EOF
}

@test "--id prints the points asked for, in the order asked" {
	shared_store small cosine
	run --separate-stderr vs-query --store "$S" --id p-3 --id 0 --id 8
	assert_ok
	assert_equal "$(jq -r .id <<<"$output" | tr '\n' ' ')" "p-3 0 8 "
	assert_equal "$(jq -c .metadata <<<"${lines[0]}")" \
		"$(jq -c 'select(.id == "p-3") | .metadata' "$D/small/points.jsonl")"
}

@test "--id of an absent point: the others are printed, a line on stderr, exit 4" {
	shared_store small cosine
	run --separate-stderr vs-query --store "$S" --id 0 --id no-such --id 2
	assert_equal "$status" 4
	assert_equal "$(jq -r .id <<<"$output" | tr '\n' ' ')" "0 2 "
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" '^vs-query: .*1 of the ids asked for are not there$'
}

@test "--stats gives points, dim and metric as JSON" {
	shared_store small l2
	assert_equal "$(stats_of "$S" points)" 1500
	assert_equal "$(stats_of "$S" dim)" 16
	assert_equal "$(stats_of "$S" metric)" l2
}

# ---- deletes ----

# deleted_nowhere STORE ID...: none of the ids is returned by exact or
# indexed search (each queried with its own vector), by --scan, or by --id.
deleted_nowhere() {
	local s=$1 id
	shift
	vs-query --store "$s" --scan >scan.jsonl
	for id in "$@"; do
		jq -c --arg id "$id" 'select((.id|tostring) == $id) | {id: "q", vector}' "$D/tiny/points.jsonl" >q.jsonl
		[ -s q.jsonl ] || fail "no point $id in the data"
		vs-query --store "$s" -k 60 --exact <q.jsonl >e.jsonl
		vs-query --store "$s" -k 5 <q.jsonl >i.jsonl
		[ "$(wc -l <e.jsonl)" -gt 0 ] || fail "exact search found nothing"
		[ "$(wc -l <i.jsonl)" -eq 5 ] || fail "indexed search found $(wc -l <i.jsonl) points"
		! jq -r .id e.jsonl i.jsonl scan.jsonl | grep -qxF "$id" || fail "deleted id $id is returned"
		run --separate-stderr vs-query --store "$s" --id "$id"
		assert_equal "$status" 4
		assert_output ''
	done
}

@test "--delete takes ids as plain lines; deleted points are never returned" {
	S=$(store s)
	vs-upsert -q --store "$S" --dim 8 <"$D/tiny/points.jsonl"
	run --separate-stderr vs-upsert -q --store "$S" --delete <<<'0
p-1

10
p-33
not-there'
	assert_ok
	assert_equal "$(stats_of "$S" points)" 56
	deleted_nowhere "$S" 0 p-1 10 p-33
}

@test "--delete takes ids as JSON lines, integer or string" {
	S=$(store s)
	vs-upsert -q --store "$S" --dim 8 <"$D/tiny/points.jsonl"
	run --separate-stderr vs-upsert -q --store "$S" --delete <<<'{"id":4}
{"id":"p-5"}
{"id":"6"}'
	assert_ok
	assert_equal "$(stats_of "$S" points)" 57
	deleted_nowhere "$S" 4 p-5 6
}

@test "--delete --filter deletes the points the filter matches, and only those" {
	S=$(store s)
	vs-upsert -q --store "$S" --dim 8 <"$D/tiny/points.jsonl"
	F='{"must":[{"key":"cat","match":{"any":["c1","c2"]}}]}'
	oracle_ids "$F" "$D/tiny/points.jsonl" >gone
	[ "$(wc -l <gone)" -gt 5 ] || fail "too few points match"
	run --separate-stderr vs-upsert -q --store "$S" --delete --filter "$F"
	assert_ok
	assert_equal "$(stats_of "$S" points)" "$((60 - $(wc -l <gone)))"
	vs-query --store "$S" --scan >scan.jsonl
	assert_equal "$(ids_of scan.jsonl)" "$(ids_of "$D/tiny/points.jsonl" | grep -vxFf gone)"
	deleted_nowhere "$S" $(head -n 5 gone)
}

@test "a deleted id upserted again is back, with its new vector and metadata" {
	S=$(store s)
	vs-upsert -q --store "$S" --dim 2 --metric dot <<<'{"id":"a","vector":[1,0],"metadata":{"v":1}}
{"id":"b","vector":[0,1]}'
	vs-upsert -q --store "$S" --delete <<<a
	run vs-query --store "$S" --id a
	assert_equal "$status" 4
	vs-upsert -q --store "$S" <<<'{"id":"a","vector":[3,0],"metadata":{"v":2}}'
	run vs-query --store "$S" --id a --with-vector
	assert_ok
	assert_output '{"id":"a","metadata":{"v":2},"vector":[3,0]}'
	run vs-query --store "$S" -k 5 --exact <<<'{"id":"q","vector":[1,0]}'
	assert_line --index 0 '{"query":"q","rank":1,"id":"a","metadata":{"v":2},"score":3}'
	assert_equal "${#lines[@]}" 2
	run vs-query --store "$S" -k 5 <<<'{"id":"q","vector":[1,0]}'
	assert_line --index 0 '{"query":"q","rank":1,"id":"a","metadata":{"v":2},"score":3}'
	assert_equal "${#lines[@]}" 2
}

# ---- snapshot and restore ----

# answers STORE SUFFIX: exact, indexed and filtered answers to the small
# queries, and a scan with vectors, into exact.SUFFIX and so on.
answers() {
	vs-query --store "$1" --exact <"$D/small/queries.jsonl" >"exact.$2"
	vs-query --store "$1" <"$D/small/queries.jsonl" >"index.$2"
	vs-query --store "$1" --scan --with-vector >"scan.$2"
	vs-query --store "$1" --filter '{"must":[{"key":"cat","match":{"value":"c1"}}]}' \
		<"$D/small/queries.jsonl" >"filter.$2"
}

@test "a restored snapshot answers every query byte for byte as the store did" {
	S=$(store s) R=$(store restored)
	head_points 400 small
	vs-upsert -q --store "$S" --dim 16 <pts.jsonl
	vs-upsert -q --store "$S" --delete <<<'0
p-1'
	run --separate-stderr vs-upsert -q --store "$S" --snapshot snap
	assert_ok
	[ -s snap ]
	run --separate-stderr vs-upsert -q --store "$R" --restore snap
	assert_ok
	answers "$S" before
	answers "$R" after
	for f in exact index scan filter; do
		cmp "$f.before" "$f.after" || fail "the restored store's $f answers differ"
	done
	assert_equal "$(wc -l <scan.after)" 398
}

@test "restoring into a store that is not empty fails, and leaves it as it was" {
	S=$(store s) T=$(store t)
	vs-upsert -q --store "$S" --dim 8 <"$D/tiny/points.jsonl"
	vs-upsert -q --store "$S" --snapshot snap
	vs-upsert -q --store "$T" --dim 8 <<<'{"id":"only","vector":[1,2,3,4,5,6,7,8]}'
	run --separate-stderr vs-upsert -q --store "$T" --restore snap
	assert_equal "$status" 1
	assert_equal "${#stderr_lines[@]}" 1
	run vs-query --store "$T" --scan
	assert_output '{"id":"only","metadata":{}}'
}

# ---- compaction ----

@test "--compact after deleting half the points shrinks the store, and answers stay the same" {
	embedded_only "--compact"
	S=$(store s)
	head_points 1000 small
	vs-upsert -q --store "$S" --dim 16 <pts.jsonl
	jq -r 'select((.metadata.n % 2) == 0) | .id' pts.jsonl >gone
	vs-upsert -q --store "$S" --delete <gone
	assert_equal "$(stats_of "$S" points)" 500
	before=$(stats_of "$S" bytes)
	cores=($(blas_cores))
	OPENBLAS_CORETYPE=${cores[0]} vs-query --store "$S" --exact <"$D/small/queries.jsonl" >exact.before
	vs-query --store "$S" --scan --with-vector | sort >scan.before
	run --separate-stderr vs-upsert -q --store "$S" --compact
	assert_ok
	after=$(stats_of "$S" bytes)
	[ "$after" -lt "$before" ] || fail "bytes $before before --compact, $after after"
	[ "$after" -lt "$((before * 3 / 4))" ] || fail "bytes $before before --compact, $after after: not much less"
	assert_equal "$(stats_of "$S" points)" 500
	OPENBLAS_CORETYPE=${cores[-1]} vs-query --store "$S" --exact <"$D/small/queries.jsonl" >exact.after
	vs-query --store "$S" --scan --with-vector | sort >scan.after
	cmp exact.before exact.after
	cmp scan.before scan.after
	vs-query --store "$S" <"$D/small/queries.jsonl" >index.after
	run vsdata recall --min 0.95 --delete gone --queries "$D/small/queries.jsonl" --answer index.after pts.jsonl
	assert_ok
}

# ---- bad input ----

@test "a vector of the wrong dimension is exit 8 with one line naming file:line" {
	S=$(store s)
	printf '%s\n' '{"id":1,"vector":[1,2,3]}' '{"id":2,"vector":[1,2]}' >pts.jsonl
	run --separate-stderr vs-upsert -q --store "$S" --dim 3 pts.jsonl
	assert_error 8 "vs-upsert: pts.jsonl:2: the vector has 2 values, the store has dim 3"
}

@test "metadata holding the Qdrant driver's own key: exit 8 naming file:line there, stored as it is here" {
	S=$(store s)
	printf '%s\n' '{"id":1,"vector":[1,2,3]}' '{"id":"b","vector":[1,0,0],"metadata":{"__sluice_id__":"x"}}' >pts.jsonl
	run --separate-stderr vs-upsert -q --store "$S" --dim 3 pts.jsonl
	if qdrant; then
		assert_error 8 "vs-upsert: pts.jsonl:2: point 'b': the metadata key __sluice_id__ is the driver's own"
	else
		assert_success
		assert_equal "$(vs-query -q --store "$S" --scan | jq -c 'select(.id == "b") | .metadata')" '{"__sluice_id__":"x"}'
	fi
}

@test "a vector record holding NaN is exit 8 with one line naming file:offset" {
	S=$(store s)
	mkframes header 'vector@a:1,2,3' 'vector@b:1,nan,3' end >pts.rec
	run --separate-stderr vs-upsert -q --store "$S" --dim 3 pts.rec
	assert_error 8 "vs-upsert: pts.rec:$(frame_offset pts.rec 2): point 'b': NaN at index 1 of the vector"
}

@test "a vector record holding Inf is exit 8 with one line naming file:offset" {
	S=$(store s)
	mkframes header 'vector@a:1,2,3' 'vector@b:1,2,-inf' end >pts.rec
	run --separate-stderr vs-upsert -q --store "$S" --dim 3 pts.rec
	assert_error 8 "vs-upsert: pts.rec:$(frame_offset pts.rec 2): point 'b': Inf at index 2 of the vector"
}

@test "a JSON number too large for a float (1e999) is exit 8 with one line naming file:line" {
	S=$(store s)
	printf '%s\n' '{"id":1,"vector":[1,2,3]}' '{"id":2,"vector":[1,1e999,3]}' >pts.jsonl
	run --separate-stderr vs-upsert -q --store "$S" --dim 3 pts.jsonl
	assert_equal "$status" 8
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" '^vs-upsert: pts\.jsonl:2: '
}

@test "malformed JSON is exit 8 with one line naming file:line" {
	S=$(store s)
	printf '%s\n' '{"id":1,"vector":[1,2,3]}' '{"id":2,"vector":[1,2,3]}' '{"id":3,"vector":[1,2' >pts.jsonl
	run --separate-stderr vs-upsert -q --store "$S" --dim 3 pts.jsonl
	assert_equal "$status" 8
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" '^vs-upsert: pts\.jsonl:3: not JSON'
}

@test "metadata that is not an object is exit 8 with one line naming file:line" {
	S=$(store s)
	printf '%s\n' '{"id":1,"vector":[1,2,3],"metadata":{"a":1}}' '{"id":2,"vector":[1,2,3],"metadata":[1]}' >pts.jsonl
	run --separate-stderr vs-upsert -q --store "$S" --dim 3 pts.jsonl
	assert_error 8 'vs-upsert: pts.jsonl:2: "metadata" is not a JSON object'
}

@test "a point without an id is exit 8 with one line naming file:line" {
	S=$(store s)
	printf '%s\n' '{"id":1,"vector":[1,2,3]}' '{"vector":[1,2,3]}' >pts.jsonl
	run --separate-stderr vs-upsert -q --store "$S" --dim 3 pts.jsonl
	assert_error 8 'vs-upsert: pts.jsonl:2: no "id"'
}

@test "a point without a vector is exit 8 with one line naming file:line" {
	S=$(store s)
	printf '%s\n' '{"id":1,"vector":[1,2,3]}' '{"id":2,"metadata":{}}' >pts.jsonl
	run --separate-stderr vs-upsert -q --store "$S" --dim 3 pts.jsonl
	assert_error 8 'vs-upsert: pts.jsonl:2: no "vector"'
}

@test "nothing of a batch with a bad point is written; earlier batches are" {
	S=$(store s)
	for i in 1 2 3 4 5 6; do echo "{\"id\":$i,\"vector\":[$i,1]}"; done >pts.jsonl
	echo '{"id":7,"vector":[1,2,3]}' >>pts.jsonl
	echo '{"id":8,"vector":[1,2]}' >>pts.jsonl
	# --batch 4: points 1-4, then 5-8 whose 3rd point (7) is bad.
	run --separate-stderr vs-upsert -q --store "$S" --dim 2 --batch 4 pts.jsonl
	assert_error 8 "vs-upsert: pts.jsonl:7: the vector has 3 values, the store has dim 2"
	vs-query --store "$S" --scan >scan.jsonl
	assert_equal "$(ids_of scan.jsonl | tr '\n' ' ')" "1 2 3 4 "
	assert_equal "$(stats_of "$S" points)" 4
}

@test "a store of an unknown version is refused with one line, by readers and writers" {
	embedded_only "manifest.json"
	S=$(store s)
	vs-upsert -q --store "$S" --dim 8 <"$D/tiny/points.jsonl"
	sed -i 's/"version":1,/"version":7,/' "$S/manifest.json"
	grep -q '"version":7,' "$S/manifest.json" || fail "could not edit the version"
	run --separate-stderr vs-query --store "$S" --stats
	assert_equal "$status" 1
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" '^vs-query: .*unknown store version 7'
	run --separate-stderr vs-upsert -q --store "$S" <<<'{"id":"x","vector":[1,2,3,4,5,6,7,8]}'
	assert_equal "$status" 1
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" '^vs-upsert: .*unknown store version 7'
}

# dead_store: a store of three generations in $S: the tiny set, then a
# run that replaces p-3 and deletes 0 and p-7, then a run adding z; so the
# segments hold dead slots and the manifest names a dead-slot file.
dead_store() {
	S=$(store s)
	vs-upsert -q --store "$S" --dim 8 <"$D/tiny/points.jsonl"
	grep '"p-3"' "$D/tiny/points.jsonl" | sed 's/"metadata": *{/"metadata":{"again":1,/' >again.jsonl
	[ -s again.jsonl ] || fail "no p-3 in the tiny set"
	vs-upsert -q --store "$S" <again.jsonl
	printf '0\np-7\n' | vs-upsert -q --store "$S" --delete
	echo '{"id":"z","vector":[1,1,1,1,1,1,1,1]}' | vs-upsert -q --store "$S"
}

@test "a reader learns the dead slots from the generation's dead-slot file, and answers as a full rebuild does" {
	embedded_only "store files"
	dead_store
	dead=$(json_get "$S/manifest.json" "j['dead']")
	[ -f "$S/$dead" ] || fail "manifest.json names dead-slot file '$dead', which is not there"
	assert_equal "$(stats_of "$S" points)" 59
	vs-query --store "$S" --scan >scan-file.jsonl
	vs-query --store "$S" --id p-3 --id z >ids-file.jsonl
	vs-query --store "$S" -k 60 --exact <"$D/tiny/queries.jsonl" >exact-file.jsonl
	run --separate-stderr vs-query --store "$S" --verify
	assert_ok
	# A store from before dead-slot files (no "dead" in its manifest) is
	# read by building the id map: the same answers.
	"$PY" -c 'import json,sys; p=sys.argv[1]; j=json.load(open(p)); del j["dead"]; json.dump(j, open(p, "w"))' "$S/manifest.json"
	vs-query --store "$S" --scan >scan-map.jsonl
	vs-query --store "$S" --id p-3 --id z >ids-map.jsonl
	vs-query --store "$S" -k 60 --exact <"$D/tiny/queries.jsonl" >exact-map.jsonl
	cmp scan-file.jsonl scan-map.jsonl
	cmp ids-file.jsonl ids-map.jsonl
	cmp exact-file.jsonl exact-map.jsonl
	grep -q '"again":1' ids-file.jsonl || fail "p-3 is not its second version: $(cat ids-file.jsonl)"
	! grep -qE '"id":("0"|0|"p-7"),' scan-file.jsonl || fail "a deleted point is in the scan"
	assert_equal "$(wc -l <scan-file.jsonl)" 59
}

@test "a damaged dead-slot file is refused with one line; one that lies is caught by --verify" {
	embedded_only "store files"
	dead_store
	dead=$S/$(json_get "$S/manifest.json" "j['dead']")
	cp "$dead" dead.good
	# One flipped bit: the checksum no longer holds.
	"$PY" -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[24]^=4; open(p,"wb").write(b)' "$dead"
	run --separate-stderr vs-query --store "$S" --scan
	assert_equal "$status" 1
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" "^vs-query: .*dead-.*checksum"
	# The same flip with the checksum made again: it opens, and --verify
	# finds that the segments' ids say otherwise.
	"$PY" -c '
import struct, sys, xxhash
p = sys.argv[1]; b = bytearray(open(sys.argv[2], "rb").read())
w = struct.unpack_from("<Q", b, 24)[0]
bit = next(i for i in range(64) if not (w >> i) & 1)
struct.pack_into("<Q", b, 24, w | 1 << bit)
struct.pack_into("<Q", b, 16, struct.unpack_from("<Q", b, 16)[0] + 1)
struct.pack_into("<Q", b, len(b) - 8, xxhash.xxh3_64_intdigest(bytes(b[:-8])))
open(p, "wb").write(b)' "$dead" dead.good
	run --separate-stderr vs-query --store "$S" --stats
	assert_ok
	run --separate-stderr vs-query --store "$S" --verify
	assert_equal "$status" 1
	assert_regex "$stderr" "^vs-query: .*dead-.*not the segments"
	cp dead.good "$dead"
	run --separate-stderr vs-query --store "$S" --verify
	assert_ok
}

@test "compaction leaves no dead slots and no dead-slot file" {
	embedded_only "store files"
	dead_store
	old=$(json_get "$S/manifest.json" "j['dead']")
	run --separate-stderr vs-upsert -q --store "$S" --compact
	assert_ok
	assert_equal "$(json_get "$S/manifest.json" "j['dead']")" null
	[ ! -e "$S/$old" ] || fail "the old dead-slot file $old is still there"
	assert_equal "$(stats_of "$S" points)" 59
	assert_equal "$(stats_of "$S" dead)" 0
}

# start_writer STORE: a vs-upsert that holds the store (it has acknowledged
# one point) and waits for more on a fifo; sets WPID.  Close fd 5 to end it.
start_writer() {
	mkfifo in.fifo
	vs-upsert -q --store "$1" --dim 2 --batch 1 --ack <in.fifo >acks 2>writer.err 3>&- &
	WPID=$!
	exec 5>in.fifo
	echo '{"id":"held","vector":[1,2]}' >&5
	for _ in $(seq 200); do [ -s acks ] && break; sleep 0.05; done
	[ -s acks ] || fail "the writer did not acknowledge: $(cat writer.err)"
}

@test "a second writer while one holds the store is exit 3 with one line" {
	embedded_only "the writer lock"
	S=$(store s)
	start_writer "$S"
	run --separate-stderr vs-upsert -q --store "$S" <<<'{"id":"other","vector":[1,2]}'
	exec 5>&-
	wait "$WPID"
	assert_equal "$status" 3
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" '^vs-upsert: .*(lock|another writer)'
	run vs-query --store "$S" --id other
	assert_equal "$status" 4
	run --separate-stderr vs-upsert -q --store "$S" <<<'{"id":"other","vector":[1,2]}'
	assert_ok
}

@test "readers need no lock: vs-query answers while a writer holds the store" {
	embedded_only "the writer lock"
	S=$(store s)
	start_writer "$S"
	run --separate-stderr vs-query --store "$S" --id held
	local st=$status out=$output
	run --separate-stderr vs-query --store "$S" -k 1 <<<'{"id":"q","vector":[1,2]}'
	exec 5>&-
	wait "$WPID"
	assert_equal "$st" 0
	assert_equal "$out" '{"id":"held","metadata":{}}'
	assert_ok
	assert_output --partial '"id":"held"'
}
