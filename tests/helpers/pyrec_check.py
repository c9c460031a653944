#!/usr/bin/python3
"""pyrec_check.py - drive the sluice Python package for tests/python-records.bats.

    pyrec_check.py dump SOURCE      every data frame as rec-cat prints it, a
                                    JSON line each (SOURCE: a path, or - for
                                    stdin, read as a pipe)
    pyrec_check.py same A B         exit 0 when the JSON lines of A and B are
                                    the same records (vector values compared
                                    as float32, as they are stored), else
                                    print the first difference and exit 1
    pyrec_check.py error SOURCE     read SOURCE to its end, every payload
                                    decoded; print "STATUS<TAB>MESSAGE" of
                                    the RecordError raised, or "ok N" (data
                                    frames read)
    pyrec_check.py headers SOURCE   each stream's header, a JSON line each,
                                    then "trailers: [...]" and "skipped: N"
    pyrec_check.py speed SOURCE MIN_MBPS
                                    read batch records, touching every id;
                                    fail when slower than MIN_MBPS of ids
    pyrec_check.py write KIND DEST  write records of every writer method for
                                    KIND from JSON lines on stdin (see
                                    write() below)

The package comes from PYTHONPATH (the source tree's python/).
"""
import base64
import json
import sys
import time

import numpy as np

import sluice


def printable(data):
    """rec-cat prints a sample part as a string when it is valid UTF-8 with
    no control characters but \\n \\r \\t, else as base64."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(c >= 0x20 or c in b"\n\r\t" for c in data)


def as_rec_cat(f):
    """The JSON object rec-cat prints for a frame."""
    o = {"type": f.type_name}
    if f.key is not None:
        o["key"] = f.key
    if f.type == sluice.TEXT:
        o["text"] = f.text
    elif f.type == sluice.TOKENS:
        o["tokens"] = f.tokens.tolist()
    elif f.type == sluice.BATCH:
        o["batch"] = {"B": f.B, "T": f.T, "rows": f.batch.tolist()}
        if f.mask is not None:
            o["batch"]["mask"] = f.mask.tolist()
    elif f.type == sluice.VECTOR:
        o["vector"] = f.vector.tolist()
        if f.metadata is not None:
            o["metadata"] = f.metadata
    elif f.type == sluice.JSON:
        o["json"] = f.json
    elif f.type == sluice.SAMPLE:
        o["parts"] = {k: v.decode() if printable(v) else {"base64": base64.b64encode(v).decode()}
                      for k, v in f.parts.items()}
    return o


def source(arg):
    return sys.stdin.buffer if arg == "-" else arg


def dump(arg):
    out = sys.stdout
    with sluice.open(source(arg)) as r:
        for f in r:
            out.write(json.dumps(as_rec_cat(f), ensure_ascii=False, separators=(",", ":")) + "\n")


def normal(o):
    if o.get("type") == "vector":
        o["vector"] = [float(np.float32(x)) for x in o["vector"]]
    return o


def same(a, b):
    la = [normal(json.loads(x)) for x in open(a, encoding="utf-8")]
    lb = [normal(json.loads(x)) for x in open(b, encoding="utf-8")]
    if len(la) != len(lb):
        sys.exit("%d records in %s, %d in %s" % (len(la), a, len(lb), b))
    for i, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            sys.exit("record %d differs:\n  %s\n  %s" % (i, x, y))


def error(arg):
    try:
        n = 0
        with sluice.open(source(arg)) as r:
            for f in r:
                f.value
                if f.type == sluice.VECTOR:
                    f.metadata
                n += 1
        print("ok", n)
    except sluice.RecordError as e:
        print("%d\t%s" % (e.status, e))


def headers(arg):
    with sluice.open(source(arg)) as r:
        for f in r.frames(structural=True):
            if f.type == sluice.HEADER:
                print(json.dumps(r.header, separators=(",", ":")))
        print("trailers:", json.dumps(r.trailers, separators=(",", ":")))
        print("skipped:", r.skipped)


def speed(arg, min_mbps):
    t = time.perf_counter()
    n = 0
    with sluice.open(source(arg)) as r:
        for f in r:
            n += f.batch.nbytes
    mbps = n / (time.perf_counter() - t) / 1e6
    print("%.0f MB/s of ids" % mbps)
    if mbps < float(min_mbps):
        sys.exit("slower than %s MB/s" % min_mbps)


def write(kind, dest):
    """Each stdin line is a JSON object {"m": METHOD, "a": ARGS, "k": KWARGS};
    a line {"header": {...}} before the others gives the Writer's keyword
    arguments (header, dtype, prog, args)."""
    lines = [json.loads(x) for x in sys.stdin]
    opts = lines.pop(0)["header"] if lines and "header" in lines[0] else {}
    with sluice.Writer("-" if dest == "-" else dest, kind=kind, **opts) as w:
        for line in lines:
            getattr(w, line["m"])(*line.get("a", []), **line.get("k", {}))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"dump": dump, "same": same, "error": error, "headers": headers, "speed": speed,
     "write": write}[cmd](*args)
