#!/usr/bin/python3
"""train-batches.py - a stream of random batch records for train-step's tests.

    train-batches.py B T V N SEED [EXTRA_SPEC...]

Writes to stdout (through mkframes.py, the independent frame writer) a
header with vocab_size V, N u16 batch frames [B, T+1] of ids drawn from
range(V) by a seeded random.Random, any EXTRA_SPEC frames, and the end
frame.
"""
import os
import random
import subprocess
import sys

B, T, V, N, seed = (int(a) for a in sys.argv[1:6])
rnd = random.Random(seed)
specs = ['header:{"format":"sluice-rec","version":1,"kind":"batch","dtype":"u16",'
         '"B":%d,"T":%d,"vocab_size":%d,"lineage":[{"prog":"train-batches.py"}]}' % (B, T, V)]
for _ in range(N):
    specs.append("batch16:%d:%d:%s" % (B, T, ",".join(str(rnd.randrange(V)) for _ in range(B * (T + 1)))))
specs += sys.argv[6:]
specs.append("end")
here = os.path.dirname(os.path.abspath(__file__))
sys.exit(subprocess.call([sys.executable, os.path.join(here, "mkframes.py")] + specs))
