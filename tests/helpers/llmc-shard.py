#!/usr/bin/python3
"""llmc-shard.py OUT WIDTH EOT < docs: an llm.c shard written the way llm.c's
own data scripts (dev/data/fineweb.py) write them, independently of
batchify: a header of 256 int32 (magic 20240520 version 1 for 2-byte ids,
20240801 version 7 for 4-byte ids, then the count) and [EOT] + doc for
every document (one a line, ids separated by spaces).  With WIDTH "raw2",
nanoGPT's raw .bin: the same ids as bare u16, no header."""
import struct
import sys

out, width, eot = sys.argv[1], sys.argv[2], int(sys.argv[3])
ids = []
for line in sys.stdin.read().split("\n")[:-1]:
    ids.append(eot)
    ids.extend(int(x) for x in line.split())
with open(out, "wb") as f:
    if width == "raw2":
        f.write(struct.pack("<%dH" % len(ids), *ids))
    else:
        w = int(width)
        header = [20240520, 1, len(ids)] if w == 2 else [20240801, 7, len(ids)]
        f.write(struct.pack("<256i", *(header + [0] * 253)))
        f.write(struct.pack("<%d%s" % (len(ids), "H" if w == 2 else "I"), *ids))
