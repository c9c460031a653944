"""sluice: read and write the record streams of the sluice tools in Python.

    import sluice
    with sluice.open("-") as r:            # a path, a file object, or stdin
        print(r.header["kind"], r.header.get("B"), r.header.get("T"))
        for f in r:                        # data frames, every stream in the input
            x = f.batch                    # numpy [B, T+1] over the input, no copy

    with sluice.Writer("-", kind="text") as w:
        w.write_text("hello")

The format is sluice-rec(5); errors are sluice.RecordError subclasses whose
.status is the exit status a sluice program gives the same input.
"""
from .errors import (ChecksumError, FrameTooLargeError, MalformedError, MissingEndError,
                     NotRecordsError, RecordError, TruncatedError)
from .frames import (BATCH, END, HEADER, JSON, SAMPLE, TEXT, TOKENS, TRAILER, VECTOR,
                     Frame)
from .records import Reader, Writer, __version__, max_frame, open

__all__ = ["open", "Reader", "Writer", "Frame", "max_frame", "__version__",
           "RecordError", "NotRecordsError", "TruncatedError", "ChecksumError",
           "MissingEndError", "FrameTooLargeError", "MalformedError",
           "HEADER", "END", "TRAILER", "TEXT", "TOKENS", "BATCH", "VECTOR", "JSON", "SAMPLE"]
