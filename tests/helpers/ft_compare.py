"""Compares two outputs of fastText predictions line by line:
`fasttext predict-prob` (EXPECTED) and tests/helpers/ft-predict (GOT).

    ft_compare.py EXPECTED GOT

Each line is "LABEL PROB LABEL PROB ...".  The lines must be as many, each
with the same labels in the same order and every probability within 1e-5
of the expected one.  Prints the first difference and exits 1, or prints
"N lines, M predictions agree" and exits 0.
"""
import sys

TOLERANCE = 1e-5


def pairs(line):
    fields = line.split(" ") if line else []
    if len(fields) % 2:
        raise ValueError("odd field count")
    return [(fields[i], float(fields[i + 1])) for i in range(0, len(fields), 2)]


def main():
    with open(sys.argv[1], "rb") as f:
        expected = f.read().decode("utf-8", "surrogateescape").split("\n")
    with open(sys.argv[2], "rb") as f:
        got = f.read().decode("utf-8", "surrogateescape").split("\n")
    if len(expected) != len(got):
        sys.exit("line counts differ: expected %d, got %d" % (len(expected), len(got)))
    total = 0
    for no, (e_line, g_line) in enumerate(zip(expected, got), 1):
        e, g = pairs(e_line), pairs(g_line)
        if [p[0] for p in e] != [p[0] for p in g]:
            sys.exit("line %d: labels differ\n  expected: %s\n  got:      %s" % (no, e_line, g_line))
        for (label, pe), (_, pg) in zip(e, g):
            if abs(pe - pg) > TOLERANCE:
                sys.exit("line %d: %s: probability %r, expected %r" % (no, label, pg, pe))
        total += len(e)
    if total == 0:
        sys.exit("no predictions at all")
    print("%d lines, %d predictions agree" % (len(expected) - 1, total))


main()
