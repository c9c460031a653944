#!/usr/bin/env bats
# libcommon/net/http.c through its driver (tests/helpers/http-get.c) against the
# fake Hub (tests/helpers/hubserver.py): whole files, HEAD, byte ranges
# (one, and many in parallel), streamed bodies, and every kind of fault the
# server injects.  Under each fault the bytes must be those of the file; the
# server's request log says what was asked, with which headers.

load test_helper

HUBSERVER=$TOP/tests/helpers/hubserver.py
SLUICE_TEST_BIN=${SLUICE_TEST_BIN:-$TOP/build/tests}
HG=$SLUICE_TEST_BIN/http-get

setup() {
	[ -x "$HG" ] || fail "no http-get in SLUICE_TEST_BIN=$SLUICE_TEST_BIN (run make test-helpers)"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
	ROOT=$BATS_TEST_TMPDIR/root
	REPO=$ROOT/datasets/org/ds
	mkdir -p "$REPO"
	LOG=$BATS_TEST_TMPDIR/hub.log
	# Waits are real but short: a Retry-After of 100 s is 1 s here.
	export SLUICE_HTTP_BACKOFF_SCALE=0.01
	head -c 500 /dev/urandom >"$REPO/small.txt"
	head -c 5000000 /dev/urandom >"$REPO/big.bin"
}

teardown() {
	[ -z "${HUBPID:-}" ] || kill "$HUBPID" 2>/dev/null || true
}

# start_hub [ARGS...]: the server on $ROOT; sets HUB, CDN, HUBPID, and
# SMALL and BIG, the resolve URLs of the two files.
start_hub() {
	local pf=$BATS_TEST_TMPDIR/ports.json i
	rm -f "$pf"
	"$PY" "$HUBSERVER" --root "$ROOT" --port-file "$pf" --log "$LOG" \
		--faults "$BATS_TEST_TMPDIR/faults.json" "$@" 3>&- &
	HUBPID=$!
	for i in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
	[ -s "$pf" ] || fail "hubserver did not start"
	HUB=$(jq -r .hub "$pf")
	CDN=$(jq -r .cdn "$pf")
	SMALL=$HUB/datasets/org/ds/resolve/main/small.txt
	BIG=$HUB/datasets/org/ds/resolve/main/big.bin
}

faults() { printf '%s\n' "$1" >"$BATS_TEST_TMPDIR/faults.json"; }

# logq JQ: the request log as one JSON array, through jq.
logq() { jq -s -r "$1" "$LOG"; }

# The log is written as requests finish: wait until it has N lines.
log_lines() {
	local i
	for i in $(seq 100); do [ "$(wc -l <"$LOG")" -ge "$1" ] && break; sleep 0.05; done
	wc -l <"$LOG"
}

# requests FILE: the request count of a --stats line in FILE.
requests() { grep -o 'requests [0-9]*' "$1" | cut -d' ' -f2; }

@test "get: a small file from the hub and a redirected large one from the CDN" {
	start_hub
	run -0 "$HG" get "$SMALL"
	"$HG" get "$SMALL" >small.out
	cmp small.out "$REPO/small.txt"
	"$HG" get "$BIG" >big.out
	cmp big.out "$REPO/big.bin"
	[ "$(logq '[.[] | select(.port == "cdn")] | length')" = 1 ]
}

@test "get: the token goes to the auth host, never to the CDN a redirect leads to" {
	start_hub --token sekrit
	"$HG" --token sekrit --auth-host "${HUB#http://}" get "$BIG" >big.out
	cmp big.out "$REPO/big.bin"
	"$HG" --token sekrit --auth-host "${HUB#http://}" get "$SMALL" >small.out
	cmp small.out "$REPO/small.txt"
	[ "$(logq '[.[] | select(.port == "hub" and .auth)] | length')" = 2 ]
	[ "$(logq '[.[] | select(.port == "cdn")] | length')" = 1 ]
	[ "$(logq '[.[] | select(.port == "cdn" and .auth)] | length')" = 0 ]
}

@test "get: no token for a host that is not the auth host" {
	start_hub
	"$HG" --token sekrit --auth-host example.org get "$SMALL" >small.out
	cmp small.out "$REPO/small.txt"
	[ "$(logq '[.[] | select(.auth)] | length')" = 0 ]
}

@test "get: the token is never in a message" {
	start_hub
	run --separate-stderr -1 "$HG" --token sekrit --auth-host "${HUB#http://}" \
		get "$HUB/datasets/org/ds/resolve/main/nothing.txt"
	refute_output --partial sekrit
	[[ $stderr != *sekrit* ]]
}

@test "get: 404 is http_get's 1 with the status" {
	start_hub
	run --separate-stderr -1 "$HG" get "$HUB/datasets/org/ds/resolve/main/nothing.txt"
	assert_equal "${#stderr_lines[@]}" 1
	[[ $stderr == "http_get: 1 status 404: GET $HUB/datasets/org/ds/resolve/main/nothing.txt: 404 "* ]]
}

@test "get: a gated repository without the token is a 401" {
	echo '{"gated": "auto"}' >"$ROOT/datasets/org/ds.json"
	start_hub --token sekrit
	run --separate-stderr -1 "$HG" get "$SMALL"
	[[ $stderr == "http_get: 1 status 401: "* ]]
	"$HG" --token sekrit --auth-host "${HUB#http://}" get "$SMALL" >small.out
	cmp small.out "$REPO/small.txt"
}

@test "head: the ETag, commit and size of a small file and of an LFS one" {
	start_hub
	"$HG" head "$BIG" >big.head
	commit=$(jq -r .sha <(curl -sf "$HUB/api/datasets/org/ds"))
	grep -qx "status 200" big.head
	grep -qx "etag $(sha256sum <"$REPO/big.bin" | cut -d' ' -f1)" big.head
	grep -qx "commit $commit" big.head
	grep -qx "size 5000000" big.head
	grep -q "^final $CDN/" big.head
	"$HG" head "$SMALL" >small.head
	grep -qx "etag $(git hash-object "$REPO/small.txt")" small.head
	grep -qx "commit $commit" small.head
	grep -qx "size 500" small.head
	# HEAD asks no bytes
	[ "$(logq '[.[] | select(.method != "HEAD" and (.path | test("/resolve/|/repos/")))] | length')" = 0 ]
}

@test "head: the next page of a paginated listing" {
	mkdir -p "$REPO/data"
	for i in 1 2 3 4 5; do echo "$i" >"$REPO/data/f$i.txt"; done
	start_hub --page-size 2
	"$HG" get "$HUB/api/datasets/org/ds/tree/main?recursive=true" >page1.json
	[ "$(jq length page1.json)" = 2 ]
	"$HG" head "$HUB/api/datasets/org/ds/tree/main?recursive=true" >h
	next=$(sed -n 's/^next //p' h)
	[[ $next == "$HUB/api/datasets/org/ds/tree/main?"*cursor=* ]]
	"$HG" get "$next" >page2.json
	[ "$(jq length page2.json)" = 2 ]
	[ "$(jq -r '.[0].path' page2.json)" != "$(jq -r '.[0].path' page1.json)" ]
}

@test "range: exact bytes at the start, the middle and the end, of both files" {
	start_hub
	for spec in 0:1 0:100 4999000:1000 4999999:1 123457:65536 2500000:1048576; do
		off=${spec%:*} len=${spec#*:}
		"$HG" range "$BIG" "$off" "$len" >r.out
		tail -c +$((off + 1)) "$REPO/big.bin" | head -c "$len" >r.want
		cmp r.out r.want
	done
	"$HG" range "$SMALL" 17 100 >r.out
	tail -c +18 "$REPO/small.txt" | head -c 100 | cmp - r.out
	# every byte-range request asked for exactly those bytes
	[ "$(logq '[.[] | select(.port == "cdn" and .range == "bytes=4999000-4999999")] | length')" = 1 ]
}

@test "range: past the end is an error" {
	start_hub
	run --separate-stderr -1 "$HG" range "$BIG" 4999990 100
	assert_equal "${#stderr_lines[@]}" 1
}

@test "ranges: 40 ranges, 4 in flight, all exact" {
	start_hub
	args=() want=
	: >want.bin
	for i in $(seq 40); do
		off=$(((i * 7919 * 13) % 4900000)) len=$((i * 1000 + 1))
		args+=("$off:$len")
		tail -c +$((off + 1)) "$REPO/big.bin" | head -c "$len" >>want.bin
	done
	"$HG" --stats ranges "$BIG" 4 "${args[@]}" >got.bin 2>stats
	cmp got.bin want.bin
	[ "$(logq '[.[] | select(.port == "cdn" and .status == 206)] | length')" = 40 ]
	# the redirect is remembered: not one hub request per range
	[ "$(logq '[.[] | select(.port == "hub")] | length')" -le 4 ]
	[ "$(requests stats)" = "$(log_lines 0)" ]
}

@test "ranges: run concurrently (8 slow answers, 4 at a time, take 2 delays, not 8)" {
	start_hub
	faults '[{"port": "cdn", "kind": "slow", "delay": 0.6, "times": -1}]'
	start=$(date +%s.%N)
	"$HG" ranges "$BIG" 4 0:10 10:10 20:10 30:10 40:10 50:10 60:10 70:10 >got.bin
	end=$(date +%s.%N)
	head -c 80 "$REPO/big.bin" | cmp - got.bin
	# serially it would be 8 x 0.6 = 4.8 s; 4 in flight: about 1.2 s (+ a redirect)
	"$PY" -c "import sys; t = $end - $start; print(t); sys.exit(0 if t < 3.0 else 1)"
}

@test "stream: a clean stream, and its size" {
	start_hub
	"$HG" --stats stream "$BIG" >s.out 2>stats
	cmp s.out "$REPO/big.bin"
	[ "$(requests stats)" = 2 ]
	"$HG" stream "$SMALL" | cmp - "$REPO/small.txt"
}

@test "stream: an expected ETag that differs fails, one that matches passes" {
	start_hub
	sha=$(sha256sum <"$REPO/big.bin" | cut -d' ' -f1)
	"$HG" stream "$BIG" "$sha" | cmp - "$REPO/big.bin"
	run --separate-stderr -1 "$HG" stream "$BIG" 0123abcd
	assert_equal "${#stderr_lines[@]}" 1
	[[ $stderr == *"the file changed on the server"* ]]
}

@test "stream: a drop mid-body resumes with Range" {
	start_hub
	faults '[{"port": "cdn", "kind": "drop", "after": 1234567}]'
	"$HG" --stats stream "$BIG" >s.out 2>stats
	cmp s.out "$REPO/big.bin"
	[ "$(logq '[.[] | select(.port == "cdn" and .range == "bytes=1234567-" and .status == 206)] | length')" = 1 ]
	grep -q 'retries 1 resumes 1' stats
	[ "$(requests stats)" = "$(log_lines 3)" ]
}

@test "stream: a drop on the hub's own file resumes too" {
	head -c 900 /dev/urandom >"$REPO/mid.txt"
	start_hub
	faults '[{"port": "hub", "kind": "drop", "after": 300}]'
	"$HG" stream "$HUB/datasets/org/ds/resolve/main/mid.txt" | cmp - "$REPO/mid.txt"
	[ "$(logq '[.[] | select(.range == "bytes=300-")] | length')" = 1 ]
}

@test "stream: a drop, then a server that ignores Range: starts over, same bytes" {
	start_hub
	faults '[{"port": "cdn", "kind": "drop", "after": 2000000},
	         {"port": "cdn", "kind": "no_range", "times": 5}]'
	"$HG" stream "$BIG" >s.out
	cmp s.out "$REPO/big.bin"
	[ "$(logq '[.[] | select(.port == "cdn" and .range == "bytes=2000000-" and .status == 200)] | length')" = 1 ]
}

@test "stream: a burst of 503 is retried" {
	start_hub
	faults '[{"port": "cdn", "kind": "status", "code": 503, "times": 3}]'
	"$HG" --stats stream "$BIG" >s.out 2>stats
	cmp s.out "$REPO/big.bin"
	[ "$(logq '[.[] | select(.status == 503)] | length')" = 3 ]
	grep -q 'retries 3 resumes 0' stats
	[ "$(requests stats)" = "$(log_lines 5)" ]
}

@test "stream: 429 with Retry-After waits as asked (scaled)" {
	start_hub
	faults '[{"port": "cdn", "kind": "status", "code": 429, "retry_after": 100}]'
	start=$(date +%s.%N)
	"$HG" stream "$BIG" >s.out
	end=$(date +%s.%N)
	cmp s.out "$REPO/big.bin"
	# 100 s x 0.01 = 1 s, where the backoff alone would wait at most 5 ms
	"$PY" -c "import sys; t = $end - $start; print(t); sys.exit(0 if 0.95 <= t < 5 else 1)"
	[ "$(logq '[.[] | .status] | join(" ")')" = "302 429 200" ]
}

@test "stream: a 429 with a RateLimit reset waits for the reset" {
	start_hub
	faults '[{"port": "hub", "kind": "status", "code": 429, "ratelimit": "limit=10, remaining=0, reset=100"}]'
	start=$(date +%s.%N)
	"$HG" stream "$BIG" >s.out
	end=$(date +%s.%N)
	cmp s.out "$REPO/big.bin"
	"$PY" -c "import sys; t = $end - $start; print(t); sys.exit(0 if 0.95 <= t < 5 else 1)"
}

@test "stream: a stall longer than --timeout is a timeout, then a resume" {
	start_hub
	faults '[{"port": "cdn", "kind": "stall", "after": 2000000, "delay": 6}]'
	start=$(date +%s.%N)
	"$HG" --timeout 1 --stats stream "$BIG" >s.out 2>stats
	end=$(date +%s.%N)
	cmp s.out "$REPO/big.bin"
	grep -q 'retries 1 resumes 1' stats
	"$PY" -c "import sys; t = $end - $start; print(t); sys.exit(0 if t < 5 else 1)"
	[ "$(logq '[.[] | select(.range == "bytes=2000000-")] | length')" = 1 ]
}

@test "stream: a slow answer within --timeout is waited for" {
	start_hub
	faults '[{"port": "cdn", "kind": "slow", "delay": 1}]'
	"$HG" --timeout 3 --stats stream "$BIG" >s.out 2>stats
	cmp s.out "$REPO/big.bin"
	grep -q 'retries 0' stats
}

@test "stream: a Content-Length longer than the body is retried" {
	start_hub
	faults '[{"port": "cdn", "kind": "bad_length", "extra": 100}]'
	"$HG" --stats stream "$BIG" >s.out 2>stats
	cmp s.out "$REPO/big.bin"
	grep -q 'retries 1' stats
	[ "$(requests stats)" = "$(log_lines 3)" ]
}

@test "get: a drop and a bad length on get are retried, the body whole" {
	start_hub
	faults '[{"port": "cdn", "kind": "drop", "after": 100000}, {"port": "cdn", "kind": "bad_length"}]'
	"$HG" get "$BIG" >g.out
	cmp g.out "$REPO/big.bin"
}

@test "ranges: each range is retried on its own under drops and 503s" {
	start_hub
	faults '[{"port": "cdn", "kind": "drop", "after": 500, "times": 3},
	         {"port": "cdn", "kind": "status", "code": 503, "times": 3}]'
	"$HG" ranges "$BIG" 4 0:10000 100000:10000 200000:10000 300000:10000 400000:10000 >got.bin
	for off in 0 100000 200000 300000 400000; do
		tail -c +$((off + 1)) "$REPO/big.bin" | head -c 10000
	done | cmp - got.bin
}

@test "retries exhausted: exit 1, one line naming the URL and the status" {
	start_hub
	faults '[{"port": "cdn", "kind": "status", "code": 503, "times": -1}]'
	run --separate-stderr -1 "$HG" --retries 2 stream "$BIG"
	assert_equal "${#stderr_lines[@]}" 1
	[[ $stderr == "GET $CDN/repos/org/ds/"*": 503 Service Unavailable (after 2 retries)" ]]
	[ "$(logq '[.[] | select(.status == 503)] | length')" = 3 ]
	run --separate-stderr -1 "$HG" --retries 1 range "$BIG" 0 10
	[[ $stderr == "GET $CDN/repos/org/ds/"*": 503 Service Unavailable (after 1 retry)" ]]
}

@test "connection refused: retried, then one line" {
	start_hub
	kill "$HUBPID"
	wait "$HUBPID" 2>/dev/null || true
	HUBPID=
	run --separate-stderr -1 "$HG" --retries 2 get "$SMALL"
	assert_equal "${#stderr_lines[@]}" 1
	[[ $stderr == "GET $SMALL: "*"(after 2 retries)" ]]
}

@test "http_url_host: host and port" {
	run -0 "$HG" host "http://127.0.0.1:8080/a/b?c=d"
	assert_output "127.0.0.1:8080"
	run -0 "$HG" host "https://huggingface.co/api"
	assert_output "huggingface.co"
	run -1 "$HG" host "ftp://example.org/x"
}

@test "stream: a slow reader pauses the transfer (bounded memory), bytes intact" {
	head -c 40000000 /dev/urandom >"$REPO/huge.bin"
	start_hub
	# the reader takes 64 KiB every 2 ms at first: the 1 MiB buffer fills
	# and the transfer is paused and resumed many times
	"$HG" stream "$HUB/datasets/org/ds/resolve/main/huge.bin" |
		"$PY" -c '
import sys, time
out = open("s.out", "wb")
n = 0
while True:
    b = sys.stdin.buffer.read(65536)
    if not b:
        break
    out.write(b)
    n += 1
    if n < 200:
        time.sleep(0.002)'
	cmp s.out "$REPO/huge.bin"
	[ -n "${SLUICE_SANITIZED:-}" ] && return
	# max RSS: far below the 40 MB file
	[ -x /usr/bin/time ] || return 0
	/usr/bin/time -f %M -o rss "$HG" stream "$HUB/datasets/org/ds/resolve/main/huge.bin" >/dev/null
	[ "$(cat rss)" -lt 30000 ]
}

# libcurl and its thirty-odd libraries are opened when a program first goes
# to the network (net/curlshim.c), not at every start.  LD_DEBUG=files
# makes the loader name each library as it maps it.
@test "libcurl is loaded only by a run that goes to the network" {
	for prog in rec-dedup rec-pack wds-write batchify hf-stream; do
		LD_DEBUG=files "$SLUICE_BIN/$prog" --version >/dev/null 2>"$BATS_TEST_TMPDIR/ld.$prog"
		grep -q 'file=libc.so.6 ' "$BATS_TEST_TMPDIR/ld.$prog" || fail "$prog: LD_DEBUG named no library at all"
		! grep -q 'libcurl' "$BATS_TEST_TMPDIR/ld.$prog" || fail "$prog --version loaded libcurl"
	done
	start_hub
	LD_DEBUG=files "$HG" get "$SMALL" >small.out 2>"$BATS_TEST_TMPDIR/ld.get"
	grep -q 'file=libcurl.so.4 .*dynamically loaded' "$BATS_TEST_TMPDIR/ld.get" || fail "a GET did not open libcurl"
	cmp small.out "$REPO/small.txt"
}
