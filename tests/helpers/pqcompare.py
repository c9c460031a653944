#!/usr/bin/python3
"""pqcompare.py [--duckdb-forms] EXPECTED ACTUAL [EXPECTED ACTUAL]... -
compares two files of JSON lines (or each pair in turn), the
rows DuckDB reads from a parquet file (EXPECTED) and the rows pq-dump
prints (ACTUAL), value by value after parsing both.  The only
normalisations, each for a documented difference of representation:

  * numbers compare as exact decimals (so DuckDB's 1.5 equals our DECIMAL
    text 1.50, and 1e300 equals 1e+300); failing that, two numbers are
    equal when they round to the same float32, because DuckDB prints a
    FLOAT column widened to double (0.1428571492433548) where we print
    the float's own shortest form (0.14285715);
  * a MAP whose keys are not strings: DuckDB prints an object with the
    keys turned into strings, we print [{"key":k,"value":v},...]; ours is
    turned into DuckDB's form before comparing.

With --duckdb-forms, two more, for values past the ranges DuckDB's own
tests cover (tests/parquet.bats, the edge values), applied to EXPECTED:

  * DuckDB's years: a date or timestamp string "0001-12-31 (BC)..." is 1 BC
    and one past 9999 has no sign; ours are ISO 8601's ("0000-12-31...",
    "+10000-...", "-0001-..." for 2 BC), so DuckDB's are rewritten so;
  * DuckDB prints a FLOAT or DOUBLE infinity or NaN as such; we print null;
  * DuckDB prints a DECIMAL whose scale is its precision without the 0
    before the point (".5", "-.5"), which is no JSON: the 0 is put back.

Prints the first difference and exits 1, or exits 0 when equal."""
import json
import math
import re
import struct
import sys
from decimal import Decimal


def f32(d):
    try:
        return struct.pack('<f', float(d))
    except OverflowError:
        return None


def same(e, a, path):
    if isinstance(e, Decimal) and isinstance(a, Decimal):
        if e == a:
            return None
        x, y = f32(e), f32(a)
        if x is not None and x == y:
            return None
        return path
    if isinstance(e, dict) and isinstance(a, list) and all(
            isinstance(x, dict) and set(x) == {'key', 'value'} for x in a):
        a = {(k if isinstance(k, str) else str(k)): v
             for k, v in ((x['key'], x['value']) for x in a)}
    if type(e) is not type(a):
        return path
    if isinstance(e, dict):
        if list(e) != list(a):
            return path + ' (keys %s vs %s)' % (list(e), list(a))
        for k in e:
            p = same(e[k], a[k], path + '.' + k)
            if p:
                return p
        return None
    if isinstance(e, list):
        if len(e) != len(a):
            return path + ' (lengths %d vs %d)' % (len(e), len(a))
        for i, (x, y) in enumerate(zip(e, a)):
            p = same(x, y, '%s[%d]' % (path, i))
            if p:
                return p
        return None
    return None if e == a else path


DUCK_DATE = re.compile(r'^(\d{4,})-(\d\d)-(\d\d)( \(BC\))?(.*)$')


def duckdb_forms(v):
    if isinstance(v, dict):
        return {k: duckdb_forms(x) for k, x in v.items()}
    if isinstance(v, list):
        return [duckdb_forms(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, Decimal) and not v.is_finite():
        return None
    if isinstance(v, str):
        m = DUCK_DATE.match(v)
        if m:
            y = int(m.group(1))
            if m.group(4):
                y = 1 - y  # 1 BC is year 0
            ys = '%04d' % y if 0 <= y <= 9999 else ('+' if y > 0 else '-') + '%04d' % abs(y)
            # DuckDB writes " (BC)" after the date and before the time
            return '%s-%s-%s%s' % (ys, m.group(2), m.group(3), m.group(5))
    return v


def leading_zero(line):
    """Puts a 0 before a number's bare point, outside strings."""
    out, i, n, in_str = [], 0, len(line), False
    while i < n:
        c = line[i]
        if in_str:
            if c == '\\':
                out.append(line[i:i + 2])
                i += 2
                continue
            in_str = c != '"'
        elif c == '"':
            in_str = True
        elif c == '.' and (not out or out[-1] in ':,[-'):
            out.append('0')
        out.append(c)
        i += 1
    return ''.join(out)


def load(path, fix=False):
    with open(path, encoding='utf-8') as fp:
        return [json.loads(leading_zero(line) if fix else line, parse_float=Decimal, parse_int=Decimal) for line in fp]


def compare(exp_path, act_path, forms):
    """None when equal, else what differs first."""
    exp, act = load(exp_path, forms), load(act_path)
    if forms:
        exp = [duckdb_forms(e) for e in exp]
    if len(exp) != len(act):
        return 'row counts differ: expected %d, got %d' % (len(exp), len(act))
    for i, (e, a) in enumerate(zip(exp, act)):
        p = same(e, a, 'row')
        if p:
            return 'row %d differs at %s\n  expected: %s\n  got:      %s' % (
                i, p, json.dumps(e, default=str)[:2000], json.dumps(a, default=str)[:2000])
    return None


def main():
    args = sys.argv[1:]
    forms = args[0] == '--duckdb-forms'
    if forms:
        args = args[1:]
    if not args or len(args) % 2:
        sys.exit('usage: pqcompare.py [--duckdb-forms] EXPECTED ACTUAL [EXPECTED ACTUAL]...')
    # several pairs in one run: the differential test has many small files
    for exp, act in zip(args[0::2], args[1::2]):
        why = compare(exp, act, forms)
        if why:
            print(('%s: ' % act if len(args) > 2 else '') + why)
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
