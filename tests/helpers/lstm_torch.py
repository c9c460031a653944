#!/usr/bin/env python3
"""lstm_torch.py - the PyTorch oracle for lstm-check (tests/lstm.bats).

    lstm_torch.py grads DIR L H V B T LOSS
    lstm_torch.py init DIR L H V
    lstm_torch.py close DIR1 DIR2 L H V

Builds nn.Embedding + nn.LSTM(batch_first=True) + nn.Linear from the flat
parameter file lstm-check wrote (DIR/params.bin, float32, the tensor order
of lstm.h, which this script lays out on its own) and runs it in float64,
an oracle more precise than the float32 code under test.
grads: compares the logits (DIR/logits.bin), the mean cross-entropy over
the targets that are not LSTM_IGNORE (0xffffffff), and every tensor's
gradient (DIR/grads.bin).  The error measure, as in gpt2_torch.py, is
relative to the largest magnitude of the tensor: max|c - torch| / max|torch|.
init: checks the initial parameters' statistics.
close: two runs' logits and gradients agree to 1e-5 by the same measure.
Prints what it measured; exits 1 when a tolerance is exceeded.
"""
import math
import sys

import numpy as np
import torch
import torch.nn.functional as F

NAMES = ["emb", "wih", "whh", "bih", "bhh", "wout", "bout"]
IGNORE = 0xFFFFFFFF
TOL = 1e-4


def shapes(L, H, V):
    return {"emb": (V, H), "wih": (L, 4 * H, H), "whh": (L, 4 * H, H),
            "bih": (L, 4 * H), "bhh": (L, 4 * H), "wout": (V, H), "bout": (V,)}


def unflatten(flat, shp):
    out, at = {}, 0
    for n in NAMES:
        size = int(np.prod(shp[n]))
        out[n] = flat[at:at + size].reshape(shp[n])
        at += size
    assert at == flat.size, (at, flat.size)
    return out


def build(p, L, H, V):
    """The PyTorch modules with the flat file's parameters, in float64."""
    emb = torch.nn.Embedding(V, H).double()
    lstm = torch.nn.LSTM(H, H, L, batch_first=True).double()
    head = torch.nn.Linear(H, V).double()
    with torch.no_grad():
        emb.weight.copy_(torch.from_numpy(p["emb"]))
        for l in range(L):
            getattr(lstm, f"weight_ih_l{l}").copy_(torch.from_numpy(p["wih"][l]))
            getattr(lstm, f"weight_hh_l{l}").copy_(torch.from_numpy(p["whh"][l]))
            getattr(lstm, f"bias_ih_l{l}").copy_(torch.from_numpy(p["bih"][l]))
            getattr(lstm, f"bias_hh_l{l}").copy_(torch.from_numpy(p["bhh"][l]))
        head.weight.copy_(torch.from_numpy(p["wout"]))
        head.bias.copy_(torch.from_numpy(p["bout"]))
    return emb, lstm, head


def torch_grads(emb, lstm, head, L):
    """The gradients, flattened back into lstm.h's tensors."""
    def g(t):
        return t.grad.numpy() if t.grad is not None else np.zeros(tuple(t.shape))
    return {"emb": g(emb.weight),
            "wih": np.stack([g(getattr(lstm, f"weight_ih_l{l}")) for l in range(L)]),
            "whh": np.stack([g(getattr(lstm, f"weight_hh_l{l}")) for l in range(L)]),
            "bih": np.stack([g(getattr(lstm, f"bias_ih_l{l}")) for l in range(L)]),
            "bhh": np.stack([g(getattr(lstm, f"bias_hh_l{l}")) for l in range(L)]),
            "wout": g(head.weight), "bout": g(head.bias)}


def rel_err(got, want):
    """max|got - want| / max|want| (the absolute error when want is all 0)."""
    diff = float(np.abs(got.astype(np.float64) - want).max())
    scale = float(np.abs(want).max())
    return diff / scale if scale > 0 else diff


def main():
    mode, d = sys.argv[1], sys.argv[2]
    torch.manual_seed(0)
    ok = True
    if mode == "close":
        d2 = sys.argv[3]
        L, H, V = (int(a) for a in sys.argv[4:7])
        shp = shapes(L, H, V)
        for f in ("logits.bin", "grads.bin"):
            a = np.fromfile(f"{d}/{f}", dtype="<f4")
            b = np.fromfile(f"{d2}/{f}", dtype="<f4").astype(np.float64)
            parts = {"logits": (a, b)} if f == "logits.bin" else {
                n: (x, y) for (n, x), y in zip(unflatten(a, shp).items(), unflatten(b, shp).values())}
            for n, (x, y) in parts.items():
                r = rel_err(x, y)
                print(f"close {n:6s} rel={r:.3e}")
                if r >= 1e-5:
                    ok = False
        sys.exit(0 if ok else 1)

    L, H, V = (int(a) for a in sys.argv[3:6])
    shp = shapes(L, H, V)
    flat = np.fromfile(f"{d}/params.bin", dtype="<f4")
    p = unflatten(flat.astype(np.float64), shp)
    if mode == "grads":
        B, T = int(sys.argv[6]), int(sys.argv[7])
        loss_c = float(sys.argv[8])
        inp = torch.from_numpy(np.fromfile(f"{d}/inputs.bin", dtype="<u4").astype(np.int64)).view(B, T)
        tgt_raw = np.fromfile(f"{d}/targets.bin", dtype="<u4")
        tgt = torch.from_numpy(np.where(tgt_raw == IGNORE, -100, tgt_raw).astype(np.int64)).view(B, T)
        counted = int((tgt_raw != IGNORE).sum())
        emb, lstm, head = build(p, L, H, V)
        logits = head(lstm(emb(inp))[0])
        if counted:
            loss = F.cross_entropy(logits.reshape(-1, V), tgt.reshape(-1), ignore_index=-100)
            loss.backward()
            loss_t = loss.item()
        else:
            loss_t = 0.0  # lstm.h: 0 when no position counts (PyTorch says nan)
        print(f"targets counted {counted} of {B * T}")
        rel = abs(loss_c - loss_t) / max(abs(loss_t), 1e-30) if loss_t else abs(loss_c)
        print(f"loss c={loss_c:.9g} torch={loss_t:.12g} rel={rel:.3e}")
        if rel >= TOL:
            ok = False
        lc = np.fromfile(f"{d}/logits.bin", dtype="<f4").reshape(B, T, V)
        r = rel_err(lc, logits.detach().numpy())
        print(f"logits rel={r:.3e}")
        if r >= TOL:
            ok = False
        g_c = unflatten(np.fromfile(f"{d}/grads.bin", dtype="<f4"), shp)
        g_t = torch_grads(emb, lstm, head, L)
        worst = 0.0
        for n in NAMES:
            want = g_t[n]
            r = rel_err(g_c[n], want)
            worst = max(worst, r)
            print(f"grad {n:5s} max|g|={np.abs(want).max():.3e} rel={r:.3e}")
            if r >= TOL:
                print(f"  MISMATCH in {n}")
                ok = False
        print(f"worst relative gradient error {worst:.3e}")
    elif mode == "init":
        k = 1 / math.sqrt(H)
        for n in NAMES:
            a = p[n]
            mean, sd = float(a.mean()), float(a.std())
            if n == "emb":
                # N(0, 1)
                print(f"init {n:5s} mean={mean:.4f} std={sd:.4f} (want 0, 1)")
                if abs(mean) > 0.05 or abs(sd - 1) > 0.05:
                    ok = False
            else:
                # U(-k, k): std k/sqrt(3); the bound up to float32 rounding
                big = float(np.abs(a).max())
                want = k / math.sqrt(3)
                print(f"init {n:5s} max|w|={big:.5f} (bound {k:.5f}) mean={mean:.2e} "
                      f"std={sd:.5f} (want {want:.5f})")
                if big > k * (1 + 1e-6) or big < 0.9 * k:
                    ok = False
                # loose: bout has only V entries
                if abs(mean) > 0.2 * want or abs(sd / want - 1) > 0.15:
                    ok = False
    else:
        sys.exit(f"unknown mode {mode}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
