#!/usr/bin/env python3
"""hnsw_data.py - data and exact answers for the HNSW tests and benchmark.

  gen OUT N DIM [--clusters C] [--sigma S] [--seed S] [--queries QOUT NQ]
      clustered float32 vectors (C gaussian clusters: centres ~ N(0, 1),
      points at centre + N(0, S^2)), raw little-endian, N x DIM; with
      --queries, NQ more points of the same clusters into QOUT
  ids OUT N FRACTION [--seed S]
      a random FRACTION of 0..N-1 as raw uint32, sorted
  truth DATA QUERIES DIM K METRIC OUT [--allowed IDS] [--exclude IDS]
      the exact K nearest (numpy brute force) as raw int32, -1 past the
      end when fewer qualify; METRIC l2, dot or cosine
  check TRUTH K RESULTS [--min R] [--only IDS] [--never IDS] [--exact]
      RESULTS is hnsw-tool query's output (node ids, a line per query):
      prints the recall@K; fails if it is below R, if a result is not in
      IDS (--only) or is in IDS (--never), or with --exact if any line
      differs from the truth.
"""
import argparse
import sys

import numpy as np


def gen(a):
    rng = np.random.default_rng(a.seed)
    centres = rng.standard_normal((a.clusters, a.dim), dtype=np.float32)
    nq = int(a.queries[1]) if a.queries else 0
    which = rng.integers(0, a.clusters, a.n + nq)
    x = centres[which] + rng.standard_normal((a.n + nq, a.dim), dtype=np.float32) * np.float32(a.sigma)
    x[:a.n].astype("<f4").tofile(a.out)
    if nq:
        x[a.n:].astype("<f4").tofile(a.queries[0])


def ids(a):
    rng = np.random.default_rng(a.seed)
    m = max(1, int(round(a.n * a.fraction)))
    np.sort(rng.choice(a.n, m, replace=False)).astype("<u4").tofile(a.out)


def scores(x, q, metric):
    """Smaller is nearer, in double precision."""
    x = x.astype(np.float64)
    q = q.astype(np.float64)
    if metric == "cosine":
        x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-300)
        q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-300)
    if metric == "l2":
        return (q * q).sum(1)[:, None] - 2 * q @ x.T + (x * x).sum(1)[None, :]
    return -(q @ x.T)


def truth(a):
    x = np.fromfile(a.data, "<f4").reshape(-1, a.dim)
    q = np.fromfile(a.queries, "<f4").reshape(-1, a.dim)
    keep = np.ones(len(x), bool)
    if a.allowed:
        keep[:] = False
        keep[np.fromfile(a.allowed, "<u4")] = True
    if a.exclude:
        keep[np.fromfile(a.exclude, "<u4")] = False
    out = np.full((len(q), a.k), -1, np.int32)
    for lo in range(0, len(q), 256):
        s = scores(x, q[lo:lo + 256], a.metric)
        s[:, ~keep] = np.inf
        order = np.argsort(s, axis=1, kind="stable")[:, :a.k]
        for r in range(len(order)):
            good = order[r][np.isfinite(s[r, order[r]])]
            out[lo + r, :len(good)] = good
    out.astype("<i4").tofile(a.out)


def check(a):
    t = np.fromfile(a.truth, "<i4").reshape(-1, a.k)
    lines = open(a.results).read().split("\n")[:len(t)]
    if len(lines) != len(t):
        sys.exit(f"check: {len(lines)} result lines for {len(t)} queries")
    only = set(np.fromfile(a.only, "<u4").tolist()) if a.only else None
    never = set(np.fromfile(a.never, "<u4").tolist()) if a.never else set()
    found = want = 0
    for i, line in enumerate(lines):
        got = [int(w) for w in line.split()]
        if len(got) > a.k or len(set(got)) != len(got):
            sys.exit(f"check: query {i}: bad result list {got}")
        bad = [g for g in got if (only is not None and g not in only) or g in never]
        if bad:
            sys.exit(f"check: query {i}: nodes {bad} should not be returned")
        exact = [int(v) for v in t[i] if v >= 0]
        if a.exact and got != exact:
            sys.exit(f"check: query {i}: got {got}, exact {exact}")
        want += len(exact)
        found += len(set(got) & set(exact))
    recall = found / want if want else 1.0
    print(f"recall {recall:.4f}")
    if a.min is not None and recall < a.min:
        sys.exit(f"check: recall {recall:.4f} below {a.min}")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("out")
    g.add_argument("n", type=int)
    g.add_argument("dim", type=int)
    g.add_argument("--clusters", type=int, default=100)
    g.add_argument("--sigma", type=float, default=0.5)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--queries", nargs=2, metavar=("QOUT", "NQ"))
    g = sub.add_parser("ids")
    g.add_argument("out")
    g.add_argument("n", type=int)
    g.add_argument("fraction", type=float)
    g.add_argument("--seed", type=int, default=2)
    g = sub.add_parser("truth")
    for f in ("data", "queries"):
        g.add_argument(f)
    g.add_argument("dim", type=int)
    g.add_argument("k", type=int)
    g.add_argument("metric", choices=["l2", "dot", "cosine"])
    g.add_argument("out")
    g.add_argument("--allowed")
    g.add_argument("--exclude")
    g = sub.add_parser("check")
    g.add_argument("truth")
    g.add_argument("k", type=int)
    g.add_argument("results")
    g.add_argument("--min", type=float)
    g.add_argument("--only")
    g.add_argument("--never")
    g.add_argument("--exact", action="store_true")
    a = p.parse_args()
    {"gen": gen, "ids": ids, "truth": truth, "check": check}[a.cmd](a)


if __name__ == "__main__":
    main()
