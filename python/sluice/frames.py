"""Frame types, element types, and the Frame object with its payload views.

A Frame is what the reader hands out: its type, dtype, key and the place of
its payload in the reader's buffer (a memory map or a chunk read from a
pipe).  The accessors decode the payload as sluice-rec(5) lays it out; the
array ones (tokens, batch, mask, vector) are numpy views over that buffer,
not copies, so they stay valid for as long as they are referenced.
check_layout() is the reader's check that a known type's payload has
exactly its documented layout, so the views never read outside it.
"""
import json
import struct

import numpy as np

from .errors import MalformedError

MAGIC = b"\x89SLR"
HEAD = 24  # bytes in a frame head

HEADER, END, TRAILER = 0x01, 0x02, 0x03
TEXT, TOKENS, BATCH, VECTOR, JSON, SAMPLE = 0x10, 0x11, 0x12, 0x13, 0x14, 0x15
TYPE_NAMES = {HEADER: "header", END: "end", TRAILER: "trailer", TEXT: "text",
              TOKENS: "tokens", BATCH: "batch", VECTOR: "vector", JSON: "json",
              SAMPLE: "sample"}

DT_NONE, DT_U8, DT_U16, DT_U32, DT_F32, DT_BF16, DT_F16 = range(7)
DTYPE_NAMES = {DT_U8: "u8", DT_U16: "u16", DT_U32: "u32", DT_F32: "f32",
               DT_BF16: "bf16", DT_F16: "f16"}
DTYPE_CODES = {v: k for k, v in DTYPE_NAMES.items()}
# numpy element types, little-endian as the format is; bf16 has none in
# numpy and comes back as its raw u16 bits.
NUMPY_DTYPES = {DT_U8: np.dtype("u1"), DT_U16: np.dtype("<u2"), DT_U32: np.dtype("<u4"),
                DT_F32: np.dtype("<f4"), DT_BF16: np.dtype("<u2"), DT_F16: np.dtype("<f2")}

BATCH_HEAD = 16
BATCH_HAS_MASK = 1
VECTOR_HEAD = 8
SAMPLE_HEAD = 8

_U32 = struct.Struct("<I")
_U32X2 = struct.Struct("<II")
_U32X3 = struct.Struct("<III")


def pad8(n):
    return (n + 7) & ~7


def check_layout(ftype, dtype, buf, at, n):
    """None if the payload buf[at:at+n] of a frame of this type is laid out
    as sluice-rec(5) says, else what is wrong (the C reader's words)."""
    if ftype == BATCH:
        if dtype != DT_U16 and dtype != DT_U32:
            return "batch frame with a dtype other than u16 or u32"
        if n < BATCH_HEAD:
            return "batch payload shorter than its 16-byte head"
        B, T, flags = _U32X3.unpack_from(buf, at)
        if flags & ~BATCH_HAS_MASK:
            return "batch frame with unknown flags"
        ids = B * (T + 1)
        want = BATCH_HEAD + ids * (2 if dtype == DT_U16 else 4)
        if flags & BATCH_HAS_MASK:
            want = BATCH_HEAD + pad8(want - BATCH_HEAD) + ids
        if want != n:
            return "batch of %d x %d needs %d payload bytes, frame has %d" % (B, T + 1, want, n)
        return None
    if ftype == TOKENS:
        if dtype != DT_U16 and dtype != DT_U32:
            return "tokens frame with a dtype other than u16 or u32"
        if n % (2 if dtype == DT_U16 else 4):
            return "tokens payload is not a whole number of tokens"
        return None
    if ftype == VECTOR:
        if dtype != DT_F32:
            return "vector frame with a dtype other than f32"
        if n < VECTOR_HEAD:
            return "vector payload shorter than its 8-byte head"
        dim, meta = _U32X2.unpack_from(buf, at)
        if VECTOR_HEAD + dim * 4 + meta != n:
            return ("vector of dim %d with %d metadata bytes does not fill its %d-byte payload"
                    % (dim, meta, n))
        return None
    if ftype == SAMPLE:
        if n < SAMPLE_HEAD:
            return "sample payload shorter than its 8-byte head"
        (nparts,) = _U32.unpack_from(buf, at)
        pos = SAMPLE_HEAD
        for _ in range(nparts):
            if pos + 8 > n:
                return "sample part runs past the end of its frame"
            name_len, data_len = _U32X2.unpack_from(buf, at + pos)
            pos += 8 + pad8(name_len) + pad8(data_len)
            if pos > n:
                return "sample part runs past the end of its frame"
        if pos != n:
            return "sample payload has bytes after its last part"
        return None
    return None


def json_object(data, frame, what):
    """Parses a JSON object, or raises MalformedError as rec-cat would."""
    try:
        v = json.loads(bytes(data))
    except ValueError:
        v = None
    if not isinstance(v, dict):
        raise MalformedError(frame.input, frame.offset, what + " is not a JSON object")
    return v


class Frame:
    """One frame of a record stream.

    type, dtype     the frame's type and element type codes (sluice.TEXT, ...)
    type_name       "text", "tokens", ... ("unknown" for types this reader
                    does not know)
    key             the key as str (UTF-8, undecodable bytes kept as
                    surrogates), or None; raw_key is the bytes
    offset          the byte offset of the frame in its input
    payload         a memoryview of the payload bytes (no copy)

    Accessors by type: text, json, tokens, batch (with B, T, mask), vector
    (with metadata), parts; value gives whichever fits the type.
    """

    __slots__ = ("type", "dtype", "raw_key", "offset", "input", "_buf", "_at", "_len")

    def __init__(self, ftype, dtype, raw_key, offset, name, buf, at, length):
        self.type = ftype
        self.dtype = dtype
        self.raw_key = raw_key
        self.offset = offset
        self.input = name
        self._buf = buf  # the mmap or pipe chunk the payload lies in
        self._at = at
        self._len = length

    def __repr__(self):
        return "<sluice.Frame %s key=%r offset=%d payload=%d bytes>" % (
            self.type_name, self.key, self.offset, self._len)

    @property
    def type_name(self):
        return TYPE_NAMES.get(self.type, "unknown")

    @property
    def key(self):
        if self.raw_key is None:
            return None
        return self.raw_key.decode("utf-8", "surrogateescape")

    @property
    def payload(self):
        return memoryview(self._buf)[self._at:self._at + self._len]

    def _array(self, dtype, count, at):
        return np.frombuffer(self._buf, dtype=dtype, count=count, offset=at)

    def _expect(self, *types):
        if self.type not in types:
            raise TypeError("a %s frame has no %s payload" % (
                self.type_name, "/".join(TYPE_NAMES[t] for t in types)))

    @property
    def text(self):
        """A text frame's bytes as str; bytes that are not UTF-8 come back as
        surrogates (errors="surrogateescape"), so writing the str back
        restores them exactly."""
        self._expect(TEXT)
        return bytes(self.payload).decode("utf-8", "surrogateescape")

    @property
    def json(self):
        """A json frame's object, parsed (MalformedError if it is not one)."""
        self._expect(JSON)
        return json_object(self.payload, self, "json record")

    @property
    def tokens(self):
        """A tokens frame's ids: a 1-D numpy array of uint16 or uint32."""
        self._expect(TOKENS)
        dt = NUMPY_DTYPES[self.dtype]
        return self._array(dt, self._len // dt.itemsize, self._at)

    @property
    def B(self):
        self._expect(BATCH)
        return _U32.unpack_from(self._buf, self._at)[0]

    @property
    def T(self):
        self._expect(BATCH)
        return _U32.unpack_from(self._buf, self._at + 4)[0]

    @property
    def batch(self):
        """A batch frame's ids: a numpy array [B, T+1] of uint16 or uint32.
        Inputs are batch[:, :-1], next-token targets batch[:, 1:]."""
        self._expect(BATCH)
        B, T = _U32X2.unpack_from(self._buf, self._at)
        return self._array(NUMPY_DTYPES[self.dtype], B * (T + 1),
                           self._at + BATCH_HEAD).reshape(B, T + 1)

    @property
    def mask(self):
        """A batch frame's mask, uint8 [B, T+1] (1 = real token), or None."""
        self._expect(BATCH)
        B, T, flags = _U32X3.unpack_from(self._buf, self._at)
        if not flags & BATCH_HAS_MASK:
            return None
        n = B * (T + 1)
        at = self._at + BATCH_HEAD + pad8(n * NUMPY_DTYPES[self.dtype].itemsize)
        return self._array(np.uint8, n, at).reshape(B, T + 1)

    @property
    def vector(self):
        """A vector frame's values: a 1-D float32 numpy array."""
        self._expect(VECTOR)
        (dim,) = _U32.unpack_from(self._buf, self._at)
        return self._array(NUMPY_DTYPES[DT_F32], dim, self._at + VECTOR_HEAD)

    @property
    def metadata(self):
        """A vector frame's metadata object, or None when it has none."""
        self._expect(VECTOR)
        dim, meta = _U32X2.unpack_from(self._buf, self._at)
        if not meta:
            return None
        at = self._at + VECTOR_HEAD + 4 * dim
        return json_object(memoryview(self._buf)[at:at + meta], self, "vector metadata")

    @property
    def parts(self):
        """A sample frame's parts: a dict of part name (str) -> bytes, in
        their order in the frame."""
        self._expect(SAMPLE)
        buf, at = self._buf, self._at
        (nparts,) = _U32.unpack_from(buf, at)
        pos = at + SAMPLE_HEAD
        out = {}
        for _ in range(nparts):
            name_len, data_len = _U32X2.unpack_from(buf, pos)
            name = bytes(buf[pos + 8:pos + 8 + name_len]).decode("utf-8", "surrogateescape")
            data = pos + 8 + pad8(name_len)
            out[name] = bytes(buf[data:data + data_len])
            pos = data + pad8(data_len)
        return out

    @property
    def value(self):
        """The payload decoded for its type: str, dict, array or parts."""
        getter = _VALUE.get(self.type)
        return getter(self) if getter else bytes(self.payload)


_VALUE = {TEXT: lambda f: f.text, JSON: lambda f: f.json, TOKENS: lambda f: f.tokens,
          BATCH: lambda f: f.batch, VECTOR: lambda f: f.vector, SAMPLE: lambda f: f.parts,
          HEADER: lambda f: json_object(f.payload, f, "header frame"),
          TRAILER: lambda f: json_object(f.payload, f, "trailer frame"),
          END: lambda f: struct.unpack_from("<Q", f._buf, f._at)[0]}
