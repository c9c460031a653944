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

# The first two CPUs this process may run on, as "A B", or nothing.
two_cpus() {
	awk '/^Cpus_allowed_list:/ {
		n = split($2, parts, ",")
		for (i = 1; i <= n && k < 2; i++) {
			m = split(parts[i], r, "-")
			for (c = r[1]; c <= (m > 1 ? r[2] : r[1]) && k < 2; c++) { out = out (k ? " " : "") c; k++ }
		}
		if (k == 2) print out
	}' /proc/self/status
}

# bench_scaling NAME TWO ONE [BYTES]: TWO a command on two threads, ONE the
# same on one.  On a shared virtual machine the two CPUs are often not
# equally fast: on ours one ran a third slower than the other for minutes
# at a time, so ONE's time, and TWO/ONE with it, depended on which CPU ONE
# happened to get.  This runs ONE pinned to each CPU in turn and TWO on
# both, alternating, and prints TWO's ratio to each and its parallel
# efficiency: the time two cores of those speeds would take with no loss,
# 1/(1/t_a + 1/t_b), over TWO's time; and twice that, the speed-up the
# same efficiency gives on two equal cores.  Without taskset or two CPUs,
# it is bench_pair.
bench_scaling() {
	local name=$1 two=$2 one=$3 bytes=${4:-0} i cpus
	cpus=$(two_cpus)
	if [ -z "$cpus" ] || ! command -v taskset >/dev/null; then
		bench_pair "$name" "$two" "$one" "$bytes"
		return
	fi
	local a=${cpus% *} b=${cpus#* }
	local two_t=() a_t=() b_t=()
	time_once "$two" >/dev/null
	for ((i = 0; i < RUNS; i++)); do
		two_t+=("$(time_once "taskset -c $a,$b bash -c $(printf %q "set -o pipefail; $two")")")
		a_t+=("$(time_once "taskset -c $a bash -c $(printf %q "set -o pipefail; $one")")")
		b_t+=("$(time_once "taskset -c $b bash -c $(printf %q "set -o pipefail; $one")")")
	done
	local tm am bm
	tm=$(printf '%s\n' "${two_t[@]}" | median)
	am=$(printf '%s\n' "${a_t[@]}" | median)
	bm=$(printf '%s\n' "${b_t[@]}" | median)
	local eff
	eff=$(echo "1 / (1 / $am + 1 / $bm) / $tm" | bc -l)
	printf '%-34s sluice %7.3f s   one thread %7.3f s on cpu %s, %7.3f s on cpu %s   ratio %5.2fx, %5.2fx   efficiency %4.2f (%4.2fx on equal cores)' \
		"$name" "$tm" "$am" "$a" "$bm" "$b" "$(echo "$tm / $am" | bc -l)" "$(echo "$tm / $bm" | bc -l)" "$eff" "$(echo "2 * $eff" | bc -l)"
	if [ "$bytes" != 0 ]; then
		printf '   (%.0f MB/s)' "$(echo "$bytes / $tm / 1000000" | bc -l)"
	fi
	printf '\n'
}
