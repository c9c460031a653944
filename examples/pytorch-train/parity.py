#!/usr/bin/env python3
"""parity.py C.jsonl TORCH.jsonl - the losses of two --log files side by
side, step by step, with their relative difference and the largest."""
import json
import sys


def losses(path):
    with open(path) as f:
        return {r["step"]: r["loss"] for r in map(json.loads, f) if "loss" in r}


c, t = losses(sys.argv[1]), losses(sys.argv[2])
if not c or sorted(c) != sorted(t):
    sys.exit("parity.py: the logs have different steps: %s and %s" % (sorted(c), sorted(t)))
worst = 0.0
print("step  train-step    train.py      rel")
for s in sorted(c):
    rel = abs(c[s] - t[s]) / abs(c[s])
    worst = max(worst, rel)
    print("%4d  %.7f  %.7f  %.1e" % (s, c[s], t[s], rel))
print("largest relative difference %.1e" % worst)
