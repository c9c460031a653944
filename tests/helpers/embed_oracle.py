#!/usr/bin/python3
"""embed_oracle.py - a PyTorch float64 oracle for lm-embed (tests/lm-embed.bats).

    embed_oracle.py MODEL IDS OURS [--pool mean|last] [--no-normalize] [--tol X]

MODEL is an llm.c GPT-2 model file (float32), run by gpt2_torch.py's
forward in float64.  IDS holds one document a line, its token ids
separated by spaces; OURS is lm-embed's --format jsonl output for the same
documents, in the same order.  The final hidden states are the output of
the forward's last LayerNorm (the final one), taken by wrapping
F.layer_norm.  The pooling is done here on its own, as lm-embed(1)
describes it: mean, over windows of the model's context run separately;
last, the last token in the window of the final context-length tokens;
then L2-normalised unless --no-normalize.

Prints the largest difference over all vectors and exits 1 when it is
over the tolerance (default 1e-4) or when the counts differ.
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpt2_torch  # noqa: E402
from lm_oracle import load  # noqa: E402


def hidden(model, ids):
    """The final LayerNorm's output [len(ids), C] for one window."""
    p, L, NH, C, S, V = model
    seen = []
    # The model calls torch.nn.functional.layer_norm through the module
    # (examples/pytorch-train/gpt2.py's F): record its outputs there.
    functional = torch.nn.functional
    real = functional.layer_norm

    def recording(*a, **k):
        out = real(*a, **k)
        seen.append(out)
        return out

    functional.layer_norm = recording
    try:
        x = torch.tensor([ids], dtype=torch.int64)
        gpt2_torch.forward(p, x, torch.zeros_like(x), L, NH, C, V)
    finally:
        functional.layer_norm = real
    assert len(seen) == 2 * L + 1, len(seen)
    return seen[-1][0]


def embed(model, ids, pool, normalize):
    S = model[4]
    if pool == "last":
        v = hidden(model, ids[-S:])[-1]
    else:
        rows = [hidden(model, ids[s:s + S]) for s in range(0, len(ids), S)]
        v = torch.cat(rows).mean(dim=0)
    if normalize:
        v = v / v.norm()
    return v.numpy()


def main():
    path, ids_path, ours_path = sys.argv[1:4]
    pool, normalize, tol = "mean", True, 1e-4
    args = sys.argv[4:]
    while args:
        a = args.pop(0)
        if a == "--pool":
            pool = args.pop(0)
        elif a == "--no-normalize":
            normalize = False
        elif a == "--tol":
            tol = float(args.pop(0))
        else:
            sys.exit("embed_oracle.py: unknown argument " + a)
    model = load(path)
    docs = [[int(t) for t in line.split()] for line in open(ids_path)]
    ours = [json.loads(line) for line in open(ours_path)]
    if len(docs) != len(ours):
        print(f"{len(docs)} documents, {len(ours)} vectors")
        return 1
    worst = 0.0
    with torch.no_grad():
        for ids, got in zip(docs, ours):
            want = embed(model, ids, pool, normalize)
            diff = float(np.abs(np.array(got["vector"], dtype=np.float64) - want).max())
            worst = max(worst, diff)
    print(f"{len(docs)} vectors, max |diff| {worst:.3e}")
    return 0 if worst <= tol else 1


if __name__ == "__main__":
    sys.exit(main())
