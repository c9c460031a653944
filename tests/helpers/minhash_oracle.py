#!/usr/bin/python3
"""minhash_oracle.py - rec-dedup's normalisation, shingles, MinHash
signatures and LSH band keys in Python and numpy, written from the comments
of libcommon/dedup/normalize.h and minhash.h, for tests/minhash.bats to
compare with tests/helpers/minhash-sign.c byte for byte, and for
bench/rec-dedup.sh as the "numpy MinHash" peer.

    minhash_oracle.py [-z] [--normalize none|ws|lower-punct] [--ngram N]
                      [--bands B] [--rows R] [--seed S]
                      [--print norm|shingles|sig|keys|jaccard] [--quiet]

Documents come from stdin, one a line (-z: each ended by a NUL byte; a
last one without its terminator counts too).  Per document, one line:
  norm      the normalised text in hex
  shingles  the shingle hashes, 16 hex digits each, space-separated
  sig       the signature values, likewise
  keys      the band keys, likewise (the default)
  jaccard   for documents 2k and 2k+1: "|A| |B| J", J the exact Jaccard
            similarity of their shingle sets, as '%.17g'
--quiet computes every document's band keys and prints only the number of
documents, for timing.
"""
import argparse
import re
import sys
import unicodedata

import numpy as np
import xxhash

# White_Space, from the Unicode character database as Python has it: the
# separators (Zs, Zl, Zp) and the control characters \t \n \v \f \r and
# U+0085.  (str.isspace() would also take U+001C..U+001F, which are not.)
CONTROL_SPACES = frozenset("\t\n\v\f\r\x85")


def is_white_space(ch):
    return ch in CONTROL_SPACES or unicodedata.category(ch) in ("Zs", "Zl", "Zp")


def simple_lower(ch):
    """Unicode's simple lowercase mapping of one character.  str.lower()
    applies the full mapping (SpecialCasing.txt), which differs from the
    simple one only where it gives more than one character; one character
    at a time it never sees the final-sigma context.  The one such
    character in Unicode is U+0130 (full: 'i' + U+0307), whose simple
    mapping in UnicodeData.txt is U+0069; any other is an error here, to be
    looked up and added, not guessed."""
    low = ch.lower()
    if len(low) == 1:
        return low
    if ch == "\u0130":
        return "i"
    raise SystemExit(f"minhash_oracle: no simple lowercase known for U+{ord(ch):04X}")


class Table(dict):
    """A str.translate table filled on first sight of each character: ' '
    for white space, None (deleted) for punctuation and symbols when
    folding, else the character's simple lowercase (or itself)."""

    def __init__(self, fold):
        super().__init__()
        self.fold = fold

    def __missing__(self, code):
        ch = chr(code)
        if is_white_space(ch):
            out = " "
        elif not self.fold:
            out = ch
        elif unicodedata.category(ch)[0] in "PS":
            out = None
        else:
            out = simple_lower(ch)
        self[code] = out
        return out


ASCII_WHITE = b" \t\n\v\f\r"
ASCII_PUNCT_SYMBOLS = bytes(c for c in range(0x21, 0x7F) if not chr(c).isalnum())


class Normalizer:
    def __init__(self, mode):
        self.mode = mode
        self.table = Table(mode == "lower-punct")

    def __call__(self, raw):
        if self.mode == "none":
            return raw
        if raw.isascii():
            # bytes.split() splits at exactly the six ASCII White_Space
            # characters, and drops empty pieces at either end.
            if self.mode == "lower-punct":
                raw = raw.lower().translate(None, ASCII_PUNCT_SYMBOLS)
            return b" ".join(raw.split())
        # Bytes that are not UTF-8 become lone surrogates U+DC80..U+DCFF
        # (category Cs: kept) and go back to the same bytes.
        text = raw.decode("utf-8", "surrogateescape").translate(self.table)
        text = " ".join(piece for piece in text.split(" ") if piece)
        return text.encode("utf-8", "surrogateescape")


WORD = re.compile(rb"[^\x20\x09-\x0d]+")


def shingle_hashes(text, ngram):
    """XXH3-64 of each run of ngram words, separators included; the whole
    span of the words when there are fewer."""
    spans = [m.span() for m in WORD.finditer(text)]
    if not spans:
        return []
    if len(spans) < ngram:
        return [xxhash.xxh3_64_intdigest(text[spans[0][0] : spans[-1][1]])]
    return [
        xxhash.xxh3_64_intdigest(text[spans[k][0] : spans[k + ngram - 1][1]])
        for k in range(len(spans) - ngram + 1)
    ]


def coefficients(seed, count):
    raw = np.random.default_rng(seed).bit_generator.random_raw(2 * count)
    raw = np.asarray(raw, dtype=np.uint64)
    return raw[0::2] | np.uint64(1), raw[1::2]


def signature(hashes, a, b):
    if not hashes:
        return np.full(a.shape, np.iinfo(np.uint64).max, dtype=np.uint64)
    h = np.asarray(hashes, dtype=np.uint64)
    # uint64 arithmetic wraps: (a*h + b) mod 2^64, one row per shingle.
    return (np.multiply.outer(h, a) + b).min(axis=0)


def band_keys(sig, bands, rows):
    data = sig.astype("<u8").tobytes()
    step = 8 * rows
    return [xxhash.xxh3_64_intdigest(data[j * step : (j + 1) * step], seed=j) for j in range(bands)]


def documents(data, sep):
    docs = data.split(sep)
    if docs and docs[-1] == b"":
        docs.pop()
    return docs


def hexes(values):
    return " ".join(f"{int(v):016x}" for v in values)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-z", action="store_true", help="documents end with NUL, not newline")
    ap.add_argument("--normalize", default="lower-punct", choices=["none", "ws", "lower-punct"])
    ap.add_argument("--ngram", type=int, default=5)
    ap.add_argument("--bands", type=int, default=14)
    ap.add_argument("--rows", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--print", dest="what", default="keys",
                    choices=["norm", "shingles", "sig", "keys", "jaccard"])
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()

    docs = documents(sys.stdin.buffer.read(), b"\0" if args.z else b"\n")
    normalize = Normalizer(args.normalize)
    a, b = coefficients(args.seed, args.bands * args.rows)
    out = []
    if args.quiet:
        for doc in docs:
            band_keys(signature(shingle_hashes(normalize(doc), args.ngram), a, b), args.bands, args.rows)
        print(len(docs))
        return
    if args.what == "jaccard":
        sets = [set(shingle_hashes(normalize(doc), args.ngram)) for doc in docs]
        for x, y in zip(sets[0::2], sets[1::2]):
            j = len(x & y) / len(x | y) if x or y else 1.0
            out.append("%d %d %.17g" % (len(x), len(y), j))
    for doc in docs if args.what != "jaccard" else []:
        text = normalize(doc)
        if args.what == "norm":
            out.append(text.hex())
            continue
        hashes = shingle_hashes(text, args.ngram)
        if args.what == "shingles":
            out.append(hexes(hashes))
            continue
        sig = signature(hashes, a, b)
        out.append(hexes(sig) if args.what == "sig" else hexes(band_keys(sig, args.bands, args.rows)))
    sys.stdout.write("".join(line + "\n" for line in out))


if __name__ == "__main__":
    main()
