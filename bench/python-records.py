#!/usr/bin/python3
"""python-records.py - the sluice Python reader's throughput on batch records.

    python-records.py make FILE BYTES   write about BYTES of u16 ids as batch
                                        records (B=16, T=1024) to FILE
    python-records.py read SOURCE       read SOURCE (a path, or - for stdin)
                                        as a trainer would, every id touched
                                        once (the checksums touch them), and
                                        print GB/s of ids, start-up excluded
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import sluice  # noqa: E402  (from the source tree, beside this script)


def make(path, nbytes):
    B, T = 16, 1024
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 50257, size=(64, B, T + 1), dtype=np.uint16)
    n = max(1, nbytes // ids[0].nbytes)
    with sluice.Writer(path, kind="batch", dtype="u16",
                       header={"tokenizer": "gpt2", "vocab_size": 50257, "eot": 50256,
                               "B": B, "T": T}, prog="python-records.py", args=[]) as w:
        for i in range(n):
            w.write_batch(ids[i % len(ids)])


def read(source):
    t = time.perf_counter()
    n = 0
    with sluice.open(source) as r:
        for f in r:
            n += f.batch.nbytes
    dt = time.perf_counter() - t
    print("%.2f GB/s (%d bytes of ids in %.3f s)" % (n / dt / 1e9, n, dt))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]))
    else:
        read(sys.argv[2])
