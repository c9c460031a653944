# bench/lib.sh - the side-by-side harness every benchmark sources.
#
# bench_pair NAME OURS PEER runs two shell commands on the same input,
# alternating them RUNS times (default 5) so that both see the same machine
# noise, and prints the median wall time of each and their ratio.  A ratio
# is what we report: absolute times on shared machines mean little.

set -eu

: "${RUNS:=5}"
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$BENCH_DIR/.." && pwd)
: "${SLUICE_BIN:=$TOP/bin}"
WORK="$BENCH_DIR/.work"
mkdir -p "$WORK"

now() { date +%s.%N; }

time_once() {
	local t0 t1
	t0=$(now)
	bash -c "set -o pipefail; $1" >/dev/null
	t1=$(now)
	echo "$t1 - $t0" | bc -l
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# bench_pair NAME OURS PEER [BYTES]
bench_pair() {
	local name=$1 ours=$2 peer=$3 bytes=${4:-0} i
	local ours_t=() peer_t=()
	time_once "$ours" >/dev/null # warm the page cache and any lazy setup
	time_once "$peer" >/dev/null
	for ((i = 0; i < RUNS; i++)); do
		ours_t+=("$(time_once "$ours")")
		peer_t+=("$(time_once "$peer")")
	done
	local om pm
	om=$(printf '%s\n' "${ours_t[@]}" | median)
	pm=$(printf '%s\n' "${peer_t[@]}" | median)
	printf '%-34s sluice %7.3f s   peer %7.3f s   ratio %5.2fx' "$name" "$om" "$pm" "$(echo "$om / $pm" | bc -l)"
	if [ "$bytes" != 0 ]; then
		printf '   (%.0f MB/s)' "$(echo "$bytes / $om / 1000000" | bc -l)"
	fi
	printf '\n'
}
