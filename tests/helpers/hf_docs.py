#!/usr/bin/python3
"""hf_docs.py - what HF tokenizers' BpeTrainer sees of a text file, for the
tests and benchmarks that set tok-bpe train beside it (tests/helpers/hf-tok.mjs
train), and whether the two learnt the same merges.

Usage:
    hf_docs.py jsonl TEXT          TEXT's documents as HF reads a file, a line
                                   each with its newline (the last without one
                                   when the file does not end in a newline), as
                                   JSON lines {"text": ...} for rec-pack -J
    hf_docs.py same-merges HF OURS [MIN]
                                   exit 0 when the tokenizer.json files list the
                                   same merges (at least MIN of them, default
                                   1), else say where they part
"""
import json
import sys


def jsonl(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    for i, line in enumerate(lines):
        text = line + ("\n" if i < len(lines) - 1 else "")
        if text:
            print(json.dumps({"text": text}, ensure_ascii=False))


def same_merges(hf, ours, least):
    a = json.load(open(hf))["model"]["merges"]
    b = json.load(open(ours))["model"]["merges"]
    if len(a) < least:
        sys.exit(f"HF learnt {len(a)} merges, fewer than {least}")
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            sys.exit(f"merge {i}: HF {x}, tok-bpe {y}")
    if len(a) != len(b):
        sys.exit(f"HF learnt {len(a)} merges, tok-bpe {len(b)}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["jsonl"]:
        jsonl(sys.argv[2])
    elif sys.argv[1:2] == ["same-merges"]:
        same_merges(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    else:
        sys.exit(__doc__)
