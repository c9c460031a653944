#!/usr/bin/python3
"""dedup_oracle.py - rec-dedup's decisions, written from its documented rules
(rec-dedup(1); libcommon/dedup/clusters.h, decontam.h), for tests/rec-dedup.bats.

    dedup_oracle.py decide [--normalize M] [--near] [--by FIELD] [--field F]
                           [--ngram N --bands B --rows R --seed S]
                           [--verify-jaccard T] [--decontaminate EVAL.jsonl]
                           [--decontam-ngram N] [--no-dedup] < DOCS.jsonl
        one line per document, in order: "keep", "dup K" (K the number of
        the kept record it is a copy of), "dup K J" with verification (J as
        %.6f), or "contam E" (E the evaluation record)
    dedup_oracle.py corpus SEED N > DOCS.jsonl
        documents {"id", "text"}: fresh ones, exact copies changed only in
        case, punctuation and spacing, and near copies made by word
        insertions, deletions and swaps
    dedup_oracle.py pairs SEED N > DOCS.jsonl
        N independent pairs (documents 2k, 2k+1) of similarities spread
        from 0.2 to 1, words drawn afresh for each pair so no two pairs
        share a shingle
    dedup_oracle.py jaccard [--ngram N] < DOCS.jsonl
        for documents 2k and 2k+1, their exact Jaccard similarity

The normalisation, shingles and band keys come from minhash_oracle.py
(numpy), the exact key from xxhash's XXH3-128: both written from the
headers, not from the C.
"""
import argparse
import json
import random
import sys

import xxhash

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import minhash_oracle as mo  # noqa: E402


def text_of(row, field):
    t = row.get(field)
    return "" if t is None else t


def jsonw(value):
    # The program keys a non-string --by value by its JSON text, written
    # compactly; for the tests' integers and null that is json.dumps's.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def decide(args):
    rows = [json.loads(line) for line in sys.stdin.buffer.read().decode().splitlines()]
    norm = mo.Normalizer(args.normalize)
    texts = [norm(text_of(r, args.field).encode("utf-8", "surrogatepass")) for r in rows]
    n = len(rows)

    contaminated = [None] * n
    if args.decontaminate:
        evals = [json.loads(line) for line in open(args.decontaminate, encoding="utf-8")]
        first, lengths = {}, set()
        for e, row in enumerate(evals):
            w = norm(text_of(row, args.field).encode()).split()
            if not w:
                continue
            k = min(len(w), args.decontam_ngram)
            lengths.add(k)
            for s in range(len(w) - k + 1):
                first.setdefault(b" ".join(w[s:s + k]), e)
        lengths = sorted(lengths, reverse=True)
        for i, t in enumerate(texts):
            w = t.split()
            hit = None
            for s in range(len(w)):
                for k in lengths:
                    if s + k <= len(w):
                        e = first.get(b" ".join(w[s:s + k]))
                        if e is not None:
                            hit = e
                            break
                if hit is not None:
                    break
            contaminated[i] = hit

    def exact_key(i):
        if args.by:
            v = rows[i].get(args.by)
            raw = norm(v.encode()) if isinstance(v, str) else jsonw(v).encode()
            return xxhash.xxh3_128_digest(raw)
        return xxhash.xxh3_128_digest(texts[i])

    # Buckets: (band, key) -> members in order; the exact key is a band.
    buckets = {}
    clean = [i for i in range(n) if contaminated[i] is None]
    if not args.no_dedup:
        for i in clean:
            buckets.setdefault(("exact", exact_key(i)), []).append(i)
        if args.near:
            a, b = mo.coefficients(args.seed, args.bands * args.rows)
            for i in clean:
                sig = mo.signature(mo.shingle_hashes(texts[i], args.ngram), a, b)
                for j, key in enumerate(mo.band_keys(sig, args.bands, args.rows)):
                    buckets.setdefault((j, key), []).append(i)
    groups = [m for m in buckets.values() if len(m) > 1]

    out = []
    if args.verify_jaccard is not None:
        sets = {i: set(mo.shingle_hashes(texts[i], args.ngram)) for i in clean}
        my_groups = {}
        for g, members in enumerate(groups):
            for m in members:
                my_groups.setdefault(m, []).append(g)
        kept_in = [[] for _ in groups]
        decision = {}
        for i in clean:
            cands = sorted({k for g in my_groups.get(i, []) for k in kept_in[g]})
            for k in cands:
                A, B = sets[i], sets[k]
                j = len(A & B) / len(A | B) if A or B else 1.0
                if j >= args.verify_jaccard:
                    decision[i] = f"dup {k} {j:.6f}"
                    break
            else:
                for g in my_groups.get(i, []):
                    kept_in[g].append(i)
        for i in range(n):
            out.append(f"contam {contaminated[i]}" if contaminated[i] is not None else decision.get(i, "keep"))
    else:
        # Connected components of "shares a bucket"; each keeps its first.
        root = list(range(n))

        def find(x):
            while root[x] != x:
                x = root[x]
            return x

        for members in groups:
            for m in members[1:]:
                x, y = find(members[0]), find(m)
                root[max(x, y)] = min(x, y)
        for i in range(n):
            if contaminated[i] is not None:
                out.append(f"contam {contaminated[i]}")
            else:
                r = find(i)
                out.append("keep" if r == i else f"dup {r}")
    sys.stdout.write("".join(line + "\n" for line in out))


def fresh(r, vocab, lo, hi):
    return [r.choice(vocab) for _ in range(r.randint(lo, hi))]


def edit(r, words, vocab, edits):
    w = list(words)
    for _ in range(edits):
        op, p = r.random(), r.randrange(len(w))
        if op < 0.34:
            w.insert(p, r.choice(vocab))
        elif op < 0.67 and len(w) > 10:
            del w[p]
        else:
            q = r.randrange(len(w))
            w[p], w[q] = w[q], w[p]
    return w


def restyle(r, words):
    """The same words, changed only where lower-punct cannot see it."""
    out = []
    for w in words:
        if r.random() < 0.2:
            w = w.upper()
        if r.random() < 0.1:
            w += r.choice([",", ".", "!", ";", "\u2014", "?"])
        out.append(w)
    sep = r.choice([" ", "  ", "\t", "\n", " \u00a0"])
    return sep.join(out)


def corpus(seed, n):
    r = random.Random(seed)
    vocab = ["".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(2, 9))) for _ in range(20000)]
    docs = []
    for i in range(n):
        roll = r.random()
        if docs and roll < 0.15:
            text = restyle(r, r.choice(docs).split())
        elif docs and roll < 0.4:
            text = " ".join(edit(r, r.choice(docs).split(), vocab, r.randint(1, 12)))
        else:
            text = " ".join(fresh(r, vocab, 3, 250))
        docs.append(text)
        print(json.dumps({"id": i, "text": text}))


def pairs(seed, n):
    """Pairs of documents of 150 fresh words; the second keeps a random
    share of the first's words in order and replaces the rest, so their
    5-gram Jaccard similarity spreads from about 0.2 to 1."""
    r = random.Random(seed)
    counter = [0]

    def word():
        counter[0] += 1
        return f"w{counter[0]}x{r.randrange(10**6)}"

    for k in range(n):
        a = [word() for _ in range(150)]
        keep = r.uniform(0.75, 1.0)
        b = [w if r.random() < keep else word() for w in a]
        print(json.dumps({"id": 2 * k, "text": " ".join(a)}))
        print(json.dumps({"id": 2 * k + 1, "text": " ".join(b)}))


def jaccard(ngram):
    rows = [json.loads(line) for line in sys.stdin]
    norm = mo.Normalizer("lower-punct")
    for k in range(0, len(rows) - 1, 2):
        A = set(mo.shingle_hashes(norm(rows[k]["text"].encode()), ngram))
        B = set(mo.shingle_hashes(norm(rows[k + 1]["text"].encode()), ngram))
        print(f"{len(A & B) / len(A | B):.6f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["decide", "corpus", "pairs", "jaccard"])
    ap.add_argument("rest", nargs="*")
    ap.add_argument("--normalize", default="lower-punct")
    ap.add_argument("--field", default="text")
    ap.add_argument("--by")
    ap.add_argument("--near", action="store_true")
    ap.add_argument("--ngram", type=int, default=5)
    ap.add_argument("--bands", type=int, default=14)
    ap.add_argument("--rows", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--verify-jaccard", type=float)
    ap.add_argument("--decontaminate")
    ap.add_argument("--decontam-ngram", type=int, default=13)
    ap.add_argument("--no-dedup", action="store_true")
    args = ap.parse_args()
    if args.what == "decide":
        decide(args)
    elif args.what == "corpus":
        corpus(int(args.rest[0]), int(args.rest[1]))
    elif args.what == "pairs":
        pairs(int(args.rest[0]), int(args.rest[1]))
    else:
        jaccard(args.ngram)


if __name__ == "__main__":
    main()
