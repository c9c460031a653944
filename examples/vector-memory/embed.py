#!/usr/bin/python3
"""Hashed bag-of-words embeddings, a stand-in until lm-embed comes.

    embed.py docs DIM FILE...   the paragraphs of the files, as points (JSON lines)
    embed.py query DIM TEXT     TEXT as a query vector (one JSON line)
    embed.py show [FILE]        vs-query's answers, with their texts

A text's vector counts its lower-cased words and word pairs (unigrams and
bigrams), each hashed to one of DIM dimensions with a hashed sign (feature
hashing: colliding features tend to cancel rather than add up), and is
scaled to unit length.  Two texts are near when they share words and
phrases, not meanings: "licence" and "license" are strangers.  It is
deterministic (blake2b, not Python's salted hash) and needs nothing but
Python.
"""
import hashlib
import json
import math
import re
import sys

WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def features(text):
    words = WORD.findall(text.lower())
    return words + [a + " " + b for a, b in zip(words, words[1:])]


def embed(text, dim):
    vec = [0.0] * dim
    for f in features(text):
        h = int.from_bytes(hashlib.blake2b(f.encode(), digest_size=8).digest(), "little")
        vec[h % dim] += 1.0 if (h >> 63) & 1 else -1.0
    norm = math.sqrt(sum(x * x for x in vec))
    if norm == 0:  # no words: a vector with no direction is refused by the cosine metric
        vec[0], norm = 1.0, 1.0
    return [round(x / norm, 6) for x in vec]


def paragraphs(path):
    """Runs of non-blank lines, their lines joined by one space."""
    lines = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.strip():
                lines.append(line.strip())
            elif lines:
                yield " ".join(lines)
                lines = []
    if lines:
        yield " ".join(lines)


def docs(dim, paths):
    out = sys.stdout
    for path in paths:
        source = path.rsplit("/", 1)[-1]
        for n, text in enumerate(paragraphs(path), 1):
            meta = {"source": source, "paragraph": n, "length": len(text), "text": text}
            out.write(json.dumps({"id": f"{source}:{n}", "vector": embed(text, dim), "metadata": meta}) + "\n")


def show(lines):
    for line in lines:
        hit = json.loads(line)
        meta = hit["metadata"]
        print(f"{hit['rank']}. {meta['source']} paragraph {meta['paragraph']} (score {hit['score']:.3f})")
        print(f"   {meta['text']}\n")


def main(argv):
    if len(argv) >= 3 and argv[0] == "docs":
        docs(int(argv[1]), argv[2:])
    elif len(argv) == 3 and argv[0] == "query":
        print(json.dumps({"id": "query", "vector": embed(argv[2], int(argv[1]))}))
    elif argv[:1] == ["show"] and len(argv) <= 2:
        with open(argv[1]) if len(argv) == 2 else sys.stdin as f:
            show(f)
    else:
        sys.exit(__doc__.split("\n\n")[1])


if __name__ == "__main__":
    main(sys.argv[1:])
