#!/usr/bin/python3
"""torch-gpt2.py STEPS B T THREADS: the PyTorch peer of train-step in
bench/train-step.sh: GPT-2 124M (12 layers, 12 heads, 768 channels, vocab
50257 padded to 50304, context 1024) in float32 on the CPU, trained with
AdamW on random batches; prints the median milliseconds of a step
(forward, backward, clipping, optimizer) after the first."""
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

steps, B, T, threads = (int(x) for x in sys.argv[1:5])
torch.set_num_threads(threads)
torch.manual_seed(0)
L, NH, C, V, Vp, S = 12, 12, 768, 50257, 50304, 1024


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.qkv, self.proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.fc, self.fcproj = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)

    def forward(self, x):
        Bx, Tx, _ = x.shape
        q, k, v = (t.view(Bx, Tx, NH, C // NH).transpose(1, 2) for t in self.qkv(self.ln1(x)).split(C, dim=2))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(C // NH)
        att = att.masked_fill(torch.ones(Tx, Tx, dtype=torch.bool).tril().logical_not(), float("-inf")).softmax(-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(Bx, Tx, C))
        return x + self.fcproj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(Vp, C), nn.Embedding(S, C)
        self.blocks = nn.ModuleList(Block() for _ in range(L))
        self.lnf = nn.LayerNorm(C)

    def forward(self, idx, tgt):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for b in self.blocks:
            x = b(x)
        logits = self.lnf(x) @ self.wte.weight.T
        return F.cross_entropy(logits[..., :V].reshape(-1, V), tgt.reshape(-1))


model = GPT()
decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
rest = [p for n, p in model.named_parameters() if p.dim() < 2]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
                        lr=6e-4, betas=(0.9, 0.95), eps=1e-8)
times = []
for step in range(steps):
    data = torch.randint(0, V, (B, T + 1))
    t0 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    loss = model(data[:, :-1], data[:, 1:])
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    times.append((time.perf_counter() - t0) * 1000)
print(f"{statistics.median(times[1:]):.0f}")
