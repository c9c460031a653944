#!/usr/bin/python3
"""lm_oracle.py - a PyTorch float64 oracle for lm-run (tests/lm-run.bats).

    lm_oracle.py greedy MODEL N ID...    the N ids greedy decoding appends
                                         to the prompt ID..., recomputing the
                                         whole prefix each time (no cache)
    lm_oracle.py score MODEL ID...       log p(id[i+1] | id[0..i]) per line,
                                         with the sliding window of the HF
                                         perplexity guide (window = the
                                         model's context, stride half of it)

MODEL is an llm.c GPT-2 model file (float32), read with the tensor layout
of gpt2_torch.py.  Ties in greedy decoding go to the lowest id, as argmax.
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_torch import shapes, unflatten, forward  # noqa: E402


def load(path):
    h = np.fromfile(path, dtype="<i4", count=256)
    assert h[0] == 20240326 and h[1] == 3, h[:2]
    S, V, L, NH, C, Vp = (int(x) for x in h[2:8])
    flat = np.fromfile(path, dtype="<f4", offset=1024)
    p = {n: torch.tensor(a, dtype=torch.float64) for n, a in unflatten(flat, shapes(L, C, S, Vp)).items()}
    return p, L, NH, C, S, V


def logits_of(model, ids):
    p, L, NH, C, S, V = model
    out = []
    x = torch.tensor([ids], dtype=torch.int64)
    forward(p, x, torch.zeros_like(x), L, NH, C, V, logits_out=out)
    return out[0][0]


def main():
    mode, path = sys.argv[1], sys.argv[2]
    model = load(path)
    S = model[4]
    if mode == "greedy":
        n = int(sys.argv[3])
        ids = [int(a) for a in sys.argv[4:]]
        out = []
        with torch.no_grad():
            for _ in range(n):
                ctx = ids[-S:]
                nxt = int(torch.argmax(logits_of(model, ctx)[-1]))
                ids.append(nxt)
                out.append(nxt)
        print(" ".join(map(str, out)))
    elif mode == "score":
        ids = [int(a) for a in sys.argv[3:]]
        n = len(ids)
        logp = [None] * (n - 1)
        stride = max(S // 2, 1)
        done = 0
        with torch.no_grad():
            for a in range(0, n, stride):
                length = min(S, n - 1 - a)
                lp = torch.log_softmax(logits_of(model, ids[a:a + length]), dim=-1)
                for k in range(length):
                    if a + k >= done:
                        logp[a + k] = float(lp[k, ids[a + k + 1]])
                done = a + length
                if done >= n - 1:
                    break
        for v in logp:
            print(repr(v))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
