"""quality_realtext.py [MAX_BYTES] - real English text as NUL-separated
documents on stdout, for tests/quality.bats and the speed figures: every
licence in /usr/share/common-licenses, manual pages of section 1 (their
troff source, one document per .SH section) and Debian's fortunes (one
document per fortune file's worth of 40 fortunes) when installed, in a
fixed order, up to MAX_BYTES (default 2000000)."""
import glob
import gzip
import os
import sys


def docs():
    for path in sorted(glob.glob("/usr/share/common-licenses/*")):
        if os.path.isfile(path):
            yield open(path, "rb").read()
    for path in sorted(glob.glob("/usr/share/games/fortunes/*")):
        if os.path.isfile(path) and not path.endswith((".dat", ".u8")) and not os.path.islink(path):
            items = open(path, "rb").read().split(b"\n%\n")
            for k in range(0, len(items), 40):
                yield b"\n\n".join(items[k:k + 40])
    for path in sorted(glob.glob("/usr/share/man/man1/*.1.gz")):
        try:
            text = gzip.open(path).read()
        except OSError:
            continue
        for part in text.split(b"\n.SH"):
            yield part


def main():
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 2000000
    out, n = sys.stdout.buffer, 0
    for d in docs():
        d = d.replace(b"\0", b"")
        try:
            d.decode("utf-8")
        except UnicodeDecodeError:
            continue
        out.write(d + b"\0")
        n += len(d) + 1
        if n >= limit:
            break


if __name__ == "__main__":
    main()
