"""Reading and writing sluice record streams (sluice-rec(5)) from Python.

sluice.open(source) reads a stream from a path, a binary file object or a
pipe ("-" is stdin).  A regular file is memory-mapped and its token, batch
and vector payloads come back as numpy arrays over the mapping, without a
copy; a pipe is read in large chunks that the arrays then point into.  Every
frame is checked as the C reader checks it (magic, checksums when xxhash is
there, size limit, stream order, end counts, payload layouts) and a problem
raises the sluice.RecordError subclass that matches rec-cat's exit status.

sluice.Writer(dest, kind=...) writes a stream (header, data frames, end
frame) to a path, atomically, or to a file object such as stdout, so that a
Python step can sit in a pipeline between sluice programs.
"""
import builtins
import fcntl
import io
import json
import mmap
import os
import signal
import stat
import struct
import sys
import tempfile

import numpy as np

from . import checksum
from .errors import (ChecksumError, FrameTooLargeError, MalformedError, MissingEndError,
                     NotRecordsError, TruncatedError)
from .frames import (BATCH, BATCH_HAS_MASK, DT_F32, DT_NONE, DT_U16, DT_U32, DTYPE_CODES,
                     END, HEAD, HEADER, JSON, MAGIC, NUMPY_DTYPES, SAMPLE, TEXT, TOKENS,
                     TRAILER, TYPE_NAMES, VECTOR, Frame, check_layout, json_object)

__version__ = "0.1.0"

DEFAULT_MAX_FRAME = 1 << 30
MAX_KEY = 65535
# A pipe is read into chunks of this size; a frame that does not fit in the
# rest of a chunk starts a new one (the old one stays as it is, for the
# arrays that still point into it).
CHUNK = 8 << 20

_HEAD = struct.Struct("<4sBBHIIQ")
_U64 = struct.Struct("<Q")
_MASK32 = 0xFFFFFFFF
_F_SETPIPE_SZ = 1031  # fcntl.F_SETPIPE_SZ, named there from Python 3.10
# Pages of a mapped file are mapped ahead of the reader in windows of this
# size (madvise MADV_POPULATE_READ, Linux 5.14): one call maps a window's
# pages at about twice the speed of faulting them in one by one.
POPULATE = 64 << 20
_MADV_POPULATE_READ = getattr(mmap, "MADV_POPULATE_READ", 22)


def max_frame():
    """The payload limit: SLUICE_MAX_FRAME (bytes, k/M/G/T suffixes for
    powers of 1024) or 1 GiB, as the C programs read it."""
    env = os.environ.get("SLUICE_MAX_FRAME", "")
    if not env:
        return DEFAULT_MAX_FRAME
    s = env.lstrip()
    shift = {"k": 10, "m": 20, "g": 30, "t": 40}.get(s[-1:].lower(), 0)
    digits = s[:-1] if shift else s
    if not digits.isdigit() or not digits.isascii() or int(digits) << shift == 0:
        raise ValueError("SLUICE_MAX_FRAME: %r is not a positive number of bytes" % env)
    return int(digits) << shift


def _looks_like_text(p):
    return len(p) > 0 and all(c >= 0x20 or c in b"\n\r\t" for c in p)


class Reader:
    """A record stream being read; see sluice.open()."""

    def __init__(self, source, verify=None, name=None, max_frame_bytes=None):
        self._hash = checksum.verifier(verify)
        self._max = max_frame() if max_frame_bytes is None else max_frame_bytes
        self._file, self._own = None, False
        self._map = None
        self.input = name
        if isinstance(source, (str, bytes, os.PathLike)) and source != "-":
            self._file = builtins.open(source, "rb")
            self._own = True
            if name is None:
                self.input = os.fsdecode(source)
        elif source == "-" or source is None:
            self._file = sys.stdin.buffer
        else:
            self._file = source
        if self.input is None:
            fname = getattr(self._file, "name", None)
            self.input = "<stdin>" if self._file is sys.stdin.buffer or fname in (0, "<stdin>") \
                else fname if isinstance(fname, str) else "<input>"
        self._buf = b""   # a memory map, or the pipe chunk being filled
        self._pos = 0     # where the next frame starts in _buf
        self._end = 0     # how much of _buf holds input
        self._base = 0    # the input offset of _buf[0]
        self._eof = False
        self._readinto = None
        self._ready = None
        self._open_input()
        self._state = "start"     # start | stream | after-end
        self.count = 0            # data frames of the current stream so far
        self.skipped = 0          # frames of unknown types skipped
        self.streams = 0          # headers seen
        self.header = None        # the current stream's header (a dict)
        self.trailer = None       # the current stream's trailer, once read
        self.headers, self.trailers = [], []
        # The first header is read now, so that .header is there at once and
        # input that is not records fails at open.
        self._first = self._next()

    def _open_input(self):
        fileno = None
        try:
            fileno = self._file.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            pass
        if fileno is not None:
            st = os.fstat(fileno)
            if stat.S_ISREG(st.st_mode):
                try:
                    start = self._file.tell()
                except OSError:
                    start = 0
                if st.st_size > start:
                    self._map = mmap.mmap(fileno, 0, access=mmap.ACCESS_READ)
                    if hasattr(mmap, "MADV_SEQUENTIAL"):
                        self._map.madvise(mmap.MADV_SEQUENTIAL)
                    self._buf, self._pos, self._end = self._map, start, st.st_size
                    self._base = -start  # offsets count from where reading began
                    self._eof = True
                    self._ready = start  # mapped ahead up to here
                    return
            elif stat.S_ISFIFO(st.st_mode):
                # Fewer, larger reads: the C writers grow their pipes too.
                try:
                    fcntl.fcntl(fileno, _F_SETPIPE_SZ, 1 << 20)
                except OSError:
                    pass
        # One read at a time (readinto1), so a frame is handed out as soon as
        # its bytes are there, not when a whole chunk has filled.
        self._readinto = getattr(self._file, "readinto1", None) or self._file.readinto
        self._buf = bytearray(CHUNK)
        self._spare = None

    def _fill(self, need):
        """Makes `need` bytes from _pos available if the input has them;
        returns how many are (fewer only at the end of the input)."""
        avail = self._end - self._pos
        if avail >= need or self._eof:
            return avail
        if self._pos + need > len(self._buf):
            # A chunk is never written over while a frame or an array still
            # points into it: the previous one is reused only once nothing
            # refers to it but this reader (its reference count says so),
            # which spares the page faults of a fresh allocation.
            spare, self._spare = self._spare, None
            if spare is None or sys.getrefcount(spare) > 2 or len(spare) < need:
                spare = bytearray(max(CHUNK, need))
            spare[:avail] = self._buf[self._pos:self._end]
            self._base += self._pos
            self._spare = self._buf
            self._buf, self._pos, self._end = spare, 0, avail
        view = memoryview(self._buf)
        try:
            while self._end - self._pos < need:
                n = self._readinto(view[self._end:])
                if not n:
                    self._eof = True
                    break
                self._end += n
        finally:
            view.release()
        return self._end - self._pos

    def _populate(self, need):
        start = self._ready
        end = min(max(need, start + POPULATE), self._end)
        try:
            self._map.madvise(_MADV_POPULATE_READ, start & ~(mmap.PAGESIZE - 1),
                              end - (start & ~(mmap.PAGESIZE - 1)))
            self._ready = end
        except (OSError, ValueError):
            self._ready = None  # an older kernel: pages come in by faults

    @property
    def offset(self):
        """The input offset of the next frame."""
        return self._base + self._pos

    def _fail(self, cls, offset, what):
        raise cls(self.input, offset, what)

    def _bad_magic(self, off, avail):
        if self._state != "start":
            self._fail(NotRecordsError, off, "bad frame magic: the stream is corrupt here")
        p = bytes(self._buf[self._pos:self._pos + min(avail, 256)])
        s = p.lstrip(b" \t\n\v\f\r")
        if s[:1] in (b"{", b"["):
            self._fail(NotRecordsError, off, "not a sluice record stream "
                       "(it looks like JSON lines; convert with rec-pack --jsonl)")
        if _looks_like_text(p):
            self._fail(NotRecordsError, off, "not a sluice record stream "
                       "(it looks like plain text; convert with rec-pack)")
        self._fail(NotRecordsError, off, "not a sluice record stream (bad magic)")

    def _next(self):
        """The next frame of any type but trailers and unknown ones, checked
        as sluice-rec(5) says; None at the clean end of the input."""
        while True:
            avail = self._fill(HEAD)
            off = self._base + self._pos
            if avail == 0:
                if self._state == "after-end":
                    return None
                if self._state == "start":
                    self._fail(MissingEndError, off,
                               "empty input: no record stream (did the producer fail?)")
                self._fail(MissingEndError, off, "missing end marker after %d records "
                           "(the producer stopped early?)" % self.count)
            buf, pos = self._buf, self._pos
            if avail < HEAD:
                if buf[pos:pos + min(avail, 4)] != MAGIC[:min(avail, 4)]:
                    self._bad_magic(off, avail)
                self._fail(TruncatedError, off, "truncated frame: input ends "
                           "%d bytes into a 24-byte frame head" % avail)
            magic, ftype, dtype, klen, plen, hcheck, bcheck = _HEAD.unpack_from(buf, pos)
            if magic != MAGIC:
                self._bad_magic(off, avail)
            h = self._hash
            if h is not None and h(buf[pos:pos + 12]) & _MASK32 != hcheck:
                self._fail(ChecksumError, off, "frame head checksum mismatch")
            if plen > self._max:
                self._fail(FrameTooLargeError, off, "frame of %d bytes is over the %d-byte "
                           "limit (set SLUICE_MAX_FRAME to raise it)" % (plen, self._max))
            kpad = (klen + 7) & ~7
            total = HEAD + kpad + ((plen + 7) & ~7)
            avail = self._fill(total)
            if avail < total:
                self._fail(TruncatedError, off, "truncated frame: its head promises "
                           "%d bytes, the input ends after %d" % (total, avail))
            buf, pos = self._buf, self._pos  # _fill may have moved to a new chunk
            if self._ready is not None and pos + total > self._ready:
                self._populate(pos + total)
            if h is not None:
                with memoryview(buf) as view:
                    bad = h(view[pos + HEAD:pos + total]) != bcheck
                if bad:
                    self._fail(ChecksumError, off, "frame checksum mismatch")
            self._pos = pos + total
            at = pos + HEAD + kpad
            key = bytes(buf[pos + HEAD:pos + HEAD + klen]) if klen else None
            frame = Frame(ftype, dtype, key, off, self.input, buf, at, plen)

            if ftype == HEADER:
                if self._state == "stream":
                    self._fail(MalformedError, off, "header frame inside a stream "
                               "(the previous stream has no end marker)")
                self.header = json_object(frame.payload, frame, "header frame")
                self.headers.append(self.header)
                self.trailer = None
                self._state, self.count = "stream", 0
                self.streams += 1
                return frame
            if self._state == "start":
                self._fail(MalformedError, off, "stream does not begin with a header frame")
            if self._state == "after-end":
                self._fail(MalformedError, off, "%s frame after the end marker"
                           % TYPE_NAMES.get(ftype, "unknown"))
            if ftype == END:
                if plen != 8:
                    self._fail(MalformedError, off, "end marker payload is not 8 bytes")
                (said,) = _U64.unpack_from(buf, at)
                if said != self.count:
                    self._fail(MalformedError, off, "end marker counts %d records but the "
                               "stream has %d (frames lost?)" % (said, self.count))
                self._state = "after-end"
                return frame
            self.count += 1
            if ftype == TRAILER:
                # Kept apart from the data, as the C reader keeps it.
                self.trailer = json_object(frame.payload, frame, "trailer frame")
                self.trailers.append(self.trailer)
                continue
            if ftype not in TYPE_NAMES:
                self.skipped += 1
                continue
            bad = check_layout(ftype, dtype, buf, at, plen)
            if bad:
                self._fail(MalformedError, off, bad)
            return frame

    def frames(self, structural=False):
        """Yields the data frames of every stream in the input, in order.

        With structural=True, header and end frames come too (as the C
        reader hands them out), so a copier can see where streams begin and
        end.  Trailers and frames of unknown types are never yielded: the
        reader keeps the trailer (.trailer) and counts the others (.skipped).
        """
        frame, self._first = self._first, None
        if frame is None:
            frame = self._next()
        while frame is not None:
            if structural or frame.type >= TEXT:
                yield frame
            frame = self._next()

    __iter__ = frames

    def close(self):
        """Closes the input (a file the reader opened) and the mapping.

        Arrays handed out keep a closed map's memory alive: the mapping goes
        away with the last of them."""
        m, self._map = self._map, None
        if m is not None:
            try:
                m.close()
            except BufferError:
                pass  # arrays still view it; it is unmapped when they go
        self._buf = self._spare = b""
        if self._own:
            self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open(source="-", verify=None, name=None):
    """Opens a record stream for reading and reads its header.

    source   a path, "-" or None for stdin, or a binary file object (a pipe,
             sys.stdin.buffer, an open file, io.BytesIO)
    verify   None: check checksums when the xxhash module is there (else say
             once on stderr that they are not checked); True: demand it;
             False: skip checksums, for speed on input already checked
             (rec-cat -c) or made by a trusted producer.  Everything else
             (magic, lengths, order, counts, layouts) is checked regardless.
    name     the input's name in error messages (default: the path, or
             <stdin>)

    Returns a Reader: iterate it for data frames; .header is the current
    stream's header dict, .trailer its trailer (once read).  Raises a
    sluice.RecordError subclass on bad input, at open or while iterating.
    """
    return Reader(source, verify=verify, name=name)


# ---------------------------------------------------------------- writing

def _json_text(obj):
    """Compact JSON as the C programs write it: no spaces, UTF-8 as is."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _as_bytes(data):
    if isinstance(data, str):
        return data.encode("utf-8", "surrogateescape")
    return data


def _default_prog():
    prog = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] not in ("", "-c", "-") else ""
    return prog or "python"


class Writer:
    """Writes one record stream: a header now, data frames, and on close()
    the trailer (if any) and the end frame.

    dest     a path (written to a temporary file beside it and renamed into
             place on close, as the C programs do; a FIFO or device is
             written in place), "-" or None for stdout, or a binary file
             object
    kind     the data frames' kind: "text", "json", "tokens", "batch",
             "vector" or "sample"
    header   fields for the header: an input stream's header to carry on
             (its lineage is kept and this step appended) or new fields such
             as tokenizer, vocab_size, eot, B, T, dim, metric
    dtype    "u16" or "u32" for tokens and batches (default: the header's
             dtype, else u32)
    prog, args
             this step's lineage entry (default: the script's name and its
             arguments)

    Used as a context manager, an exception inside the block leaves no end
    frame (and no file at a path): a reader downstream then fails loudly
    instead of taking a crashed step's output for a short dataset.  When
    the reader of stdout goes away (| head), the writer ends the program
    quietly with status 141, as SIGPIPE ends a C program.
    """

    def __init__(self, dest="-", kind="text", header=None, dtype=None, prog=None, args=None):
        checksum.hasher()  # fails now, not at the first frame, without xxhash
        self._max = max_frame()
        self._out = bytearray()
        self._tmp = self._path = None
        self._stdout = False
        self._count = 0
        self._closed = False
        self._trailer = None
        if isinstance(dest, (str, bytes, os.PathLike)) and dest != "-":
            self._open_path(os.fsdecode(dest))
        elif dest in ("-", None) or dest is sys.stdout or dest is sys.stdout.buffer:
            sys.stdout.flush()
            self._file, self._stdout = sys.stdout.buffer, True
        else:
            self._file = dest
        h = dict(header or {})
        h["format"] = "sluice-rec"
        h["version"] = 1
        h["kind"] = kind
        if kind in ("tokens", "batch"):
            dtype = dtype or h.get("dtype") or "u32"
            if dtype not in ("u16", "u32"):
                raise ValueError("%s records need dtype u16 or u32, not %r" % (kind, dtype))
            h["dtype"] = dtype
        elif kind == "vector":
            h["dtype"] = "f32"
        self._dtype = DTYPE_CODES.get(h.get("dtype"), DT_NONE)
        lineage = h.get("lineage")
        lineage = list(lineage) if isinstance(lineage, list) else []
        lineage.append({"prog": prog or _default_prog(), "version": __version__,
                        "args": list(sys.argv[1:] if args is None else args)})
        h["lineage"] = lineage
        self.header = h
        self._frame(HEADER, DT_NONE, None, [_json_text(h)])
        self._count = 0

    def _open_path(self, path):
        try:
            st = os.stat(path)
        except FileNotFoundError:
            st = None
        if st is not None and not stat.S_ISREG(st.st_mode):
            self._file = io.open(path, "wb", buffering=0)  # a FIFO or a device
            return
        path = os.path.realpath(path)  # a symlink stays, its target is replaced
        fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".tmp.",
                                   dir=os.path.dirname(path))
        mask = os.umask(0)
        os.umask(mask)
        os.fchmod(fd, 0o666 & ~mask)
        self._file = io.open(fd, "wb", buffering=0)
        self._path, self._tmp = path, tmp

    @property
    def count(self):
        """Data frames written so far (the trailer included)."""
        return self._count

    def _frame(self, ftype, dtype, key, pieces):
        """Writes one frame whose payload is the concatenation of pieces
        (bytes-like objects)."""
        if self._closed:
            raise ValueError("write to a closed sluice.Writer")
        key = _as_bytes(key) if key is not None else b""
        plen = sum(len(p) if not isinstance(p, memoryview) else p.nbytes for p in pieces)
        if len(key) > MAX_KEY:
            raise ValueError("record key of %d bytes is over the %d-byte limit" % (len(key), MAX_KEY))
        if plen > min(self._max, _MASK32):
            raise ValueError("record of %d bytes is over the %d-byte frame limit (set "
                             "SLUICE_MAX_FRAME to raise it)" % (plen, min(self._max, _MASK32)))
        kpad = b"\0" * (-len(key) % 8)
        ppad = b"\0" * (-plen % 8)
        h = checksum.hasher()
        h.update(key)
        h.update(kpad)
        for p in pieces:
            h.update(p)
        h.update(ppad)
        head = struct.pack("<4sBBHI", MAGIC, ftype, dtype, len(key), plen)
        out = self._out
        out += head
        out += struct.pack("<IQ", checksum.xxh3_64(head) & _MASK32, h.intdigest())
        out += key
        out += kpad
        for p in pieces:
            if len(out) + len(p) > CHUNK:  # a big payload goes out without a copy
                self._flush()
                self._write(p)
            else:
                out += p
        out += ppad
        if ftype != HEADER and ftype != END:
            self._count += 1
        if len(out) >= CHUNK:
            self._flush()

    def _write(self, data):
        try:
            self._file.write(data)
        except BrokenPipeError:
            if not self._stdout:
                raise
            self._quiet_exit()

    def _quiet_exit(self):
        # The reader of our output is gone: end as a C program ends on
        # SIGPIPE, silently, and keep Python's exit-time flush of stdout from
        # reporting the same broken pipe again.
        self._closed = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        raise SystemExit(128 + signal.SIGPIPE)

    def _flush(self):
        if self._out:
            self._write(self._out)
            self._out = bytearray()

    def write_text(self, text, key=None):
        """A text record: str (encoded UTF-8, surrogates back to the bytes
        they stand for) or bytes."""
        self._frame(TEXT, DT_NONE, key, [_as_bytes(text)])

    def write_json(self, obj, key=None):
        """A JSON record: a dict (written compactly), or the JSON text of one
        object as str or bytes (written as given)."""
        data = _json_text(obj) if isinstance(obj, dict) else _as_bytes(obj)
        self._frame(JSON, DT_NONE, key, [data])

    def _ids(self, ids, what):
        a = np.asarray(ids)
        if self._dtype in (DT_U16, DT_U32):
            dt = NUMPY_DTYPES[self._dtype]  # the stream's, as its header says
        elif a.dtype in (NUMPY_DTYPES[DT_U16], NUMPY_DTYPES[DT_U32]):
            dt = a.dtype  # a stream of no one dtype: the array's own
        else:
            dt = NUMPY_DTYPES[DT_U32]
        if a.dtype != dt:
            if a.size and (a.dtype.kind not in "ui" or a.min() < 0 or a.max() > np.iinfo(dt).max):
                raise ValueError("%s do not fit the stream's dtype %s" % (what, dt.name))
            a = a.astype(dt)
        return np.ascontiguousarray(a)

    def write_tokens(self, ids, key=None):
        """A tokens record: a sequence or numpy array of token ids, written
        with the stream's dtype (u16 or u32)."""
        a = self._ids(ids, "token ids").reshape(-1)
        self._frame(TOKENS, DTYPE_CODES[a.dtype.name.replace("uint", "u")], key,
                    [memoryview(a).cast("B")])

    def write_batch(self, ids, mask=None, key=None):
        """A batch record: ids [B, T+1] and an optional mask of the same
        shape (nonzero = real token)."""
        a = self._ids(ids, "batch ids")
        if a.ndim != 2 or a.shape[1] < 1:
            raise ValueError("a batch is a 2-D array [B, T+1]")
        B, T1 = a.shape
        pieces = [struct.pack("<IIII", B, T1 - 1, BATCH_HAS_MASK if mask is not None else 0, 0),
                  memoryview(a).cast("B")]
        if mask is not None:
            m = np.ascontiguousarray(np.asarray(mask) != 0, dtype=np.uint8)
            if m.shape != a.shape:
                raise ValueError("the mask must have the batch's shape %r" % (a.shape,))
            pieces += [b"\0" * (-a.nbytes % 8), memoryview(m).cast("B")]
        self._frame(BATCH, DTYPE_CODES[a.dtype.name.replace("uint", "u")], key, pieces)

    def write_vector(self, values, key=None, metadata=None):
        """A vector record: float values (stored as f32) and an optional
        metadata dict (or its JSON text)."""
        v = np.ascontiguousarray(values, dtype="<f4").reshape(-1)
        meta = b"" if metadata is None else (
            _json_text(metadata) if isinstance(metadata, dict) else _as_bytes(metadata))
        self._frame(VECTOR, DT_F32, key, [struct.pack("<II", v.size, len(meta)),
                                          memoryview(v).cast("B"), meta])

    def write_sample(self, parts, key=None):
        """A sample record: a dict of part name -> bytes (or str)."""
        pieces = [struct.pack("<II", len(parts), 0)]
        for name, data in parts.items():
            name, data = _as_bytes(name), _as_bytes(data)
            pieces += [struct.pack("<II", len(name), len(data)), name, b"\0" * (-len(name) % 8),
                       data, b"\0" * (-len(data) % 8)]
        self._frame(SAMPLE, DT_NONE, key, pieces)

    def write_frame(self, frame):
        """Copies a data frame from a Reader unchanged (type, dtype, key and
        payload), as a filter passes on the records it keeps."""
        if frame.type < TEXT:
            raise ValueError("write_frame copies data frames, not %s frames" % frame.type_name)
        self._frame(frame.type, frame.dtype, frame.raw_key, [frame.payload])

    def set_trailer(self, obj):
        """The trailer: a JSON object written just before the end frame."""
        self._trailer = dict(obj)

    def close(self):
        """Writes the trailer and the end frame, flushes, and at a path
        renames the finished file into place."""
        if self._closed:
            return
        if self._trailer is not None:
            self._frame(TRAILER, DT_NONE, None, [_json_text(self._trailer)])
        self._frame(END, DT_NONE, None, [_U64.pack(self._count)])
        self._flush()
        self._closed = True
        try:
            self._file.flush()
        except BrokenPipeError:
            if not self._stdout:
                raise
            self._quiet_exit()
        if self._tmp is not None:
            os.fsync(self._file.fileno())
            self._file.close()
            os.rename(self._tmp, self._path)
            self._tmp = None
        elif self._path is None and not self._stdout and isinstance(self._file, io.FileIO):
            self._file.close()

    def abort(self):
        """Stops without an end frame; at a path, leaves no file."""
        self._closed = True
        if self._tmp is not None:
            self._file.close()
            os.unlink(self._tmp)
            self._tmp = None
        elif self._stdout:
            try:
                self._flush()
                self._file.flush()
            except BrokenPipeError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()
