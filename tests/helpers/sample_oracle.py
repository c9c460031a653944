#!/usr/bin/env python3
"""sample_oracle.py - the numpy oracle for the sampler (tests/sample.bats).

    sample_oracle.py gen KIND SEED N         logits on stdout (float32 reprs)
    sample_oracle.py probs FILE T K P        < gen-check probs output
    sample_oracle.py hf FILE P               < gen-check probs output (T 1, K 0)
    sample_oracle.py freq FILE T K P DRAWS   < gen-check draw output
    sample_oracle.py logprob FILE            < gen-check logprob output

gen KIND: normal (N(0, 2^2)), ties (values from a set of five, so many
ties), peaked (one token far ahead).  The logits are written as the
shortest decimals of float32 values, so the C driver's strtof reads the
same floats this script does.

probs: the distribution the sampler draws from, computed here
independently (numpy, float64): temperature, then the k first in the
order logit descending / id ascending, then the smallest prefix of that
order whose renormalised probability reaches P.  The kept set must be
equal, the probabilities within 1e-12.
hf: the set Hugging Face's TopPLogitsWarper keeps, by its own formula
(sort ascending, drop the tokens whose cumulative probability is
<= 1 - P); for logits without ties it must equal the sampler's set.
freq: DRAWS picks' counts against the distribution of `probs`: nothing
outside the kept set, and every count within 5 standard deviations of its
binomial mean (DRAWS p, sd sqrt(DRAWS p (1-p))).  Why 5: a 5-sigma miss
has probability about 6e-7 per token, so over a few hundred tokens the
bound fails for fewer than one seed in a thousand (and the seed is fixed,
so the test is deterministic anyway), while at 200000 draws it still
catches an error of 0.0034 in a probability of 0.1, or of 0.0011 in one
of 0.01: far smaller than any slip in the truncation or the draw (a token
wrongly kept or dropped, a temperature applied twice, an off-by-one in
the walk).
logprob: numpy's log-softmax in float64, within 1e-12.
Prints what it measured; exits 1 on a mismatch.
"""
import sys

import numpy as np


def read_logits(path):
    with open(path) as f:
        return np.array([np.float32(w) for w in f.read().split()], dtype=np.float32)


def dist(x, T, K, P):
    """{id: probability} that the sampler should draw from."""
    x = x.astype(np.float64)
    n = len(x)
    ids = np.arange(n)
    if T == 0:
        return {int(np.flatnonzero(x == x.max())[0]): 1.0}
    z = x / T
    order = np.lexsort((ids, -z))  # z descending, then id ascending
    keep = order[:K] if 0 < K < n else order
    e = np.exp(z[keep] - z[keep].max())
    pr = e / e.sum()
    if P < 1:
        before = np.concatenate(([0.0], np.cumsum(pr)[:-1]))
        mask = before < P
        mask[0] = True
        keep, pr = keep[mask], pr[mask]
        pr = pr / pr.sum()
    return {int(i): float(p) for i, p in zip(keep, pr)}


def read_pairs(conv):
    out = {}
    for line in sys.stdin:
        a, b = line.split()
        out[int(a)] = conv(b)
    return out


def fail(msg):
    print(msg)
    sys.exit(1)


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "gen":
        kind, seed, n = args[0], int(args[1]), int(args[2])
        rng = np.random.default_rng(seed)
        if kind == "normal":
            x = rng.normal(0, 2, n)
        elif kind == "ties":
            x = rng.choice([-1.0, 0.0, 0.5, 1.25, 2.0], n)
        elif kind == "peaked":
            x = rng.normal(0, 1, n)
            x[rng.integers(n)] = 12.0
        else:
            fail("unknown kind " + kind)
        print(" ".join(repr(float(np.float32(v))) for v in x))
        return
    x = read_logits(args[0])
    if mode == "probs":
        T, K, P = float(args[1]), int(args[2]), float(args[3])
        want, got = dist(x, T, K, P), read_pairs(float)
        if set(want) != set(got):
            fail("kept sets differ: oracle %s, sampler %s" % (sorted(want), sorted(got)))
        err = max(abs(want[i] - got[i]) for i in want)
        print("kept %d maxerr %.3g" % (len(want), err))
        if err > 1e-12:
            fail("probabilities differ")
    elif mode == "hf":
        P = float(args[1])
        xs = x.astype(np.float64)
        order = np.argsort(xs, kind="stable")  # ascending, as HF sorts
        e = np.exp(xs[order] - xs.max())
        cum = np.cumsum(e / e.sum())
        remove = cum <= 1 - P
        remove[-1] = False  # min_tokens_to_keep = 1
        want = set(int(i) for i in order[~remove])
        got = set(read_pairs(float))
        print("kept %d" % len(want))
        if want != got:
            fail("HF keeps %s, sampler %s" % (sorted(want), sorted(got)))
    elif mode == "freq":
        T, K, P, N = float(args[1]), int(args[2]), float(args[3]), int(args[4])
        want, got = dist(x, T, K, P), read_pairs(int)
        outside = sorted(set(got) - set(want))
        if outside:
            fail("drawn outside the kept set: %s" % outside)
        if sum(got.values()) != N:
            fail("%d draws, not %d" % (sum(got.values()), N))
        worst, at = 0.0, None
        for i, p in want.items():
            c = got.get(i, 0)
            sd = np.sqrt(N * p * (1 - p))
            z = abs(c - N * p) / sd if sd > 0 else (0.0 if c == N * p else np.inf)
            if z > worst:
                worst, at = z, i
        print("tokens %d max z %.2f (token %s)" % (len(want), worst, at))
        if worst > 5:
            fail("frequencies do not match the probabilities")
    elif mode == "logprob":
        xs = x.astype(np.float64)
        m = xs.max()
        want = xs - m - np.log(np.sum(np.exp(xs - m)))
        got = np.array([float(l) for l in sys.stdin])
        if len(got) != len(want):
            fail("%d values, not %d" % (len(got), len(want)))
        fin = np.isfinite(want)
        if not np.array_equal(got[~fin], want[~fin]):
            fail("impossible tokens differ: %s vs %s" % (got[~fin], want[~fin]))
        err = np.max(np.abs(got[fin] - want[fin]))
        print("maxerr %.3g" % err)
        if not err <= 1e-12:
            fail("log-probabilities differ")
    else:
        fail("unknown mode " + mode)


if __name__ == "__main__":
    main()
