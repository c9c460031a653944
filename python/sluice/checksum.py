"""XXH3_64 for frame checksums, from the optional xxhash module.

Readers verify checksums when python3-xxhash is installed and say once per
process, on stderr, that they cannot when it is not; writers cannot make a
valid frame without it and refuse to start.
"""
import sys

try:
    import xxhash
except ImportError:  # the reader still works, unverified
    xxhash = None

# The one piece of module state: the "cannot verify" warning is said once.
_warned = False


def available():
    """True when checksums can be computed."""
    return xxhash is not None


def verifier(verify):
    """The XXH3_64 function a reader checks frames with, or None to skip.

    verify=True demands verification (an error without xxhash), False skips
    it (for speed, on input already checked), None verifies when it can.
    """
    global _warned
    if verify is False:
        return None
    if xxhash is not None:
        return xxhash.xxh3_64_intdigest
    if verify:
        raise RuntimeError("sluice: checksum verification needs the xxhash module (python3-xxhash)")
    if not _warned:
        _warned = True
        sys.stderr.write("sluice: warning: no xxhash module (python3-xxhash): "
                         "record checksums are not verified\n")
    return None


def hasher():
    """A fresh streaming XXH3_64 state, for the writer."""
    if xxhash is None:
        raise RuntimeError("sluice: writing records needs the xxhash module (python3-xxhash)")
    return xxhash.xxh3_64()


def xxh3_64(data):
    """XXH3_64 of one buffer, for the writer."""
    if xxhash is None:
        raise RuntimeError("sluice: writing records needs the xxhash module (python3-xxhash)")
    return xxhash.xxh3_64_intdigest(data)
