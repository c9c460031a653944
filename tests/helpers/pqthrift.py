#!/usr/bin/python3
"""pqthrift.py - looks into, and relabels, parquet files' Thrift structures
for the tests, with its own minimal Thrift compact-protocol codec (every
value keeps its wire type, so what it decodes it encodes back byte for
byte).

  pqthrift.py pages FILE OFFSET LENGTH...
      The pages of column chunks, each chunk given by its byte range (as
      `pq-dump --ranges` prints them), one line a page:
          OFFSET TYPE ENCODING COMPRESSED_SIZE UNCOMPRESSED_SIZE GZIP_MEMBERS
      TYPE is the page type's number (0 data, 2 dictionary, 3 data v2),
      ENCODING its values' encoding's (0 PLAIN, 2 PLAIN_DICTIONARY, 8
      RLE_DICTIONARY...);
      GZIP_MEMBERS is how many gzip members the page's compressed bytes are,
      each inflated by Python's zlib (0 when they do not start with the gzip
      magic).

  pqthrift.py int96 IN OUT COLUMN...
      Copies IN to OUT with each named leaf column (its dotted path) turned
      from FIXED_LEN_BYTE_ARRAY(12) into INT96 in the footer: in the schema
      and in every column chunk's metadata, whose statistics are dropped.
      The pages are left alone: PLAIN and dictionary values of a 12-byte
      FIXED_LEN_BYTE_ARRAY are the same bytes as INT96's.  Nothing else
      points into the footer, so only it and its length change.

A struct decodes to a list of [field id, wire type, value]; a list to
[element type, [values]]; a map to [key type, value type, [[k, v]...]];
binary to bytes; a double to its 8 raw bytes; a bool inside a list to its
raw byte."""
import struct
import sys
import zlib

T_TRUE, T_FALSE, T_BYTE, T_I16, T_I32, T_I64, T_DOUBLE, T_BINARY, T_LIST, T_SET, T_MAP, T_STRUCT = range(1, 13)


class Reader:
    def __init__(self, data, pos=0):
        self.d, self.p = data, pos

    def byte(self):
        if self.p >= len(self.d):
            raise ValueError('Thrift data ends early')
        b = self.d[self.p]
        self.p += 1
        return b

    def varint(self):
        v, shift = 0, 0
        while True:
            b = self.byte()
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return v

    def zigzag(self):
        v = self.varint()
        return (v >> 1) ^ -(v & 1)

    def take(self, n):
        if self.p + n > len(self.d):
            raise ValueError('Thrift data ends early')
        self.p += n
        return self.d[self.p - n:self.p]

    def value(self, t):
        if t in (T_TRUE, T_FALSE, T_BYTE):  # a bool in a list is one byte
            return self.byte()
        if t in (T_I16, T_I32, T_I64):
            return self.zigzag()
        if t == T_DOUBLE:
            return self.take(8)
        if t == T_BINARY:
            return self.take(self.varint())
        if t in (T_LIST, T_SET):
            h = self.byte()
            n = h >> 4 if h >> 4 != 15 else self.varint()
            return [h & 15, [self.value(h & 15) for _ in range(n)]]
        if t == T_MAP:
            n = self.varint()
            kv = self.byte() if n else 0
            return [kv >> 4, kv & 15, [[self.value(kv >> 4), self.value(kv & 15)] for _ in range(n)]]
        if t == T_STRUCT:
            return self.struct()
        raise ValueError('bad Thrift type %d' % t)

    def struct(self):
        fields, fid = [], 0
        while True:
            h = self.byte()
            if h == 0:
                return fields
            t = h & 15
            fid = fid + (h >> 4) if h >> 4 else self.zigzag()
            fields.append([fid, t, t == T_TRUE if t in (T_TRUE, T_FALSE) else self.value(t)])


def varint(v):
    out = bytearray()
    while v > 0x7F:
        out.append(v & 0x7F | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def zigzag(v):
    return varint((v << 1) ^ (v >> 63) if v < 0 else v << 1)


def enc_value(t, v):
    if t in (T_TRUE, T_FALSE, T_BYTE):
        return bytes([v])
    if t in (T_I16, T_I32, T_I64):
        return zigzag(v)
    if t == T_DOUBLE:
        return bytes(v)
    if t == T_BINARY:
        return varint(len(v)) + bytes(v)
    if t in (T_LIST, T_SET):
        et, items = v
        head = bytes([len(items) << 4 | et]) if len(items) < 15 else bytes([0xF0 | et]) + varint(len(items))
        return head + b''.join(enc_value(et, x) for x in items)
    if t == T_MAP:
        kt, vt, pairs = v
        if not pairs:
            return b'\0'
        return varint(len(pairs)) + bytes([kt << 4 | vt]) + b''.join(
            enc_value(kt, k) + enc_value(vt, x) for k, x in pairs)
    if t == T_STRUCT:
        return enc_struct(v)
    raise ValueError('bad Thrift type %d' % t)


def enc_struct(fields):
    out, last = bytearray(), 0
    for fid, t, v in fields:
        if t in (T_TRUE, T_FALSE):
            t = T_TRUE if v else T_FALSE
        out += bytes([(fid - last) << 4 | t]) if 0 < fid - last <= 15 else bytes([t]) + zigzag(fid)
        if t not in (T_TRUE, T_FALSE):
            out += enc_value(t, v)
        last = fid
    return bytes(out + b'\0')


def field(fields, fid, default=None):
    for f, _, v in fields:
        if f == fid:
            return v
    return default


def gzip_members(b):
    n = 0
    while len(b) >= 2 and b[0] == 0x1F and b[1] == 0x8B:
        z = zlib.decompressobj(31)
        z.decompress(b)
        if not z.eof:
            raise ValueError('truncated gzip member')
        n += 1
        b = z.unused_data
    return n


def pages(path, ranges):
    data = open(path, 'rb').read()
    for off, length in zip(ranges[0::2], ranges[1::2]):
        pos = off
        while pos < off + length:
            r = Reader(data, pos)
            h = r.struct()
            size = field(h, 3)
            body = data[r.p:r.p + size]
            v1, dic, v2 = field(h, 5), field(h, 7), field(h, 8)
            enc = field(v1, 2) if v1 else field(dic, 2) if dic else field(v2, 4) if v2 else -1
            if v2 is not None:  # v2: the levels go uncompressed before the values
                body = body[field(v2, 5, 0) + field(v2, 6, 0):]
            print(pos, field(h, 1), enc, size, field(h, 2), gzip_members(body))
            pos = r.p + size


def int96(src, dst, columns):
    data = open(src, 'rb').read()
    if data[:4] != b'PAR1' or data[-4:] != b'PAR1':
        raise ValueError('%s: not parquet' % src)
    mlen = struct.unpack('<I', data[-8:-4])[0]
    start = len(data) - 8 - mlen
    r = Reader(data[start:-8])
    meta = r.struct()
    if r.p != mlen:
        raise ValueError('footer has %d bytes after its struct' % (mlen - r.p))
    assert enc_struct(meta) == data[start:-8], 'the codec does not round-trip this footer'
    want = set(columns)
    # the schema is flat in depth-first order: walk it to know each leaf's path
    schema = field(meta, 2)[1]
    done = set()
    stack = []
    for el in schema[1:]:
        name = field(el, 4).decode()
        while stack and stack[-1][1] == 0:
            stack.pop()
        if stack:
            stack[-1][1] -= 1
        path = '.'.join([s[0] for s in stack] + [name])
        nch = field(el, 5, 0)
        if nch:
            stack.append([name, nch])
        elif path in want:
            if field(el, 1) != 7 or field(el, 2) != 12:
                raise ValueError('%s is not FIXED_LEN_BYTE_ARRAY(12)' % path)
            el[:] = [f for f in el if f[0] != 2]
            next(f for f in el if f[0] == 1)[2] = 3
            done.add(path)
    if done != want:
        raise ValueError('no 12-byte leaf column %s' % ', '.join(sorted(want - done)))
    for rg in field(meta, 4)[1]:
        for chunk in field(rg, 1)[1]:
            md = field(chunk, 3)
            path = '.'.join(p.decode() for p in field(md, 3)[1])
            if path in want:
                md[:] = [f for f in md if f[0] != 12]  # statistics: min/max of the old type
                next(f for f in md if f[0] == 1)[2] = 3
    footer = enc_struct(meta)
    open(dst, 'wb').write(data[:start] + footer + struct.pack('<I', len(footer)) + b'PAR1')


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'pages':
        pages(args[0], [int(a) for a in args[1:]])
    elif cmd == 'int96':
        int96(args[0], args[1], args[2:])
    else:
        sys.exit('usage: pqthrift.py pages FILE OFF LEN... | int96 IN OUT COLUMN...')


if __name__ == '__main__':
    main()
