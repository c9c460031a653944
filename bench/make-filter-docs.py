#!/usr/bin/python3
"""make-filter-docs.py SHAPE BYTES OUT - English documents for bench/rec-filter.sh,
written twice: OUT.jsonl ({"text": doc} per line, for rec-pack) and OUT.docs
(the same documents NUL-separated, for the Python oracle).  The text is the
manual pages installed here, rendered to plain text (mandoc | col -bx):

    pages       documents of about 3 KB, whole paragraphs with their lines,
                the size of a median web page in FineWeb
    paragraphs  one paragraph per document, its lines joined by spaces
"""
import glob
import json
import subprocess
import sys

shape, want, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
paras = []
size = 0
for path in sorted(glob.glob("/usr/share/man/man[1358]/*")):
    r = subprocess.run(f"mandoc -T ascii '{path}' 2>/dev/null | col -bx", shell=True, capture_output=True)
    text = r.stdout.decode("utf-8", "replace")
    for p in text.split("\n\n"):
        p = p.strip("\n")
        if len(p.strip()) > 20:
            paras.append(p)
            size += len(p)
    if size >= want:
        break
docs, made, i = [], 0, 0
while made < want:
    if shape == "paragraphs":
        doc = " ".join(paras[i % len(paras)].split())
        i += 1
    else:
        parts = []
        while sum(len(p) for p in parts) < 3000:
            parts.append(paras[i % len(paras)])
            i += 1
        doc = "\n\n".join(parts)
    docs.append(doc)
    made += len(doc.encode())
with open(out + ".jsonl", "w") as f:
    for d in docs:
        f.write(json.dumps({"text": d}, ensure_ascii=False) + "\n")
with open(out + ".docs", "wb") as f:
    f.write(b"\0".join(d.encode() for d in docs))
