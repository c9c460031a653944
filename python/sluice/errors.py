"""The errors of a record stream, one exception class per exit status.

sluice-rec(5) gives every problem a reader can meet in its input an exit
status (rec-cat --help lists them).  Python code gets the same distinctions
as exceptions: each class carries the status a sluice program would exit
with, the input's name and the byte offset of the frame at fault (or of the
point where the input ended), and its message reads like the C programs'
one-line diagnostics, "input:offset: what is wrong".
"""


class RecordError(Exception):
    """A problem in a record stream.  Subclasses name the kind of problem."""

    status = 1  # an I/O error or any other failure (rec-cat's status 1)

    def __init__(self, name, offset, what):
        self.input = name
        self.offset = offset
        self.what = what
        super().__init__("%s:%d: %s" % (name, offset, what))


class NotRecordsError(RecordError):
    """The input, or a frame within it, does not start with the magic."""
    status = 3


class TruncatedError(RecordError):
    """The input ends inside a frame."""
    status = 4


class ChecksumError(RecordError):
    """A frame's head or body does not match its checksum."""
    status = 5


class MissingEndError(RecordError):
    """The input ends without an end frame, or is empty."""
    status = 6


class FrameTooLargeError(RecordError):
    """A frame's payload is over the size limit (SLUICE_MAX_FRAME)."""
    status = 7


class MalformedError(RecordError):
    """Frames out of order, a wrong end count, a bad payload layout."""
    status = 8
