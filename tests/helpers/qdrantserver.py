#!/usr/bin/python3
"""qdrantserver.py - a Qdrant-shaped REST server on loopback, for the tests of
sluice's Qdrant driver (vs-upsert/vs-query --store qdrant://HOST:PORT/COLL).

Python 3 standard library plus jsonschema (Debian: python3-jsonschema).
Every request and every response is validated against Qdrant's OpenAPI
document (tests/data/qdrant-openapi.json, see openapi_check.py):
  - the operation is found by method + path template; a JSON body must come
    with Content-Type: application/json (as actix, Qdrant's server, wants),
    else 400 "Content type error"; declared path and
    query parameters are checked against their types, the JSON body against
    the operation's requestBody schema.  A request that fails gets 400 in
    Qdrant's error shape {"status":{"error":"..."},"time":T} with the
    validation error, and is logged with "valid": false.  A path the spec
    does not have gets 404, also "valid": false.
  - each JSON response the server builds is checked against the operation's
    response schema for its status (exact, then 4XX, then default).  A
    response that fails is a bug of this server: it answers 500 instead,
    logs "response_valid": false and says so on stderr.

Usage:
  qdrantserver.py --port-file FILE [--log FILE] [--api-key KEY] [--spec FILE]
                  [--corrupt OPERATION_ID]...

  Binds a free port on 127.0.0.1, then writes FILE atomically (temp name +
  rename) as {"url": "http://127.0.0.1:PORT", "pid": PID}; serves until
  SIGTERM (or SIGINT).

--api-key KEY: every request without `api-key: KEY` (or `Authorization:
  Bearer KEY`) gets 401 {"status":{"error":"Must provide an API key or an
  Authorization bearer token"}} (no key) or "Invalid API key or JWT" (wrong).

--corrupt OPID: answer operation OPID (e.g. query_points) with a result that
  breaks its response schema, so tests can see the self check answer 500.

--log FILE: one JSON line per request, flushed:
  {"method","path","query","op":operationId|null,"status":CODE,
   "valid":BOOL,"error":TEXT|null,"response_valid":BOOL}

Operations (state is in memory; one unnamed dense vector per collection):
  GET    /collections                                    get_collections
  PUT    /collections/{name}     {"vectors":{"size","distance"}}  create_collection
         (distance Cosine | Dot | Euclid | Manhattan; named vectors -> 400)
  GET    /collections/{name}                             get_collection
  GET    /collections/{name}/exists                      collection_exists
  DELETE /collections/{name}                             delete_collection (false if absent)
  PUT    /collections/{name}/points[?wait=true]          upsert_points
         (result status "completed" with wait=true, else "acknowledged";
         the change is made at once either way)
         {"points":[{"id","vector","payload"?}]} or {"batch":{"ids","vectors","payloads"?}}
         ids: unsigned integers or UUID strings (any form Qdrant parses;
         answered hyphenated lowercase).  Cosine vectors are normalized on
         upsert and returned normalized, as Qdrant does.  Vectors are kept
         as float32.
  POST   /collections/{name}/points/delete   {"points":[ids]} | {"filter":F}
  POST   /collections/{name}/points          {"ids","with_payload","with_vector"}  get_points
  GET    /collections/{name}/points/{id}                 get_point
  POST   /collections/{name}/points/count    {"filter","exact"}
  POST   /collections/{name}/points/scroll   {"filter","limit"(10),"offset","with_payload","with_vector"}
         ordered by id (integers ascending, then UUIDs), next_page_offset.
  POST   /collections/{name}/points/query    {"query","limit"(10),"offset","filter",
         "with_payload","with_vector","params":{"hnsw_ef","exact"},"score_threshold"}
         query: a vector, {"nearest": vector}, or a point id (its vector; the
         point itself is left out); none: points in id order, score 0.
         Exact search.  Score: Cosine = cosine similarity, Dot = dot product
         (both descending), Euclid = euclidean distance, Manhattan = L1
         distance (both ascending); score_threshold keeps score >= t
         (Cosine, Dot) or <= t (Euclid, Manhattan).  Ties by id order.
  POST   /collections/{name}/points/query/batch {"searches":[QueryRequest]}
  POST   /collections/{name}/snapshots                   create_snapshot
  GET    /collections/{name}/snapshots                   list_snapshots
  GET    /collections/{name}/snapshots/{snap}            get_snapshot (bytes: JSON of
         this server's own format, "qdrantserver-snapshot/1")
  DELETE /collections/{name}/snapshots/{snap}            delete_snapshot
  PUT    /collections/{name}/snapshots/recover {"location": URL, "checksum"?}
         URL: http(s):// (fetched with this server's api-key) or file://
  POST   /collections/{name}/snapshots/upload  multipart/form-data, part "snapshot"
  Other operations of the spec: 501 (in Qdrant's error shape).

Filters (Qdrant's semantics, after lib/segment query_checker.rs and
condition_checker.rs): must (all), should (any; absent = true), must_not
(none), min_should {conditions, min_count}; a single condition may stand for
a list.  Conditions: field {key, match:{value|any|except|text|text_any|
phrase|prefix} | range{lt,gt,gte,lte} (numbers or RFC 3339 datetimes) |
values_count | is_empty | is_null}, {is_empty:{key}}, {is_null:{key}},
{has_id:[ids]}, {nested:{key, filter}}, and a nested Filter.  Keys are
Qdrant JSON paths: a.b, a[] (every element), a[2], "quoted keys".  A key that
yields several values matches if any does, arrays standing for each element
(one level).  Geo conditions and has_vector answer 501.
"""

import argparse
import datetime
import email.parser
import email.policy
import hashlib
import http.server
import json
import math
import os
import re
import struct
import sys
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loopback  # noqa: E402
from openapi_check import OpenAPI, parse_uuid  # noqa: E402

ARGS = None
SPEC = None
LOG_LOCK = threading.Lock()
LOG_FH = None
STATE_LOCK = threading.RLock()
COLLECTIONS = {}  # name -> Collection
SNAP_FORMAT = "qdrantserver-snapshot/1"


class ApiError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class Unsupported(ApiError):
    def __init__(self, what):
        super().__init__(501, "qdrantserver: not implemented: " + what)


# ------------------------------------------------------------------ points

def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def norm_id(v):
    """A request id (validated: int >= 0 or UUID string) as stored."""
    if isinstance(v, bool):
        raise ApiError(400, "Wrong input: bad point id %r" % (v,))
    if isinstance(v, int):
        return v
    u = parse_uuid(v)
    if u is None:
        raise ApiError(400, "Format error in JSON body: bad point id %r" % (v,))
    return u


def id_key(i):
    # Qdrant's ExtendedPointId order: numbers first, then UUIDs
    return (0, i, "") if isinstance(i, int) else (1, 0, i)


class Collection:
    def __init__(self, name, size, distance, body):
        self.name = name
        self.size = size
        self.distance = distance
        self.body = body  # the create request, for the info answer
        self.points = {}  # id -> [vector(list of f32), payload(dict)]
        self.snapshots = {}  # name -> (bytes, creation_time)
        self.op_id = 0

    def prepare_vector(self, v):
        if not isinstance(v, list) or not all(isinstance(x, (int, float)) and
                                              not isinstance(x, bool) for x in v):
            raise Unsupported("only dense unnamed vectors")
        if len(v) != self.size:
            raise ApiError(400, "Wrong input: Vector dimension error: expected dim: %d, got %d"
                           % (self.size, len(v)))
        v = [f32(float(x)) for x in v]
        if self.distance == "Cosine":
            n = math.sqrt(sum(x * x for x in v))
            if n > 0:
                v = [f32(x / n) for x in v]
        return v

    def score(self, q, v):
        d = self.distance
        if d in ("Cosine", "Dot"):
            return f32(sum(a * b for a, b in zip(q, v)))
        if d == "Euclid":
            return f32(math.sqrt(sum((a - b) ** 2 for a, b in zip(q, v))))
        return f32(sum(abs(a - b) for a, b in zip(q, v)))

    def bigger_is_better(self):
        return self.distance in ("Cosine", "Dot")

    def next_op(self):
        self.op_id += 1
        return self.op_id


def update_status(h):
    """Qdrant answers "completed" only when asked to wait for the change."""
    wait = urllib.parse.parse_qs(h.query).get("wait", ["false"])[-1]
    return "completed" if wait == "true" else "acknowledged"


def get_coll(name):
    c = COLLECTIONS.get(name)
    if c is None:
        raise ApiError(404, "Not found: Collection `%s` doesn't exist!" % name)
    return c


# ----------------------------------------------------------------- filters

def parse_path(key):
    """Qdrant JSON path -> list of items: str key, int index, None for []."""
    items = []
    i, n = 0, len(key)
    raw = re.compile(r"[\w-]+")

    def word(i):
        if i < n and key[i] == '"':
            j = key.find('"', i + 1)
            if j < 0:
                raise ApiError(400, "Format error in JSON body: bad key %r" % key)
            return key[i + 1:j], j + 1
        m = raw.match(key, i)
        if not m:
            raise ApiError(400, "Format error in JSON body: bad key %r" % key)
        return m.group(0), m.end()
    w, i = word(0)
    items.append(w)
    while i < n:
        if key.startswith("[]", i):
            items.append(None)
            i += 2
        elif key[i] == "[":
            m = re.compile(r"\[(\d+)\]").match(key, i)
            if not m:
                raise ApiError(400, "Format error in JSON body: bad key %r" % key)
            items.append(int(m.group(1)))
            i = m.end()
        elif key[i] == ".":
            w, i = word(i + 1)
            items.append(w)
        else:
            raise ApiError(400, "Format error in JSON body: bad key %r" % key)
    return items


def get_values(payload, key):
    out = []

    def walk(items, v):
        if not items:
            out.append(v)
            return
        h, rest = items[0], items[1:]
        if isinstance(h, str) and isinstance(v, dict):
            if h in v:
                walk(rest, v[h])
        elif isinstance(h, int) and isinstance(v, list):
            if h < len(v):
                walk(rest, v[h])
        elif h is None and isinstance(v, list):
            for x in v:
                walk(rest, x)
    items = parse_path(key)
    if isinstance(payload, dict) and items[0] in payload:
        walk(items[1:], payload[items[0]])
    return out


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool) and -2**63 <= v < 2**63


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def parse_dt(s):
    if not isinstance(s, str):
        return None
    t = s.strip().replace("Z", "+00:00").replace("z", "+00:00")
    if " " in t and "T" not in t:
        t = t.replace(" ", "T", 1)
    try:
        d = datetime.datetime.fromisoformat(t)
    except ValueError:
        try:
            d = datetime.datetime.fromisoformat(t + "T00:00:00")
        except ValueError:
            return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return d


def match_one(m, v):
    """Qdrant's Match::check_match on one (non-flattened) value."""
    if "value" in m:
        want = m["value"]
        if isinstance(want, bool):
            return isinstance(v, bool) and v == want
        if isinstance(want, str):
            return isinstance(v, str) and v == want
        return is_int(v) and v == want
    if "any" in m:
        lst = m["any"]
        if isinstance(v, str):
            return any(isinstance(x, str) and x == v for x in lst)
        if is_int(v):
            return any(is_int(x) and x == v for x in lst)
        return False
    if "except" in m:
        lst = m["except"]
        if v is None:
            return False
        if isinstance(v, str) and (not lst or all(isinstance(x, str) for x in lst)):
            return v not in lst
        if is_num(v) and (not lst or all(is_int(x) for x in lst)):
            return not is_int(v) or v not in lst
        return True
    if "text" in m:
        return isinstance(v, str) and m["text"] in v
    if "phrase" in m:
        return isinstance(v, str) and m["phrase"] in v
    if "text_any" in m:
        return isinstance(v, str) and any(t in v for t in m["text_any"].split())
    if "prefix" in m:
        return isinstance(v, str) and v.startswith(m["prefix"])
    raise Unsupported("match %s" % json.dumps(m))


def in_range(r, x):
    return ((r.get("lt") is None or x < r["lt"]) and (r.get("gt") is None or x > r["gt"])
            and (r.get("lte") is None or x <= r["lte"])
            and (r.get("gte") is None or x >= r["gte"]))


def range_one(r, v):
    bounds = [r.get(k) for k in ("lt", "gt", "gte", "lte") if r.get(k) is not None]
    if any(isinstance(b, str) for b in bounds):  # DatetimeRange
        d = parse_dt(v)
        if d is None:
            return False
        rr = {}
        for k in ("lt", "gt", "gte", "lte"):
            if r.get(k) is not None:
                rr[k] = parse_dt(r[k])
                if rr[k] is None:
                    raise ApiError(400, "Format error in JSON body: bad datetime %r" % r[k])
        return in_range(rr, d)
    return is_num(v) and in_range(r, float(v))


def count_of(v):
    if v is None:
        return 0
    if isinstance(v, list):
        return len(v)
    return 1


def field_check_match(c, v):
    hit = False
    if c.get("match") is not None:
        hit = hit or match_one(c["match"], v)
    if c.get("range") is not None:
        hit = hit or range_one(c["range"], v)
    if c.get("values_count") is not None:
        hit = hit or in_range(c["values_count"], count_of(v))
    if c.get("is_empty") is not None:
        hit = hit or empty_one(c["is_empty"], v)
    if c.get("is_null") is not None:
        hit = hit or null_one(c["is_null"], v)
    return hit


def empty_one(flag, v):
    if v is None:
        return flag
    if isinstance(v, list):
        return (len(v) == 0) == flag
    return not flag


def null_one(flag, v):
    if v is None:
        return flag
    if isinstance(v, list):
        return any(x is None for x in v) == flag
    return not flag


def field_check(c, v):
    if c.get("values_count") is not None:
        return in_range(c["values_count"], count_of(v))
    if c.get("is_empty") is not None:
        return empty_one(c["is_empty"], v)
    if c.get("is_null") is not None:
        return null_one(c["is_null"], v)
    if isinstance(v, list):
        return any(field_check_match(c, x) for x in v)
    return field_check_match(c, v)


def field_condition(c, payload):
    for k in ("geo_bounding_box", "geo_radius", "geo_polygon"):
        if c.get(k) is not None:
            raise Unsupported("condition " + k)
    vals = get_values(payload, c["key"])
    if not vals:
        if c.get("values_count") is not None:
            return in_range(c["values_count"], 0)
        if c.get("is_empty") is not None:
            return bool(c["is_empty"])
        if c.get("is_null") is not None:
            return not c["is_null"]
        return False
    return any(field_check(c, v) for v in vals)


def as_list(x):
    if x is None:
        return None
    return x if isinstance(x, list) else [x]


def check_condition(cond, pid, payload):
    if "key" in cond:
        return field_condition(cond, payload)
    if "is_empty" in cond:
        vals = get_values(payload, cond["is_empty"]["key"])
        return all(v is None or (isinstance(v, list) and not v) for v in vals)
    if "is_null" in cond:
        return any(v is None for v in get_values(payload, cond["is_null"]["key"]))
    if "has_id" in cond:
        if pid is None:  # inside nested: Qdrant does not support has_id there
            return False
        return pid in {norm_id(x) for x in cond["has_id"]}
    if "nested" in cond:
        key = cond["nested"]["key"]
        if not key.endswith("[]"):
            key += "[]"
        return any(isinstance(o, dict) and check_filter(cond["nested"]["filter"], None, o)
                   for o in get_values(payload, key))
    if "has_vector" in cond or "slice" in cond:
        raise Unsupported("condition " + next(iter(cond)))
    return check_filter(cond, pid, payload)


def check_filter(f, pid, payload):
    if f is None:
        return True
    should = as_list(f.get("should"))
    must = as_list(f.get("must"))
    must_not = as_list(f.get("must_not"))
    ms = f.get("min_should")
    if should is not None and not any(check_condition(c, pid, payload) for c in should):
        return False
    if ms is not None:
        n = sum(1 for c in ms["conditions"] if check_condition(c, pid, payload))
        if n < ms["min_count"]:
            return False
    if must is not None and not all(check_condition(c, pid, payload) for c in must):
        return False
    if must_not is not None and any(check_condition(c, pid, payload) for c in must_not):
        return False
    return True


# ------------------------------------------------------------------ output

def select_payload(payload, wp):
    if wp is None or wp is False:
        return None
    if wp is True:
        return payload
    if isinstance(wp, list):
        return {k: v for k, v in payload.items() if k in wp}
    if isinstance(wp, dict) and "include" in wp:
        inc = wp["include"] if isinstance(wp["include"], list) else [wp["include"]]
        return {k: v for k, v in payload.items() if k in inc}
    if isinstance(wp, dict) and "exclude" in wp:
        exc = wp["exclude"] if isinstance(wp["exclude"], list) else [wp["exclude"]]
        return {k: v for k, v in payload.items() if k not in exc}
    return payload


def record(pid, pt, wp, wv, score=None):
    """A Record (retrieve, scroll) or, with SCORE, a ScoredPoint (query)."""
    vec, payload = pt
    want_vec = wv is True or (isinstance(wv, list) and "" in wv)
    r = {"id": pid}
    if score is not None:
        r["version"] = 0
        r["score"] = score
    r["payload"] = select_payload(payload, wp)
    r["vector"] = list(vec) if want_vec else None
    return r


# -------------------------------------------------------------- operations

def op_get_collections(h, pp, body):
    with STATE_LOCK:
        return 200, {"collections": [{"name": n} for n in sorted(COLLECTIONS)]}


def op_create_collection(h, pp, body):
    name = pp["collection_name"]
    body = body or {}
    vc = body.get("vectors")
    if not isinstance(vc, dict) or "size" not in vc or "distance" not in vc:
        raise Unsupported("collections without one unnamed dense vector")
    if vc["distance"] not in ("Cosine", "Dot", "Euclid", "Manhattan"):
        raise ApiError(400, "Format error in JSON body: unknown distance %r" % vc["distance"])
    if not re.fullmatch(r"[^/\\:*?\"<>|\x00]{1,255}", name):
        raise ApiError(422, "Validation error in path parameters: [name: bad collection name]")
    with STATE_LOCK:
        if name in COLLECTIONS:
            raise ApiError(400, "Wrong input: Collection `%s` already exists!" % name)
        COLLECTIONS[name] = Collection(name, vc["size"], vc["distance"], body)
    return 200, True


def collection_info(c):
    n = len(c.points)
    return {
        "status": "green", "optimizer_status": "ok",
        "indexed_vectors_count": 0, "points_count": n, "segments_count": 1,
        "config": {
            "params": {"vectors": {"size": c.size, "distance": c.distance},
                       "shard_number": 1, "replication_factor": 1,
                       "write_consistency_factor": 1, "on_disk_payload": True},
            "hnsw_config": {"m": 16, "ef_construct": 100, "full_scan_threshold": 10000,
                            "max_indexing_threads": 0, "on_disk": False},
            "optimizer_config": {"deleted_threshold": 0.2, "vacuum_min_vector_number": 1000,
                                 "default_segment_number": 0, "max_segment_size": None,
                                 "memmap_threshold": None, "indexing_threshold": 10000,
                                 "flush_interval_sec": 5, "max_optimization_threads": None},
            "wal_config": {"wal_capacity_mb": 32, "wal_segments_ahead": 0},
            "quantization_config": None,
        },
        "payload_schema": {},
    }


def op_get_collection(h, pp, body):
    with STATE_LOCK:
        return 200, collection_info(get_coll(pp["collection_name"]))


def op_collection_exists(h, pp, body):
    with STATE_LOCK:
        return 200, {"exists": pp["collection_name"] in COLLECTIONS}


def op_delete_collection(h, pp, body):
    with STATE_LOCK:
        return 200, COLLECTIONS.pop(pp["collection_name"], None) is not None


def op_upsert_points(h, pp, body):
    with STATE_LOCK:
        c = get_coll(pp["collection_name"])
        if "batch" in body:
            b = body["batch"]
            ids, vecs = b["ids"], b["vectors"]
            pls = b.get("payloads")
            if not isinstance(vecs, list):
                raise Unsupported("named vectors")
            if len(vecs) != len(ids) or (pls is not None and len(pls) != len(ids)):
                raise ApiError(400, "Wrong input: number of ids, vectors and payloads differ")
            pts = [{"id": i, "vector": v, "payload": pls[k] if pls else None}
                   for k, (i, v) in enumerate(zip(ids, vecs))]
        else:
            pts = body["points"]
        staged = [(norm_id(p["id"]), c.prepare_vector(p["vector"]), p.get("payload") or {})
                  for p in pts]
        if body.get("update_filter") is not None or body.get("update_mode") not in (None, "upsert"):
            raise Unsupported("update_filter / update_mode")
        for pid, v, pl in staged:
            c.points[pid] = [v, pl]
        return 200, {"operation_id": c.next_op(), "status": update_status(h)}


def op_delete_points(h, pp, body):
    with STATE_LOCK:
        c = get_coll(pp["collection_name"])
        if "points" in body:
            for pid in body["points"]:
                c.points.pop(norm_id(pid), None)
        else:
            for pid in [p for p, pt in c.points.items()
                        if check_filter(body["filter"], p, pt[1])]:
                del c.points[pid]
        return 200, {"operation_id": c.next_op(), "status": update_status(h)}


def op_get_points(h, pp, body):
    with STATE_LOCK:
        c = get_coll(pp["collection_name"])
        wp = body.get("with_payload", True)
        wv = body.get("with_vector", False)
        out, seen = [], set()
        for raw in body["ids"]:
            pid = norm_id(raw)
            if pid in c.points and pid not in seen:
                seen.add(pid)
                out.append(record(pid, c.points[pid], wp, wv))
        return 200, out


def op_get_point(h, pp, body):
    raw = pp["id"]
    pid = int(raw) if re.fullmatch(r"\d+", raw) else norm_id(raw)
    with STATE_LOCK:
        c = get_coll(pp["collection_name"])
        if pid not in c.points:
            raise ApiError(404, "Not found: No point with id %s found" % raw)
        return 200, record(pid, c.points[pid], True, True)


def op_count_points(h, pp, body):
    body = body or {}
    with STATE_LOCK:
        c = get_coll(pp["collection_name"])
        n = sum(1 for p, pt in c.points.items() if check_filter(body.get("filter"), p, pt[1]))
        return 200, {"count": n}


def op_scroll_points(h, pp, body):
    body = body or {}
    if body.get("order_by") is not None:
        raise Unsupported("scroll order_by")
    with STATE_LOCK:
        c = get_coll(pp["collection_name"])
        limit = body.get("limit") or 10
        off = body.get("offset")
        start = id_key(norm_id(off)) if off is not None else None
        ids = sorted((p for p, pt in c.points.items()
                      if (start is None or id_key(p) >= start)
                      and check_filter(body.get("filter"), p, pt[1])), key=id_key)
        page = ids[:limit]
        wp = body.get("with_payload", True)
        wv = body.get("with_vector", False)
        return 200, {"points": [record(p, c.points[p], wp, wv) for p in page],
                     "next_page_offset": ids[limit] if len(ids) > limit else None}


def run_query(c, q):
    for k in ("prefetch", "lookup_from", "using"):
        if q.get(k) is not None:
            raise Unsupported("query " + k)
    query = q.get("query")
    exclude = None
    if isinstance(query, dict):
        if set(query) - {"nearest"} or query.get("mmr") is not None:
            raise Unsupported("query %s" % ",".join(sorted(query)))
        query = query["nearest"]
    if isinstance(query, (int, str)) and not isinstance(query, bool):
        exclude = norm_id(query)
        if exclude not in c.points:
            raise ApiError(404, "Not found: No point with id %s found" % query)
        qv = c.points[exclude][0]
    elif query is None:
        qv = None
    else:
        if isinstance(query, list) and query and isinstance(query[0], list):
            raise Unsupported("multivector queries")
        qv = c.prepare_vector(query)
    limit = q.get("limit") or 10
    offset = q.get("offset") or 0
    flt = q.get("filter")
    wp = q.get("with_payload", False)
    wv = q.get("with_vector", False)
    thr = q.get("score_threshold")
    hits = []
    for p, pt in c.points.items():
        if p == exclude or not check_filter(flt, p, pt[1]):
            continue
        s = 0.0 if qv is None else c.score(qv, pt[0])
        if qv is not None and thr is not None:
            if c.bigger_is_better() and s < thr:
                continue
            if not c.bigger_is_better() and s > thr:
                continue
        hits.append((s, p))
    sign = -1 if c.bigger_is_better() else 1
    hits.sort(key=lambda sp: (sign * sp[0] if qv is not None else 0, id_key(sp[1])))
    hits = hits[offset:offset + limit]
    return {"points": [record(p, c.points[p], wp, wv, score=s) for s, p in hits]}


def op_query_points(h, pp, body):
    with STATE_LOCK:
        return 200, run_query(get_coll(pp["collection_name"]), body or {})


def op_query_batch_points(h, pp, body):
    with STATE_LOCK:
        c = get_coll(pp["collection_name"])
        return 200, [run_query(c, q) for q in body["searches"]]


def snapshot_bytes(c):
    doc = {"format": SNAP_FORMAT, "collection": c.name, "create": c.body,
           "points": [{"id": p, "vector": pt[0], "payload": pt[1]}
                      for p, pt in sorted(c.points.items(), key=lambda kv: id_key(kv[0]))]}
    return json.dumps(doc).encode()


def snap_desc(name, data, ctime):
    return {"name": name, "creation_time": ctime, "size": len(data),
            "checksum": hashlib.sha256(data).hexdigest()}


def op_create_snapshot(h, pp, body):
    with STATE_LOCK:
        c = get_coll(pp["collection_name"])
        data = snapshot_bytes(c)
        now = datetime.datetime.now(datetime.timezone.utc)
        ctime = now.strftime("%Y-%m-%dT%H:%M:%S")
        name = "%s-%d-%s.snapshot" % (c.name, len(c.snapshots) + 1,
                                      now.strftime("%Y-%m-%d-%H-%M-%S"))
        while name in c.snapshots:
            name = name.replace(".snapshot", "-1.snapshot")
        c.snapshots[name] = (data, ctime)
        return 200, snap_desc(name, data, ctime)


def op_list_snapshots(h, pp, body):
    with STATE_LOCK:
        c = get_coll(pp["collection_name"])
        return 200, [snap_desc(n, d, t) for n, (d, t) in sorted(c.snapshots.items())]


def op_get_snapshot(h, pp, body):
    with STATE_LOCK:
        c = get_coll(pp["collection_name"])
        s = c.snapshots.get(pp["snapshot_name"])
        if s is None:
            raise ApiError(404, "Not found: Snapshot %s not found" % pp["snapshot_name"])
        return 200, ("bytes", s[0])


def op_delete_snapshot(h, pp, body):
    with STATE_LOCK:
        c = get_coll(pp["collection_name"])
        if c.snapshots.pop(pp["snapshot_name"], None) is None:
            raise ApiError(404, "Not found: Snapshot %s not found" % pp["snapshot_name"])
        return 200, True


def restore(name, data, checksum):
    if checksum and hashlib.sha256(data).hexdigest() != checksum.lower():
        raise ApiError(400, "Wrong input: Snapshot checksum mismatch")
    try:
        doc = json.loads(data)
        assert doc["format"] == SNAP_FORMAT
        vc = doc["create"]["vectors"]
        c = Collection(name, vc["size"], vc["distance"], doc["create"])
        for p in doc["points"]:
            pid = p["id"] if isinstance(p["id"], int) else parse_uuid(p["id"])
            c.points[pid] = [[f32(x) for x in p["vector"]], p["payload"] or {}]
    except (ValueError, KeyError, TypeError, AssertionError) as e:
        raise ApiError(400, "Wrong input: not a snapshot of this server (%s)" % e)
    with STATE_LOCK:
        old = COLLECTIONS.get(name)
        if old is not None:
            c.snapshots = old.snapshots
        COLLECTIONS[name] = c
    return 200, True


def op_recover_from_snapshot(h, pp, body):
    loc = body["location"]
    u = urllib.parse.urlsplit(loc)
    try:
        if u.scheme == "file":
            with open(urllib.parse.unquote(u.path), "rb") as f:
                data = f.read()
        elif u.scheme in ("http", "https"):
            req = urllib.request.Request(loc)
            key = body.get("api_key") or ARGS.api_key
            if key:
                req.add_header("api-key", key)
            with urllib.request.urlopen(req, timeout=30) as r:
                data = r.read()
        else:
            raise ApiError(400, "Wrong input: unsupported snapshot location %r" % loc)
    except (OSError, ValueError) as e:
        raise ApiError(400, "Wrong input: cannot download snapshot %s: %s" % (loc, e))
    return restore(pp["collection_name"], data, body.get("checksum"))


def op_recover_from_uploaded_snapshot(h, pp, body):
    ctype = h.headers.get("Content-Type", "")
    if not ctype.startswith("multipart/form-data"):
        raise ApiError(400, "Format error: expected multipart/form-data")
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + h.raw_body)
    data = None
    for part in msg.iter_parts() if msg.is_multipart() else []:
        if part.get_param("name", header="content-disposition") == "snapshot":
            data = part.get_payload(decode=True)
    if data is None:
        raise ApiError(400, "Format error: no \"snapshot\" part in the form")
    q = urllib.parse.parse_qs(h.query)
    return restore(pp["collection_name"], data, (q.get("checksum") or [None])[-1])


OPS = {k[3:]: v for k, v in globals().items() if k.startswith("op_")}
NO_JSON_BODY = ("recover_from_uploaded_snapshot",)


# ------------------------------------------------------------------ server

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "qdrantserver/1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        self.handle_any()

    do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = do_GET

    def send_json(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def error_body(self, msg):
        return {"status": {"error": msg}, "time": round(time.time() - self.t0, 6)}

    def handle_any(self):
        self.t0 = time.time()
        self.path_only, _, self.query = self.path.partition("?")
        rec = {"method": self.command, "path": self.path_only, "query": self.query,
               "op": None, "status": None, "valid": True, "error": None,
               "response_valid": True}
        try:
            n = int(self.headers.get("Content-Length") or 0)
            self.raw_body = self.rfile.read(n) if n > 0 else b""
            status, obj, binary = self.dispatch(rec)
        except ApiError as e:
            status, obj, binary = e.status, self.error_body(e.message), None
            if rec["error"] is None:
                rec["error"] = e.message
        except Exception as e:  # a bug here must not hang the client
            status, obj, binary = 500, self.error_body("qdrantserver bug: %s: %s"
                                                       % (type(e).__name__, e)), None
            rec["error"] = obj["status"]["error"]
            sys.stderr.write("qdrantserver: %r\n" % (e,))
        if binary is None and rec["op"] is not None:
            err = SPEC.check_response(self.op, status, obj)
            if err:
                rec["response_valid"] = False
                rec["error"] = "invalid response: " + err
                sys.stderr.write("qdrantserver: INVALID RESPONSE to %s %s: %s\n"
                                 % (self.command, self.path, err))
                status, obj = 500, self.error_body("qdrantserver produced an invalid "
                                                   "response: " + err)
        rec["status"] = status
        try:
            if binary is not None:
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(binary)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(binary)
            else:
                self.send_json(status, obj)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        if LOG_FH is not None:
            with LOG_LOCK:
                LOG_FH.write(json.dumps(rec) + "\n")
                LOG_FH.flush()

    def invalid(self, rec, status, msg):
        rec["valid"] = False
        rec["error"] = msg
        return status, self.error_body(msg), None

    def dispatch(self, rec):
        if ARGS.api_key:
            key = self.headers.get("api-key")
            auth = self.headers.get("Authorization", "")
            if key is None and auth.lower().startswith("bearer "):
                key = auth[7:].strip()
            if key is None:
                msg = "Must provide an API key or an Authorization bearer token"
                rec["error"] = msg
                return 401, self.error_body(msg), None
            if key != ARGS.api_key:
                rec["error"] = "Invalid API key or JWT"
                return 401, self.error_body(rec["error"]), None
        op, pp = SPEC.find(self.command, self.path_only)
        if op is None:
            if SPEC.path_known(self.path_only):
                return self.invalid(rec, 405, "Method %s not allowed on %s"
                                    % (self.command, self.path_only))
            return self.invalid(rec, 404, "Not found: no such path in Qdrant's API: "
                                + self.path_only)
        self.op = op
        rec["op"] = op.id
        errs = SPEC.check_params(op, pp, urllib.parse.parse_qs(self.query,
                                                               keep_blank_values=True))
        if errs:
            return self.invalid(rec, 400, "Query deserialize error: " + "; ".join(errs))
        body = None
        if op.id not in NO_JSON_BODY and SPEC.request_schema(op) is not None:
            # actix's Json extractor: the content type is checked first
            ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if ctype != "application/json" and not ctype.endswith("+json"):
                return self.invalid(rec, 400, "Content type error: expected "
                                    "application/json, got %r" % ctype)
            if not self.raw_body.strip():
                return self.invalid(rec, 400, "Format error in JSON body: "
                                    "EOF while parsing a value at line 1 column 0")
            try:
                body = json.loads(self.raw_body)
            except ValueError as e:
                return self.invalid(rec, 400, "Format error in JSON body: %s" % e)
            err = SPEC.check_request(op, body)
            if err:
                return self.invalid(rec, 400, "Format error in JSON body: " + err)
        fn = OPS.get(op.id)
        if fn is None:
            raise Unsupported(op.id)
        status, result = fn(self, pp, body)
        if op.id in ARGS.corrupt:  # test knob: this server's own bug, on purpose
            result = {"corrupted": True}
        if isinstance(result, tuple) and result[0] == "bytes":
            return status, None, result[1]
        return status, {"result": result, "status": "ok",
                        "time": round(time.time() - self.t0, 6)}, None


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (OSError, ValueError)):
            return
        super().handle_error(request, client_address)


def main():
    global ARGS, SPEC, LOG_FH
    ap = argparse.ArgumentParser(description="a Qdrant-shaped REST server on loopback")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--api-key")
    ap.add_argument("--spec")
    ap.add_argument("--corrupt", action="append", default=[], metavar="OPID")
    ARGS = ap.parse_args()
    SPEC = OpenAPI(ARGS.spec)
    if ARGS.log:
        LOG_FH = open(ARGS.log, "a", buffering=1)
    srv = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    info = {"url": "http://127.0.0.1:%d" % srv.server_address[1], "pid": os.getpid()}
    loopback.announce_and_wait(ARGS.port_file, info, LOG_FH, LOG_LOCK)


if __name__ == "__main__":
    main()
