#!/usr/bin/python3
"""mkframes.py - write raw sluice record frames, independently of the C writer.

The tests use it to craft streams that rec-pack never produces (unknown frame
types, frames out of order, wrong counts, bad payload layouts, huge lengths)
and known-good frames of every type whose rec-cat output is checked.

Frame layout (libcommon/rec/rec.h, sluice-rec(5)): a 24-byte head

     0  magic        89 53 4C 52
     4  type         u8
     5  dtype        u8
     6  key_len      u16 LE
     8  payload_len  u32 LE
    12  head_check   u32 LE = low 32 bits of xxh3_64(head[0:12])
    16  body_check   u64 LE = xxh3_64(bytes 24 .. end of frame)
    24  key, zero-padded to a multiple of 8; payload, zero-padded likewise

Usage:
    mkframes.py SPEC...            write the frames to stdout
    mkframes.py --offsets SPEC...  print each frame's offset, then the total
    mkframes.py --list FILE        print "offset type key_len payload_len" per frame
    mkframes.py --payloads IN OUT [IN OUT]...
                                   write each data frame's payload of IN and a
                                   newline to OUT

SPEC (KEY, with its @, is optional wherever [@KEY] appears; STR is a string
with Python byte escapes: \\n \\t \\xNN \\\\):
    header[:JSON]                 header frame (default: a small valid object)
    end[:COUNT]                   end marker; COUNT defaults to the number of
                                  data frames (unknown types included) since
                                  the last header
    text[@KEY]:STR                text frame
    json[@KEY]:STR                JSON-row frame
    tokens16[@KEY]:1,2,3          tokens frame, u16 ids
    tokens32[@KEY]:1,2,3          tokens frame, u32 ids
    batch16[@KEY]:B:T:IDS[:MASK[:FLAGS]]
    batch32[@KEY]:B:T:IDS[:MASK[:FLAGS]]
                                  batch frame: 16-byte head (B, T, flags, 0),
                                  the ids, and if MASK (comma-separated 0/1)
                                  is given, padding to 8 then the mask bytes.
                                  FLAGS overrides the flags word.  B and T are
                                  written as given, whatever IDS holds.
    vector[@KEY]:X,Y,...[:META]   vector frame, f32, with META (JSON text) if
                                  given; an item dim=N overrides the dim word
    sample[@KEY]:NAME=STR,NAME=STR
                                  multi-part sample frame
    raw[@KEY]:TYPE:DTYPE:STR      any frame; TYPE and DTYPE as integers (0x7f)
    head:TYPE:DTYPE:KEY_LEN:PAYLOAD_LEN
                                  a lone 24-byte head with a correct
                                  head_check (and a body_check of nothing):
                                  for lengths the input does not hold
"""
import codecs
import struct
import sys

import xxhash

MAGIC = b"\x89SLR"
T_HEADER, T_END, T_TEXT, T_TOKENS, T_BATCH, T_VECTOR, T_JSON, T_SAMPLE = (
    0x01, 0x02, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15)
DT_NONE, DT_U8, DT_U16, DT_U32, DT_F32 = 0, 1, 2, 3, 4
DEFAULT_HEADER = b'{"format":"sluice-rec","version":1,"kind":"test","lineage":[]}'


def pad8(b):
    return b + b"\0" * (-len(b) % 8)


def head(ftype, dtype, key_len, payload_len, body=b""):
    h = MAGIC + struct.pack("<BBHI", ftype, dtype, key_len, payload_len)
    h += struct.pack("<I", xxhash.xxh3_64_intdigest(h) & 0xFFFFFFFF)
    return h + struct.pack("<Q", xxhash.xxh3_64_intdigest(body))


def frame(ftype, dtype=DT_NONE, key=b"", payload=b""):
    body = pad8(key) + pad8(payload)
    return head(ftype, dtype, len(key), len(payload), body) + body


def unescape(s):
    return codecs.escape_decode(s.encode("utf-8"))[0]


def ints(s):
    return [int(x, 0) for x in s.split(",") if x != ""]


def build(specs):
    """Returns a list of frames (bytes), one per SPEC."""
    out = []
    count = 0
    for spec in specs:
        name, _, arg = spec.partition(":")
        name, _, key = name.partition("@")
        key = unescape(key)
        if name == "header":
            out.append(frame(T_HEADER, payload=arg.encode() if arg else DEFAULT_HEADER))
            count = 0
            continue
        if name == "end":
            n = int(arg, 0) if arg else count
            out.append(frame(T_END, payload=struct.pack("<Q", n)))
            continue
        if name == "head":
            t, d, kl, pl = (int(x, 0) for x in arg.split(":"))
            out.append(head(t, d, kl, pl))
            continue
        count += 1
        if name == "text":
            out.append(frame(T_TEXT, key=key, payload=unescape(arg)))
        elif name == "json":
            out.append(frame(T_JSON, key=key, payload=unescape(arg)))
        elif name in ("tokens16", "tokens32"):
            fmt, dt = ("<H", DT_U16) if name == "tokens16" else ("<I", DT_U32)
            out.append(frame(T_TOKENS, dt, key, b"".join(struct.pack(fmt, v) for v in ints(arg))))
        elif name in ("batch16", "batch32"):
            fmt, dt = ("<H", DT_U16) if name == "batch16" else ("<I", DT_U32)
            parts = arg.split(":")
            B, T, ids = int(parts[0]), int(parts[1]), ints(parts[2])
            mask = ints(parts[3]) if len(parts) > 3 and parts[3] != "" else None
            flags = int(parts[4], 0) if len(parts) > 4 else (1 if mask is not None else 0)
            p = struct.pack("<IIII", B, T, flags, 0) + b"".join(struct.pack(fmt, v) for v in ids)
            if mask is not None:
                p = pad8(p) + bytes(mask)
            out.append(frame(T_BATCH, dt, key, p))
        elif name == "vector":
            vals_s, _, meta = arg.partition(":")
            vals, dim = [], None
            for x in vals_s.split(","):
                if x.startswith("dim="):
                    dim = int(x[4:])
                elif x != "":
                    vals.append(float(x))
            meta = meta.encode()
            p = struct.pack("<II", len(vals) if dim is None else dim, len(meta))
            p += b"".join(struct.pack("<f", v) for v in vals) + meta
            out.append(frame(T_VECTOR, DT_F32, key, p))
        elif name == "sample":
            items = [x.partition("=") for x in arg.split(",") if x != ""]
            p = struct.pack("<II", len(items), 0)
            for pname, _, data in items:
                pname, data = pname.encode(), unescape(data)
                p += struct.pack("<II", len(pname), len(data)) + pad8(pname) + pad8(data)
            out.append(frame(T_SAMPLE, DT_NONE, key, p))
        elif name == "raw":
            t, d, payload = arg.split(":", 2)
            out.append(frame(int(t, 0), int(d, 0), key, unescape(payload)))
        else:
            sys.exit("mkframes.py: unknown SPEC %r" % spec)
    return out


def frames_of(path):
    """(offset, type, key length, payload) of each frame of a file."""
    data = open(path, "rb").read()
    at = 0
    while at + 24 <= len(data):
        if data[at:at + 4] != MAGIC:
            sys.exit("mkframes.py: %s:%d: no magic" % (path, at))
        t, d, kl, pl = struct.unpack_from("<BBHI", data, at + 4)
        start = at + 24 + -(-kl // 8) * 8
        yield at, t, kl, data[start:start + pl]
        at = start + -(-pl // 8) * 8


def main(argv):
    if argv[:1] == ["--list"]:
        for at, t, kl, payload in frames_of(argv[1]):
            print(at, t, kl, len(payload))
        return
    if argv[:1] == ["--payloads"]:
        # the payload of every frame but headers (1) and ends (2), a line
        # each, of each IN into its OUT (several pairs in one run)
        for src, dst in zip(argv[1::2], argv[2::2]):
            with open(dst, "wb") as out:
                for at, t, kl, payload in frames_of(src):
                    if t not in (1, 2):
                        out.write(payload + b"\n")
        return
    if argv[:1] == ["--offsets"]:
        at = 0
        for f in build(argv[1:]):
            print(at)
            at += len(f)
        print(at)
        return
    sys.stdout.buffer.write(b"".join(build(argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
