#!/usr/bin/env python3
"""train.py - a small GPT-2 trained in plain PyTorch from sluice batches.

    hf-stream data/train.txt | tok-bpe encode -t tok.json --eot \\
        | batchify -B 4 -T 64 | python3 train.py --steps 100 --log log.jsonl

The batches come from a pipe (standard input) or --data files through
sluice.pytorch.BatchDataset; the model is gpt2.py's, started from an llm.c
model file (--init, as train-step --init) or from GPT-2's initialisation.
The optimisation is train-step's, option for option and default for
default, so that from the same model file and batches both give the same
losses: AdamW with decoupled weight decay of the matmul weights and the
embeddings, the gradient's global norm clipped to --grad-clip (scaled by
clip/norm when larger, the norm summed in float64), a linear warmup and a
cosine decay to --lr-min at the last step, one batch a step.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
from torch.utils.data import DataLoader

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpt2  # noqa: E402  (beside this file)
from sluice.pytorch import BatchDataset, to_device  # noqa: E402


def lr_at(step, a):
    """train-step's schedule (libcommon/train/schedule.c) at 0-based step."""
    if step < a.warmup:
        return a.lr * (step + 1) / a.warmup
    if a.steps <= a.warmup + 1:
        return a.lr
    frac = min(1.0, (step - a.warmup) / (a.steps - 1 - a.warmup))
    return a.lr_min + 0.5 * (a.lr - a.lr_min) * (1.0 + math.cos(math.pi * frac))


def clip_(params, clip):
    """Scales the gradients to a global L2 norm of clip when it is larger,
    as train-step does (no epsilon, unlike clip_grad_norm_); the norm before."""
    norm = float(torch.stack([(p.grad.double() ** 2).sum() for p in params]).sum().sqrt())
    if clip > 0 and norm > clip:
        scale = float(np.float32(clip / norm))  # train-step scales in float
        for p in params:
            p.grad.mul_(scale)
    return norm


def batches(ds, workers, pin):
    """The batches, again from the first file when they end (train-step's
    rule); a stream, read once, ends the run."""
    while True:
        got = False
        for b in DataLoader(ds, batch_size=None, num_workers=workers, pin_memory=pin):
            got = True
            yield b
        if ds.stream is not None or not got:
            return


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", action="append", help="batch records (globs; default: stdin)")
    ap.add_argument("--workers", type=int, default=0, help="DataLoader workers (files only)")
    ap.add_argument("--init", help="an llm.c GPT-2 model file to start from")
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--ctx", type=int, help="longest sequence (default: the batches' T)")
    ap.add_argument("--vocab", type=int, help="vocabulary (default: the input header's)")
    ap.add_argument("--steps", type=int, required=True, help="0: only --export the start")
    ap.add_argument("--lr", type=float, default=6e-4)
    ap.add_argument("--lr-min", type=float, help="default: lr/10")
    ap.add_argument("--warmup", type=int, default=0)
    ap.add_argument("--beta1", type=float, default=0.9)
    ap.add_argument("--beta2", type=float, default=0.95)
    ap.add_argument("--eps", type=float, default=1e-8)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--grad-clip", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    ap.add_argument("--log", help="a JSON line a step: step, loss, lr, grad_norm, ms")
    ap.add_argument("--export", help="write the llm.c model file at the end")
    ap.add_argument("-q", "--quiet", action="store_true")
    a = ap.parse_args()
    if a.lr_min is None:
        a.lr_min = a.lr / 10

    dev = torch.device("cuda" if a.device == "auto" and torch.cuda.is_available()
                       else "cpu" if a.device == "auto" else a.device)
    ds = BatchDataset(a.data or "-")
    if a.init:
        config, params = gpt2.load(a.init)
    else:
        # the input's header says what --ctx and --vocab leave open
        head = ds.header if a.ctx is None or a.vocab is None else {}
        config = gpt2.config_of(a.ctx or head["T"], a.vocab or head["vocab_size"],
                                a.layers, a.heads, a.dim)
        params = gpt2.init(config, a.seed)
    model = gpt2.GPT(config, params).to(dev)
    # train-step's AdamW; the learning rate is set each step, rounded to
    # float as train-step hands it to its kernel
    opt = torch.optim.AdamW(model.groups(a.weight_decay), lr=a.lr,
                            betas=(a.beta1, a.beta2), eps=a.eps)
    params_list = list(model.parameters())
    log = open(a.log, "w") if a.log else None

    step = 0
    data = batches(ds, a.workers, dev.type == "cuda")
    while step < a.steps:
        batch = next(data, None)
        if batch is None:
            print("train.py: the input ended after step %d of %d" % (step, a.steps), file=sys.stderr)
            break
        t0 = time.time()
        x, y = to_device(batch, dev)
        lr = float(np.float32(lr_at(step, a)))
        for g in opt.param_groups:
            g["lr"] = lr
        loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norm = clip_(params_list, a.grad_clip)
        opt.step()
        step += 1
        loss = loss.item()
        ms = (time.time() - t0) * 1e3
        if log:
            log.write(json.dumps({"step": step, "loss": loss, "lr": lr, "grad_norm": norm,
                                  "ms": round(ms, 3), "device": str(dev)}) + "\n")
            log.flush()
        if not a.quiet:
            print("step %d loss %.6f lr %.3g norm %.3f %.1f ms" % (step, loss, lr, norm, ms),
                  file=sys.stderr)
    if a.export:
        gpt2.save(a.export, config, model.p)


if __name__ == "__main__":
    main()
