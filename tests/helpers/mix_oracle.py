#!/usr/bin/python3
"""mix_oracle.py - the order Hugging Face datasets.interleave_datasets gives
iterable datasets, for tests/rec-mix.bats to compare rec-mix with.

    mix_oracle.py [--probabilities P1,P2,...] [--seed S]
                  [--stop first_exhausted|all_exhausted] [--take N] LEN...

LEN is each input's number of records.  Prints one line "INPUT:INDEX" per
record of the mix (both 0-based).  The loop is datasets' own rule
(CyclingMultiSourcesExamplesIterable and its randomly cycling subclass,
rewritten here): each input keeps one example ahead; a turn yields the
example ahead and fetches the next; when there is none, the input is
exhausted and restarted.  The stopping test comes before each turn.  The
source indices come from numpy itself: default_rng(seed).choice(n, 1000,
p=probabilities), batch after batch, as datasets draws them.
"""
import argparse
import itertools

import numpy as np

BATCH = 1000  # datasets' random_batch_size


def indices(n, probabilities, seed):
    if probabilities is None:
        yield from itertools.cycle(range(n))
        return
    rng = np.random.default_rng(seed)
    while True:
        yield from (int(i) for i in rng.choice(n, size=BATCH, p=probabilities))


def mix(lengths, probabilities, seed, stop):
    n = len(lengths)
    iters = [iter(range(length)) for length in lengths]
    ahead = [None] * n  # None: nothing fetched yet; False: the input ended
    exhausted = [False] * n
    done = any if stop == "first_exhausted" else all
    for i in indices(n, probabilities, seed):
        if done(exhausted):
            return
        if ahead[i] is None:
            ahead[i] = next(iters[i], False)
        result = ahead[i]
        ahead[i] = next(iters[i], False)
        if ahead[i] is False:
            exhausted[i] = True
            iters[i] = iter(range(lengths[i]))
            ahead[i] = None
        if result is not False:
            yield i, result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--probabilities")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--stop", default="first_exhausted")
    ap.add_argument("--take", type=int)
    ap.add_argument("lengths", type=int, nargs="+")
    a = ap.parse_args()
    p = [float(x) for x in a.probabilities.split(",")] if a.probabilities else None
    out = mix(a.lengths, p, a.seed, a.stop)
    if a.take is not None:
        out = itertools.islice(out, a.take)
    for i, k in out:
        print(f"{i}:{k}")


if __name__ == "__main__":
    main()
