#!/usr/bin/python3
"""batch-oracle.py B T EOT pack|pad keep|drop < docs: the batches batchify
should make, written independently of it, in rec-cat's JSON form.

docs: one document a line, its ids separated by spaces (an empty line is an
empty document).  Packing: each document preceded by EOT unless the one
before it ends with EOT or it starts with EOT; batch k is stream ids
k*B*T .. k*B*T + B*T; row r of it ids r*T .. r*T+T; the leftover makes a
last batch of whole and padded rows unless 'drop'.  Padding: a row per
document, cut to T+1 or padded with EOT, mask 1 for real ids."""
import json
import sys

B, T, EOT = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
mode, last = sys.argv[4], sys.argv[5]
docs = [[int(x) for x in line.split()] for line in sys.stdin.read().split("\n")[:-1]]


def show(rows, masks):
    b = {"B": len(rows), "T": T, "rows": rows}
    if masks is not None:
        b["mask"] = masks
    print(json.dumps({"type": "batch", "batch": b}, separators=(",", ":")))


if mode == "pack":
    stream, prev = [], None
    for d in docs:
        if not (prev and prev[-1] == EOT) and not (d and d[0] == EOT):
            stream.append(EOT)
        stream.extend(d)
        prev = d
    k = 0
    while k + B * T + 1 <= len(stream):
        show([stream[k + r * T: k + r * T + T + 1] for r in range(B)], None)
        k += B * T
    left = stream[k:]
    if last == "keep" and len(left) > 1:
        rows, masks = [], []
        for r in range(0, len(left) - 1, T):
            row = left[r: r + T + 1]
            masks.append([1] * len(row) + [0] * (T + 1 - len(row)))
            rows.append(row + [EOT] * (T + 1 - len(row)))
        show(rows, masks if any(0 in m for m in masks) else None)
else:
    rows, masks = [], []
    for d in docs:
        row = d[: T + 1]
        masks.append([1] * len(row) + [0] * (T + 1 - len(row)))
        rows.append(row + [EOT] * (T + 1 - len(row)))
        if len(rows) == B:
            show(rows, masks)
            rows, masks = [], []
    if rows and last == "keep":
        show(rows, masks)
