#!/usr/bin/python3
"""exact-dedup.py - exact deduplication as a Python user writes it, the
peer of `rec-dedup` in bench/rec-dedup.sh: NUL-separated documents from
stdin, lower-punct normalisation (tests/helpers/minhash_oracle.py's),
XXH3-128 keys in a set, the first of each kept.  Prints how many were
kept."""
import sys

import xxhash

sys.path.insert(0, __file__.rsplit("/", 2)[0] + "/tests/helpers")
import minhash_oracle as mo  # noqa: E402

norm = mo.Normalizer("lower-punct")
seen = set()
kept = 0
for doc in mo.documents(sys.stdin.buffer.read(), b"\0"):
    key = xxhash.xxh3_128_digest(norm(doc))
    if key not in seen:
        seen.add(key)
        kept += 1
print(kept)
