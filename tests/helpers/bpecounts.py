#!/usr/bin/python3
"""bpecounts.py - tok-bpe count files written, read and predicted without
the C code, from the documented formats: the record stream of
sluice-rec(5) and the count file of tok-bpe(1) (a "sample" stream, one
record per word: parts "count", a u64 little-endian, and "word"; sorted
by the words' bytes; the header's "bpe_counts" names the pattern and the
specials).

Usage:
    bpecounts.py write OUT [--kind K] [--pattern P] [--special S]... [--no-bpe-counts]
        JSON lines [word, count] on stdin (word a string, or {"hex": ...})
        written as records in the order given (so a test can write an
        unsorted file, or a word twice); the default pattern is GPT-2's.
    bpecounts.py read FILE...
        every record of the files as "HEX COUNT" lines, in file order,
        after checking every frame's checksums and the stream's end count.
    bpecounts.py oracle [--pattern P] [--special S]...
        JSON lines {"text": ...} on stdin: the counts tok-bpe count must
        write for them, as "HEX COUNT" lines sorted by the words' bytes,
        pre-tokenized with Python's regex module (GPT-2's own encoder
        uses it), specials cut out first.
    bpecounts.py bpe VOCAB [--special S]...
        JSON lines [word, count] on stdin: the merges byte-level BPE must
        learn from those counts, by the rule itself with no shortcut: ids
        are the specials, then the 256 bytes in the order of GPT-2's byte
        characters, then each merged token; the most frequent pair merges
        next, of equal ones the smaller (left id, right id); stop at VOCAB
        or when no pair is left.  Printed as JSON, a list of [left, right]
        in GPT-2's byte characters, the form of tokenizer.json's merges.
"""
import json
import struct
import sys

import xxhash

GPT2 = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
MAGIC = b"\x89SLR"
HEADER, END, TRAILER, SAMPLE = 0x01, 0x02, 0x03, 0x15


def pad8(b):
    return b + b"\0" * (-len(b) % 8)


def frame(ftype, payload, key=b""):
    head = MAGIC + struct.pack("<BBHI", ftype, 0, len(key), len(payload))
    body = pad8(key) + pad8(payload)
    return head + struct.pack("<IQ", xxhash.xxh3_64_intdigest(head) & 0xFFFFFFFF,
                              xxhash.xxh3_64_intdigest(body)) + body


def sample(parts):
    out = struct.pack("<II", len(parts), 0)
    for name, data in parts:
        out += struct.pack("<II", len(name), len(data)) + pad8(name) + pad8(data)
    return out


def opts(args):
    o = {"pattern": GPT2, "specials": [], "kind": "sample", "bpe": True, "rest": []}
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("--pattern", "--special", "--kind"):
            if a == "--special":
                o["specials"].append(args[i + 1])
            else:
                o[a[2:]] = args[i + 1]
            i += 2
        elif a == "--no-bpe-counts":
            o["bpe"] = False
            i += 1
        else:
            o["rest"].append(a)
            i += 1
    if not o["specials"]:
        o["specials"] = ["<|endoftext|>"]
    return o


def word_bytes(w):
    return bytes.fromhex(w["hex"]) if isinstance(w, dict) else w.encode()


def write(out, o):
    h = {"format": "sluice-rec", "version": 1, "kind": o["kind"],
         "lineage": [{"prog": "bpecounts.py", "version": "1", "args": []}]}
    if o["bpe"]:
        h["bpe_counts"] = {"version": 1, "pattern": o["pattern"], "specials": o["specials"], "order": "bytes"}
    data = [frame(HEADER, json.dumps(h).encode())]
    for line in sys.stdin:
        if line.strip():
            w, c = json.loads(line)
            data.append(frame(SAMPLE, sample([(b"count", struct.pack("<Q", c)), (b"word", word_bytes(w))])))
    data.append(frame(END, struct.pack("<Q", len(data) - 1)))
    with open(out, "wb") as f:
        f.write(b"".join(data))


def frames(path):
    b = open(path, "rb").read()
    at, count = 0, None
    while at < len(b):
        head = b[at:at + 24]
        assert head[:4] == MAGIC, f"{path}:{at}: no magic"
        ftype, _, klen, plen = struct.unpack("<BBHI", head[4:12])
        hcheck, bcheck = struct.unpack("<IQ", head[12:24])
        assert hcheck == xxhash.xxh3_64_intdigest(head[:12]) & 0xFFFFFFFF, f"{path}:{at}: head check"
        blen = -(-klen // 8) * 8 + -(-plen // 8) * 8
        body = b[at + 24:at + 24 + blen]
        assert len(body) == blen and bcheck == xxhash.xxh3_64_intdigest(body), f"{path}:{at}: body"
        payload = body[-(-klen // 8) * 8:][:plen]
        at += 24 + blen
        if ftype == HEADER:
            count = 0
        elif ftype == END:
            assert struct.unpack("<Q", payload)[0] == count, f"{path}: end count"
            count = None
        else:
            count += 1
        yield ftype, payload
    assert count is None, f"{path}: no end frame"


def read(paths):
    for p in paths:
        for ftype, payload in frames(p):
            if ftype != SAMPLE:
                continue
            n, _ = struct.unpack("<II", payload[:8])
            assert n == 2
            at, parts = 8, {}
            for _ in range(n):
                nl, dl = struct.unpack("<II", payload[at:at + 8])
                name = payload[at + 8:at + 8 + nl]
                at += 8 + -(-nl // 8) * 8
                parts[name] = payload[at:at + dl]
                at += -(-dl // 8) * 8
            print(parts[b"word"].hex(), struct.unpack("<Q", parts[b"count"])[0])


def oracle(o):
    import regex
    pat = regex.compile(o["pattern"])
    cut = regex.compile("|".join(regex.escape(s) for s in sorted(o["specials"], key=len, reverse=True)))
    counts = {}
    for line in sys.stdin:
        for seg in cut.split(json.loads(line)["text"]):
            for w in pat.findall(seg):
                w = w.encode()
                counts[w] = counts.get(w, 0) + 1
    for w in sorted(counts):  # Python orders bytes as memcmp, the shorter first
        print(w.hex(), counts[w])


def byte_chars():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def bpe(vocab, o):
    ch = byte_chars()
    toks = [s.encode() for s in o["specials"]] + sorted((bytes([b]) for b in range(256)), key=lambda t: ch[t[0]])
    ids = {t: i for i, t in enumerate(toks) if i >= len(o["specials"])}
    words = []
    for line in sys.stdin:
        if line.strip():
            w, c = json.loads(line)
            words.append([[ids[bytes([b])] for b in word_bytes(w)], c])
    merges = []
    while len(toks) < vocab:
        pairs = {}
        for syms, c in words:
            for p in zip(syms, syms[1:]):
                pairs[p] = pairs.get(p, 0) + c
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        new = toks[best[0]] + toks[best[1]]
        if new not in ids:
            ids[new] = len(toks)
            toks.append(new)
        merges.append(["".join(ch[b] for b in toks[best[0]]), "".join(ch[b] for b in toks[best[1]])])
        for wc in words:
            syms, out, i = wc[0], [], 0
            while i < len(syms):
                if i + 1 < len(syms) and (syms[i], syms[i + 1]) == best:
                    out.append(ids[new])
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            wc[0] = out
    print(json.dumps(merges, ensure_ascii=False))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "write":
        write(args[0], opts(args[1:]))
    elif cmd == "read":
        read(args)
    elif cmd == "oracle":
        oracle(opts(args))
    elif cmd == "bpe":
        o = opts(args[1:])
        bpe(int(args[0]), o)
    else:
        sys.exit(__doc__)
