"""gpt2.py - GPT-2 in plain PyTorch over llm.c's parameter layout.

The parameters are llm.c's sixteen tensors, each layer's stacked along a
first axis of L (qkvw is [L, 3C, C], ...), in llm.c's order, so that an
llm.c model file (what train-step --init reads and --export writes) is the
tensors laid end to end after a 256-int32 header: loading and saving are a
copy, and a model moves between this script, train-step and llm.c.  The
forward pass is nanoGPT's GPT-2 (pre-LayerNorm blocks, causal attention,
tanh GELU, tied embedding), written over those tensors.  forward() is also
the oracle of tests/gpt2.bats (tests/helpers/gpt2_torch.py), in float64.
"""
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

NAMES = ["wte", "wpe", "ln1w", "ln1b", "qkvw", "qkvb", "attprojw", "attprojb",
         "ln2w", "ln2b", "fcw", "fcb", "fcprojw", "fcprojb", "lnfw", "lnfb"]
# AdamW's weight decay: the matmul weights and the embeddings (train-step's
# and nanoGPT's groups), not the biases and LayerNorm gains.
DECAY = {"wte", "wpe", "qkvw", "attprojw", "fcw", "fcprojw"}

MAGIC, FP32, BF16 = 20240326, 3, 5  # llm.c's model header
HEADER_INTS = 256


def shapes(L, C, S, Vp):
    return {"wte": (Vp, C), "wpe": (S, C), "ln1w": (L, C), "ln1b": (L, C),
            "qkvw": (L, 3 * C, C), "qkvb": (L, 3 * C), "attprojw": (L, C, C),
            "attprojb": (L, C), "ln2w": (L, C), "ln2b": (L, C), "fcw": (L, 4 * C, C),
            "fcb": (L, 4 * C), "fcprojw": (L, C, 4 * C), "fcprojb": (L, C),
            "lnfw": (C,), "lnfb": (C,)}


def unflatten(flat, shp):
    """The tensors of a flat array, as views, in llm.c's order."""
    out, at = {}, 0
    for n in NAMES:
        size = int(np.prod(shp[n]))
        out[n] = flat[at:at + size].reshape(shp[n])
        at += size
    assert at == flat.size, (at, flat.size)
    return out


def forward(p, inp, tgt, L, NH, C, V, logits_out=None, ignore_index=-1):
    """The mean cross-entropy of the targets tgt [B, T] (those equal to
    ignore_index left out) given the inputs inp [B, T], with the parameters
    p, in their dtype; the logits [B, T, V] are appended to logits_out."""
    B, T = inp.shape
    hs = C // NH
    x = p["wte"][inp] + p["wpe"][:T]
    mask = torch.ones(T, T, dtype=torch.bool, device=inp.device).tril()
    for l in range(L):
        h = F.layer_norm(x, (C,), p["ln1w"][l], p["ln1b"][l], 1e-5)
        qkv = h @ p["qkvw"][l].T + p["qkvb"][l]
        q, k, v = (t.view(B, T, NH, hs).transpose(1, 2) for t in qkv.split(C, dim=2))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + y @ p["attprojw"][l].T + p["attprojb"][l]
        h = F.layer_norm(x, (C,), p["ln2w"][l], p["ln2b"][l], 1e-5)
        h = F.gelu(h @ p["fcw"][l].T + p["fcb"][l], approximate="tanh")
        x = x + h @ p["fcprojw"][l].T + p["fcprojb"][l]
    x = F.layer_norm(x, (C,), p["lnfw"], p["lnfb"], 1e-5)
    logits = x @ p["wte"][:V].T  # the padding rows take no part
    if logits_out is not None:
        logits_out.append(logits)
    return F.cross_entropy(logits.reshape(-1, V), tgt.reshape(-1), ignore_index=ignore_index)


class GPT(torch.nn.Module):
    """GPT-2 of config (max_seq, vocab, layers, heads, channels,
    padded_vocab) with the parameters of a dict of name -> array."""

    def __init__(self, config, params):
        super().__init__()
        self.config = dict(config)
        self.p = torch.nn.ParameterDict(
            {n: torch.nn.Parameter(torch.as_tensor(np.ascontiguousarray(params[n]),
                                                   dtype=torch.float32)) for n in NAMES})

    def forward(self, idx, targets):
        c = self.config
        loss = forward(self.p, idx, targets, c["layers"], c["heads"], c["channels"], c["vocab"])
        if not torch.isfinite(loss) and bool((targets == -1).all()):
            # no counted target: PyTorch's mean over none is nan, llm.c's
            # and train-step's loss is 0 with a zero gradient
            loss = sum(t.sum() for t in self.p.values()) * 0.0
        return loss

    def groups(self, weight_decay):
        """AdamW's parameter groups, decayed and not."""
        return [{"params": [self.p[n] for n in NAMES if n in DECAY], "weight_decay": weight_decay},
                {"params": [self.p[n] for n in NAMES if n not in DECAY], "weight_decay": 0.0}]


def init(config, seed):
    """GPT-2's initialisation (nanoGPT's and llm.c's): normal(0, 0.02)
    weights, 0.02/sqrt(2L) for the projections into the residual stream,
    LayerNorm gains 1, biases 0, the padding rows of wte 0."""
    c = config
    g = torch.Generator().manual_seed(seed)
    shp = shapes(c["layers"], c["channels"], c["max_seq"], c["padded_vocab"])
    out = {}
    for n in NAMES:
        if n in DECAY:
            sd = 0.02 / math.sqrt(2 * c["layers"]) if n in ("attprojw", "fcprojw") else 0.02
            out[n] = torch.normal(0.0, sd, shp[n], generator=g).numpy()
        else:
            out[n] = np.full(shp[n], 1.0 if n.endswith("w") else 0.0, dtype=np.float32)
    out["wte"][c["vocab"]:] = 0
    return out


def config_of(max_seq, vocab, layers, heads, channels):
    return {"max_seq": max_seq, "vocab": vocab, "layers": layers, "heads": heads,
            "channels": channels, "padded_vocab": (vocab + 127) // 128 * 128}


def load(path):
    """(config, params) of an llm.c GPT-2 model file, float32 or bfloat16."""
    with open(path, "rb") as f:
        head = np.frombuffer(f.read(4 * HEADER_INTS), dtype="<i4")
        if head.size != HEADER_INTS or head[0] != MAGIC or head[1] not in (FP32, BF16):
            raise ValueError("%s: not an llm.c GPT-2 model file (magic %s, version %s)"
                             % (path, head[0] if head.size else None,
                                head[1] if head.size > 1 else None))
        config = dict(zip(("max_seq", "vocab", "layers", "heads", "channels", "padded_vocab"),
                          (int(v) for v in head[2:8])))
        raw = np.frombuffer(f.read(), dtype="<f4" if head[1] == FP32 else "<u2")
    if head[1] == BF16:  # bfloat16 is the top half of a float32
        raw = (raw.astype(np.uint32) << 16).view(np.float32)
    c = config
    return config, unflatten(raw.astype(np.float32), shapes(
        c["layers"], c["channels"], c["max_seq"], c["padded_vocab"]))


def save(path, config, params):
    """Writes an llm.c GPT-2 model file, float32 (version 3)."""
    head = np.zeros(HEADER_INTS, dtype="<i4")
    head[:8] = [MAGIC, FP32] + [config[k] for k in ("max_seq", "vocab", "layers", "heads",
                                                    "channels", "padded_vocab")]
    with open(path + ".tmp", "wb") as f:
        f.write(head.tobytes())
        for n in NAMES:
            t = params[n]
            t = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else t
            f.write(np.ascontiguousarray(t, dtype="<f4").tobytes())
    os.replace(path + ".tmp", path)
