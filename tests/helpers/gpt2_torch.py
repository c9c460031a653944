#!/usr/bin/env python3
"""gpt2_torch.py - the PyTorch oracle for gpt2-check (tests/gpt2.bats).

    gpt2_torch.py grads DIR L H C S V B T LOSS [TOL]
    gpt2_torch.py logits DIR L H C S V B T [TOL]
    gpt2_torch.py train DIR L H C S V B T STEPS [TOL] < C's "loss I ..." lines
    gpt2_torch.py init DIR L H C S V B T

Builds GPT-2 from the flat parameter file gpt2-check wrote (DIR/params.bin,
float32, the tensor order of gpt2.h, which this script lays out on its own)
and runs it in float64, an oracle more precise than the float32 code under
test.  Targets equal to 2^32-1 (GPT2_IGNORE) are left out of the loss
(cross_entropy's ignore_index).
grads: compares the loss and every tensor's gradient with DIR/grads.bin.
logits: compares DIR/logits.bin, [B, T, V] float32, with the logits.
train: runs torch.optim.AdamW for STEPS steps on the same batch and
compares the loss before each step and after the last, and, when
DIR/final.bin exists, every tensor of the parameters after the last step.
init: checks the initial parameters' statistics.
TOL, where given, is the relative tolerance of every comparison: the loss
relative to itself; gradients and logits, a tensor's largest difference
relative to its largest magnitude (elementwise relative error means
nothing for values near 0); parameters after AdamW, per tensor normwise,
||C - torch|| / ||torch|| (see the train mode for why).  Without it: the
loss 1e-5 (1e-4 in train), gradients 1e-5 of their tensor's largest and
1e-4 absolute, logits 1e-5, parameters 1e-4.
Prints what it measured; exits 1 when a tolerance is exceeded.
"""
import math
import os
import sys

import numpy as np
import torch

# The model is the PyTorch example's (examples/pytorch-train/gpt2.py): one
# GPT-2 over llm.c's layout serves as this oracle and as the trainer users
# copy, so the example is checked by every test here too.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "examples", "pytorch-train"))
from gpt2 import DECAY, NAMES, shapes, unflatten  # noqa: E402
from gpt2 import forward as gpt2_forward  # noqa: E402

IGNORE = 2**32 - 1


def compare(what, got, want, tol):
    """The largest difference relative to the largest magnitude; prints it
    and says whether it is within tol."""
    diff = float(np.abs(got - want).max()) if want.size else 0.0
    scale = float(np.abs(want).max()) if want.size else 0.0
    rel = diff / max(scale, 1e-30)
    print(f"{what:14s} max|x|={scale:.3e} max|diff|={diff:.3e} rel={rel:.3e}")
    if rel > tol and diff > 0:
        print(f"  MISMATCH in {what}")
        return False
    return True


def forward(p, inp, tgt, L, NH, C, V, logits_out=None):
    # -100 is cross_entropy's default ignore_index; a mean over the rest
    return gpt2_forward(p, inp, tgt, L, NH, C, V, logits_out, ignore_index=-100)


def main():
    mode, d = sys.argv[1], sys.argv[2]
    L, NH, C, S, V, B, T = (int(a) for a in sys.argv[3:10])
    Vp = (V + 127) // 128 * 128
    torch.manual_seed(0)
    shp = shapes(L, C, S, Vp)
    flat = np.fromfile(f"{d}/params.bin", dtype="<f4")
    inp = torch.from_numpy(np.fromfile(f"{d}/inputs.bin", dtype="<u4").astype(np.int64)).view(B, T)
    tgt_raw = np.fromfile(f"{d}/targets.bin", dtype="<u4").astype(np.int64)
    tgt_raw[tgt_raw == IGNORE] = -100
    tgt = torch.from_numpy(tgt_raw).view(B, T)
    counted = int((tgt_raw != -100).sum())
    p = {n: torch.tensor(a, dtype=torch.float64, requires_grad=True)
         for n, a in unflatten(flat, shp).items()}
    ok = True
    if mode == "grads":
        loss_c = float(sys.argv[10])
        tol = float(sys.argv[11]) if len(sys.argv) > 11 else None
        loss = forward(p, inp, tgt, L, NH, C, V)
        if counted == 0:
            # PyTorch's mean over no positions is nan; gpt2.c says 0
            print(f"no counted positions: c={loss_c}")
            ok = loss_c == 0.0
            loss = sum(t.sum() for t in p.values()) * 0.0
        print(f"counted positions {counted} of {B * T}")
        loss.backward()
        rel = abs(loss_c - loss.item()) / max(abs(loss.item()), 1e-30)
        print(f"loss c={loss_c:.9g} torch={loss.item():.12g} rel={rel:.3g}")
        if rel >= (tol or 1e-5) and loss_c != loss.item():
            ok = False
        g_c = unflatten(np.fromfile(f"{d}/grads.bin", dtype="<f4"), shp)
        worst = 0.0
        for n in NAMES:
            want = p[n].grad.numpy()
            got = g_c[n].astype(np.float64)
            scale = max(1.0, float(np.abs(want).max()))
            diff = float(np.abs(got - want).max())
            # also relative to the tensor's largest gradient, which says
            # more than the absolute bound when gradients are small
            relg = diff / max(float(np.abs(want).max()), 1e-30)
            worst = max(worst, relg)
            print(f"grad {n:9s} max|g|={np.abs(want).max():.3e} max|diff|={diff:.3e} rel={relg:.3e}")
            if counted == 0:
                if diff > 0:
                    print(f"  a nonzero gradient in {n} with no counted position")
                    ok = False
            elif tol is not None and relg > tol:
                print(f"  MISMATCH in {n}")
                ok = False
            elif tol is None and (diff > 1e-4 * scale or relg > 1e-5):
                print(f"  MISMATCH in {n}")
                ok = False
        pad = g_c["wte"][V:]
        if pad.size and np.any(pad != 0):
            print("padding rows of wte have a nonzero gradient")
            ok = False
        print(f"worst relative gradient error {worst:.3e}")
    elif mode == "logits":
        tol = float(sys.argv[10]) if len(sys.argv) > 10 else 1e-5
        out = []
        with torch.no_grad():
            forward(p, inp, tgt, L, NH, C, V, out)
        want = out[0].numpy()
        got = np.fromfile(f"{d}/logits.bin", dtype="<f4").reshape(B, T, V).astype(np.float64)
        ok = compare("logits", got, want, tol)
    elif mode == "train":
        steps = int(sys.argv[10])
        tol = float(sys.argv[11]) if len(sys.argv) > 11 else None
        c_losses = [float(line.split()[2]) for line in sys.stdin if line.startswith("loss ")]
        if len(c_losses) != steps + 1:
            print(f"expected {steps + 1} losses from C, got {len(c_losses)}")
            sys.exit(1)
        opt = torch.optim.AdamW(
            [{"params": [p[n] for n in NAMES if n in DECAY], "weight_decay": 0.1},
             {"params": [p[n] for n in NAMES if n not in DECAY], "weight_decay": 0.0}],
            lr=1e-3, betas=(0.9, 0.95), eps=1e-8)
        worst = 0.0
        for i in range(steps + 1):
            loss = forward(p, inp, tgt, L, NH, C, V)
            rel = abs(c_losses[i] - loss.item()) / loss.item()
            worst = max(worst, rel)
            print(f"step {i} c={c_losses[i]:.9g} torch={loss.item():.12g} rel={rel:.3g}")
            if rel >= (tol or 1e-4):
                ok = False
            if i == steps:
                break
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"worst relative loss error {worst:.3e}")
        try:
            final = unflatten(np.fromfile(f"{d}/final.bin", dtype="<f4"), shp)
        except FileNotFoundError:
            final = None
        if final is not None:
            # Normwise, ||C - torch|| / ||torch|| per tensor: Adam divides
            # each gradient by its own magnitude, so an element whose
            # gradient is near 0 (at the noise of float32 rounding, or near
            # eps) moves in a direction that rounding picks; the largest
            # elementwise difference (printed too) reflects those few, the
            # norm the tensor.  The key bias (the middle third of qkvb) is
            # apart: its exact gradient is 0 (softmax ignores a constant
            # added to every score of a row), so float64 leaves it at 0 and
            # float32 moves it by its rounding noise, ~1e-10, over eps
            # (1e-8) times lr a step: it must stay within 1% of lr a step.
            for n in NAMES:
                want = p[n].detach().numpy()
                got = final[n].astype(np.float64)
                if n == "wte":  # the padding rows: decayed from 0, still 0
                    ok &= compare("param wte pad", got[V:], want[V:], 0.0)
                    want, got = want[:V], got[:V]
                if n == "qkvb":
                    key = np.abs(got[:, C:2 * C]).max()
                    print(f"param qkvb key bias max|C|={key:.3e} (bound {steps * 1e-5:.1e})")
                    if key > steps * 1e-5:
                        print("  MISMATCH: the key bias moved")
                        ok = False
                    want = np.concatenate([want[:, :C], want[:, 2 * C:]], axis=1)
                    got = np.concatenate([got[:, :C], got[:, 2 * C:]], axis=1)
                rel = float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-30))
                maxrel = float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-30))
                print(f"param {n:9s} rel={rel:.3e} (max|diff|/max|x|={maxrel:.3e})")
                if rel > (tol or 1e-4):
                    print(f"  MISMATCH in {n}")
                    ok = False
    elif mode == "init":
        # GPT-2's initialisation, by its statistics
        resid = 0.02 / math.sqrt(2 * L)
        for n in NAMES:
            a = p[n].detach().numpy()
            if n == "wte":
                if np.any(a[V:] != 0):
                    print("wte padding rows are not 0")
                    ok = False
                a = a[:V]
            if n in DECAY:
                want = resid if n in ("attprojw", "fcprojw") else 0.02
                sd, mean = float(a.std()), float(a.mean())
                print(f"init {n:9s} std={sd:.5f} (want {want:.5f}) mean={mean:.2e}")
                if abs(sd / want - 1) > 0.05 or abs(mean) > 0.1 * want:
                    ok = False
            else:
                want = 1.0 if n.endswith("w") else 0.0
                if np.any(a != want):
                    print(f"init {n}: not all {want}")
                    ok = False
    else:
        sys.exit(f"unknown mode {mode}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
