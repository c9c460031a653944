#!/usr/bin/python3
"""vs-peers.py - the peers of bench/vs.sh (hnswlib, faiss) and its helpers.

DIR is a data directory of vs-data.py (base.f32, queries.f32, truth.i32).
Times are taken inside the process, around the work alone.

  hnsw-build DIR INDEX [--dim D]
      hnswlib, cosine space, M=16, ef_construction=200, 2 threads; saves
      INDEX and prints "build_seconds S"
  hnsw-query DIR INDEX EF RUNS [--dim D]
      loads INDEX, answers the queries one after the other on one thread
      (knn_query with num_threads=1: a loop in C++, no Python per query),
      RUNS times after a warm-up; prints "seconds MEDIAN recall R"
  faiss DIR RUNS [--dim D]
      exact search: faiss IndexFlatIP over the normalised points, one
      thread, all the queries in one search call; prints
      "seconds MEDIAN recall R exact_rows F"
  recall DIR FILE [--dim D]
      FILE is vs-query's JSON lines ({"query": "qN", "id": "ROW", ...});
      prints "recall R exact_rows F" (F: the share of queries whose top K
      equals the truth's, order aside)
  clock CMD...
      runs CMD with its stdout on a pipe, counting the lines it prints
      (vs-upsert --ack: one id per durable point); prints "lines N
      last_line_seconds A total_seconds T", both from the start
"""
import os
import statistics
import subprocess
import sys
import time

import numpy as np


def load(d, dim):
    x = np.fromfile(os.path.join(d, "base.f32"), "<f4").reshape(-1, dim)
    q = np.fromfile(os.path.join(d, "queries.f32"), "<f4").reshape(-1, dim)
    t = np.fromfile(os.path.join(d, "truth.i32"), "<i4").reshape(len(q), -1)
    return x, q, t


def recall_of(found, truth):
    k = truth.shape[1]
    hits = sum(len(set(map(int, f[:k])) & set(map(int, t))) for f, t in zip(found, truth))
    exact = sum(set(map(int, f[:k])) == set(map(int, t)) for f, t in zip(found, truth))
    return hits / truth.size, exact / len(truth)


def opt_dim(args):
    if "--dim" in args:
        i = args.index("--dim")
        dim = int(args[i + 1])
        del args[i:i + 2]
        return dim
    return 128


def hnsw_build(args):
    import hnswlib
    dim = opt_dim(args)
    d, index = args
    x, _, _ = load(d, dim)
    p = hnswlib.Index(space="cosine", dim=dim)
    p.init_index(max_elements=len(x), M=16, ef_construction=200, random_seed=1)
    t0 = time.perf_counter()
    p.add_items(x, np.arange(len(x)), num_threads=2)
    dt = time.perf_counter() - t0
    p.save_index(index)
    print(f"build_seconds {dt:.6f}")


def hnsw_query(args):
    import hnswlib
    dim = opt_dim(args)
    d, index, ef, runs = args[0], args[1], int(args[2]), int(args[3])
    x, q, t = load(d, dim)
    p = hnswlib.Index(space="cosine", dim=dim)
    p.load_index(index, max_elements=len(x))
    p.set_ef(ef)
    p.set_num_threads(1)
    k = t.shape[1]
    labels, _ = p.knn_query(q, k=k, num_threads=1)  # warm-up, and the answers
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p.knn_query(q, k=k, num_threads=1)
        times.append(time.perf_counter() - t0)
    r, _ = recall_of(labels, t)
    print(f"seconds {statistics.median(times):.6f} recall {r:.4f}")


def faiss_exact(args):
    import faiss
    dim = opt_dim(args)
    d, runs = args[0], int(args[1])
    x, q, t = load(d, dim)
    faiss.omp_set_num_threads(1)
    xn = np.ascontiguousarray(x / np.linalg.norm(x, axis=1, keepdims=True), dtype=np.float32)
    index = faiss.IndexFlatIP(dim)
    index.add(xn)
    k = t.shape[1]

    def search():
        # Normalising the queries is part of a cosine search.
        qn = np.ascontiguousarray(q / np.linalg.norm(q, axis=1, keepdims=True), dtype=np.float32)
        return index.search(qn, k)[1]

    found = search()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        search()
        times.append(time.perf_counter() - t0)
    r, exact = recall_of(found, t)
    print(f"seconds {statistics.median(times):.6f} recall {r:.4f} exact_rows {exact:.4f}")


def recall_file(args):
    import json
    dim = opt_dim(args)
    d, path = args
    nq = os.path.getsize(os.path.join(d, "queries.f32")) // (4 * dim)
    t = np.fromfile(os.path.join(d, "truth.i32"), "<i4").reshape(nq, -1)
    found = [[] for _ in range(nq)]
    with open(path) as f:
        for line in f:
            o = json.loads(line)
            found[int(o["query"][1:])].append(int(o["id"]))
    r, exact = recall_of(found, t)
    print(f"recall {r:.4f} exact_rows {exact:.4f}")


def clock(cmd):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    lines, last = 0, 0.0
    fd = p.stdout.fileno()
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        lines += chunk.count(b"\n")
        last = time.perf_counter() - t0
    rc = p.wait()
    total = time.perf_counter() - t0
    if rc != 0:
        sys.exit(f"vs-peers.py clock: {cmd[0]} exited {rc}")
    print(f"lines {lines} last_line_seconds {last:.6f} total_seconds {total:.6f}")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    what, args = sys.argv[1], sys.argv[2:]
    {"hnsw-build": hnsw_build, "hnsw-query": hnsw_query, "faiss": faiss_exact, "recall": recall_file,
     "clock": clock}.get(what, lambda _: sys.exit(__doc__))(args)


if __name__ == "__main__":
    main()
