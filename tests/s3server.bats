#!/usr/bin/env bats
# The loopback S3 server the s3:// suites run against (tests/helpers/s3.bash:
# s3rver behind tests/helpers/s3server.mjs) and its oracle client: that it
# stores and serves bytes exactly, pages listings, refuses bad signatures as
# AWS does, that each fault fires as its rule says, that the log records what
# the tests assert on.  Requests are made with curl's own SigV4 signer or the
# oracle client (AWS's signer), never with our C code.

load test_helper
load helpers/s3

setup() {
	command -v curl >/dev/null || skip "no curl"
	command -v jq >/dev/null || skip "no jq"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
}

teardown() {
	s3_stop
}

# header NAME FILE: the value of a response header in a curl -D dump.
header() { grep -i "^$1:" "$2" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

# serve_bucket [ARGS...]: the server (ARGS to s3server.mjs) and a bucket
# "bkt" (made with curl: a node start less in every test).
serve_bucket() {
	s3_serve "$@"
	s3_curl -f -X PUT "$S3_URL/bkt"
}

@test "put/get round trip: binary bytes come back exactly, and are what s3rver stored" {
	serve_bucket
	head -c 70000 /dev/urandom >in.bin
	s3_put bkt "dir/a b+(c)=é~.bin" in.bin
	s3_get bkt "dir/a b+(c)=é~.bin" >out.bin
	cmp in.bin out.bin
	cmp in.bin "$S3_DATA/bkt/dir/a b+(c)=é~.bin._S3rver_object"
	run -0 s3_client head bkt "dir/a b+(c)=é~.bin"
	[ "$output" = "70000 \"$(md5sum <in.bin | cut -d' ' -f1)\"" ]
	# curl signs the path its own way; the same object comes back
	s3_curl "$S3_URL/bkt/dir/a%20b%2B%28c%29%3D%C3%A9~.bin" -o curl.bin
	cmp in.bin curl.bin
}

@test "listing pages with max-keys: every key once, page 2 on asks with continuation-token" {
	serve_bucket
	local i
	for i in $(seq 1 20); do printf '%d' "$i" | s3_curl -T - "$S3_URL/bkt/k/$(printf %03d "$i")"; done
	s3_curl -T /dev/null "$S3_URL/bkt/other"
	run -0 s3_client --max-keys 3 ls bkt k/
	[ "$output" = "$(seq -f 'k/%03g' 1 20)" ]
	# 20 keys in pages of 3: 7 pages; each asks for 3; all but the first go on
	[ "$(s3_requests '.query | test("list-type=2")' | wc -l)" = 7 ]
	[ "$(s3_requests '.query | test("list-type=2")' | jq -r '.query | test("max-keys=3")' | sort -u)" = true ]
	run -0 s3_requests '.query | test("list-type=2")'
	[[ "${lines[0]}" != *continuation-token* ]]
	for i in 1 2 3 4 5 6; do [[ "${lines[$i]}" == *continuation-token=* ]]; done
	run -0 s3_ls bkt
	[ "${#lines[@]}" = 21 ]
	[ "${lines[20]}" = other ]
}

@test "a wrong secret gets 403 SignatureDoesNotMatch from the proxy (s3rver alone would take it)" {
	serve_bucket
	printf 'x' | s3_curl -T - "$S3_URL/bkt/k"
	AWS_SECRET_ACCESS_KEY=wrong run -0 s3_curl -o body.xml -w '%{http_code}' "$S3_URL/bkt/k"
	[ "$output" = 403 ]
	grep -q '<Code>SignatureDoesNotMatch</Code>' body.xml
	# the canonical request is in the answer, as AWS gives it
	grep -q '<CanonicalRequest>GET' body.xml
	AWS_SECRET_ACCESS_KEY=wrong run -1 s3_get bkt k
	[[ "$output" == *"GET /bkt/k: 403 SignatureDoesNotMatch: "* ]]
	# why the proxy checks: s3rver itself never computes a SigV4 signature
	AWS_SECRET_ACCESS_KEY=wrong run -0 s3_curl -w '%{http_code}' "$S3_DIRECT/bkt/k"
	[ "$output" = x200 ]
}

@test "an unknown key id gets 403 InvalidAccessKeyId" {
	serve_bucket
	AWS_ACCESS_KEY_ID=AKIDUNKNOWN run -1 s3_ls bkt
	[ "$output" = "s3client: GET /bkt: 403 InvalidAccessKeyId: The AWS Access Key Id you provided does not exist in our records." ]
}

@test "a credential scope in another region gets AWS's 400 AuthorizationHeaderMalformed; --region moves it" {
	serve_bucket
	AWS_REGION=eu-west-1 run -1 s3_ls bkt
	[ "$output" = "s3client: GET /bkt: 400 AuthorizationHeaderMalformed: The authorization header is malformed; the region 'eu-west-1' is wrong; expecting 'us-east-1'" ]
	AWS_REGION=eu-west-1 run -0 s3_curl -o body.xml -w '%{http_code}' "$S3_URL/bkt"
	[ "$output" = 400 ]
	grep -q '<Region>us-east-1</Region>' body.xml
	s3_requests '.credential.region == "eu-west-1" and .status == 400' | grep -q .
	s3_stop
	s3_serve --region eu-west-1
	s3_mb bk2
	AWS_REGION=us-east-1 run -1 s3_mb bk3
	[[ "$output" == *"the region 'us-east-1' is wrong; expecting 'eu-west-1'" ]]
}

@test "HEAD bucket answers x-amz-bucket-region" {
	serve_bucket --region ap-south-1
	s3_curl -I -D head.txt -o /dev/null "$S3_URL/bkt"
	[ "$(header x-amz-bucket-region head.txt)" = ap-south-1 ]
}

@test "x-amz-content-sha256 must be the payload's; UNSIGNED-PAYLOAD passes; nothing is stored on a mismatch" {
	serve_bucket
	printf 'payload' >p
	local good bad
	good=$(sha256sum <p | cut -d' ' -f1)
	bad=$(printf 'other' | sha256sum | cut -d' ' -f1)
	S3_PAYLOAD_SHA256=$bad run -0 s3_curl -o body.xml -w '%{http_code}' -T p "$S3_URL/bkt/k"
	[ "$output" = 400 ]
	grep -q '<Code>XAmzContentSHA256Mismatch</Code>' body.xml
	run -1 s3_get bkt k
	[[ "$output" == *"404 NoSuchKey"* ]]
	S3_PAYLOAD_SHA256=$good s3_curl -f -T p "$S3_URL/bkt/k"
	[ "$(s3_get bkt k)" = payload ]
	s3_requests ".content_sha256 == \"$good\" and .status == 200" | grep -q .
}

@test "a presigned GET URL works without credentials; the same URL with another signature is refused" {
	serve_bucket
	printf 'signed' | s3_curl -T - "$S3_URL/bkt/k"
	local url
	url=$(s3_client presign bkt k 60)
	run -0 curl -s "$url"
	[ "$output" = signed ]
	run -0 curl -s -o /dev/null -w '%{http_code}' "${url%X-Amz-Signature=*}X-Amz-Signature=$(printf '0%.0s' {1..64})"
	[ "$output" = 403 ]
	[ "$(s3_requests '.presigned' | jq -r '"\(.status) \(.error) \(.credential.region)"')" = \
		"$(printf '200 null us-east-1\n403 SignatureDoesNotMatch us-east-1')" ]
}

@test "unsigned requests are refused 403 AccessDenied, but may read a --public bucket" {
	serve_bucket --public pub
	s3_mb pub
	printf 'open' | s3_curl -T - "$S3_URL/pub/k"
	printf 'closed' | s3_curl -T - "$S3_URL/bkt/k"
	run -0 curl -s -w ' %{http_code}' "$S3_URL/bkt/k"
	[[ "$output" == *"<Code>AccessDenied</Code>"*" 403" ]]
	run -0 curl -s -w ' %{http_code}' "$S3_URL/pub/k"
	[ "$output" = "open 200" ]
	run -0 curl -s -o /dev/null -w '%{http_code}' -T /dev/null "$S3_URL/pub/new"
	[ "$output" = 403 ]
	# s3rver alone serves anyone
	run -0 curl -s "$S3_DIRECT/bkt/k"
	[ "$output" = closed ]
}

@test "a 503 fault fires exactly 'times' times, with SlowDown and Retry-After, then the request passes" {
	serve_bucket
	printf 'data' | s3_curl -T - "$S3_URL/bkt/k"
	s3_faults '[{"match": {"method": "GET", "path": "^/bkt/k$"}, "times": 2, "action": "503", "retry_after": 3}]'
	local codes=
	for _ in 1 2 3; do
		codes="$codes $(s3_curl -D head.txt -o body -w '%{http_code}' "$S3_URL/bkt/k")"
		[ "$(header Retry-After head.txt)" = 3 ] || [ "$(cat body)" = data ]
	done
	[ "$codes" = " 503 503 200" ]
	# a PUT to the same path matched no rule
	[ "$(s3_requests '.fault == "503"' | jq -r '"\(.method) \(.status) \(.error)"' | sort -u)" = "GET 503 SlowDown" ]
	[ "$(s3_requests '.fault == "503"' | wc -l)" = 2 ]
	# rewriting the file arms the rule again
	s3_faults '[{"match": {"path": "^/bkt/k$"}, "times": 1, "action": "503"}]'
	run -1 s3_get bkt k
	[[ "$output" == *"503 SlowDown: Please reduce your request rate." ]]
	[ "$(s3_get bkt k)" = data ]
}

@test "drop after K bytes: the real headers, K bytes of the body, then the connection closes" {
	serve_bucket
	head -c 10000 /dev/urandom >obj
	s3_put bkt obj obj
	s3_faults '[{"match": {"path": "/obj$"}, "times": 1, "action": "drop", "after_bytes": 1234}]'
	run -18 s3_curl -D head.txt -o part "$S3_URL/bkt/obj"
	[ "$(header Content-Length head.txt)" = 10000 ]
	[ "$(filesize part)" = 1234 ]
	cmp part <(head -c 1234 obj)
	# then whole again; the resume a client would make is served as a range
	s3_curl -o rest -r 1234- "$S3_URL/bkt/obj"
	cat part rest | cmp - obj
	[ "$(s3_requests '.fault == "drop"' | jq -r .error)" = dropped ]
}

@test "reset closes the connection before any answer and forwards nothing" {
	serve_bucket
	s3_faults '[{"match": {"method": "PUT"}, "action": "reset"}]'
	printf 'x' >f
	# no answer at all: curl's 52 (empty reply) or, with the body unread, 56
	run --separate-stderr s3_curl -o /dev/null -w '%{http_code}' -T f "$S3_URL/bkt/k"
	[ "$status" = 52 ] || [ "$status" = 56 ]
	[ "$output" = 000 ]
	s3_faults '[]'
	run -1 s3_get bkt k
	[[ "$output" == *"404 NoSuchKey"* ]]
	[ "$(s3_requests '.fault == "reset"' | jq -r .method)" = PUT ]
}

@test "redirect: 307 to the other port, which logs every header it gets (so a leaked Authorization shows)" {
	serve_bucket
	printf 'x' | s3_curl -T - "$S3_URL/bkt/k"
	s3_faults '[{"match": {"method": "GET", "path": "^/bkt/k$"}, "action": "redirect", "to": "other"}]'
	run -0 s3_curl -o /dev/null -D head.txt -w '%{http_code}' "$S3_URL/bkt/k?x-id=GetObject"
	[ "$output" = 307 ]
	[ "$(header Location head.txt)" = "$S3_OTHER/bkt/k?x-id=GetObject" ]
	# curl follows without the credentials...
	run -0 s3_curl -L -o /dev/null -w '%{http_code}' "$S3_URL/bkt/k"
	[ "$output" = 404 ]
	run -0 s3_requests '.port == "other"'
	[ "${#lines[@]}" = 1 ]
	[ "$(jq -r '"\(.method) \(.path) \(.authorization) \(.headers.host)"' <<<"$output")" = "GET /bkt/k false ${S3_OTHER#http://}" ]
	# ...and with them when told to trust the new host: the log catches it
	s3_curl -L --location-trusted -o /dev/null "$S3_URL/bkt/k"
	run -0 s3_requests '.port == "other" and .authorization'
	[ "${#lines[@]}" = 1 ]
	[[ "$(jq -r .headers.authorization <<<"$output")" == "AWS4-HMAC-SHA256 Credential=S3RVER/"* ]]
}

@test "ranged GET: bytes=10-19 is 206 with those ten bytes, and the log has the range" {
	serve_bucket
	head -c 100 /dev/urandom >obj
	s3_put bkt obj obj
	run -0 s3_curl -r 10-19 -D head.txt -o part -w '%{http_code}' "$S3_URL/bkt/obj"
	[ "$output" = 206 ]
	[ "$(header Content-Range head.txt)" = "bytes 10-19/100" ]
	cmp part <(tail -c +11 obj | head -c 10)
	[ "$(s3_requests '.range != null' | jq -r .range)" = bytes=10-19 ]
}

@test "virtual-hosted style: BUCKET.localhost:PORT addresses the bucket, signed for that host" {
	serve_bucket
	printf 'vhost' >f
	s3_curl -T f "http://bkt.localhost:$S3_PORT/a/k"
	[ "$(s3_get bkt a/k)" = vhost ]
	run -0 s3_curl "http://bkt.localhost:$S3_PORT/a/k"
	[ "$output" = vhost ]
	run -0 s3_curl "http://bkt.localhost:$S3_PORT/?list-type=2&prefix=a%2F"
	[[ "$output" == *"<Key>a/k</Key>"* ]]
	[ "$(s3_requests '.host | startswith("bkt.localhost:")' | jq -r '"\(.method) \(.path) \(.status)"' | sort -u)" = \
		"$(printf 'GET / 200\nGET /a/k 200\nPUT /a/k 200')" ]
}

@test "multipart: an upload in progress is listed until aborted, leaving no object; Complete checks ETags and sizes" {
	serve_bucket --min-part-size 1000
	local id e1 e2
	head -c 1500 /dev/urandom >p1
	head -c 10 /dev/urandom >p2
	id=$(s3_client mpu-start bkt big)
	e1=$(s3_client mpu-part bkt big "$id" 1 p1)
	[ "$(s3_client uploads bkt)" = "$(printf 'big\t%s' "$id")" ]
	s3_client mpu-abort bkt big "$id"
	# the checks that follow ask with curl: a node start less each
	run -0 s3_curl -f "$S3_URL/bkt?uploads="
	[[ "$output" == *"<IsTruncated>false</IsTruncated></ListMultipartUploadsResult>" ]]
	run -0 s3_curl -f "$S3_URL/bkt?list-type=2"
	[[ "$output" == *"<KeyCount>0</KeyCount>"* ]]
	run -1 s3_client mpu-part bkt big "$id" 2 p2
	[[ "$output" == *"404 NoSuchUpload"* ]]
	# Complete: a wrong ETag, a short part that is not the last, then right
	id=$(s3_client mpu-start bkt big)
	e1=$(s3_client mpu-part bkt big "$id" 1 p1)
	e2=$(s3_client mpu-part bkt big "$id" 2 p2)
	run -1 s3_client mpu-done bkt big "$id" "1:$e1" '2:"0123456789abcdef0123456789abcdef"'
	[[ "$output" == *"400 InvalidPart"* ]]
	run -1 s3_client mpu-done bkt big "$id" "2:$e2" "1:$e1"
	[[ "$output" == *"400 InvalidPartOrder"* ]]
	e3=$(s3_client mpu-part bkt big "$id" 3 p1)
	run -1 s3_client mpu-done bkt big "$id" "1:$e1" "2:$e2" "3:$e3"
	[[ "$output" == *"400 EntityTooSmall"* ]]
	s3_client mpu-done bkt big "$id" "1:$e1" "3:$e3"
	cat p1 p1 | cmp - <(s3_curl -f "$S3_URL/bkt/big")
	run -0 s3_curl -f "$S3_URL/bkt?uploads="
	[[ "$output" != *"<Upload>"* ]]
}

@test "the log names the credential scope, the payload hash and the security token of each request" {
	serve_bucket
	printf 'x' >f
	s3_put bkt k f
	AWS_SESSION_TOKEN=tok s3_client ls bkt
	run -0 s3_requests '.method == "PUT" and .path == "/bkt/k"'
	[ "$(jq -c '[.credential, (.content_sha256 | length), .security_token, .status]' <<<"$output")" = \
		"[{\"key\":\"S3RVER\",\"date\":\"$(date -u +%Y%m%d)\",\"region\":\"us-east-1\",\"service\":\"s3\"},64,false,200]" ]
	run -0 s3_requests '.security_token'
	[ "$(jq -r '"\(.method) \(.query)"' <<<"$output")" = "GET list-type=2&prefix=" ]
}

@test "SIGTERM stops the server and frees its ports" {
	serve_bucket
	s3_stop
	run -7 curl -s "$S3_URL/bkt"
	! kill -0 "$S3_PID" 2>/dev/null
}

@test "s3_missing names what is missing, and s3_need fails instead of skipping where SLUICE_TEST_REQUIRE has s3" {
	S3_NODE_MODULES=$BATS_TEST_TMPDIR/none run -0 s3_missing
	[ "$output" = "no s3rver in tests/node/node_modules (run make test-deps)" ]
	run -0 bash -c 'PATH=/nonexistent; source "$1"; S3_NODE_MODULES=x; s3_missing' _ "$HELPERS/s3.bash"
	[ "$output" = "no node on PATH (install nodejs)" ]
	S3_NODE_MODULES=$BATS_TEST_TMPDIR/none SLUICE_TEST_REQUIRE="slurm s3" run -1 s3_need
	[[ "$output" == *"no s3rver in tests/node/node_modules (run make test-deps) (SLUICE_TEST_REQUIRE names s3)"* ]]
}
