#!/usr/bin/python3
"""vs-data.py - the data of bench/vs.sh, made once and cached.

  vs-data.py DIR N [--dim D] [--queries NQ] [--clusters C] [--sigma S]
             [--seed S] [--k K]

writes into DIR (each file only if it is missing, through a temporary name,
so an interrupted run leaves nothing half written):

  base.f32      N x D float32, little-endian: C gaussian clusters (centres
                ~ N(0, 1), points at centre + N(0, S^2))
  queries.f32   NQ x D more points of the same clusters
  truth.i32     NQ x K int32: the exact top K of each query by cosine
                similarity (numpy, float64, ties by the smaller id)
  base.rec      the N points as sluice vector records (sluice-rec(5)):
                header frame, one vector frame per point (key = its row
                number in decimal, no metadata), end frame
  queries.rec   the queries the same way (key = q + row number)
  query1.rec    the first query alone (for timing a store's open)

Records rather than JSON lines, so that what vs-upsert and vs-query spend is
the store's work and not float parsing.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import xxhash

MAGIC = b"\x89SLR"
T_HEADER, T_END, T_VECTOR = 0x01, 0x02, 0x13
DT_NONE, DT_F32 = 0, 4


def pad8(b):
    return b + b"\0" * (-len(b) % 8)


def frame(ftype, dtype, key, payload):
    body = pad8(key) + pad8(payload)
    head = MAGIC + struct.pack("<BBHI", ftype, dtype, len(key), len(payload))
    head += struct.pack("<I", xxhash.xxh3_64_intdigest(head) & 0xFFFFFFFF)
    return head + struct.pack("<Q", xxhash.xxh3_64_intdigest(body)) + body


def write_records(path, vecs, prefix):
    n, dim = vecs.shape
    header = {"format": "sluice-rec", "version": 1, "kind": "vector", "dtype": "f32", "dim": dim,
              "metric": "cosine", "lineage": [{"prog": "vs-data.py", "version": "1", "args": [prefix, str(n)]}]}
    lead = struct.pack("<II", dim, 0)
    v = np.ascontiguousarray(vecs, dtype="<f4")
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(frame(T_HEADER, DT_NONE, b"", json.dumps(header).encode()))
        chunk = []
        for i in range(n):
            chunk.append(frame(T_VECTOR, DT_F32, f"{prefix}{i}".encode(), lead + v[i].tobytes()))
            if len(chunk) == 4096:
                f.write(b"".join(chunk))
                chunk.clear()
        f.write(b"".join(chunk))
        f.write(frame(T_END, DT_NONE, b"", struct.pack("<Q", n)))
    os.replace(tmp, path)


def exact_truth(x, q, k):
    """Top k by cosine, in double precision; ties go to the smaller id."""
    xn = x.astype(np.float64)
    xn /= np.maximum(np.linalg.norm(xn, axis=1, keepdims=True), 1e-300)
    qn = q.astype(np.float64)
    qn /= np.maximum(np.linalg.norm(qn, axis=1, keepdims=True), 1e-300)
    out = np.empty((len(q), k), np.int32)
    for lo in range(0, len(q), 100):
        s = -(qn[lo:lo + 100] @ xn.T)
        part = np.argpartition(s, k, axis=1)[:, :k + 1] if k < s.shape[1] else np.argsort(s, axis=1)
        for r in range(len(s)):
            cand = part[r]
            order = np.lexsort((cand, s[r, cand]))[:k]
            out[lo + r] = cand[order]
    return out


def save(path, arr):
    tmp = path + ".tmp"
    arr.tofile(tmp)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("n", type=int)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--clusters", type=int, default=1000)
    ap.add_argument("--sigma", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=10)
    ap.add_argument("--k", type=int, default=10)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    p = lambda name: os.path.join(a.dir, name)
    if not (os.path.exists(p("base.f32")) and os.path.exists(p("queries.f32"))):
        rng = np.random.default_rng(a.seed)
        centres = rng.standard_normal((a.clusters, a.dim), dtype=np.float32)
        which = rng.integers(0, a.clusters, a.n + a.queries)
        x = centres[which] + rng.standard_normal((a.n + a.queries, a.dim), dtype=np.float32) * np.float32(a.sigma)
        save(p("queries.f32"), x[a.n:].astype("<f4"))
        save(p("base.f32"), x[:a.n].astype("<f4"))
    x = np.fromfile(p("base.f32"), "<f4").reshape(-1, a.dim)
    q = np.fromfile(p("queries.f32"), "<f4").reshape(-1, a.dim)
    if len(x) != a.n or len(q) != a.queries:
        sys.exit(f"vs-data.py: {a.dir} holds {len(x)} points and {len(q)} queries, not {a.n} and {a.queries}")
    if not os.path.exists(p("truth.i32")):
        save(p("truth.i32"), exact_truth(x, q, a.k).astype("<i4"))
    if not os.path.exists(p("base.rec")):
        write_records(p("base.rec"), x, "")
    if not os.path.exists(p("queries.rec")):
        write_records(p("queries.rec"), q, "q")
    if not os.path.exists(p("query1.rec")):
        write_records(p("query1.rec"), q[:1], "q")


if __name__ == "__main__":
    main()
