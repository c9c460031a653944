#!/usr/bin/python3
"""vfilter_oracle.py - an independent evaluator of Qdrant filters, written
from Qdrant's spec and condition checkers, and a generator of random cases.

  vfilter_oracle.py gen SEED NPOINTS NFILTERS DIR
      writes DIR/points.jsonl, DIR/filters.jsonl (one filter a line) and
      DIR/expected (for each filter, the ids of the matching points,
      space-separated, in point order) - the format of
      `vfilter-tool --cases DIR/filters.jsonl < DIR/points.jsonl`.
  vfilter_oracle.py eval FILTER < points.jsonl
      the ids that match, one a line.

Values are Python's json types; a JSON integer is an int, a real a float,
and bool is kept apart from int everywhere (bool is an int subclass).
"""
import json
import random
import sys


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return (isinstance(v, (int, float))) and not isinstance(v, bool)


def parse_path(key):
    """Qdrant's key syntax -> list of ('key', name) / ('index', n) / ('each',)."""
    out, i = [], 0
    while i < len(key):
        if out and key[i] == '[':
            j = key.index(']', i)
            out.append(('each',) if j == i + 1 else ('index', int(key[i + 1:j])))
            i = j + 1
            continue
        if out:
            assert key[i] == '.'
            i += 1
        if key[i] == '"':
            j = key.index('"', i + 1)
            out.append(('key', key[i + 1:j]))
            i = j + 1
        else:
            j = i
            while j < len(key) and (key[j].isalnum() or key[j] in '_-'):
                j += 1
            out.append(('key', key[i:j]))
            i = j
    return out


def values_at(payload, path):
    """Every value the path reaches (a list, possibly empty)."""
    cur = [payload]
    for step in path:
        nxt = []
        for v in cur:
            if step[0] == 'key' and isinstance(v, dict) and step[1] in v:
                nxt.append(v[step[1]])
            elif step[0] == 'index' and isinstance(v, list) and step[1] < len(v):
                nxt.append(v[step[1]])
            elif step[0] == 'each' and isinstance(v, list):
                nxt.extend(v)
        cur = nxt
    return cur


def scalar_match(m, v):
    if 'value' in m:
        want = m['value']
        if isinstance(want, bool):
            return isinstance(v, bool) and v == want
        if is_int(want):
            return is_int(v) and v == want
        return isinstance(v, str) and v == want
    if 'any' in m:
        lst = m['any']
        if lst and is_int(lst[0]):
            return is_int(v) and v in lst
        return isinstance(v, str) and v in lst
    lst = m['except']
    if v is None:
        return False
    if lst and is_int(lst[0]):
        return not (is_int(v) and v in lst)
    return not (isinstance(v, str) and v in lst)


def scalar_range(r, v):
    if not is_num(v):
        return False
    x = float(v)
    ok = True
    if r.get('gt') is not None:
        ok = ok and x > r['gt']
    if r.get('gte') is not None:
        ok = ok and x >= r['gte']
    if r.get('lt') is not None:
        ok = ok and x < r['lt']
    if r.get('lte') is not None:
        ok = ok and x <= r['lte']
    return ok


def count_ok(r, n):
    ok = True
    if r.get('gt') is not None:
        ok = ok and n > r['gt']
    if r.get('gte') is not None:
        ok = ok and n >= r['gte']
    if r.get('lt') is not None:
        ok = ok and n < r['lt']
    if r.get('lte') is not None:
        ok = ok and n <= r['lte']
    return ok


def any_element(test, v):
    """match and range look into an array value, one level."""
    if isinstance(v, list):
        return any(test(x) for x in v)
    return test(v)


def field(cond, payload):
    vals = values_at(payload, parse_path(cond['key']))
    if cond.get('match') is not None:
        return any(any_element(lambda x: scalar_match(cond['match'], x), v) for v in vals)
    if cond.get('range') is not None:
        return any(any_element(lambda x: scalar_range(cond['range'], x), v) for v in vals)
    if cond.get('values_count') is not None:
        if not vals:
            return count_ok(cond['values_count'], 0)

        def count(v):
            return len(v) if isinstance(v, list) else 0 if v is None else 1
        return any(count_ok(cond['values_count'], count(v)) for v in vals)
    if cond.get('is_empty') is not None:
        flag = cond['is_empty']
        if not vals:
            return flag
        return any((v is None or v == []) == flag for v in vals)
    flag = cond['is_null']
    if not vals:
        return not flag

    def has_null(v):
        return v is None or (isinstance(v, list) and any(x is None for x in v))
    return any(has_null(v) == flag for v in vals)


def id_text(i):
    return str(i)


def condition(c, pid, payload):
    if 'key' in c:
        return field(c, payload)
    if 'is_empty' in c:
        vals = values_at(payload, parse_path(c['is_empty']['key']))
        return all(v is None or v == [] for v in vals)
    if 'is_null' in c:
        vals = values_at(payload, parse_path(c['is_null']['key']))
        return any(v is None for v in vals)
    if 'has_id' in c:
        return pid is not None and pid in {id_text(x) for x in c['has_id']}
    if 'nested' in c:
        path = parse_path(c['nested']['key'])
        if path[-1] != ('each',):
            path.append(('each',))
        return any(isinstance(v, dict) and matches(c['nested']['filter'], None, v)
                   for v in values_at(payload, path))
    return matches(c, pid, payload)


def as_list(x):
    if x is None:
        return None
    return [x] if isinstance(x, dict) else x


def matches(f, pid, payload):
    must, should, must_not = as_list(f.get('must')), as_list(f.get('should')), as_list(f.get('must_not'))
    if must is not None and not all(condition(c, pid, payload) for c in must):
        return False
    if must_not is not None and any(condition(c, pid, payload) for c in must_not):
        return False
    if should is not None and not any(condition(c, pid, payload) for c in should):
        return False
    ms = f.get('min_should')
    if ms is not None:
        if sum(1 for c in ms['conditions'] if condition(c, pid, payload)) < ms['min_count']:
            return False
    return True


# ---- random cases ----

KEYS = ['a', 'b', 'c', 'tags', 'n', 'obj.x', 'obj.y', 'arr[].a', 'arr[].b', 'arr[0].a',
        'arr[1].b', 'zz', 'obj', 'arr', 'obj.deep.z', 'arr[].t']
STRS = ['x', 'y', 'z', '1', '']
INTS = [-2, 0, 1, 2, 5]


def rand_scalar(r):
    k = r.randrange(6)
    if k == 0:
        return r.choice(INTS)
    if k == 1:
        return r.choice([0.5, 1.0, 2.5, -1.5, 5.0])
    if k == 2:
        return r.choice(STRS)
    if k == 3:
        return r.choice([True, False])
    if k == 4:
        return None
    return r.choice(INTS + STRS)


def rand_value(r, depth=0):
    k = r.randrange(10)
    if k < 5 or depth > 1:
        return rand_scalar(r)
    if k < 8:
        return [rand_scalar(r) if r.random() < 0.85 else rand_value(r, depth + 1)
                for _ in range(r.randrange(4))]
    return {kk: rand_value(r, depth + 1) for kk in r.sample(['x', 'y', 'z', 'a', 'b', 't'], r.randrange(3))}


def rand_payload(r):
    p = {}
    for k in ['a', 'b', 'c', 'tags', 'n']:
        if r.random() < 0.7:
            p[k] = rand_value(r)
    if r.random() < 0.6:
        o = {}
        for k in ['x', 'y']:
            if r.random() < 0.7:
                o[k] = rand_value(r)
        if r.random() < 0.3:
            o['deep'] = {'z': rand_value(r)} if r.random() < 0.8 else [{'z': rand_value(r)}]
        p['obj'] = o if r.random() < 0.9 else rand_value(r)
    if r.random() < 0.6:
        arr = []
        for _ in range(r.randrange(4)):
            if r.random() < 0.85:
                arr.append({k: rand_value(r) for k in r.sample(['a', 'b', 't'], r.randrange(4))})
            else:
                arr.append(rand_scalar(r))
        p['arr'] = arr
    return p


def rand_bounds(r, ints):
    b = {}
    for name in r.sample(['gt', 'gte', 'lt', 'lte'], r.randrange(1, 3)):
        if ints:
            b[name] = r.randrange(4)
        else:
            b[name] = r.choice([-2, 0, 0.5, 1, 1.0, 2, 2.5, 5])
    return b


def rand_field(r):
    key = r.choice(KEYS)
    k = r.randrange(10)
    if k < 3:
        v = r.choice(INTS + STRS + [True, False])
        return {'key': key, 'match': {'value': v}}
    if k < 5:
        pool = INTS if r.random() < 0.5 else STRS
        return {'key': key, 'match': {r.choice(['any', 'except']): r.sample(pool, r.randrange(4))}}
    if k < 7:
        return {'key': key, 'range': rand_bounds(r, False)}
    if k < 8:
        return {'key': key, 'values_count': rand_bounds(r, True)}
    return {'key': key, r.choice(['is_empty', 'is_null']): r.choice([True, False])}


def rand_cond(r, depth, nested):
    k = r.randrange(14)
    if k < 7:
        return rand_field(r)
    if k == 7:
        return {'is_empty': {'key': r.choice(KEYS)}}
    if k == 8:
        return {'is_null': {'key': r.choice(KEYS)}}
    if k == 9 and not nested:
        ids = r.sample([0, 1, 2, 3, 5, 7, 11, '1', '4', 'p8', 'p9', 'x'], r.randrange(4))
        return {'has_id': ids}
    if k == 10 and depth < 2 and not nested:
        key = r.choice(['arr', 'arr[]', 'obj', 'obj.deep'])
        return {'nested': {'key': key, 'filter': rand_filter(r, depth + 1, True)}}
    if depth < 2:
        return rand_filter(r, depth + 1, nested)
    return rand_field(r)


def rand_clause(r, depth, nested):
    n = r.choice([0, 1, 1, 1, 1, 2, 2, 3])
    conds = [rand_cond(r, depth, nested) for _ in range(n)]
    if n == 1 and r.random() < 0.5:
        return conds[0]
    return conds


def rand_filter(r, depth=0, nested=False):
    f = {}
    for name in ['must', 'should', 'must_not']:
        if r.random() < 0.45:
            f[name] = rand_clause(r, depth, nested)
    if r.random() < 0.15:
        conds = [rand_cond(r, depth, nested) for _ in range(r.randrange(1, 4))]
        f['min_should'] = {'conditions': conds, 'min_count': r.randrange(1, len(conds) + 1)}
    return f


def rand_id(r, i):
    return i if r.random() < 0.5 else ('p%d' % i if r.random() < 0.7 else str(i))


def main():
    if sys.argv[1] == 'eval':
        f = json.loads(sys.argv[2])
        for line in sys.stdin:
            if line.strip():
                p = json.loads(line)
                if matches(f, id_text(p['id']), p.get('payload') or {}):
                    print(id_text(p['id']))
        return
    seed, npoints, nfilters, out = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    r = random.Random(seed)
    points = []
    for i in range(npoints):
        pt = {'id': rand_id(r, i)}
        if r.random() < 0.95:
            pt['payload'] = rand_payload(r)
        points.append(pt)
    with open(out + '/points.jsonl', 'w') as fp:
        for pt in points:
            fp.write(json.dumps(pt) + '\n')
    with open(out + '/filters.jsonl', 'w') as ff, open(out + '/expected', 'w') as fe:
        for _ in range(nfilters):
            f = rand_filter(r)
            ff.write(json.dumps(f) + '\n')
            ids = [id_text(pt['id']) for pt in points
                   if matches(f, id_text(pt['id']), pt.get('payload') or {})]
            fe.write(' '.join(ids) + '\n')


if __name__ == '__main__':
    main()
