#!/usr/bin/env bats
# s3:// (and https://) as sources and sinks of the programs (issue 29),
# against a real S3-compatible server on loopback: s3rver behind the front
# of tests/helpers/s3server.mjs, which checks every request's SigV4
# signature as AWS does, injects faults and logs what arrived
# (tests/helpers/s3.bash).  Fixtures go in with curl's own signer, and
# objects come back through it or the oracle client (AWS's signer), never
# through our code; what a program reads from a bucket is compared with
# what it reads from the same files on disk.

load test_helper
load helpers/s3

# Retry-After and backoff waits a hundredth as long
export SLUICE_HTTP_BACKOFF_SCALE=0.01

teardown() {
	s3_stop
}

# serve_bucket [ARGS...]: the server (ARGS to s3server.mjs) and a bucket "bkt".
serve_bucket() {
	s3_serve "$@"
	s3_curl -f -X PUT "$S3_URL/bkt"
}

# log_reset: empties the request log.  The server writes a request's line
# once its answer is out, which may be just after the client has gone: the
# pause lets the lines of what ran before land first.
log_reset() {
	sleep 0.3
	: >"$S3_LOG"
}

# put KEY FILE: stores FILE as bkt/KEY with curl (KEY in plain characters).
put() {
	s3_curl -f -T "$2" "$S3_URL/bkt/$1"
}

# Parquet files of several row groups, written by DuckDB; a JSON Lines
# file gzipped and a CSV file.
fixtures() {
	node "$HELPERS/duck.mjs" \
		"COPY (SELECT i AS id, 'row ' || i || ' ' || repeat('é', i % 7) AS text FROM range(30000) t(i)) TO 'p0.parquet' (FORMAT parquet, ROW_GROUP_SIZE 7000)" \
		"COPY (SELECT i AS id, 'second file ' || i AS text FROM range(12000) t(i)) TO 'p1.parquet' (FORMAT parquet, ROW_GROUP_SIZE 5000)" \
		"COPY (SELECT i AS id, 'deeper ' || i AS text FROM range(10) t(i)) TO 'p2.parquet' (FORMAT parquet)" >/dev/null
	for i in $(seq 500); do printf '{"text":"line %d","n":%d}\n' "$i" "$i"; done | gzip >x.jsonl.gz
	{ echo "id,text"; for i in $(seq 300); do echo "$i,\"csv, row $i\""; done; } >y.csv
}

@test "hf-stream: parquet, gzipped JSON Lines and CSV objects read as the same files do on disk" {
	serve_bucket
	fixtures
	put data/p0.parquet p0.parquet
	put data/p1.parquet p1.parquet
	put data/sub/p2.parquet p2.parquet
	put data/x.jsonl.gz x.jsonl.gz
	put data/y.csv y.csv
	# a glob's * stays within one part of the key; ** crosses parts
	cmp <(hf-stream -q 's3://bkt/data/*.parquet' | rec-cat --text) <(hf-stream -q p0.parquet p1.parquet | rec-cat --text)
	cmp <(hf-stream -q 's3://bkt/data/**.parquet' | rec-cat --text) \
		<(hf-stream -q p0.parquet p1.parquet p2.parquet | rec-cat --text)
	cmp <(hf-stream -q --format json 's3://bkt/data/p{1,0}.parquet' | rec-cat --text) \
		<(hf-stream -q --format json p1.parquet p0.parquet | rec-cat --text)
	cmp <(hf-stream -q s3://bkt/data/x.jsonl.gz s3://bkt/data/y.csv | rec-cat --text) \
		<(hf-stream -q x.jsonl.gz y.csv | rec-cat --text)
	# the parts of --shard over the objects are those of the files
	for i in 0 1 2; do
		cmp <(hf-stream -q --shard $i/3 's3://bkt/data/*.parquet' | rec-cat --text) \
			<(hf-stream -q --shard $i/3 p0.parquet p1.parquet | rec-cat --text)
	done
	# parquet by ranges: the text column only, never a whole object
	log_reset
	hf-stream -q --format json -f id 's3://bkt/data/p0.parquet' >/dev/null
	size=$(stat -c %s p0.parquet)
	run -0 s3_requests '.method == "GET" and .range == null and (.query | test("list-type") | not)'
	assert_output ''
	[ "$(jq -s 'map(.body_bytes) | add' <(s3_requests '.method == "GET"'))" -lt "$size" ]
	# opening an object asks nothing its expansion learnt: one HEAD for a
	# key named whole, none after a listing
	assert_equal "$(s3_requests '.method == "HEAD"' | wc -l)" 1
	log_reset
	hf-stream -q --format json -f id 's3://bkt/data/*.parquet' >/dev/null
	assert_equal "$(s3_requests '.method == "HEAD"' | wc -l)" 0
	assert_equal "$(s3_requests '.query | test("list-type")' | wc -l)" 1
	# a key that needs encoding, signed as AWS canonicalises it
	zcat x.jsonl.gz >odd.jsonl
	s3_put bkt "data/odd key+(1)=é~.jsonl" odd.jsonl
	cmp <(hf-stream -q "s3://bkt/data/odd key+(1)=é~.jsonl" | rec-cat --text) <(hf-stream -q x.jsonl.gz | rec-cat --text)
	cmp <(hf-stream -q "s3://bkt/data/odd*.jsonl" | rec-cat --text) <(hf-stream -q x.jsonl.gz | rec-cat --text)
	# every request was signed with our key and the server's region, and passed the check
	run -0 s3_requests '.credential.key != "S3RVER" or .credential.region != "us-east-1" or .status >= 400'
	assert_output ''
	# the header names each object with its size and ETag
	hf-stream -q s3://bkt/data/p1.parquet | rec-cat --header >h.json
	assert_equal "$(json_get h.json 'j["files"][0]["path"]')" s3://bkt/data/p1.parquet
	assert_equal "$(json_get h.json 'j["files"][0]["size"]')" "$(stat -c %s p1.parquet)"
	assert_equal "$(json_get h.json 'len(j["files"][0]["etag"]) > 0')" true
}

@test "listing: a glob over more keys than a page holds reads every object, in key order" {
	serve_bucket
	mkdir many
	for i in $(seq -w 1 1030); do printf '{"text":"doc %s"}\n' "$i" >many/d$i.jsonl; done
	# one curl uploads them all: -T with a glob puts each file under the URL
	s3_curl -f -T "many/d{$(cd many && ls | sed 's/^d//; s/\.jsonl$//' | paste -sd,)}.jsonl" "$S3_URL/bkt/many/" -o /dev/null
	log_reset
	cmp <(hf-stream -q 's3://bkt/many/d*.jsonl' | rec-cat --text) <(cat many/*.jsonl | sed 's/.*"doc \(.*\)".*/doc \1/')
	# two pages: the second asked with the first's continuation token
	run -0 s3_requests '.query | test("list-type=2")'
	assert_equal "$(echo "$output" | wc -l)" 2
	echo "$output" | tail -1 | jq -e '.query | test("continuation-token=")'
}

@test "wds-cat: shards from a glob and from braces, streamed, equal the local shards" {
	serve_bucket
	mkdir shards
	for s in 0 1 2; do
		mkdir -p "m$s"
		for k in 0 1 2 3; do
			printf 'text %s-%s\n' "$s" "$k" >"m$s/s$s$k.txt"
			printf '{"k":%s}' "$k" >"m$s/s$s$k.json"
		done
		tar -C "m$s" -cf "shards/shard-$s.tar" .
		put "shards/shard-$s.tar" "shards/shard-$s.tar"
	done
	cmp <(wds-cat -q -k txt 's3://bkt/shards/*.tar' | rec-cat --text) <(wds-cat -q -k txt shards/shard-{0,1,2}.tar | rec-cat --text)
	cmp <(wds-cat -q -f json 's3://bkt/shards/shard-{0..2}.tar' | rec-cat --text | sed 's|"__url__":"[^"]*"||') \
		<(wds-cat -q -f json shards/shard-{0,1,2}.tar | rec-cat --text | sed 's|"__url__":"[^"]*"||')
	run -0 wds-cat --list 's3://bkt/shards/*.tar'
	assert_output "$(printf 's3://bkt/shards/shard-%s.tar\n' 0 1 2)"
}

@test "faults: 503 SlowDown, dropped bodies and reset connections give byte-identical output" {
	serve_bucket
	fixtures
	put data/p0.parquet p0.parquet
	put data/x.jsonl.gz x.jsonl.gz
	want_pq=$(hf-stream -q 's3://bkt/data/*.parquet' | rec-cat --text | md5sum)
	want_js=$(hf-stream -q 's3://bkt/data/x.jsonl.gz' | rec-cat --text | md5sum)
	s3_faults '[{"match":{"method":"GET","query":"list-type"},"times":2,"action":"503","retry_after":1},
		{"match":{"method":"HEAD"},"times":1,"action":"reset"},
		{"match":{"method":"GET","path":"p0"},"times":3,"action":"drop","after_bytes":1000},
		{"match":{"method":"GET","path":"jsonl"},"times":2,"action":"drop","after_bytes":700}]'
	assert_equal "$(hf-stream -q 's3://bkt/data/*.parquet' | rec-cat --text | md5sum)" "$want_pq"
	assert_equal "$(hf-stream -q 's3://bkt/data/x.jsonl.gz' | rec-cat --text | md5sum)" "$want_js"
	# each fault fired as many times as its rule says
	assert_equal "$(s3_requests '.fault == "503"' | wc -l)" 2
	assert_equal "$(s3_requests '.fault == "drop"' | wc -l)" 5
	# past the retries, the failure is one line naming the object
	s3_faults '[{"match":{"method":"GET","path":"jsonl"},"action":"503"}]'
	run -1 hf-stream -q --retries 2 's3://bkt/data/x.jsonl.gz'
	assert_equal "${#lines[@]}" 1
	assert_output --partial '503'
}

@test "errors: a missing key or bucket, a wrong secret, an unknown key id and a wrong region each get their own line" {
	serve_bucket --region eu-west-1
	printf '{"text":"a"}\n' >a.jsonl
	put a.jsonl a.jsonl
	run -0 hf-stream -q s3://bkt/a.jsonl
	run -1 hf-stream -q s3://bkt/nope.jsonl
	assert_output 'hf-stream: s3://bkt/nope.jsonl: no such key (404 NoSuchKey)'
	run -1 hf-stream -q s3://nobucket/a.jsonl
	assert_output 'hf-stream: s3://nobucket: no such bucket (404 NoSuchBucket)'
	run -1 hf-stream -q 's3://bkt/nothing/*.jsonl'
	assert_output "hf-stream: s3://bkt/nothing/*.jsonl: no object matches"
	AWS_SECRET_ACCESS_KEY=wrong run -1 hf-stream -q s3://bkt/a.jsonl
	assert_output --partial 'SignatureDoesNotMatch'
	assert_output --partial 'AWS_SECRET_ACCESS_KEY'
	assert_equal "${#lines[@]}" 1
	AWS_ACCESS_KEY_ID=NOBODY run -1 wds-cat -q s3://bkt/a.tar
	assert_output --partial 'InvalidAccessKeyId'
	AWS_REGION=us-east-1 run -1 hf-stream -q s3://bkt/a.jsonl
	assert_output 'hf-stream: s3://bkt/a.jsonl: the bucket is in eu-west-1, not us-east-1: set AWS_REGION=eu-west-1 (400 AuthorizationHeaderMalformed)'
	# a secret never appears in what a program says
	AWS_SECRET_ACCESS_KEY=s3cr3t-value run -1 hf-stream -v -q s3://bkt/a.jsonl
	refute_output --partial 's3cr3t-value'
	# an output is checked before the work: no such bucket, at once
	run -1 rec-pack -q -o s3://nobucket/x.rec a.jsonl
	assert_output 'rec-pack: s3://nobucket: no such bucket (404 NoSuchBucket)'
	run -2 rec-pack -q -o s3://bkt/ a.jsonl
	assert_output --partial 'names no object'
}

@test "credentials: a profile from the credentials file, anonymous reads of a public bucket, --no-sign" {
	# a region other than the default, so that the profile's must be read
	serve_bucket --public pub --region eu-west-1
	s3_curl -f -X PUT "$S3_URL/pub"
	printf '{"text":"open"}\n' >o.jsonl
	s3_curl -f -T o.jsonl "$S3_URL/pub/o.jsonl"
	s3_curl -f -T o.jsonl "$S3_URL/bkt/o.jsonl"
	printf '[reader]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n' >"$AWS_SHARED_CREDENTIALS_FILE"
	printf '[profile reader]\nregion = eu-west-1\n' >"$AWS_CONFIG_FILE"
	# the profile alone signs
	run -0 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_REGION AWS_PROFILE=reader hf-stream -q s3://bkt/o.jsonl
	run -1 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_PROFILE=nobody hf-stream -q s3://bkt/o.jsonl
	assert_output --partial 'AWS_PROFILE=nobody: no such profile'
	# no credentials at all: a public bucket reads, a private one says what to set
	log_reset
	run -0 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY hf-stream -q s3://pub/o.jsonl
	run -1 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY hf-stream -q s3://bkt/o.jsonl
	assert_output --partial 'access denied (403 AccessDenied) to a request without credentials'
	run -0 s3_requests '.authorization and .method != "PUT"'
	assert_output ''
	# the S3-specific endpoint wins over the general one; a session token goes along, signed
	log_reset
	run -0 env AWS_ENDPOINT_URL=http://127.0.0.1:9 AWS_ENDPOINT_URL_S3="$S3_URL" AWS_SESSION_TOKEN=tok-1 \
		hf-stream -q s3://bkt/o.jsonl
	run -0 s3_requests '.method != "PUT" and (.security_token | not)'
	assert_output ''
	# --no-sign sends none even with credentials set
	log_reset
	mkdir m && printf 'x' >m/a.txt && tar -C m -cf o.tar a.txt
	s3_curl -f -T o.tar "$S3_URL/pub/o.tar"
	run -0 hf-stream -q --no-sign s3://pub/o.jsonl
	run -0 wds-cat -q --no-sign s3://pub/o.tar
	run -0 s3_requests '.authorization and .method != "PUT"'
	assert_output ''
}

@test "addressing: virtual-hosted requests go to BUCKET.localhost and read the same" {
	serve_bucket
	printf '{"text":"vhost"}\n' >v.jsonl
	put v.jsonl v.jsonl
	log_reset
	run -0 env AWS_ENDPOINT_URL="http://localhost:$S3_PORT" SLUICE_S3_ADDRESSING_STYLE=virtual hf-stream -q s3://bkt/v.jsonl
	# (the log's lines of the fixture's PUT may land after the truncation)
	run -0 s3_requests '.method != "PUT" and .host != "bkt.localhost:'"$S3_PORT"'"'
	assert_output ''
	assert_equal "$(s3_requests '.method != "PUT"' | wc -l)" 2
}

@test "redirects: no signature, key id or session token goes to another host" {
	serve_bucket
	printf '{"text":"r"}\n' >r.jsonl
	put r.jsonl r.jsonl
	s3_faults '[{"match":{"method":"GET","path":"r.jsonl"},"action":"redirect","to":"other"}]'
	AWS_SESSION_TOKEN=tok-123 run -1 hf-stream -q --retries 0 s3://bkt/r.jsonl
	# it went there, and arrived bare
	run -0 jq -c 'select(.port == "other")' "$S3_LOG"
	[ -n "$output" ]
	run -0 jq -c 'select(.port == "other") | .headers | keys[] | select(test("authorization|x-amz"; "i"))' "$S3_LOG"
	assert_output ''
}

@test "writes: -o objects, wds-write and batchify shards read back byte for byte; a multipart object too" {
	serve_bucket
	fixtures
	# llm.c shards carry no command line: the same bytes whatever the output
	"$PY" -c '
import numpy as np
ids = np.random.default_rng(7).integers(0, 1000, size=600000).astype("<u2")
open("ids.bin", "wb").write(ids.tobytes())'
	batchify -q --eot 999 --from-bin ids.bin --to-bin local --shard-tokens 200000
	batchify -q --eot 999 --from-bin ids.bin --to-bin s3://bkt/bins/ --shard-tokens 200000
	n=0
	for f in local/*.bin; do
		s3_curl -f "$S3_URL/bkt/bins/$(basename "$f")" -o got.bin
		cmp "$f" got.bin
		n=$((n + 1))
	done
	[ "$n" -gt 2 ]
	run -0 s3_ls bkt bins/
	assert_equal "$(echo "$output" | wc -l)" "$n"
	# and read back from the bucket, the batches are those of the files
	cmp <(batchify -q -B 4 -T 32 --eot 999 --from-bin 's3://bkt/bins/train_*.bin' | rec-cat) \
		<(batchify -q -B 4 -T 32 --eot 999 --from-bin 'local/train_*.bin' | rec-cat)
	# a 40 MB output goes up in parts, and comes back whole
	head -c 40000000 /dev/urandom | base64 -w 100 >big.txt
	log_reset
	rec-pack -q -o s3://bkt/big.rec big.txt
	s3_curl -f "$S3_URL/bkt/big.rec" -o big.rec
	cmp <(rec-cat --text big.rec) big.txt
	parts=$(( ($(stat -c %s big.rec) + 16777215) / 16777216 ))
	[ "$parts" -gt 2 ]
	assert_equal "$(s3_requests '.method == "PUT" and (.query | test("partNumber="))' | wc -l)" "$parts"
	assert_equal "$(s3_requests '.method == "POST" and (.query | test("uploadId="))' | wc -l)" 1
	run -0 s3_client uploads bkt
	assert_output ''
}

@test "wds-write shards and index to s3:// are the local bytes; train-step trains from s3:// as from disk" {
	serve_bucket
	fixtures
	hf-stream -q p1.parquet >t.rec
	mkdir out
	wds-write -q -c 3000 out/tr t.rec
	wds-write -q -c 3000 s3://bkt/wds/tr t.rec
	n=0
	for f in out/*; do
		s3_curl -f "$S3_URL/bkt/wds/$(basename "$f")" -o got
		cmp "$f" got
		n=$((n + 1))
	done
	assert_equal "$n" 5 # four shards and the index
	run -2 wds-write -q --index elsewhere.json s3://bkt/wds/tr t.rec
	assert_output --partial 'the index goes beside the shards'
	# batches and a shard in the bucket: the same model as from the files
	"$PY" -c '
import numpy as np
ids = np.random.default_rng(3).integers(0, 200, size=20000).astype("<u2")
hdr = np.zeros(256, dtype="<i4"); hdr[:3] = (20240520, 1, len(ids))
open("train_000000.bin", "wb").write(hdr.tobytes() + ids.tobytes())'
	batchify -q -B 2 -T 16 --eot 199 --from-bin train_000000.bin -o b.rec
	put b.rec b.rec
	put train_000000.bin train_000000.bin
	tiny=(--layers 1 --heads 2 --dim 16 --seed 4 --steps 3 --lr 1e-2 --vocab 200)
	train-step -q "${tiny[@]}" --data b.rec --export local.bin
	train-step -q "${tiny[@]}" --data s3://bkt/b.rec --export remote.bin
	cmp local.bin remote.bin
	train-step -q "${tiny[@]}" -B 2 -T 16 --data train_000000.bin --export local-shard.bin
	train-step -q "${tiny[@]}" -B 2 -T 16 --data s3://bkt/train_000000.bin --export remote-shard.bin
	cmp local-shard.bin remote-shard.bin
	run -1 train-step -q "${tiny[@]}" --data s3://bkt/missing.rec --export x.bin
	assert_output --partial 'no such key (404 NoSuchKey)'
}

@test "writes: a writer killed during its upload, or failing, leaves no object and no upload" {
	serve_bucket
	head -c 40000000 /dev/urandom | base64 -w 100 >big.txt
	# the parts are slow to go: kill the writer while they are on their way
	s3_faults '[{"match":{"method":"PUT","query":"partNumber"},"action":"delay","ms":4000}]'
	rec-pack -q -o s3://bkt/killed.rec big.txt &
	pid=$!
	for _ in $(seq 100); do [ -n "$(s3_requests '.query | test("uploads=")')" ] && break; sleep 0.1; done
	sleep 0.5
	kill -KILL "$pid"
	wait "$pid" || true
	run -1 s3_client head bkt killed.rec
	run -0 s3_ls bkt
	refute_output --partial killed.rec
	# its parts stay until aborted, as on S3 (a lifecycle rule removes them)
	run -0 s3_client uploads bkt
	assert_output --partial killed.rec
	# a part that keeps failing: the upload is abandoned, nothing is stored
	s3_faults '[{"match":{"method":"PUT","query":"partNumber=2"},"action":"500"}]'
	run -1 rec-pack -q --progress -o s3://bkt/failed.rec big.txt
	assert_output --partial 's3://bkt/failed.rec'
	run -1 s3_client head bkt failed.rec
	run -0 s3_client uploads bkt
	refute_output --partial failed.rec
	[ -n "$(s3_requests '.method == "DELETE" and (.query | test("uploadId="))')" ]
	# and a temporary copy is never left in TMPDIR
	run -0 find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'sluice-*' -newer big.txt -user "$(id -u)"
	assert_output ''
}

@test "https://: parquet by ranges, and fetched whole from a server that serves no ranges" {
	fixtures
	mkdir www
	cp p0.parquet x.jsonl.gz www/
	"$PY" "$HELPERS/fileserver.py" --root www --port-file fs.json --log fs.jsonl 3>&- &
	for _ in $(seq 50); do [ -s fs.json ] && break; sleep 0.1; done
	url=$(json_get fs.json 'j["url"]')
	cmp <(hf-stream -q "$url/p0.parquet" | rec-cat --text) <(hf-stream -q p0.parquet | rec-cat --text)
	cmp <(hf-stream -q -f id "$url/p0.parquet" | rec-cat --text) <(hf-stream -q -f id p0.parquet | rec-cat --text)
	cmp <(hf-stream -q "$url/x.jsonl.gz" | rec-cat --text) <(hf-stream -q x.jsonl.gz | rec-cat --text)
	[ -n "$(jq -c 'select(.path == "/p0.parquet" and .range != null)' fs.jsonl)" ]
	# one HEAD a run of a named file: the open uses the expansion's
	assert_equal "$(jq -c 'select(.method == "HEAD")' fs.jsonl | wc -l)" 3
	kill "$(json_get fs.json 'j["pid"]')"
	# Python's http.server answers every GET whole, without Accept-Ranges
	port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"$PY" -m http.server --bind 127.0.0.1 --directory www "$port" >/dev/null 2>&1 3>&- &
	plain=$!
	for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
	cmp <(hf-stream -q "http://127.0.0.1:$port/p0.parquet" | rec-cat --text) <(hf-stream -q p0.parquet | rec-cat --text)
	kill "$plain"
}
