#!/usr/bin/env bash
# HNSW index (libcommon/vs/hnsw.c through tests/helpers/hnsw-tool) beside
# hnswlib (Debian python3-hnswlib), on the same data in the same run:
# BENCH_HNSW_N (default 200000) clustered 128-d float32 vectors (1000
# gaussian clusters) and 1000 queries of the same clusters, exact top-10
# by numpy, both indexes built with M=16, ef_construction=200 on 2 threads
# and queried on 1 thread at several ef.  Prints recall@10 and QPS of each,
# the QPS ratio at matching recall (hnswlib's fastest point with at least
# our recall), and the build time ratio.
# Targets (issue 10): recall@10 >= 0.95, QPS >= hnswlib's at equal
# recall, build time <= hnswlib's.
. "$(dirname "$0")/lib.sh"

: "${BENCH_HNSW_N:=200000}"
: "${SLUICE_TEST_BIN:=$TOP/build/tests}"
PY=/usr/bin/python3
DIM=128 NQ=1000 K=10 EFS=10,16,24,32,48,64,96,128,192
TOOL=$SLUICE_TEST_BIN/hnsw-tool
DATA=$TOP/tests/helpers/hnsw_data.py
[ -x "$TOOL" ] || make -s -C "$TOP" test-helpers >&2
"$PY" -c 'import hnswlib' 2>/dev/null || { echo "hnsw: python3-hnswlib is not installed" >&2; exit 1; }

base=$WORK/hnsw-$BENCH_HNSW_N
if [ ! -s "$base.truth" ]; then
	"$PY" "$DATA" gen "$base.f32" "$BENCH_HNSW_N" $DIM --clusters 1000 --sigma 1.0 --seed 7 \
		--queries "$base.q" $NQ
	"$PY" "$DATA" truth "$base.f32" "$base.q" $DIM $K l2 "$base.truth.tmp"
	mv "$base.truth.tmp" "$base.truth"
fi
echo "hnsw: $BENCH_HNSW_N x $DIM clustered vectors, $NQ queries, M=16 ef_construction=200, l2, recall@$K"

ours=$WORK/hnsw-ours.txt peer=$WORK/hnsw-peer.txt
# One after the other in the same run, so both see the same machine.
"$PY" - "$base.f32" "$base.q" "$base.truth" $DIM $K $EFS > "$peer" <<'PYEOF'
import sys, time
import numpy as np
import hnswlib
data, queries, truth, dim, k, efs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
x = np.fromfile(data, "<f4").reshape(-1, dim)
q = np.fromfile(queries, "<f4").reshape(-1, dim)
t = np.fromfile(truth, "<i4").reshape(-1, k)
p = hnswlib.Index(space="l2", dim=dim)
p.init_index(max_elements=len(x), M=16, ef_construction=200, random_seed=1)
p.set_num_threads(2)
t0 = time.perf_counter()
p.add_items(x, np.arange(len(x)), num_threads=2)
print(f"build_seconds {time.perf_counter() - t0:.3f}")
for ef in map(int, efs.split(",")):
    p.set_ef(ef)
    t0 = time.perf_counter()
    labels, _ = p.knn_query(q, k=k, num_threads=1)
    dt = time.perf_counter() - t0
    found = sum(len(set(labels[i].tolist()) & set(t[i].tolist())) for i in range(len(q)))
    print(f"ef {ef} recall {found / t.size:.4f} qps {len(q) / dt:.0f}")
PYEOF
{
	"$TOOL" build --dim $DIM --metric l2 -M 16 --efc 200 --threads 2 "$base.f32" "$WORK/hnsw.idx"
	"$TOOL" query -k $K --ef $EFS --truth "$base.truth" "$WORK/hnsw.idx" "$base.q"
} > "$ours"

"$PY" - "$ours" "$peer" <<'PYEOF'
import sys
def load(path):
    build, pts = None, []
    for line in open(path):
        w = line.split()
        if w[0] == "build_seconds":
            build = float(w[1])
        elif w[0] == "ef":
            pts.append((int(w[1]), float(w[3]), float(w[5])))
    return build, pts
ob, ours = load(sys.argv[1])
pb, peer = load(sys.argv[2])
print(f"{'ef':>5} {'sluice recall':>14} {'qps':>8} {'hnswlib recall':>15} {'qps':>8}")
for (ef, r1, q1), (_, r2, q2) in zip(ours, peer):
    print(f"{ef:>5} {r1:>14.4f} {q1:>8.0f} {r2:>15.4f} {q2:>8.0f}")
# hnswlib's QPS at our recall: its fastest point reaching at least that
# recall (conservative: no credit for hnswlib's slower, higher-ef points).
def peer_qps(r):
    ok = [q for _, rr, q in peer if rr >= r]
    return max(ok) if ok else None
for ef, r, q in ours:
    pq = peer_qps(r)
    if pq:
        print(f"at recall {r:.4f} (our ef {ef}): sluice {q:.0f} qps, hnswlib {pq:.0f} qps, ratio {q / pq:.2f}x")
print(f"build on 2 threads: sluice {ob:.1f} s, hnswlib {pb:.1f} s, ratio {ob / pb:.2f}x (lower is better)")
PYEOF
