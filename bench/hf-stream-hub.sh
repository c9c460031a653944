#!/usr/bin/env bash
# hf-stream on the Hub beside hf-stream on the same file locally: the parquet
# file of real prose that bench/hf-stream.sh makes (1 GB of text in 1000-row
# row groups, snappy; about 440 MB of parquet), and the same rows rewritten
# by DuckDB in 20000-row row groups, each served as a dataset repo by the
# loopback Hub of the tests (tests/helpers/hubserver.py: the resolve URL
# redirects to its "CDN" port, which answers Range requests with sendfile).
# The remote runs are pure streaming: HTTP ranges, no --download,
# HF_HUB_CACHE in the work dir; every run writes its text records to
# /dev/null through stdout.  MB/s are of parquet read.  Each line also says
# what one remote run asked of the server (requests, median range size).
# Target (issue 4): remote throughput at least 80% of local (ratio >= 0.80).
#
# The server sets TCP_NODELAY, as real web servers and CDNs do: without it
# the last segment of every response would wait for the client's delayed
# ACK (40 ms), a stall per range request that measures the fake server.
# BENCH_BYTES sets the amount of text (default 1 GB), as in hf-stream.sh.
. "$(dirname "$0")/lib.sh"

: "${BENCH_BYTES:=1000000000}"
make -s -C "$TOP" test-deps >&2

src="$WORK/text-$BENCH_BYTES-snappy.parquet"
[ -s "$src" ] || node "$BENCH_DIR/make-text-parquet.mjs" "$src" "$BENCH_BYTES" snappy
# the same rows in 20000-row row groups: ranges of about 2.7 MB, not 137 kB
big="$WORK/text-$BENCH_BYTES-snappy-rg20000.parquet"
[ -s "$big" ] || node "$TOP/tests/helpers/duck.mjs" \
	"COPY (SELECT text FROM '$src') TO '$big' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 20000)"

hub="$WORK/hub-$BENCH_BYTES"
rm -rf "$hub"
mkdir -p "$hub/cache"
# repo NAME FILE: FILE as the Hub dataset bench/NAME and as the local
# directory $hub/local/NAME, both laid out as data/train-00000-of-00001.parquet
repo() {
	mkdir -p "$hub/root/datasets/bench/$1/data" "$hub/local/$1/data"
	ln "$2" "$hub/root/datasets/bench/$1/data/train-00000-of-00001.parquet" 2>/dev/null ||
		cp "$2" "$hub/root/datasets/bench/$1/data/train-00000-of-00001.parquet"
	ln -s "$2" "$hub/local/$1/data/train-00000-of-00001.parquet"
}
repo text "$src"
repo text-rg20000 "$big"

server_pid=
stop_server() { [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true; }
trap stop_server EXIT
trap 'exit 130' INT TERM

helpers="$TOP/tests/helpers"
/usr/bin/python3 "$helpers/hubserver.py" --root "$hub/root" --port-file "$hub/ports.json" \
	--log "$hub/requests.jsonl" 2>"$hub/server.err" &
server_pid=$!
for _ in $(seq 100); do [ -s "$hub/ports.json" ] && break; sleep 0.1; done
[ -s "$hub/ports.json" ] || { echo "hf-stream-hub bench: the hub server did not start: $(cat "$hub/server.err")" >&2; exit 1; }
HF_ENDPOINT=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["hub"])' "$hub/ports.json")
export HF_ENDPOINT HF_HUB_CACHE="$hub/cache" HF_HOME="$hub/hf-home"
unset HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_HUB_OFFLINE

# side NAME TITLE: bench/NAME streamed from the Hub beside read locally
side() {
	local name=$1 title=$2 bytes i
	local remote="'$SLUICE_BIN/hf-stream' -q bench/$name" localr="'$SLUICE_BIN/hf-stream' -q '$hub/local/$name'"
	bytes=$(stat -L -c %s "$hub/local/$name/data/train-00000-of-00001.parquet")
	# The server hashes the file (sha256) on its first request: once, untimed.
	curl -sfI "$HF_ENDPOINT/datasets/bench/$name/resolve/main/data/train-00000-of-00001.parquet" >/dev/null
	# The same rows come out of both (checked on the first 20000).
	cmp <(eval "$remote --take 20000" | "$SLUICE_BIN/rec-cat" --text) \
		<(eval "$localr --take 20000" | "$SLUICE_BIN/rec-cat" --text) ||
		{ echo "hf-stream-hub bench: $name: outputs differ" >&2; exit 1; }
	: > "$hub/requests.jsonl"
	time_once "$remote" >/dev/null # warm the page cache, as bench_pair does
	time_once "$localr" >/dev/null
	# what one streaming run asks of the CDN
	local reqs
	reqs=$(/usr/bin/python3 - "$hub/requests.jsonl" <<-'EOF'
		import json, statistics, sys
		log = [json.loads(l) for l in open(sys.argv[1])]
		sizes = []
		for r in log:
		    if r["port"] == "cdn" and r["method"] == "GET" and r["range"]:
		        a, b = r["range"].split("=")[1].split("-")
		        sizes.append(int(b) - int(a) + 1)
		print("%d requests, %d range GETs of median %.0f kB"
		      % (len(log), len(sizes), statistics.median(sizes) / 1e3 if sizes else 0))
		EOF
	)
	local r_t=() l_t=()
	for ((i = 0; i < RUNS; i++)); do
		r_t+=("$(time_once "$remote")")
		l_t+=("$(time_once "$localr")")
	done
	local rm_ lm
	rm_=$(printf '%s\n' "${r_t[@]}" | median)
	lm=$(printf '%s\n' "${l_t[@]}" | median)
	printf '%-34s remote %7.3f s   local %7.3f s   remote %4.0f MB/s   local %4.0f MB/s   remote/local %4.2f\n' \
		"$title" "$rm_" "$lm" \
		"$(echo "$bytes / $rm_ / 1000000" | bc -l)" "$(echo "$bytes / $lm / 1000000" | bc -l)" \
		"$(echo "$lm / $rm_" | bc -l)"
	printf '%-34s (%d bytes of parquet; a run: %s)\n' "" "$bytes" "$reqs"
}

echo "hf-stream-hub: $BENCH_BYTES bytes of text as parquet, streamed over loopback (MB/s of parquet)"
side text "Hub parquet, 1000-row groups"
side text-rg20000 "Hub parquet, 20000-row groups"
