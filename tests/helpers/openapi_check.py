#!/usr/bin/python3
"""openapi_check.py - validate Qdrant REST requests and responses against
Qdrant's OpenAPI 3.0 document (tests/data/qdrant-openapi.json, a copy of
the spec the Qdrant project publishes, Apache 2.0; $QDRANT_OPENAPI names
another).

Python 3 standard library plus jsonschema (Debian: python3-jsonschema).

OpenAPI 3.0 schemas are not quite JSON Schema, so the document is rewritten
once, on load, into Draft 4 (the draft OpenAPI 3.0 was cut from):
  - `nullable: true` beside a `type` adds "null" to the type;
  - a bare `{"nullable": true}` (how Qdrant's spec spells "or null" inside
    anyOf) becomes `{"type": "null"}` (left alone it would accept anything,
    and every anyOf around it would accept anything too);
  - `nullable` beside anyOf/oneOf/allOf/$ref wraps the schema in
    anyOf [schema, {"type": "null"}].
Draft 4 keeps integers strict (1.0 is not an integer, as serde rejects it for
u64).  Formats: only uuid and the integer widths (uint, uint8..uint64,
int64) are checked; the rest (float, double, date-time, uri, binary...) are
annotations.  `additionalProperties` is whatever the spec says.  `$ref`s
resolve against the whole document.

As a library:
    spec = OpenAPI(path)                      # or OpenAPI() for the default
    op = spec.find(method, path)              # Operation or None
    errs = spec.check_params(op, path_params, query)   # [] when valid
    err = spec.check_request(op, body)        # None when valid
    err = spec.check_response(op, status, body)

As a program (exit 0 valid, 1 invalid, 2 usage; the error on stdout):
    openapi_check.py request METHOD PATH[?QUERY] [BODY.json]
    openapi_check.py response METHOD PATH STATUS BODY.json
    openapi_check.py schema NAME VALUE.json   # one components.schemas entry
"""

import copy
import json
import os
import re
import sys
import threading
import urllib.parse
import uuid

from jsonschema import Draft4Validator, FormatChecker, RefResolver
from jsonschema.exceptions import best_match

# A copy of Qdrant's spec (Apache 2.0, from the Qdrant project) kept with the
# tests, so that they run wherever the repository is cloned.
DEFAULT_SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "qdrant-openapi.json")

INT_RANGES = {
    "uint": (0, 2**64 - 1), "uint64": (0, 2**64 - 1), "uint32": (0, 2**32 - 1),
    "uint16": (0, 2**16 - 1), "uint8": (0, 255), "int64": (-2**63, 2**63 - 1),
}
COMBINERS = ("anyOf", "oneOf", "allOf", "$ref")


def parse_uuid(s):
    """The canonical (lowercase, hyphenated) form of a UUID string Qdrant
    accepts (hyphenated, simple, braced or urn:uuid:), or None."""
    if not isinstance(s, str):
        return None
    try:
        return str(uuid.UUID(s))
    except ValueError:
        return None


def _format_checker():
    fc = FormatChecker(formats=())

    @fc.checks("uuid")
    def _uuid(v):
        return not isinstance(v, str) or parse_uuid(v) is not None

    def width(lo, hi):
        def chk(v):
            if isinstance(v, bool) or not isinstance(v, int):
                return True
            return lo <= v <= hi
        return chk
    for name, (lo, hi) in INT_RANGES.items():
        fc.checks(name)(width(lo, hi))
    return fc


def _denull(node):
    """Rewrite OpenAPI 3.0 `nullable` into Draft 4, in place, recursively."""
    if isinstance(node, list):
        for x in node:
            _denull(x)
        return node
    if not isinstance(node, dict):
        return node
    for k, v in list(node.items()):
        if k in ("example", "examples", "default", "enum", "description"):
            continue
        if k == "properties" and isinstance(v, dict):
            for p in v.values():
                _denull(p)
        else:
            _denull(v)
    if node.get("nullable") is True:
        del node["nullable"]
        t = node.get("type")
        if isinstance(t, str):
            node["type"] = [t, "null"]
            if "enum" in node and None not in node["enum"]:
                node["enum"] = list(node["enum"]) + [None]
        elif isinstance(t, list):
            if "null" not in t:
                t.append("null")
        elif any(c in node for c in COMBINERS):
            inner = {k: node.pop(k) for k in list(node)
                     if k not in ("description", "default", "deprecated")}
            node["anyOf"] = [inner, {"type": "null"}]
        else:
            # bare {"nullable": true}: "null", nothing else
            node["type"] = "null"
    return node


def _loc(path):
    return "".join("[%d]" % p if isinstance(p, int) else "." + str(p) for p in path)


def _describe(err, depth=0):
    """PATH: MESSAGE, and for anyOf/oneOf why each alternative failed (the
    bare "not valid under any of the given schemas" says too little)."""
    text = "%s: %s" % (_loc(err.absolute_path), err.message)
    if err.context and depth < 2:
        branches = {}
        for e in err.context:
            branches.setdefault(e.schema_path[0] if e.schema_path else 0, []).append(e)
        why = []
        for i in sorted(branches, key=str):
            sub = best_match(branches[i])
            why.append("#%s %s" % (i, _describe(sub, depth + 1).lstrip(": ")))
        text += " (" + "; ".join(why) + ")"
    return text


class Operation:
    def __init__(self, method, template, op, path_item):
        self.method = method
        self.template = template
        self.op = op
        self.id = op.get("operationId", "%s %s" % (method, template))
        params = {}
        for p in path_item.get("parameters", []) + op.get("parameters", []):
            params[(p["name"], p["in"])] = p
        self.params = list(params.values())
        names = re.findall(r"\{([^}]+)\}", template)
        rx = "^" + re.sub(r"\\\{[^}]+\\\}", "([^/]+)", re.escape(template)) + "$"
        self.regex = re.compile(rx)
        self.names = names
        self.literal = len(template) - sum(len(n) + 2 for n in names)

    def match(self, path):
        m = self.regex.match(path)
        if not m:
            return None
        return {n: urllib.parse.unquote(v) for n, v in zip(self.names, m.groups())}


class OpenAPI:
    def __init__(self, path=None):
        path = path or os.environ.get("QDRANT_OPENAPI") or DEFAULT_SPEC
        with open(path) as f:
            raw = json.load(f)
        self.doc = _denull(copy.deepcopy(raw))
        self.resolver = RefResolver("", self.doc)
        self.formats = _format_checker()
        self.lock = threading.Lock()  # RefResolver keeps a scope stack
        self.ops = []
        for template, item in self.doc.get("paths", {}).items():
            for method, op in item.items():
                if method in ("get", "put", "post", "delete", "patch", "head"):
                    self.ops.append(Operation(method.upper(), template, op, item))
        # literal segments first: /collections/aliases before /collections/{name}
        self.ops.sort(key=lambda o: (len(o.names), -o.literal))

    # -------------------------------------------------------------- lookup
    def find(self, method, path):
        """(Operation, path params) for METHOD PATH (no query), or (None, None)."""
        for o in self.ops:
            if o.method != method.upper():
                continue
            pp = o.match(path)
            if pp is not None:
                return o, pp
        return None, None

    def path_known(self, path):
        return any(o.match(path) is not None for o in self.ops)

    # ---------------------------------------------------------- validation
    def validate(self, schema, value, where):
        """None if VALUE is valid under SCHEMA, else one line saying why."""
        with self.lock:
            v = Draft4Validator(schema, resolver=self.resolver,
                                format_checker=self.formats)
            err = best_match(v.iter_errors(value))
        if err is None:
            return None
        return where + _describe(err)

    def schema(self, name):
        return {"$ref": "#/components/schemas/" + name}

    @staticmethod
    def _coerce(raw, schema, doc):
        """A path/query string as the JSON value its schema wants."""
        s = schema
        for _ in range(8):  # follow $refs to the schema that has the type
            if "$ref" not in s:
                break
            ref, s = s["$ref"], doc
            for part in ref.lstrip("#/").split("/"):
                s = s[part]
        t = s.get("type")
        if isinstance(t, list):
            t = next((x for x in t if x != "null"), None)
        try:
            if t == "integer":
                return int(raw) if re.fullmatch(r"-?\d+", raw) else raw
            if t == "number":
                return float(raw)
            if t == "boolean":
                return {"true": True, "false": False}.get(raw, raw)
        except ValueError:
            return raw
        if t is None and "anyOf" in s:  # ExtendedPointId: integer or uuid
            if re.fullmatch(r"\d+", raw):
                return int(raw)
        return raw

    def check_params(self, op, path_params, query):
        """Errors (list of str) for the declared path and query parameters.
        QUERY: dict name -> list of raw strings (parse_qs)."""
        errs = []
        for p in op.params:
            name, where = p["name"], p["in"]
            if where == "path":
                raw = path_params.get(name)
            elif where == "query":
                vals = query.get(name)
                raw = vals[-1] if vals else None
            else:
                continue
            if raw is None:
                if p.get("required"):
                    errs.append("%s parameter %s is required" % (where, name))
                continue
            sch = p.get("schema", {})
            val = self._coerce(raw, sch, self.doc)
            e = self.validate(sch, val, "%s parameter %s" % (where, name))
            if e:
                errs.append(e)
        return errs

    def request_schema(self, op, ctype="application/json"):
        rb = op.op.get("requestBody")
        if not rb:
            return None
        return rb.get("content", {}).get(ctype, {}).get("schema")

    def check_request(self, op, body):
        sch = self.request_schema(op)
        if sch is None:
            return None
        return self.validate(sch, body, "body")

    def response_schema(self, op, status):
        rs = op.op.get("responses", {})
        for key in (str(status), "%dXX" % (status // 100), "default"):
            if key in rs:
                content = rs[key].get("content", {})
                if "application/json" in content:
                    return content["application/json"].get("schema", {}), key
                return None, key
        return None, None

    def check_response(self, op, status, body):
        sch, key = self.response_schema(op, status)
        if key is None:
            return "status %d is not a documented response of %s" % (status, op.id)
        if sch is None:
            return None  # a binary or text response: no JSON to check
        return self.validate(sch, body, "response %d" % status)


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    spec = OpenAPI()
    kind = argv[1]
    if kind == "schema":
        with open(argv[3]) as f:
            val = json.load(f)
        err = spec.validate(spec.schema(argv[2]), val, argv[2])
    elif kind in ("request", "response"):
        method, target = argv[2], argv[3]
        path, _, qs = target.partition("?")
        op, pp = spec.find(method, path)
        if op is None:
            print("no operation %s %s in the spec" % (method, path))
            return 1
        if kind == "request":
            errs = spec.check_params(op, pp, urllib.parse.parse_qs(qs, keep_blank_values=True))
            err = errs[0] if errs else None
            if err is None and len(argv) > 4:
                with open(argv[4]) as f:
                    err = spec.check_request(op, json.load(f))
        else:
            with open(argv[5]) as f:
                err = spec.check_response(op, int(argv[4]), json.load(f))
    else:
        sys.stderr.write(__doc__)
        return 2
    if err:
        print(err)
        return 1
    print("valid")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
