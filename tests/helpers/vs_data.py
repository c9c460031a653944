#!/usr/bin/python3
"""vs_data.py - points, queries and exact answers for the vs-upsert and
vs-query suites (tests/vs-query.bats), computed independently of the store.

  gen DIR N NQ DIM [--clusters C] [--sigma S] [--seed S] [--ids int|str|mixed]
                   [--rare FRACTION] [--id-prefix P]
      DIR/points.jsonl: N points {"id", "vector", "metadata"} from C
      gaussian clusters (centres ~ N(0, 1), points at centre + N(0, S^2)),
      float32 values written exactly; DIR/queries.jsonl: NQ queries
      {"id": "qI", "vector"} from the same clusters.  Ids are integers,
      strings ("p-I"), or both in turn.  The metadata exercises every kind
      of filter: {"cat": "c0".."c4", "n": I % 100, "x": a real, "tags":
      [1 to 3 of "red", "green", "blue", "black"], "obj": {"y": I % 7},
      "arr": [{"a": .., "b": ..}, ...], "opt": null, [] or a string or
      missing, "rare": true on about FRACTION of the points (default 0.005)}.
  dim POINTS
      the dimension of the first point.
  match FILTER POINTS
      the ids of the points the filter matches (vfilter_oracle.py's
      evaluator over their metadata), one a line, in file order.
  exact [--metric M] [-k K] [--filter JSON] [--delete IDS] POINTS... < QUERIES
      the exact answers as vs-query prints them (query, rank, id, score;
      no metadata), one JSON line each.  Later POINTS files replace the
      points of earlier ones with the same id (7 and "7" are one); IDS is
      a file of ids to leave out, one a line.
  check [same options] --queries Q --answer A POINTS...
      compares vs-query's answer A with the exact answers: for each query
      the same number of hits, ranks 1..n, each score within 1e-5 (plus
      1e-5 relative) of the exact one at that rank, each id the exact id at
      that rank or one whose exact score ties it, and each hit's metadata
      equal to the point's.  Says the first difference and exits 1.
  recall [same options] --queries Q --answer A [--min R] POINTS...
      prints recall@K of A against the exact answers; exits 1 below R, or
      if a hit is a point the filter does not match or a deleted one.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vfilter_oracle  # noqa: E402

COLORS = ["red", "green", "blue", "black"]


def id_text(v):
    """A point id as the store keeps it: integers as their decimal text."""
    if isinstance(v, bool):
        raise ValueError("bool id")
    return str(v) if isinstance(v, int) else v


def gen(a):
    rng = np.random.default_rng(a.seed)
    centres = rng.standard_normal((a.clusters, a.dim)).astype(np.float32)
    which = rng.integers(0, a.clusters, a.n + a.nq)
    x = centres[which] + rng.standard_normal((a.n + a.nq, a.dim)).astype(np.float32) * np.float32(a.sigma)
    x = x.astype(np.float32)
    rare = rng.random(a.n) < a.rare
    os.makedirs(a.dir, exist_ok=True)
    with open(os.path.join(a.dir, "points.jsonl"), "w") as f:
        for i in range(a.n):
            if a.ids == "int" or (a.ids == "mixed" and i % 2 == 0):
                pid = i
            else:
                pid = "%s%d" % (a.id_prefix, i)
            r = int(rng.integers(0, 1 << 30))
            meta = {
                "cat": "c%d" % (r % 5),
                "n": i % 100,
                "x": round(float(rng.random()), 6),
                "tags": [COLORS[(r >> 3) % 4]] + [COLORS[(r >> (5 + j)) % 4] for j in range((r >> 9) % 3)],
                "obj": {"y": i % 7},
                "arr": [{"a": (r >> 11) % 10, "b": "s%d" % ((r >> 15) % 3)},
                        {"a": (r >> 17) % 10, "b": "s%d" % ((r >> 21) % 3)}][:1 + (r >> 23) % 2],
            }
            o = (r >> 24) % 4
            if o == 0:
                meta["opt"] = None
            elif o == 1:
                meta["opt"] = []
            elif o == 2:
                meta["opt"] = "v"
            if rare[i]:
                meta["rare"] = True
            # repr of a float32 widened to double is exact: the store reads
            # back the very float32 we hold.
            f.write(json.dumps({"id": pid, "vector": [float(v) for v in x[i]], "metadata": meta}) + "\n")
    with open(os.path.join(a.dir, "queries.jsonl"), "w") as f:
        for i in range(a.nq):
            f.write(json.dumps({"id": "q%d" % i, "vector": [float(v) for v in x[a.n + i]]}) + "\n")


def load_points(paths, delete_path):
    """{id text: (vector float32, metadata)} with later files winning, in
    first-insertion order (the order ties are broken in does not matter:
    ties are accepted either way)."""
    pts = {}
    for p in paths:
        with open(p) as f:
            for line in f:
                if not line.strip():
                    continue
                o = json.loads(line)
                pid = id_text(o["id"])
                pts.pop(pid, None)
                pts[pid] = (np.asarray(o["vector"], dtype=np.float32), o.get("metadata", o.get("payload")) or {})
    if delete_path:
        with open(delete_path) as f:
            for line in f:
                line = line.strip()
                if line:
                    pts.pop(id_text(json.loads(line)["id"]) if line.startswith("{") else line, None)
    return pts


def load_queries(path):
    ids, vecs = [], []
    with open(path) as f:
        for n, line in enumerate(f):
            if line.strip():
                o = json.loads(line)
                ids.append(id_text(o["id"]) if "id" in o else str(n))
                vecs.append(np.asarray(o["vector"], dtype=np.float32))
    return ids, np.array(vecs, dtype=np.float32)


def all_scores(x, q, metric):
    """Scores as vs-query reports them (double precision), and a sign that
    makes larger better: cosine similarity, dot product, Euclidean distance."""
    x = x.astype(np.float64)
    q = q.astype(np.float64)
    if metric == "cosine":
        x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-300)
        q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-300)
        return q @ x.T, 1.0
    if metric == "dot":
        return q @ x.T, 1.0
    d2 = (q * q).sum(1)[:, None] - 2 * q @ x.T + (x * x).sum(1)[None, :]
    return np.sqrt(np.maximum(d2, 0)), -1.0


class Exact:
    def __init__(self, a):
        self.pts = load_points(a.points, a.delete)
        self.ids = list(self.pts)
        flt = json.loads(a.filter) if a.filter else None
        if flt is not None:
            self.ids = [i for i in self.ids if vfilter_oracle.matches(flt, i, self.pts[i][1])]
        self.k = a.k
        self.qids, q = load_queries(a.queries)
        dim = len(next(iter(self.pts.values()))[0]) if self.pts else q.shape[1]
        x = np.array([self.pts[i][0] for i in self.ids], dtype=np.float32).reshape(-1, dim)
        self.scores, self.sign = all_scores(x, q, a.metric)
        self.col = {pid: j for j, pid in enumerate(self.ids)}

    def answer(self, qi):
        """[(id, score)] best first."""
        s = self.scores[qi]
        order = np.argsort(-self.sign * s, kind="stable")[:self.k]
        return [(self.ids[j], float(s[j])) for j in order]


def exact(a):
    e = Exact(a)
    for qi, qid in enumerate(e.qids):
        for r, (pid, s) in enumerate(e.answer(qi)):
            print(json.dumps({"query": qid, "rank": r + 1, "id": pid, "score": s}))


def read_answer(path):
    by_query = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            o = json.loads(line)
            for key in ("query", "rank", "id", "score", "metadata"):
                if key not in o:
                    sys.exit("%s:%d: no %r in %s" % (path, n, key, line.strip()))
            by_query.setdefault(o["query"], []).append(o)
    return by_query


def close(x, y):
    return abs(x - y) <= 1e-5 + 1e-5 * abs(y)


def check(a):
    e = Exact(a)
    got = read_answer(a.answer)
    extra = set(got) - set(e.qids)
    if extra:
        sys.exit("answers for queries never asked: %s" % sorted(extra)[:5])
    for qi, qid in enumerate(e.qids):
        want, hits = e.answer(qi), got.get(qid, [])
        if len(hits) != len(want):
            sys.exit("query %s: %d hits, expected %d (%s)" % (qid, len(hits), len(want), [w[0] for w in want]))
        for r, (h, (wid, ws)) in enumerate(zip(hits, want)):
            if h["rank"] != r + 1:
                sys.exit("query %s: line %d has rank %s" % (qid, r + 1, h["rank"]))
            if not close(h["score"], ws):
                sys.exit("query %s rank %d: score %r, expected %r (id %s, got %s)" %
                         (qid, r + 1, h["score"], ws, wid, h["id"]))
            if h["id"] != wid:
                j = e.col.get(h["id"])
                if j is None or not close(float(e.scores[qi][j]), ws):
                    sys.exit("query %s rank %d: id %s, expected %s (score %r)" % (qid, r + 1, h["id"], wid, ws))
            if h["metadata"] != e.pts[h["id"]][1]:
                sys.exit("query %s rank %d: id %s has metadata %s, the point has %s" %
                         (qid, r + 1, h["id"], json.dumps(h["metadata"]), json.dumps(e.pts[h["id"]][1])))
    print("%d queries, answers exact" % len(e.qids))


def recall(a):
    e = Exact(a)
    got = read_answer(a.answer)
    found = total = 0
    for qi, qid in enumerate(e.qids):
        want = {w[0] for w in e.answer(qi)}
        hits = got.get(qid, [])
        for h in hits:
            if h["id"] not in e.col:
                sys.exit("query %s: hit %s is deleted or does not match the filter" % (qid, h["id"]))
        found += len(want & {h["id"] for h in hits})
        total += len(want)
    r = found / total if total else 1.0
    print("recall@%d %.4f over %d queries" % (a.k, r, len(e.qids)))
    if r < a.min:
        sys.exit("recall %.4f is below %.4f" % (r, a.min))


def dim(a):
    with open(a.points) as f:
        print(len(json.loads(f.readline())["vector"]))


def match(a):
    flt = json.loads(a.filter)
    with open(a.points) as f:
        for line in f:
            if line.strip():
                o = json.loads(line)
                pid = id_text(o["id"])
                if vfilter_oracle.matches(flt, pid, o.get("metadata") or {}):
                    print(pid)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("dir")
    g.add_argument("n", type=int)
    g.add_argument("nq", type=int)
    g.add_argument("dim", type=int)
    g.add_argument("--clusters", type=int, default=10)
    g.add_argument("--sigma", type=float, default=0.3)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--ids", choices=["int", "str", "mixed"], default="mixed")
    g.add_argument("--id-prefix", default="p-")
    g.add_argument("--rare", type=float, default=0.005)
    d = sub.add_parser("dim")
    d.add_argument("points")
    m = sub.add_parser("match")
    m.add_argument("filter")
    m.add_argument("points")
    for name in ("exact", "check", "recall"):
        s = sub.add_parser(name)
        s.add_argument("points", nargs="+")
        s.add_argument("--metric", choices=["cosine", "dot", "l2"], default="cosine")
        s.add_argument("-k", type=int, default=10)
        s.add_argument("--filter")
        s.add_argument("--delete")
        s.add_argument("--queries", default="/dev/stdin")
        if name != "exact":
            s.add_argument("--answer", required=True)
        if name == "recall":
            s.add_argument("--min", type=float, default=0.0)
    a = p.parse_args()
    {"gen": gen, "dim": dim, "match": match, "exact": exact, "check": check, "recall": recall}[a.cmd](a)


if __name__ == "__main__":
    main()
