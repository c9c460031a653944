#!/usr/bin/python3
"""pqbuild.py - writes parquet files page by page, for the tests that need
pages no real writer makes on demand (an all-null v2 page with an empty
data section, an empty v1 page, is_compressed = false under a codec), and
values at the very edges of each type, with their expected reading
computed here, independently of any reader.

  pqbuild.py pages DIR       one file a codec: DIR/pages-CODEC.parquet
  pqbuild.py edges DIR       DIR/edges-NAME.parquet and DIR/edges-NAME.jsonl,
                             the rows the reader must print (see edges())
  pqbuild.py bad DIR         DIR/bad-NAME.parquet, each holding one value or
                             annotation the reader must refuse, and
                             DIR/bad.list: NAME<TAB>the error's tail

The Thrift encoding is pqthrift.py's; compression uses zlib where Python
has it and, for the other codecs, the simplest valid stream of each format
(snappy and LZ4 literals, a zstd frame of raw blocks, brotli uncompressed
meta-blocks), which every conforming decoder must read."""
import datetime
import decimal
import json
import os
import struct
import sys
import zlib

from pqthrift import (T_BINARY, T_BYTE, T_I32, T_I64, T_LIST, T_STRUCT, T_TRUE, enc_struct, varint)

BOOLEAN, INT32, INT64, INT96, FLOAT, DOUBLE, BYTE_ARRAY, FLBA = range(8)
REQUIRED, OPTIONAL, REPEATED = range(3)
PLAIN, RLE_DICTIONARY = 0, 8
CODECS = {'uncompressed': 0, 'snappy': 1, 'gzip': 2, 'brotli': 4, 'lz4': 5, 'zstd': 6, 'lz4_raw': 7}


# ---- compression: the simplest valid stream of each codec --------------------

def snappy(b):
    # the uncompressed length, then literals of at most 60 bytes (tag 4*(n-1))
    out = bytearray(varint(len(b)))
    for i in range(0, len(b), 60):
        chunk = b[i:i + 60]
        out += bytes([(len(chunk) - 1) << 2]) + chunk
    return bytes(out)


def lz4_block(b):
    # one sequence of literals only: the token's high nibble, 15 and more bytes
    n = len(b)
    out = bytearray([min(n, 15) << 4])
    if n >= 15:
        k = n - 15
        while k >= 255:
            out.append(255)
            k -= 255
        out.append(k)
    return bytes(out + b)


def lz4_hadoop(b):
    blk = lz4_block(b)
    return struct.pack('>II', len(b), len(blk)) + blk


def zstd(b):
    # a frame: magic, a descriptor saying single segment with an 8-byte
    # content size, then raw blocks of at most 128 KiB, the last one flagged
    out = bytearray(b'\x28\xb5\x2f\xfd' + bytes([0xE0]) + struct.pack('<Q', len(b)))
    chunks = [b[i:i + 131072] for i in range(0, len(b), 131072)] or [b'']
    for k, c in enumerate(chunks):
        h = (len(c) << 3) | (0 << 1) | (1 if k == len(chunks) - 1 else 0)
        out += struct.pack('<I', h)[:3] + c
    return bytes(out)


def brotli(b):
    # WBITS 16 (one 0 bit), one uncompressed meta-block (ISLAST 0, MNIBBLES
    # 4, MLEN - 1 in 16 bits, ISUNCOMPRESSED 1, padding to a byte), then an
    # empty last meta-block (ISLAST 1, ISLASTEMPTY 1); an empty stream is
    # the window bit and that last meta-block alone
    if not b:
        return b'\x06'
    assert len(b) <= 65536
    bits = (len(b) - 1) << 4 | 1 << 20
    return struct.pack('<I', bits)[:3] + b + b'\x03'


def gzip(b):
    z = zlib.compressobj(6, zlib.DEFLATED, 31)
    return z.compress(b) + z.flush()


def compress(codec, b):
    return {0: lambda x: x, 1: snappy, 2: gzip, 4: brotli, 5: lz4_hadoop, 6: zstd, 7: lz4_block}[codec](b)


# ---- encodings ------------------------------------------------------------------

def plain(ptype, vals, type_length=0):
    if ptype == BOOLEAN:
        out = bytearray((len(vals) + 7) // 8)
        for i, v in enumerate(vals):
            out[i >> 3] |= bool(v) << (i & 7)
        return bytes(out)
    if ptype == INT32:
        return b''.join(struct.pack('<i' if v < 2**31 else '<I', v) for v in vals)
    if ptype == INT64:
        return b''.join(struct.pack('<q' if v < 2**63 else '<Q', v) for v in vals)
    if ptype == FLOAT:
        return b''.join(struct.pack('<f', v) for v in vals)
    if ptype == DOUBLE:
        return b''.join(struct.pack('<d', v) for v in vals)
    if ptype in (INT96, FLBA):
        assert all(len(v) == (12 if ptype == INT96 else type_length) for v in vals)
        return b''.join(vals)
    return b''.join(struct.pack('<I', len(v)) + v for v in vals)


def rle(levels, width):
    # runs of equal values, each a varint header (count << 1) and the value
    out, i, nb = bytearray(), 0, (width + 7) // 8
    while i < len(levels):
        j = i
        while j < len(levels) and levels[j] == levels[i]:
            j += 1
        out += varint((j - i) << 1) + levels[i].to_bytes(nb, 'little')
        i = j
    return bytes(out)


# ---- pages, chunks, files -----------------------------------------------------

class Col:
    """A leaf column at the top level: its schema element and its pages."""

    def __init__(self, name, ptype, rep=OPTIONAL, converted=None, logical=None, type_length=None,
                 scale=None, precision=None):
        self.name, self.ptype, self.rep = name, ptype, rep
        if logical is not None and converted is None:
            converted, scale, precision = legacy_of(logical, scale, precision)
        el = [[1, T_I32, ptype]]
        if type_length is not None:
            el.append([2, T_I32, type_length])
        el += [[3, T_I32, rep], [4, T_BINARY, name.encode()]]
        if converted is not None:
            el.append([6, T_I32, converted])
        if scale is not None:
            el.append([7, T_I32, scale])
        if precision is not None:
            el.append([8, T_I32, precision])
        if logical is not None:
            el.append([10, T_STRUCT, logical])
        self.element, self.type_length = el, type_length or 0
        self.pages, self.nvalues = [], 0

    def data_page(self, vals, codec, v2=False, is_compressed=True, encoding=PLAIN, body=None,
                  num_values=None, num_nulls=None):
        """A data page of vals (None for a null), PLAIN unless body is the
        encoded values; a v2 page's data section is left empty when no
        value is present, as writers do for all-null pages."""
        defs = [0 if v is None else 1 for v in vals]
        present = [v for v in vals if v is not None]
        data = body if body is not None else (plain(self.ptype, present, self.type_length) if present else b'')
        lev = rle(defs, 1) if self.rep == OPTIONAL else b''
        n = len(vals) if num_values is None else num_values
        if not v2:
            raw = (struct.pack('<I', len(lev)) + lev if self.rep == OPTIONAL else b'') + data
            comp = compress(codec, raw)
            hdr = [[1, T_I32, 0], [2, T_I32, len(raw)], [3, T_I32, len(comp)],
                   [5, T_STRUCT, [[1, T_I32, n], [2, T_I32, encoding], [3, T_I32, 3], [4, T_I32, 3]]]]
        else:
            sect = compress(codec, data) if is_compressed and data else data
            comp = lev + sect
            nulls = len(vals) - len(present) if num_nulls is None else num_nulls
            dh = [[1, T_I32, n], [2, T_I32, nulls], [3, T_I32, n], [4, T_I32, encoding],
                  [5, T_I32, len(lev)], [6, T_I32, 0]]
            if not is_compressed:
                dh.append([7, T_TRUE, False])
            hdr = [[1, T_I32, 3], [2, T_I32, len(lev) + len(data)], [3, T_I32, len(comp)], [8, T_STRUCT, dh]]
        self.pages.append(enc_struct(hdr) + comp)
        self.nvalues += n

    def dict_page(self, vals, codec):
        raw = plain(self.ptype, vals, self.type_length)
        comp = compress(codec, raw)
        hdr = [[1, T_I32, 2], [2, T_I32, len(raw)], [3, T_I32, len(comp)],
               [7, T_STRUCT, [[1, T_I32, len(vals)], [2, T_I32, PLAIN]]]]
        self.pages.append(enc_struct(hdr) + comp)


def write(path, cols, nrows, codec=0):
    write_raw(path, [c.element for c in cols], [(c.ptype, [c.name], c.pages, c.nvalues) for c in cols], len(cols),
              nrows, codec)


def write_raw(path, elements, leaves, nchildren, nrows, codec=0):
    """A file of one row group: the schema elements below the root (which
    has nchildren), and each leaf column chunk as (physical type, path,
    pages, number of values)."""
    out = bytearray(b'PAR1')
    chunks = []
    for ptype, cpath, pages, nvalues in leaves:
        at = len(out)
        body = b''.join(pages)
        out += body
        meta = [[1, T_I32, ptype], [2, T_LIST, [T_I32, [PLAIN, 3]]], [3, T_LIST, [T_BINARY, [p.encode() for p in cpath]]],
                [4, T_I32, codec], [5, T_I64, nvalues], [6, T_I64, len(body)], [7, T_I64, len(body)],
                [9, T_I64, at]]
        chunks.append([[2, T_I64, at], [3, T_STRUCT, meta]])
    schema = [[[4, T_BINARY, b'schema'], [5, T_I32, nchildren]]] + elements
    footer = enc_struct([[1, T_I32, 1], [2, T_LIST, [T_STRUCT, schema]], [3, T_I64, nrows],
                         [4, T_LIST, [T_STRUCT, [[[1, T_LIST, [T_STRUCT, chunks]], [2, T_I64, len(out)],
                                                  [3, T_I64, nrows]]]]],
                         [6, T_BINARY, b'pqbuild.py']])
    out += footer + struct.pack('<I', len(footer)) + b'PAR1'
    with open(path, 'wb') as fp:
        fp.write(out)


def legacy_of(logical, scale, precision):
    """The converted type (and DECIMAL's scale and precision) that real
    writers put beside a logical type, as the format asks for readers that
    know only the old annotations (DuckDB reads a DATE or DECIMAL by them)."""
    kind, _, body = logical[0]
    get = lambda fid: next((v for f, _, v in body if f == fid), None)
    if kind == 5:
        return 5, get(1), get(2)
    if kind == 6:
        return 6, scale, precision
    if kind == 10:
        bits, signed = get(1), get(2)
        return {8: 11, 16: 12, 32: 13, 64: 14}[bits] + (4 if signed else 0), scale, precision
    if kind in (7, 8) and get(1):  # only a UTC-adjusted time had a converted type
        unit = get(2)[0][0]
        if unit in (1, 2):
            return (7 if kind == 7 else 9) + unit - 1, scale, precision
    return None, scale, precision


def levels_page(ptype, reps, defs, maxrep, maxdef, vals):
    """An uncompressed v1 data page with the given levels, PLAIN values."""
    raw = b''
    for lv, mx in ((reps, maxrep), (defs, maxdef)):
        if mx:
            enc = rle(lv, mx.bit_length())
            raw += struct.pack('<I', len(enc)) + enc
    raw += plain(ptype, vals)
    hdr = [[1, T_I32, 0], [2, T_I32, len(raw)], [3, T_I32, len(raw)],
           [5, T_STRUCT, [[1, T_I32, len(defs)], [2, T_I32, PLAIN], [3, T_I32, 3], [4, T_I32, 3]]]]
    return enc_struct(hdr) + raw


def group(name, rep, nchildren, converted=None):
    el = [[3, T_I32, rep], [4, T_BINARY, name.encode()], [5, T_I32, nchildren]]
    return el + ([[6, T_I32, converted]] if converted is not None else [])


def leaf(name, ptype, rep, converted=None):
    el = [[1, T_I32, ptype], [3, T_I32, rep], [4, T_BINARY, name.encode()]]
    return el + ([[6, T_I32, converted]] if converted is not None else [])


# logical types (the LogicalType union): field id, then the struct's fields
def timestamp(unit, utc, kind=8):
    return [[kind, T_STRUCT, [[1, T_TRUE, utc], [2, T_STRUCT, [[{'ms': 1, 'us': 2, 'ns': 3}[unit], T_STRUCT, []]]]]]]


def decimal_lt(precision, scale):
    return [[5, T_STRUCT, [[1, T_I32, scale], [2, T_I32, precision]]]]


def integer_lt(bits, signed):
    return [[10, T_STRUCT, [[1, T_BYTE, bits], [2, T_TRUE, signed]]]]


def simple_lt(kind):
    return [[kind, T_STRUCT, []]]


# ---- pages DIR: every page shape that carries no values, under every codec -------

def pages(d):
    """pages-CODEC.parquet: one optional INT64 column x of 10 rows over six
    pages: a v2 page of two nulls (an empty data section, not compressed
    whatever the codec), an empty v1 page (0 values, its compressed levels
    empty), a v2 page of [1, null, 2] compressed, a v2 page of [3, 4] with
    is_compressed = false, a v1 page of one null, and the issue's case: a
    v2 page of one null.  Rows: null null 1 null 2 3 4 null null, and a last
    v1 page of [5]."""
    for name, codec in CODECS.items():
        x = Col('x', INT64)
        x.data_page([None, None], codec, v2=True)
        x.data_page([], codec)
        x.data_page([1, None, 2], codec, v2=True)
        x.data_page([3, 4], codec, v2=True, is_compressed=False)
        x.data_page([None], codec)
        x.data_page([None], codec, v2=True)
        x.data_page([5], codec)
        write(os.path.join(d, 'pages-%s.parquet' % name), [x], 10, codec)


# ---- edges DIR: the edge values of every type, and their reading worked out -----
#
# The expected text is computed here from the stored numbers with Python's
# own calendar (datetime, shifted by whole 400-year Gregorian cycles of
# 146097 days to reach years it cannot hold) and decimal arithmetic, in the
# form the reader documents: ISO 8601 years (0000..9999 as four digits, a
# sign and at least four digits beyond), "YYYY-MM-DD HH:MM:SS" with a
# fraction of the unit's digits less its trailing zeros, "+00" when
# UTC-adjusted, DECIMAL as an exact number of `scale` decimals, INTERVAL as
# an object of its three counts.

EPOCH = datetime.date(1970, 1, 1)
CYCLE = 146097  # days in 400 Gregorian years


def date_text(days):
    q, r = divmod(days, CYCLE)
    d = EPOCH + datetime.timedelta(days=r)
    y = d.year + 400 * q
    ys = '%04d' % y if 0 <= y <= 9999 else ('+' if y > 0 else '-') + '%04d' % abs(y)
    return '%s-%02d-%02d' % (ys, d.month, d.day)


def clock_text(secs, frac, digits):
    h, rem = divmod(secs, 3600)
    t = '%02d:%02d:%02d' % (h, rem // 60, rem % 60)
    if frac:
        t += ('.%0*d' % (digits, frac)).rstrip('0')
    return t


PER = {'ms': (1000, 3), 'us': (10**6, 6), 'ns': (10**9, 9)}


def ts_text(v, unit, utc):
    per, digits = PER[unit]
    secs, frac = divmod(v, per)
    days, tod = divmod(secs, 86400)
    return date_text(days) + ' ' + clock_text(tod, frac, digits) + ('+00' if utc else '')


def int96_bytes(jd, nanos):
    return struct.pack('<qi', nanos, jd)


def int96_text(jd, nanos):
    # the value is jd days plus nanos (signed), as DuckDB and arrow-rs read it
    days, tod = divmod(nanos, 86400 * 10**9)
    return date_text(jd - 2440588 + days) + ' ' + clock_text(tod // 10**9, tod % 10**9, 9)


def dec_text(unscaled, scale):
    with decimal.localcontext() as ctx:
        ctx.prec = 400  # exact: far more digits than any value here
        return format(decimal.Decimal(unscaled).scaleb(-scale), 'f')


def twos(v, n):
    return v.to_bytes(n, 'big', signed=True)


def edges(d):
    """Writes edges-NAME.parquet and edges-NAME.jsonl (the rows the reader
    must print, byte for byte) for each group of types, plus
    edges-floats.parquet/.jsonl, whose numbers compare by value."""
    groups = {}
    I32, I64 = (-2**31, 2**31 - 1), (-2**63, 2**63 - 1)

    # integers: min and max of the physical type, and of each annotation
    g = groups['ints'] = []
    g.append((Col('i32', INT32, REQUIRED), [I32[0], -1, 0, I32[1]], None))
    g.append((Col('i64', INT64, REQUIRED), [I64[0], -1, 0, I64[1]], None))
    g.append((Col('i8', INT32, REQUIRED, logical=integer_lt(8, True)), [-128, -1, 0, 127], None))
    g.append((Col('i16', INT32, REQUIRED, converted=16), [-32768, -1, 0, 32767], None))
    g.append((Col('u8', INT32, REQUIRED, converted=11), [0, 1, 128, 255], None))
    g.append((Col('u16', INT32, REQUIRED, logical=integer_lt(16, False)), [0, 1, 32768, 65535], None))
    # UINT_32 and UINT_64: the stored two's complement bits read unsigned
    g.append((Col('u32', INT32, REQUIRED, converted=13), [0, 1, I32[0], -1], [0, 1, 2**31, 2**32 - 1]))
    g.append((Col('u64', INT64, REQUIRED, logical=integer_lt(64, False)), [0, 1, I64[0], -1], [0, 1, 2**63, 2**64 - 1]))

    # dates: the whole INT32 range of days, 1 BC and AD 1, 9999 and 10000
    g = groups['dates'] = []
    days = [I32[0], -719529, -719163, -719162, -1, 0, 2932896, 2932897, I32[1]]
    g.append((Col('d', INT32, REQUIRED, logical=simple_lt(6)), days, [date_text(x) for x in days]))
    g.append((Col('d_legacy', INT32, REQUIRED, converted=6), days, [date_text(x) for x in days]))

    # timestamps: INT64 min and max in each unit, both ways of UTC, around
    # the epoch and year 10000, and the legacy converted types (UTC)
    g = groups['timestamps'] = []
    tsv = [I64[0], I64[0] + 1, -1, 0, 1, 253402300799999999, 253402300800000000, I64[1]]
    for unit in ('ms', 'us', 'ns'):
        for utc in (False, True):
            g.append((Col('ts_%s%s' % (unit, '_utc' if utc else ''), INT64, REQUIRED, logical=timestamp(unit, utc)),
                      tsv, [ts_text(v, unit, utc) for v in tsv]))
    g.append((Col('ts_millis_legacy', INT64, REQUIRED, converted=9), tsv, [ts_text(v, 'ms', True) for v in tsv]))
    g.append((Col('ts_micros_legacy', INT64, REQUIRED, converted=10), tsv, [ts_text(v, 'us', True) for v in tsv]))
    g = groups['int96'] = []
    # INT96: Julian days from INT32 min to max, the year 290000, the
    # last nanosecond of a day, both edges of the int64-nanosecond range, and
    # times of day outside a day (carried into the day), to INT64's ends
    i96 = [(I32[0], 0), (0, 0), (1721426, 0), (2440588, 1), (2440587, 86399999999999),
           (107641749, 82800 * 10**9), (5373484, 86399999999999), (2361222, 43963145224193),
           (2547583, 85636854775808), (I32[1], 86399999999999), (2440588, 86400 * 10**9),
           (2440589, -1), (I32[1], I64[1]), (I32[0], I64[0])]
    g.append((Col('int96', INT96, REQUIRED), [int96_bytes(j, n) for j, n in i96], [int96_text(j, n) for j, n in i96]))

    # times: midnight, the last instant of a day, and 24:00:00
    g = groups['times'] = []
    # (a UTC-adjusted one ends in "+00", as a timestamp does)
    for unit, ptype, utc, legacy in (('ms', INT32, False, False), ('us', INT64, True, False), ('ns', INT64, False, False),
                                     ('ns', INT64, True, False), ('ms', INT32, False, True), ('us', INT64, False, True)):
        per = PER[unit][0]
        vals = [0, 1, 86400 * per - 1, 86400 * per]
        name = 'time_%s%s%s' % (unit, '_utc' if utc else '', '_legacy' if legacy else '')
        lt = None if legacy else timestamp(unit, utc, 7)
        g.append((Col(name, ptype, REQUIRED, logical=lt, converted={'ms': 7, 'us': 8}[unit] if legacy else None),
                  vals, [clock_text(v // per, v % per, PER[unit][1]) + ('+00' if utc else '') for v in vals]))

    # decimals: every physical type, min and max of each, 38 digits both
    # ways, precision past 38, scale past the digits
    g = groups['decimals'] = []
    dec = lambda name, ptype, p, sc, vals, tl=None: g.append((Col(name, ptype, REQUIRED, logical=decimal_lt(p, sc), type_length=tl),
                                                              vals, None, sc))
    dec('dec_i32', INT32, 9, 2, [I32[0], -1, 0, I32[1]])
    dec('dec_i32_s0', INT32, 9, 0, [I32[0], -7, 0, I32[1]])
    dec('dec_i32_s20', INT32, 9, 20, [I32[0], -1, 1, I32[1]])
    dec('dec_i64', INT64, 18, 4, [I64[0], -5, 0, I64[1]])
    n38 = 10**38 - 1
    dec('dec38', FLBA, 38, 10, [-n38, n38, -2**127, 2**127 - 1], 16)
    dec('dec38_s38', FLBA, 38, 38, [-n38, -1, 0, n38], 16)
    dec('dec_flba1', FLBA, 2, 1, [-128, -1, 0, 127], 1)
    dec('dec_ba', BYTE_ARRAY, 38, 6, [-n38, 0, 1, n38])
    dec('dec_ba76', BYTE_ARRAY, 76, 5, [-2**255, -(10**76 - 1), 0, 2**255 - 1])
    g.append((Col('dec_legacy', FLBA, REQUIRED, converted=5, scale=3, precision=20, type_length=9),
              [-2**71, -1, 0, 2**71 - 1], None, 3))

    # INTERVAL: three unsigned counts
    g = groups['intervals'] = []
    iv = [(0, 0, 0), (14, 3, 4), (2**31, 2**31, 2**31), (2**32 - 1, 2**32 - 1, 2**32 - 1)]
    g.append((Col('iv', FLBA, REQUIRED, converted=21, type_length=12), [struct.pack('<III', *x) for x in iv],
              [{'months': a, 'days': b, 'milliseconds': c} for a, b, c in iv]))

    for name, cols in groups.items():
        out = []
        for c in cols:
            col, vals, want = c[0], c[1], c[2]
            if col.ptype in (BYTE_ARRAY, FLBA) and isinstance(vals[0], int):
                scale = c[3]
                n = col.type_length
                enc = [twos(v, n) if n else (b'' if v == 0 else twos(v, (v.bit_length() + 8) // 8)) for v in vals]
                want = [json.loads(dec_text(v, scale), parse_float=decimal.Decimal) for v in vals]
                col.texts = [dec_text(v, scale) for v in vals]
                vals = enc
            elif len(c) > 3:
                col.texts = [dec_text(v, c[3]) for v in vals]
            col.data_page(vals, 0)
            out.append((col, want if want is not None else vals))
        write(os.path.join(d, 'edges-%s.parquet' % name), [c for c, _ in out], len(out[0][1]))
        with open(os.path.join(d, 'edges-%s.jsonl' % name), 'w') as fp:
            for r in range(len(out[0][1])):
                cells = []
                for col, want in out:
                    text = col.texts[r] if hasattr(col, 'texts') else json.dumps(want[r], separators=(',', ':'))
                    cells.append(json.dumps(col.name) + ':' + text)
                fp.write('{' + ','.join(cells) + '}\n')

    # floats, compared by value: the extremes, subnormals, signed zero;
    # NaN and infinities are null (JSON has no such numbers)
    f16 = [0x7BFF, 0x0001, 0x8000, 0x3555, 0xFBFF, 0x7C00, 0x7E00]
    fl = [3.4028234663852886e38, -1.401298464324817e-45, 1.1754943508222875e-38, -0.0, 0.1, float('inf'), float('nan')]
    db = [1.7976931348623157e308, 5e-324, -2.2250738585072014e-308, -0.0, 0.1, float('-inf'), float('nan')]
    cols = [Col('f16', FLBA, REQUIRED, logical=simple_lt(15), type_length=2), Col('f32', FLOAT, REQUIRED),
            Col('f64', DOUBLE, REQUIRED)]
    cols[0].data_page([struct.pack('<H', h) for h in f16], 0)
    cols[1].data_page(fl, 0)
    cols[2].data_page(db, 0)
    write(os.path.join(d, 'edges-floats.parquet'), cols, len(fl))
    num = lambda x: None if x != x or x in (float('inf'), float('-inf')) else x
    with open(os.path.join(d, 'edges-floats.jsonl'), 'w') as fp:
        for r in range(len(fl)):
            row = {'f16': num(struct.unpack('<e', struct.pack('<H', f16[r]))[0]), 'f32': num(fl[r]), 'f64': num(db[r])}
            fp.write(json.dumps(row) + '\n')


# ---- bad DIR: values and annotations the reader must refuse ---------------------

def bad(d):
    """bad-NAME.parquet, each with a column c of a few good rows and one
    wrong one (or a wrong annotation), and bad.list: NAME, a tab, and the
    tail of the one error line the reader must give."""
    cases = []

    def case(name, col, vals, why, nrows=None):
        col.data_page(vals, 0)
        write(os.path.join(d, 'bad-%s.parquet' % name), [col], nrows or len(vals))
        cases.append((name, why))

    case('time-past-day', Col('c', INT32, logical=timestamp('ms', False, 7)), [0, 86400001],
         'column c, row 1: TIME of 86400001 ms is not within a day')
    case('time-negative', Col('c', INT64, logical=timestamp('us', False, 7)), [5, None, -1],
         'column c, row 2: TIME of -1 us is not within a day')
    case('int8-range', Col('c', INT32, converted=15), [127, 128], 'column c, row 1: 128 is out of the range of int8')
    case('uint8-range', Col('c', INT32, logical=integer_lt(8, False)), [255, -1],
         'column c, row 1: -1 is out of the range of uint8')
    case('uint16-range', Col('c', INT32, converted=12), [65536], 'column c, row 0: 65536 is out of the range of uint16')
    case('null-type-value', Col('c', INT32, logical=simple_lt(11)), [None, 7],
         'column c, row 1: a value in a column of the null type')
    case('date-on-int64', Col('c', INT64, logical=simple_lt(6)), [1], 'column c: DATE on INT64')
    case('timestamp-on-int32', Col('c', INT32, logical=timestamp('ms', False)), [1], 'column c: TIMESTAMP on INT32')
    case('legacy-timestamp-on-int32', Col('c', INT32, converted=9), [1], 'column c: TIMESTAMP on INT32')
    case('time-unit-unknown', Col('c', INT64, logical=[[8, T_STRUCT, [[1, T_TRUE, False], [2, T_STRUCT, [[4, T_STRUCT, []]]]]]]),
         [1], 'column c: unsupported time unit')
    case('logical-unknown', Col('c', INT64, logical=simple_lt(40)), [1], 'column c: unsupported logical type')
    case('converted-unknown', Col('c', INT64, converted=40), [1], 'column c: unsupported converted type')
    case('decimal-on-double', Col('c', DOUBLE, converted=5, scale=1, precision=5), [1.5],
         'column c: annotation does not apply to its physical type')
    case('int64-annotation-on-int32', Col('c', INT32, converted=18), [1],
         'column c: integer annotation of another width than its physical type')
    case('interval-width', Col('c', FLBA, converted=21, type_length=8), [b'\0' * 8],
         'column c: INTERVAL not on a 12-byte FIXED_LEN_BYTE_ARRAY')
    case('decimal-65-bytes', Col('c', BYTE_ARRAY, logical=decimal_lt(200, 0)), [b'\1', b'\1' * 65],
         'column c, row 1: DECIMAL of 65 bytes is wider than the 64 this reader reads')
    # a column the reader refuses beside one it reads: the file stays
    # readable but for that column
    ok, c = Col('ok', INT32), Col('c', INT32, logical=timestamp('ms', False))
    ok.data_page([1], 0)
    c.data_page([1], 0)
    write(os.path.join(d, 'beside-bad.parquet'), [ok, c], 1)
    # DECIMALs this reader cannot read: refused when read
    case('decimal-flba-65', Col('c', FLBA, logical=decimal_lt(150, 2), type_length=65), [b'\0' * 65],
         'column c: DECIMAL wider than the 64 bytes this reader reads')
    case('decimal-scale', Col('c', INT32, converted=5, scale=-1, precision=5), [1],
         'column c: DECIMAL of a negative precision, or a scale outside 0..1000')
    # dictionary index past the dictionary: a value must never come from
    # outside it
    c = Col('c', INT64)
    c.dict_page([10, 20], 0)
    c.data_page([1, 1], 0, encoding=RLE_DICTIONARY, body=bytes([2]) + rle([1, 2], 2))
    write(os.path.join(d, 'bad-dict-index.parquet'), [c], 2)
    cases.append(('dict-index', 'dictionary index 2, the dictionary has 2 entries'))
    # a list of structs {a, b} whose two leaves disagree on where elements
    # and rows start: a says [{1}, {3}], [{5}]; b says [{2}], [{4}, {6}].
    # Read by a's levels alone, b's values would land in other rows.
    schema = [group('l', OPTIONAL, 1, converted=3), group('list', REPEATED, 1), group('element', OPTIONAL, 2),
              leaf('a', INT32, OPTIONAL), leaf('b', INT32, OPTIONAL)]
    pa = levels_page(INT32, [0, 1, 0], [4, 4, 4], 1, 4, [1, 3, 5])
    pb = levels_page(INT32, [0, 0, 1], [4, 4, 4], 1, 4, [2, 4, 6])
    write_raw(os.path.join(d, 'bad-rep-disagree.parquet'), schema,
              [(INT32, ['l', 'list', 'element', 'a'], [pa], 3), (INT32, ['l', 'list', 'element', 'b'], [pb], 3)], 1, 2)
    cases.append(('rep-disagree', 'column a: row group 0, row 0: repetition levels disagree between columns'))
    # the same file read right, so the check does not refuse good levels
    pb = levels_page(INT32, [0, 1, 0], [4, 3, 4], 1, 4, [2, 6])
    write_raw(os.path.join(d, 'good-rep.parquet'), schema,
              [(INT32, ['l', 'list', 'element', 'a'], [pa], 3), (INT32, ['l', 'list', 'element', 'b'], [pb], 3)], 1, 2)
    # maps keyed by strings, which are JSON objects: a key twice would read
    # back as one entry, a null key as "" (the format makes keys required)
    for name, krep, kdefs, why in (('map-dup-key', REQUIRED, [2, 2], 'a map holds the same key twice'),
                                   ('map-null-key', OPTIONAL, [3, 2], 'a map key is null')):
        schema = [group('m', OPTIONAL, 1, converted=1), group('key_value', REPEATED, 2),
                  leaf('key', BYTE_ARRAY, krep, converted=0), leaf('value', INT32, OPTIONAL)]
        keys = [b'a'] if krep == OPTIONAL else [b'a', b'a']
        pk = levels_page(BYTE_ARRAY, [0, 1], kdefs, 1, max(kdefs) if krep == OPTIONAL else 2, keys)
        pv = levels_page(INT32, [0, 1], [3, 3], 1, 3, [1, 2])
        write_raw(os.path.join(d, 'bad-%s.parquet' % name), schema,
                  [(BYTE_ARRAY, ['m', 'key_value', 'key'], [pk], 2), (INT32, ['m', 'key_value', 'value'], [pv], 2)], 1, 1)
        cases.append((name, 'column key: row group 0, row 0: ' + why))
    # a VARIANT group: its two binary leaves are an encoding, not the value
    schema = [group('v', OPTIONAL, 2) + [[10, T_STRUCT, simple_lt(16)]], leaf('metadata', BYTE_ARRAY, REQUIRED),
              leaf('value', BYTE_ARRAY, REQUIRED)]
    pm = levels_page(BYTE_ARRAY, [0], [1], 0, 1, [b'\x01\x00\x00'])
    pv = levels_page(BYTE_ARRAY, [0], [1], 0, 1, [b'\x0c\x01'])
    write_raw(os.path.join(d, 'bad-variant.parquet'), schema,
              [(BYTE_ARRAY, ['v', 'metadata'], [pm], 1), (BYTE_ARRAY, ['v', 'value'], [pv], 1)], 1, 1)
    cases.append(('variant', 'column v: unsupported logical type of a group'))
    # a v2 page whose header counts other nulls than its levels
    c = Col('c', INT64)
    c.data_page([1, None, 2], 0, v2=True, num_nulls=2)
    write(os.path.join(d, 'bad-v2-nulls.parquet'), [c], 3)
    cases.append(('v2-nulls', 'page header says 2 nulls, its definition levels 1'))
    with open(os.path.join(d, 'bad.list'), 'w') as fp:
        for name, why in cases:
            fp.write('%s\t%s\n' % (name, why))


def main():
    cmd, d = sys.argv[1], sys.argv[2]
    os.makedirs(d, exist_ok=True)
    {'pages': pages, 'edges': edges, 'bad': bad}[cmd](d)


if __name__ == '__main__':
    main()
