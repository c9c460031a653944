#!/usr/bin/env bash
# The vector store (vs-upsert, vs-query) beside hnswlib (Debian
# python3-hnswlib), LanceDB (npm @lancedb/lancedb, pinned in bench/node-vs)
# and faiss (Debian python3-faiss), on the same data in the same run:
# BENCH_N (default 200000) clustered 128-d float32 points (1000 gaussian
# clusters, bench/vs-data.py, fixed seed) and 1000 queries of the same
# clusters, exact cosine top 10 by numpy, all made once and cached in
# bench/.work.  Metric cosine everywhere.  The points and queries reach
# vs-upsert and vs-query as vector records, so float parsing (JSON lines)
# is not what is measured.
#
#  1. recall@10 and single-thread QPS over an ef sweep (BENCH_EFS) beside
#     hnswlib (M=16, ef_construction=200) and LanceDB (IVF_HNSW_SQ, one
#     partition, m=16, ef_construction=200).  Ours: a whole vs-query run
#     over the 1000 queries (--batch 1, OPENBLAS_NUM_THREADS=1), open
#     included; the open alone is a run of one query.  hnswlib: knn_query
#     on one thread, timed in Python around the call (index load excluded).
#     LanceDB: one awaited query after the other, LANCE_CPU_THREADS=1.
#  2. exact search: vs-query --exact, the 1000 queries in one batch, beside
#     faiss IndexFlatIP on one thread; both checked against numpy's truth.
#  3. build: vs-upsert of all the points (-j 2) beside hnswlib's add_items
#     (2 threads) and LanceDB's insert + index (LANCE_CPU_THREADS=2).
#  4. durable upserts: the same vs-upsert run with --sync batch --batch 1000
#     --ack; vs-upsert prints each id once its batch is fsynced, and builds
#     the index only after the last batch, so the time to the last id is
#     the durable ingest and the rest is the index.
#  5. latency: vs-query --timings, each query's search timed alone (reading
#     and printing excluded, as hnswlib's knn_query timing excludes
#     Python's): the mean gives the "search only" QPS beside hnswlib's, and
#     the p95 is the latency target's figure.
# Time ratios are sluice / peer (below 1: we are faster); QPS ratios are
# sluice / peer (above 1: we are faster).
# Targets (issue 10): QPS >= hnswlib's at recall@10 >= 0.95; p95 < 2 ms per
# query at 1M points; durable upserts >= 50k points/s.
. "$(dirname "$0")/lib.sh"

: "${BENCH_N:=200000}"
: "${BENCH_EFS:=16 32 64 128 256}"
PY=/usr/bin/python3
DIM=128 NQ=1000 K=10
PEERS=$BENCH_DIR/vs-peers.py
export OPENBLAS_NUM_THREADS=1 # our queries run on one thread; the build's -j 2 is our own pool

for p in vs-upsert vs-query; do
	[ -x "$SLUICE_BIN/$p" ] || { echo "vs: no $SLUICE_BIN/$p (make, or set SLUICE_BIN)" >&2; exit 1; }
done
"$PY" -c 'import hnswlib' 2>/dev/null || { echo "vs: python3-hnswlib is not installed" >&2; exit 1; }
have_faiss=1
"$PY" -c 'import faiss' 2>/dev/null || { have_faiss=0; echo "vs: python3-faiss is not installed: no exact-search peer" >&2; }
# LanceDB's build of its index takes long at 1M points: BENCH_LANCE=0 leaves it out.
have_lance=${BENCH_LANCE:-1}
if [ "$have_lance" = 1 ] && [ ! -d "$BENCH_DIR/node-vs/node_modules/@lancedb/lancedb" ]; then
	# npm install, not npm ci: as for tests/node (Makefile), the lock records
	# only this platform's native package; install still takes its versions.
	npm install --prefix "$BENCH_DIR/node-vs" --no-audit --no-fund --no-save >&2 || have_lance=0
fi
[ "$have_lance" = 1 ] || echo "vs: no LanceDB peer (BENCH_LANCE=0, or npm install in bench/node-vs failed)" >&2

data=$WORK/vs-$BENCH_N
"$PY" "$BENCH_DIR/vs-data.py" "$data" "$BENCH_N" --dim $DIM --queries $NQ --k $K
store=$data/store hidx=$data/hnswlib.idx lance=$data/lance
echo "vs: $BENCH_N x $DIM clustered points, $NQ queries, cosine, recall@$K; vector records in; RUNS=$RUNS"

lance_failed() { # its own log says why; LanceDB is a peer, so a failure ends the bench
	echo "vs: LanceDB $1 failed:" >&2
	grep -v -E ' WARN ' "$data/lance.log" | tail -n 20 >&2
	exit 1
}
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }
calc() { echo "$*" | bc -l; }
fmt() { printf "%.${2:-3}f" "$1"; }
ge() { [ "$(echo "$1 >= $2" | bc -l)" = 1 ]; }
summary=()
row() { summary+=("$(printf '%-36s %14s %14s %10s   %s' "$@")"); }

# --- build and durable upserts --------------------------------------------
rm -rf "$store"
clock=$("$PY" "$PEERS" clock "$SLUICE_BIN/vs-upsert" -q --ack --store "$store" -d $DIM -m cosine \
	--m 16 --ef-construction 200 -j 2 --sync batch --batch 1000 "$data/base.rec")
[ "$(echo "$clock" | field lines)" = "$BENCH_N" ] || { echo "vs: vs-upsert acknowledged $clock" >&2; exit 1; }
ingest=$(echo "$clock" | field last_line_seconds)
ours_build=$(echo "$clock" | field total_seconds)
ours_index=$(calc "$ours_build - $ingest")
peer_build=$("$PY" "$PEERS" hnsw-build "$data" "$hidx" --dim $DIM | field build_seconds)
printf '%-34s sluice %7.3f s   peer %7.3f s   ratio %5.2fx   (hnswlib add_items, 2 threads)\n' \
	"build beside hnswlib" "$ours_build" "$peer_build" "$(calc "$ours_build / $peer_build")"
printf '%-34s sluice %7.3f s   peer %7.3f s   ratio %5.2fx   (after the last durable batch)\n' \
	"build: our index part alone" "$ours_index" "$peer_build" "$(calc "$ours_index / $peer_build")"
row "build time, s (hnswlib)" "$(fmt "$ours_build" 2)" "$(fmt "$peer_build" 2)" "$(fmt "$(calc "$ours_build / $peer_build")" 2)x" "time ratio <= 1"
if [ "$have_lance" = 1 ]; then
	rm -rf "$lance"
	lb=$(LANCE_CPU_THREADS=2 node "$BENCH_DIR/lancedb.mjs" build "$data" "$lance" $DIM 2>"$data/lance.log") ||
		lance_failed build
	lance_build=$(calc "$(echo "$lb" | field insert_seconds) + $(echo "$lb" | field index_seconds)")
	printf '%-34s sluice %7.3f s   peer %7.3f s   ratio %5.2fx   (LanceDB insert + IVF_HNSW_SQ index)\n' \
		"build beside LanceDB" "$ours_build" "$lance_build" "$(calc "$ours_build / $lance_build")"
	row "build time, s (LanceDB)" "$(fmt "$ours_build" 2)" "$(fmt "$lance_build" 2)" "$(fmt "$(calc "$ours_build / $lance_build")" 2)x" ""
fi
ups=$(calc "$BENCH_N / $ingest")
printf '%-34s sluice %7.3f s   %.0f points/s   target >= 50000/s: %s\n' "durable upserts (fsync per 1000)" \
	"$ingest" "$ups" "$(ge "$ups" 50000 && echo met || echo MISSED)"
row "durable upserts, points/s" "$(fmt "$ups" 0)" "-" "-" ">= 50000: $(ge "$ups" 50000 && echo met || echo MISSED)"

# --- recall and QPS over ef -----------------------------------------------
query() { # EF FILE: our whole run over FILE, as a command line
	echo "'$SLUICE_BIN/vs-query' -q --store '$store' -k $K --ef $1 --batch 1 '$2'"
}
median_of() { # COMMAND: RUNS timed runs after a warm one
	local i times=()
	time_once "$1" > /dev/null
	for ((i = 0; i < RUNS; i++)); do times+=("$(time_once "$1")"); done
	printf '%s\n' "${times[@]}" | median
}
open_t=$(median_of "$(query 64 "$data/query1.rec") > /dev/null")
printf '%-34s sluice %7.3f ms (a vs-query run of one query: start, open, answer)\n' "open" "$(calc "$open_t * 1000")"
row "open + 1 query, ms" "$(fmt "$(calc "$open_t * 1000")" 2)" "-" "-" ""

declare -A o_r o_q o_qx h_r h_q l_r l_q o_mean o_p95
timings() { # EF: mean and p95 (ms) of each query's search, from vs-query --timings
	local line
	line=$(bash -c "$(query "$1" "$data/queries.rec") --timings 2>&1 > /dev/null")
	echo "$line" | sed -n 's/.*queries: mean \([0-9.]*\) ms, p50 [0-9.]*, p95 \([0-9.]*\),.*/\1 \2/p'
}
for ef in $BENCH_EFS; do
	bash -c "$(query "$ef" "$data/queries.rec") > '$data/ours-$ef.jsonl'"
	o_r[$ef]=$("$PY" "$PEERS" recall "$data" "$data/ours-$ef.jsonl" --dim $DIM | field recall)
	t=$(median_of "$(query "$ef" "$data/queries.rec") > /dev/null")
	o_q[$ef]=$(calc "$NQ / $t")
	read -r o_mean[$ef] o_p95[$ef] <<< "$(timings "$ef")"
	o_qx[$ef]=$(calc "1000 / ${o_mean[$ef]}")
	hq=$("$PY" "$PEERS" hnsw-query "$data" "$hidx" "$ef" "$RUNS" --dim $DIM)
	h_r[$ef]=$(echo "$hq" | field recall)
	h_q[$ef]=$(calc "$NQ / $(echo "$hq" | field seconds)")
	printf '%-34s sluice recall %.4f %7.0f QPS (%7.0f search only)   hnswlib recall %.4f %7.0f QPS   QPS ratio %5.2fx\n' \
		"ef $ef" "${o_r[$ef]}" "${o_q[$ef]}" "${o_qx[$ef]}" "${h_r[$ef]}" "${h_q[$ef]}" "$(calc "${o_q[$ef]} / ${h_q[$ef]}")"
	if [ "$have_lance" = 1 ]; then
		lq=$(LANCE_CPU_THREADS=1 node "$BENCH_DIR/lancedb.mjs" query "$data" "$lance" "$ef" "$RUNS" $DIM \
			2>"$data/lance.log") || lance_failed query
		l_r[$ef]=$(echo "$lq" | field recall)
		l_q[$ef]=$(calc "$NQ / $(echo "$lq" | field seconds)")
		printf '%-34s sluice recall %.4f %7.0f QPS                       LanceDB recall %.4f %7.0f QPS   QPS ratio %5.2fx\n' \
			"ef $ef" "${o_r[$ef]}" "${o_q[$ef]}" "${l_r[$ef]}" "${l_q[$ef]}" "$(calc "${o_q[$ef]} / ${l_q[$ef]}")"
	fi
done
first_at() { # NAME: the smallest ef of the sweep where recall >= 0.95
	local -n r=$1
	local ef
	for ef in $BENCH_EFS; do ge "${r[$ef]}" 0.95 && { echo "$ef"; return; }; done
}
oe=$(first_at o_r) he=$(first_at h_r)
if [ -n "$oe" ] && [ -n "$he" ]; then
	ratio=$(calc "${o_q[$oe]} / ${h_q[$he]}")
	ratio_x=$(calc "${o_qx[$oe]} / ${h_q[$he]}")
	verdict=$(ge "$ratio" 1 && echo met || echo MISSED)
	printf '%-34s sluice %7.0f QPS at ef %s   hnswlib %7.0f QPS at ef %s   QPS ratio %5.2fx (%.2fx search only)   target >= 1: %s\n' \
		"QPS at recall@10 >= 0.95" "${o_q[$oe]}" "$oe" "${h_q[$he]}" "$he" "$ratio" "$ratio_x" "$verdict"
	row "QPS at recall>=0.95 (hnswlib)" "$(fmt "${o_q[$oe]}" 0) ef$oe" "$(fmt "${h_q[$he]}" 0) ef$he" "$(fmt "$ratio" 2)x" ">= 1x: $verdict ($(fmt "$ratio_x" 2)x search only)"
else
	echo "QPS at recall@10 >= 0.95: not reached in the sweep (sluice at ef ${oe:-none}, hnswlib at ef ${he:-none})"
	row "QPS at recall>=0.95 (hnswlib)" "${oe:+ef$oe}" "${he:+ef$he}" "-" "not reached in the sweep"
fi
if [ "$have_lance" = 1 ]; then
	le=$(first_at l_r)
	if [ -n "$oe" ] && [ -n "$le" ]; then
		ratio=$(calc "${o_q[$oe]} / ${l_q[$le]}")
		printf '%-34s sluice %7.0f QPS at ef %s   LanceDB %7.0f QPS at ef %s   QPS ratio %5.2fx\n' \
			"QPS at recall@10 >= 0.95" "${o_q[$oe]}" "$oe" "${l_q[$le]}" "$le" "$ratio"
		row "QPS at recall>=0.95 (LanceDB)" "$(fmt "${o_q[$oe]}" 0) ef$oe" "$(fmt "${l_q[$le]}" 0) ef$le" "$(fmt "$ratio" 2)x" ""
	else
		echo "QPS at recall@10 >= 0.95 beside LanceDB: not reached in the sweep (sluice at ef ${oe:-none}, LanceDB at ef ${le:-none})"
		row "QPS at recall>=0.95 (LanceDB)" "${oe:+ef$oe}" "${le:+ef$le}" "-" "not reached in the sweep"
	fi
fi

# --- latency ----------------------------------------------------------------
lat_ef=${oe:-64}
[ -n "${o_p95[$lat_ef]:-}" ] || read -r o_mean[$lat_ef] o_p95[$lat_ef] <<< "$(timings "$lat_ef")"
lat=${o_mean[$lat_ef]} p95=${o_p95[$lat_ef]}
printf '%-34s sluice %7.3f ms mean, %.3f ms p95 per query at ef %s (vs-query --timings)\n' "latency" "$lat" "$p95" "$lat_ef"
row "query latency mean / p95, ms (ef$lat_ef)" "$(fmt "$lat" 3) / $(fmt "$p95" 3)" "-" "-" "p95 < 2 ms at 1M: $( [ "$BENCH_N" -ge 1000000 ] && { ge 2 "$p95" && echo met || echo MISSED; } || echo "measured at $BENCH_N")"

# --- exact search -------------------------------------------------------------
exact="'$SLUICE_BIN/vs-query' -q --store '$store' -k $K --exact --batch $NQ '$data/queries.rec'"
bash -c "$exact > '$data/ours-exact.jsonl'"
ex=$("$PY" "$PEERS" recall "$data" "$data/ours-exact.jsonl" --dim $DIM)
t=$(median_of "$exact > /dev/null")
if [ $have_faiss = 1 ]; then
	fx=$("$PY" "$PEERS" faiss "$data" "$RUNS" --dim $DIM)
	ft=$(echo "$fx" | field seconds)
	printf '%-34s sluice %7.3f s   peer %7.3f s   ratio %5.2fx   (%.0f vs %.0f QPS; %.3f s without open; top %s as numpy: sluice %s of rows, faiss %s)\n' \
		"exact: $NQ queries, one batch" "$t" "$ft" "$(calc "$t / $ft")" "$(calc "$NQ / $t")" "$(calc "$NQ / $ft")" "$(calc "$t - $open_t")" $K \
		"$(echo "$ex" | field exact_rows)" "$(echo "$fx" | field exact_rows)"
	row "exact QPS (faiss IndexFlatIP)" "$(fmt "$(calc "$NQ / $t")" 0)" "$(fmt "$(calc "$NQ / $ft")" 0)" "$(fmt "$(calc "$ft / $t")" 2)x" "ids as numpy: $(echo "$ex" | field exact_rows) / $(echo "$fx" | field exact_rows)"
else
	printf '%-34s sluice %7.3f s   (%.0f QPS; top %s as numpy: %s of rows)\n' "exact: $NQ queries, one batch" \
		"$t" "$(calc "$NQ / $t")" $K "$(echo "$ex" | field exact_rows)"
	row "exact QPS" "$(fmt "$(calc "$NQ / $t")" 0)" "-" "-" "ids as numpy: $(echo "$ex" | field exact_rows)"
fi

echo
echo "summary, $BENCH_N points (QPS ratios: sluice / peer, above 1 is faster; time ratios: below 1 is faster)"
printf '%-36s %14s %14s %10s   %s\n' "measure" "sluice" "peer" "ratio" "target"
printf '%s\n' "${summary[@]}"
