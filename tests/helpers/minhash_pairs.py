#!/usr/bin/python3
"""minhash_pairs.py - the LSH S-curve check of tests/minhash.bats.

    minhash_pairs.py make --pairs N --sims S1,S2,... [--size U] [--seed K]
        Pairs of documents, one a line, whose word sets have Jaccard
        similarity exactly S: U distinct random words in all, round(S*U)
        in both documents and the rest split between them.  With --ngram 1
        each word is a shingle, so S is the shingle sets' similarity.
        The pairs of each S come together, in the order of --sims.

    minhash_pairs.py check --pairs N --sims S1,... --bands B --rows R
        Reads the signatures of those documents (minhash-sign --print sig)
        and, for each S, compares with theory, within 4 standard errors:
        the fraction of pairs that share at least one band (all R values
        of the band equal), 1 - (1 - S^R)^B; and the fraction of signature
        values that agree, S.  Prints one line per S; exits 1 if any is off.
"""
import argparse
import math
import random
import sys


def make(args):
    rng = random.Random(args.seed)
    out = []
    for s in args.sims:
        shared = round(s * args.size)
        only = args.size - shared
        for _ in range(args.pairs):
            words = [f"w{rng.getrandbits(64):016x}" for _ in range(args.size)]
            common, rest = words[:shared], words[shared:]
            a = common + rest[: only // 2]
            b = common + rest[only // 2 :]
            rng.shuffle(a)
            rng.shuffle(b)
            out.append(" ".join(a))
            out.append(" ".join(b))
    sys.stdout.write("".join(line + "\n" for line in out))


def check(args):
    sigs = [line.split() for line in sys.stdin.read().splitlines()]
    width = args.bands * args.rows
    if len(sigs) != 2 * args.pairs * len(args.sims) or any(len(x) != width for x in sigs):
        sys.exit("minhash_pairs: wrong number or width of signatures")
    bad = 0
    for n, s in enumerate(args.sims):
        shared_band = agree = 0
        for p in range(args.pairs):
            x, y = sigs[2 * (n * args.pairs + p)], sigs[2 * (n * args.pairs + p) + 1]
            same = [u == v for u, v in zip(x, y)]
            agree += sum(same)
            bands = [all(same[j * args.rows : (j + 1) * args.rows]) for j in range(args.bands)]
            shared_band += any(bands)
        # The similarity the documents really have: round(s*U)/U.
        j = round(s * args.size) / args.size
        p = 1 - (1 - j**args.rows) ** args.bands
        observed = shared_band / args.pairs
        se = math.sqrt(max(p * (1 - p), 1 / args.pairs) / args.pairs)
        row = agree / (args.pairs * width)
        row_se = math.sqrt(j * (1 - j) / (args.pairs * width))
        ok = abs(observed - p) <= 4 * se and abs(row - j) <= 4 * row_se
        bad += not ok
        print(f"s={j:.3f} bands: {observed:.4f} expected {p:.4f} (se {se:.4f}); "
              f"values: {row:.4f} expected {j:.4f} (se {row_se:.4f}){'' if ok else '  OFF'}")
    sys.exit(1 if bad else 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["make", "check"])
    ap.add_argument("--pairs", type=int, required=True)
    ap.add_argument("--sims", type=lambda v: [float(x) for x in v.split(",")], required=True)
    ap.add_argument("--size", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bands", type=int, default=14)
    ap.add_argument("--rows", type=int, default=8)
    args = ap.parse_args()
    (make if args.what == "make" else check)(args)


if __name__ == "__main__":
    main()
