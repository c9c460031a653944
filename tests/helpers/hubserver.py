#!/usr/bin/python3
"""hubserver.py - a fake Hugging Face Hub on loopback, for the hf-stream tests.

Python 3 standard library only.  Two HTTP/1.1 servers on 127.0.0.1: the "hub"
(API and resolve URLs) and a "CDN" (where resolve redirects LFS files).

Usage:
  hubserver.py --root DIR --port-file FILE [--log FILE] [--faults FILE]
               [--page-size N] [--token TOKEN] [--lfs-threshold BYTES]

  Binds two free ports, then writes FILE atomically (temp name + rename) as
    {"hub": "http://127.0.0.1:P1", "cdn": "http://127.0.0.1:P2", "pid": PID}
  and serves until SIGTERM (or SIGINT).

Repositories (--root DIR):
  DIR/datasets/ORG/NAME/                 working tree of revision "main" (plain
                                         files, any depth; no dotfiles/.git)
  DIR/datasets/ORG/NAME.parquet-export/  tree of revision "refs/convert/parquet"
                                         (optional; real layout is
                                         CONFIG/SPLIT/0000.parquet)
  DIR/models/ORG/NAME/                   a model repo (the same layout and settings
                                         file; only its resolve URLs are served)
  DIR/datasets/ORG/NAME.json             optional settings, every key optional:
    {"gated": "auto" | "manual" | false,  # gated: needs the --token (default false)
     "denied": false,                     # gated and denied: the --token gets 403
                                          #   GatedRepo (its terms not accepted)
     "private": false,                    # private: needs the --token; without it
                                          #   the repo looks absent (401 RepoNotFound)
     "revisions": {"v1.0": "SUBDIR"},     # extra revisions; SUBDIR relative to
                                          #   DIR/datasets/ORG/ (e.g. "NAME@v1.0")
     "parquet_export": {"CONFIG": {"SPLIT": ["CONFIG/SPLIT/0000.parquet", ...]}}}
                                          # paths inside NAME.parquet-export/; when
                                          #   absent, derived from the files at depth
                                          #   CONFIG/SPLIT/*.parquet of that tree
  Settings are re-read on every request; trees are rescanned on every request
  (file hashes are cached by path+size+mtime), so tests may edit files between
  runs.

Hashes (all predictable by a test):
  - a file below --lfs-threshold (default 1000) bytes, not *.parquet, is a
    plain git blob: oid = git blob sha1 = sha1(b"blob %d\\0" % len + data)
    (== `git hash-object FILE`); its resolve ETag is "oid".
  - other files are LFS: lfs.oid = sha256 of the content, the tree oid is the
    git blob sha1 of the LFS pointer text
      "version https://git-lfs.github.com/spec/v1\\noid sha256:HEX\\nsize N\\n"
    and pointerSize its length.
  - directory oid = git tree id of the directory built from those oids.
  - the commit sha of a revision = git tree id of its root (so with no LFS
    files it equals `git add -A && git write-tree` in a copy of the tree).
  A revision can also be named by its sha.  "refs/convert/parquet" may be
  URL-encoded (refs%2Fconvert%2Fparquet) or not.

Hub endpoints (JSON field names and headers as huggingface.co):
  GET /api/datasets/ORG/NAME[/revision/REV][?blobs=true]
      {"_id","id","author","sha","lastModified","createdAt","private","gated",
       "disabled","downloads","likes","tags","cardData"?,"siblings":[{"rfilename"
       [,"size","blobId","lfs":{"sha256","size","pointerSize"}]}]}
      cardData = README.md YAML front matter, only when PyYAML is importable.
  GET /api/datasets/ORG/NAME/tree/REV[/PATH][?recursive=true][&cursor=C]
      [{"type":"file","oid","size","path"[,"lfs":{"oid","size","pointerSize"}]},
       {"type":"directory","oid","size":0,"path"}], sorted by path, --page-size
      per page, `Link: <http://HOST/...&cursor=C>; rel="next"` while more.
  GET /api/datasets/ORG/NAME/parquet                -> {CONFIG: {SPLIT: [URL..]}}
  GET /api/datasets/ORG/NAME/parquet/CONFIG         -> {SPLIT: [URL..]}
  GET /api/datasets/ORG/NAME/parquet/CONFIG/SPLIT   -> [URL..]
      URL = http://HOST/api/datasets/ORG/NAME/parquet/CONFIG/SPLIT/N.parquet,
      which 302s to http://HOST/datasets/ORG/NAME/resolve/refs%2Fconvert%2Fparquet/PATH
  GET|HEAD /ORG/NAME/resolve/REV/PATH    a model's file, as below
  GET|HEAD /datasets/ORG/NAME/resolve/REV/PATH
      plain file: 200 (206 with Range; 416 bad range), ETag "GIT-SHA1",
                  X-Repo-Commit, Content-Length, Accept-Ranges: bytes
      LFS file:   302, Location: http://127.0.0.1:CDN/repos/ORG/NAME/SHA256?
                  response-content-disposition=...filename...&Expires=&Signature=
                  &Key-Pair-Id=, X-Repo-Commit, X-Linked-Etag: "SHA256",
                  X-Linked-Size, ETag: "POINTER-GIT-SHA1" (like the Hub: the
                  ETag of the redirect is the pointer's, not the content's)
  Errors: {"error": MESSAGE} with X-Error-Code / X-Error-Message:
      unknown repo 404 RepoNotFound; private without the token 401 RepoNotFound;
      gated without the token 401 GatedRepo; a wrong token (when --token is
      set) 401 "Invalid credentials in Authorization header" on every hub URL;
      unknown revision 404 RevisionNotFound; unknown file 404 EntryNotFound.

CDN: GET|HEAD /repos/ORG/NAME/SHA256?...&Signature=S (403 if S is wrong):
  the bytes, Accept-Ranges: bytes, ETag "SHA256", Range -> 206 +
  Content-Range, bad range -> 416.  It ignores Authorization (but logs it).

--log FILE: one JSON line per request, flushed:
  {"port":"hub"|"cdn","method","path","query","range":HEADER|null,
   "auth":true|false,"status":CODE,"fault":KIND|null}
  ("path" is the raw path, still URL-encoded; "query" the raw query or "").

--faults FILE: a JSON list of rules, re-read on every request (a missing or
  invalid file means no faults).  Rule:
  {"match": "substring of the raw request target (path?query)",  default ""
   "port": "hub" | "cdn" | "any",                                default "any"
   "times": N  (matching requests it applies to, counted per rule for the
               server's life; -1 = always),                      default 1
   "kind": ...}
  kinds, checked when the request arrives (any method):
   "status":  answer "code" (default 503) with an {"error"} body, optional
              "retry_after" (Retry-After header) and "ratelimit" (RateLimit
              header, verbatim, e.g. "limit=100, remaining=0, reset=5")
   "slow":    sleep "delay" seconds (default 1) before answering normally
  kinds, checked only when a GET answers file bytes (200/206 of a file):
   "drop":    send the headers and "after" bytes (default half the body),
              then close the connection ("reset": true sends a TCP RST)
   "stall":   send the headers and "after" bytes (default half), sleep
              "delay" seconds (default 1), then send the rest
   "bad_length": announce Content-Length = body + "extra" (default 100),
              send the body, then close
   "no_range": ignore the Range header and answer 200 with the whole body
  Rules are tried in order; the first that matches and has times left is
  used (and counted).  Counters are keyed by the rule's position and text,
  so rewriting the file with new rules starts new counters.
"""

import argparse
import base64
import hashlib
import hmac
import http.server
import json
import os
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse

import loopback

ARGS = None
LOG_LOCK = threading.Lock()
LOG_FH = None
FAULTS = None  # loopback.Faults of --faults, made in main
HASH_LOCK = threading.Lock()
HASH_CACHE = {}  # (kind, path, size, mtime_ns) -> hex
SIGN_KEY = os.urandom(16)
PORTS = {}
PARQUET_REV = "refs/convert/parquet"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
BODY_KINDS = ("drop", "stall", "bad_length", "no_range")
EARLY_KINDS = ("status", "slow")


# ---------------------------------------------------------------- hashing

def _file_hash(kind, path, st):
    key = (kind, path, st.st_size, st.st_mtime_ns)
    with HASH_LOCK:
        if key in HASH_CACHE:
            return HASH_CACHE[key]
    if kind == "sha1":
        h = hashlib.sha1(b"blob %d\0" % st.st_size)
    else:
        h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    d = h.hexdigest()
    with HASH_LOCK:
        HASH_CACHE[key] = d
    return d


def git_blob_sha1(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_pointer(sha256, size):
    return ("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n"
            % (sha256, size)).encode()


class Tree:
    """A scanned revision: files and directories with their oids."""

    def __init__(self, top):
        self.top = top
        self.files = {}  # rel -> dict(abs, size, oid, lfs(dict|None), mtime)
        self.dirs = {}   # rel ("" = root) -> oid
        self.mtime = 0.0
        children = {"": []}
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            rel_dir = os.path.relpath(dirpath, top)
            rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/")
            children.setdefault(rel_dir, [])
            for d in dirnames:
                r = d if not rel_dir else rel_dir + "/" + d
                children[rel_dir].append((d, r, True))
                children.setdefault(r, [])
            for fn in sorted(filenames):
                if fn.startswith("."):
                    continue
                ab = os.path.join(dirpath, fn)
                if not os.path.isfile(ab):
                    continue
                r = fn if not rel_dir else rel_dir + "/" + fn
                st = os.stat(ab)
                self.mtime = max(self.mtime, st.st_mtime)
                if st.st_size >= ARGS.lfs_threshold or fn.endswith(".parquet"):
                    s256 = _file_hash("sha256", ab, st)
                    ptr = lfs_pointer(s256, st.st_size)
                    info = {"abs": ab, "size": st.st_size, "oid": git_blob_sha1(ptr),
                            "lfs": {"oid": s256, "size": st.st_size,
                                    "pointerSize": len(ptr)}}
                else:
                    info = {"abs": ab, "size": st.st_size,
                            "oid": _file_hash("sha1", ab, st), "lfs": None}
                self.files[r] = info
                children[rel_dir].append((fn, r, False))

        def tree_oid(rel):
            ents = []
            for name, r, isdir in children.get(rel, []):
                if isdir:
                    oid = tree_oid(r)
                    ents.append((name + "/", b"40000 " + name.encode() + b"\0" + bytes.fromhex(oid)))
                else:
                    oid = self.files[r]["oid"]
                    ents.append((name, b"100644 " + name.encode() + b"\0" + bytes.fromhex(oid)))
            ents.sort(key=lambda e: e[0].encode())
            body = b"".join(e[1] for e in ents)
            oid = hashlib.sha1(b"tree %d\0" % len(body) + body).hexdigest()
            self.dirs[rel] = oid
            return oid

        self.sha = tree_oid("")


# ---------------------------------------------------------------- repos

class Repo:
    def __init__(self, org, name, kind="datasets"):
        self.org, self.name, self.kind = org, name, kind
        self.id = org + "/" + name
        self.base = os.path.join(ARGS.root, kind, org)
        self.work = os.path.join(self.base, name)
        self.settings = {}
        sp = os.path.join(self.base, name + ".json")
        if os.path.isfile(sp):
            with open(sp) as f:
                self.settings = json.load(f)
        self.gated = self.settings.get("gated", False) or False
        self.private = bool(self.settings.get("private", False))

    def revision_dirs(self):
        out = [("main", self.work)]
        for rev, sub in (self.settings.get("revisions") or {}).items():
            out.append((rev, os.path.join(self.base, sub)))
        pe = os.path.join(self.base, self.name + ".parquet-export")
        if os.path.isdir(pe):
            out.append((PARQUET_REV, pe))
        return out

    def tree(self, rev):
        """The Tree of revision REV (name or sha), or None."""
        dirs = self.revision_dirs()
        for r, d in dirs:
            if r == rev and os.path.isdir(d):
                return Tree(d)
        if re.fullmatch(r"[0-9a-f]{40}", rev):
            for r, d in dirs:
                if os.path.isdir(d):
                    t = Tree(d)
                    if t.sha == rev:
                        return t
        return None

    def parquet_listing(self):
        """{config: {split: [path inside the export tree]}} or None."""
        t = self.tree(PARQUET_REV)
        if t is None:
            return None, None
        pe = self.settings.get("parquet_export")
        if pe:
            return t, pe
        out = {}
        for p in sorted(t.files):
            parts = p.split("/")
            if len(parts) == 3 and parts[2].endswith(".parquet"):
                out.setdefault(parts[0], {}).setdefault(parts[1], []).append(p)
        return t, out


def find_repo(org, name, kind="datasets"):
    if not (NAME_RE.match(org) and NAME_RE.match(name)) or ".." in org + name:
        return None
    if name.endswith(".parquet-export") or name.endswith(".json"):
        return None
    if not os.path.isdir(os.path.join(ARGS.root, kind, org, name)):
        return None
    return Repo(org, name, kind)


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + ".000Z"


def card_data(tree):
    f = tree.files.get("README.md")
    if not f:
        return None
    try:
        import yaml  # optional: not stdlib; cardData is omitted without it
    except ImportError:
        return None
    try:
        with open(f["abs"], encoding="utf-8") as fh:
            text = fh.read()
        m = re.match(r"---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(\r?\n|$)", text, re.S)
        if not m:
            return None
        d = yaml.safe_load(m.group(1))
        return d if isinstance(d, dict) else None
    except Exception:
        return None


# ---------------------------------------------------------------- faults

def take_fault(port, target, kinds):
    return FAULTS.take(target, kinds, port)


parse_range = loopback.parse_range


# ---------------------------------------------------------------- HTTP

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without it each response's last segment waits out the client's
    # delayed ACK (40 ms), which no real server makes a client do.
    disable_nagle_algorithm = True
    server_version = "hubserver/1"

    def log_message(self, *a):
        pass

    def send_response(self, code, message=None):
        self._status = code
        super().send_response(code, message)

    def end_headers(self):
        super().end_headers()
        # Logged as the headers go out, before the body: a client that has
        # read the whole answer finds its line in the log already.
        self.log_line()

    # -- helpers
    def reply(self, code, body=b"", headers=(), ctype="application/json; charset=utf-8"):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def json(self, code, obj, headers=()):
        self.reply(code, json.dumps(obj).encode(), headers)

    def error(self, code, msg, ecode=None):
        hs = [("X-Error-Message", msg)]
        if ecode:
            hs.append(("X-Error-Code", ecode))
        self.json(code, {"error": msg}, hs)

    def hub_base(self):
        return "http://" + (self.headers.get("Host") or "127.0.0.1:%d" % PORTS["hub"])

    def serve_file(self, abs_path, size, etag, extra):
        fault = None
        rng = self.headers.get("Range")
        if self.command == "GET":
            fault = take_fault(self.port_name, self.path, BODY_KINDS)
            if fault:
                self._fault = fault["kind"]
        if fault and fault["kind"] == "no_range":
            rng = None
        start, end, status = 0, size, 200
        if rng:
            r = parse_range(rng, size)
            if r == "bad":
                self.reply(416, b"", [("Content-Range", "bytes */%d" % size),
                                      ("Accept-Ranges", "bytes")] + list(extra))
                return
            if r:
                start, end, status = r[0], r[1], 206
        n = end - start
        self.send_response(status)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("ETag", etag)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", "application/octet-stream")
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end - 1, size))
        clen = n
        if fault and fault["kind"] == "bad_length":
            clen = n + int(fault.get("extra", 100))
        self.send_header("Content-Length", str(clen))
        self.end_headers()
        if self.command == "HEAD":
            return
        kind = fault["kind"] if fault else None
        with open(abs_path, "rb") as f:
            if kind in ("drop", "stall"):
                after = min(n, int(fault.get("after", n // 2)))
                self.copy(f, start, after)
                if kind == "drop":
                    self.abort(bool(fault.get("reset")))
                    return
                time.sleep(float(fault.get("delay", 1)))
                self.copy(f, start + after, n - after)
            elif kind == "bad_length":
                self.copy(f, start, n)
                self.abort(False)
            else:
                self.copy(f, start, n)

    def copy(self, f, off, n):
        if n <= 0:
            return
        self.wfile.flush()
        try:
            self.connection.sendfile(f, off, n)
        except (AttributeError, OSError) as e:
            if isinstance(e, (BrokenPipeError, ConnectionResetError)):
                raise
            f.seek(off)
            while n > 0:
                b = f.read(min(n, 1 << 20))
                if not b:
                    break
                self.wfile.write(b)
                n -= len(b)

    def abort(self, reset):
        self.close_connection = True
        try:
            self.wfile.flush()
            if reset:  # close now with linger 0: an RST, not a FIN
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.rfile.close()
                self.wfile.close()
                self.connection.close()
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- dispatch
    def do_GET(self):
        self.handle_any()

    def do_HEAD(self):
        self.handle_any()

    def handle_any(self):
        self._status = None
        self._fault = None
        self._logged = False
        try:
            rule = take_fault(self.port_name, self.path, EARLY_KINDS)
            if rule and rule["kind"] == "slow":
                self._fault = "slow"
                time.sleep(float(rule.get("delay", 1)))
            if rule and rule["kind"] == "status":
                self._fault = "status"
                code = int(rule.get("code", 503))
                hs = []
                if rule.get("retry_after") is not None:
                    hs.append(("Retry-After", str(rule["retry_after"])))
                if rule.get("ratelimit"):
                    hs.append(("RateLimit", str(rule["ratelimit"])))
                self.json(code, {"error": "injected fault: HTTP %d" % code}, hs)
            elif self.port_name == "hub":
                self.hub()
            else:
                self.cdn()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:  # a bug here must not hang the client
            if self._status is None:
                try:
                    self.error(500, "hubserver: %s: %s" % (type(e).__name__, e))
                except OSError:
                    pass
            self.close_connection = True
            sys.stderr.write("hubserver: %r\n" % (e,))
        finally:
            self.log_line()

    def log_line(self):
        if LOG_FH is None or self._logged:
            return
        self._logged = True
        path, _, query = self.path.partition("?")
        rec = {"port": self.port_name, "method": self.command, "path": path,
               "query": query, "range": self.headers.get("Range"),
               "auth": self.headers.get("Authorization") is not None,
               "status": self._status, "fault": self._fault}
        with LOG_LOCK:
            LOG_FH.write(json.dumps(rec) + "\n")
            LOG_FH.flush()

    # -- auth: None when allowed, else an error has been sent
    def check_auth(self, repo):
        auth = self.headers.get("Authorization")
        tok = None
        if auth and auth.startswith("Bearer "):
            tok = auth[7:].strip()
        ok = ARGS.token is not None and tok == ARGS.token
        if auth is not None and ARGS.token is not None and not ok:
            self.error(401, "Invalid credentials in Authorization header")
            return False
        if repo.private and not ok:
            self.error(401, "Repository not found", "RepoNotFound")
            return False
        if repo.gated and ok and repo.settings.get("denied"):
            self.error(403, "Access to %s %s is restricted and you are not in the authorized list."
                       % ("model" if repo.kind == "models" else "dataset", repo.id), "GatedRepo")
            return False
        if repo.gated and not ok:
            self.error(401, "Access to %s %s is restricted. You must have access "
                       "to it and be authenticated to access it. Please log in."
                       % ("model" if repo.kind == "models" else "dataset", repo.id),
                       "GatedRepo")
            return False
        return True

    def hub(self):
        path, _, query = self.path.partition("?")
        q = urllib.parse.parse_qs(query)
        segs = path.split("/")[1:]
        # refs/convert/parquet written unencoded: fold it into one segment
        for i in range(len(segs) - 2):
            if segs[i:i + 3] == ["refs", "convert", "parquet"] and i >= 4:
                segs[i:i + 3] = ["refs%2Fconvert%2Fparquet"]
                break
        segs = [urllib.parse.unquote(s) for s in segs]
        if len(segs) >= 4 and segs[0] == "api" and segs[1] == "datasets":
            repo = find_repo(segs[2], segs[3])
            if repo is None:
                return self.error(404, "Repository not found", "RepoNotFound")
            if not self.check_auth(repo):
                return
            rest = segs[4:]
            if not rest or (len(rest) == 2 and rest[0] == "revision"):
                return self.api_info(repo, rest[1] if rest else "main", q)
            if rest[0] == "tree" and len(rest) >= 2:
                return self.api_tree(repo, rest[1], "/".join(rest[2:]).strip("/"), q)
            if rest[0] == "parquet":
                return self.api_parquet(repo, rest[1:])
            return self.error(404, "Not found")
        if len(segs) >= 6 and segs[0] == "datasets" and segs[3] == "resolve":
            repo = find_repo(segs[1], segs[2])
            if repo is None:
                return self.error(404, "Repository not found", "RepoNotFound")
            if not self.check_auth(repo):
                return
            return self.resolve(repo, segs[4], "/".join(segs[5:]))
        if len(segs) >= 5 and segs[2] == "resolve" and segs[0] not in ("api", "datasets"):
            repo = find_repo(segs[0], segs[1], "models")
            if repo is None:
                return self.error(404, "Repository not found", "RepoNotFound")
            if not self.check_auth(repo):
                return
            return self.resolve(repo, segs[3], "/".join(segs[4:]))
        self.error(404, "Not found")

    def get_tree(self, repo, rev):
        t = repo.tree(rev)
        if t is None:
            self.error(404, "Invalid rev id: %s" % rev, "RevisionNotFound")
        return t

    def api_info(self, repo, rev, q):
        t = self.get_tree(repo, rev)
        if t is None:
            return
        blobs = q.get("blobs", ["false"])[0] == "true"
        sib = []
        for p in sorted(t.files):
            s = {"rfilename": p}
            if blobs:
                f = t.files[p]
                s["size"] = f["size"]
                s["blobId"] = f["oid"]
                if f["lfs"]:
                    s["lfs"] = {"sha256": f["lfs"]["oid"], "size": f["size"],
                                "pointerSize": f["lfs"]["pointerSize"]}
            sib.append(s)
        obj = {"_id": hashlib.sha1(repo.id.encode()).hexdigest()[:24],
               "id": repo.id, "author": repo.org, "sha": t.sha,
               "lastModified": iso(t.mtime or time.time()),
               "createdAt": iso(0), "private": repo.private,
               "gated": repo.gated, "disabled": False, "downloads": 0,
               "likes": 0, "tags": [], "siblings": sib}
        cd = card_data(t)
        if cd is not None:
            obj["cardData"] = cd
        self.json(200, obj)

    def api_tree(self, repo, rev, sub, q):
        t = self.get_tree(repo, rev)
        if t is None:
            return
        if sub and sub not in t.dirs:
            return self.error(404, "Entry not found", "EntryNotFound")
        recursive = q.get("recursive", ["false"])[0].lower() in ("true", "1")
        prefix = sub + "/" if sub else ""
        ents = []
        for p, f in t.files.items():
            if not p.startswith(prefix):
                continue
            if not recursive and "/" in p[len(prefix):]:
                continue
            e = {"type": "file", "oid": f["oid"], "size": f["size"], "path": p}
            if f["lfs"]:
                e["lfs"] = dict(f["lfs"])
            ents.append(e)
        for p, oid in t.dirs.items():
            if not p or not p.startswith(prefix):
                continue
            if not recursive and "/" in p[len(prefix):]:
                continue
            ents.append({"type": "directory", "oid": oid, "size": 0, "path": p})
        ents.sort(key=lambda e: e["path"])
        start = 0
        if "cursor" in q:
            try:
                c = q["cursor"][0]
                start = json.loads(base64.urlsafe_b64decode(c + "=" * (-len(c) % 4)))["offset"]
            except Exception:
                return self.error(400, "Invalid cursor")
        page = ents[start:start + ARGS.page_size]
        hs = []
        if start + ARGS.page_size < len(ents):
            cur = base64.urlsafe_b64encode(json.dumps(
                {"offset": start + ARGS.page_size}).encode()).decode().rstrip("=")
            qs = [(k, v) for k, vs in q.items() if k != "cursor" for v in vs]
            qs.append(("cursor", cur))
            url = self.hub_base() + self.path.partition("?")[0] + "?" + urllib.parse.urlencode(qs)
            hs.append(("Link", '<%s>; rel="next"' % url))
        self.json(200, page, hs)

    def api_parquet(self, repo, rest):
        t, listing = repo.parquet_listing()
        if t is None:
            return self.error(404, "Revision not found", "RevisionNotFound")

        def urls(cfg, split):
            return ["%s/api/datasets/%s/parquet/%s/%s/%d.parquet"
                    % (self.hub_base(), repo.id, urllib.parse.quote(cfg, safe=""),
                       urllib.parse.quote(split, safe=""), i)
                    for i in range(len(listing[cfg][split]))]
        if not rest:
            return self.json(200, {c: {s: urls(c, s) for s in listing[c]} for c in listing})
        cfg = rest[0]
        if cfg not in listing:
            return self.error(404, "Config %s not found" % cfg)
        if len(rest) == 1:
            return self.json(200, {s: urls(cfg, s) for s in listing[cfg]})
        split = rest[1]
        if split not in listing[cfg]:
            return self.error(404, "Split %s not found" % split)
        if len(rest) == 2:
            return self.json(200, urls(cfg, split))
        m = re.fullmatch(r"(\d+)\.parquet", rest[2]) if len(rest) == 3 else None
        if not m or int(m.group(1)) >= len(listing[cfg][split]):
            return self.error(404, "Entry not found", "EntryNotFound")
        p = listing[cfg][split][int(m.group(1))]
        loc = "%s/datasets/%s/resolve/%s/%s" % (
            self.hub_base(), repo.id, urllib.parse.quote(PARQUET_REV, safe=""),
            urllib.parse.quote(p))
        self.reply(302, b"", [("Location", loc)], "text/plain; charset=utf-8")

    def resolve(self, repo, rev, path):
        t = self.get_tree(repo, rev)
        if t is None:
            return
        f = t.files.get(path)
        if f is None:
            return self.error(404, "Entry not found", "EntryNotFound")
        common = [("X-Repo-Commit", t.sha)]
        if f["lfs"]:
            s256 = f["lfs"]["oid"]
            cdn_path = "/repos/%s/%s" % (repo.id, s256)
            exp = str(int(time.time()) + 3600)
            sig = sign(cdn_path, exp)
            qs = urllib.parse.urlencode([
                ("response-content-disposition",
                 "inline; filename*=UTF-8''%s; filename=\"%s\";"
                 % (urllib.parse.quote(os.path.basename(path)), os.path.basename(path))),
                ("Expires", exp), ("Signature", sig), ("Key-Pair-Id", "KFAKEHUBSERVER")])
            loc = "http://127.0.0.1:%d%s?%s" % (PORTS["cdn"], cdn_path, qs)
            body = b"Found. Redirecting to " + loc.encode()
            self.reply(302, body, common + [
                ("Location", loc), ("X-Linked-Etag", '"%s"' % s256),
                ("X-Linked-Size", str(f["size"])), ("ETag", '"%s"' % f["oid"]),
                ("Accept-Ranges", "bytes")], "text/plain; charset=utf-8")
            return
        self.serve_file(f["abs"], f["size"], '"%s"' % f["oid"], common)

    def cdn(self):
        path, _, query = self.path.partition("?")
        q = urllib.parse.parse_qs(query)
        m = re.fullmatch(r"/repos/([^/]+)/([^/]+)/([0-9a-f]{64})", path)
        if not m:
            return self.reply(404, b"<Error><Code>NoSuchKey</Code></Error>", (), "application/xml")
        exp = q.get("Expires", [""])[0]
        if q.get("Signature", [""])[0] != sign(path, exp):
            return self.reply(403, b"<Error><Code>AccessDenied</Code></Error>", (), "application/xml")
        s256 = m.group(3)
        for repo in (find_repo(m.group(1), m.group(2)), find_repo(m.group(1), m.group(2), "models")):
            if repo is None:
                continue
            for _, d in repo.revision_dirs():
                if not os.path.isdir(d):
                    continue
                for f in Tree(d).files.values():
                    if f["lfs"] and f["lfs"]["oid"] == s256:
                        return self.serve_file(f["abs"], f["size"], '"%s"' % s256, [])
        self.reply(404, b"<Error><Code>NoSuchKey</Code></Error>", (), "application/xml")


def sign(path, exp):
    return hmac.new(SIGN_KEY, (path + "|" + exp).encode(), hashlib.sha256).hexdigest()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # a connection the client (or a "drop" fault) closed is no news
        if isinstance(sys.exc_info()[1], (OSError, ValueError)):
            return
        super().handle_error(request, client_address)


def main():
    global ARGS, LOG_FH, FAULTS
    ap = argparse.ArgumentParser(description="fake Hugging Face Hub for tests")
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--faults")
    ap.add_argument("--page-size", type=int, default=1000)
    ap.add_argument("--token")
    ap.add_argument("--lfs-threshold", type=int, default=1000)
    ARGS = ap.parse_args()
    FAULTS = loopback.Faults(ARGS.faults)
    ARGS.root = os.path.abspath(ARGS.root)
    if ARGS.page_size < 1:
        ap.error("--page-size must be >= 1")
    if ARGS.log:
        LOG_FH = open(ARGS.log, "a", buffering=1)
    servers = {}
    for name in ("hub", "cdn"):
        h = type("Handler_" + name, (Handler,), {"port_name": name})
        s = Server(("127.0.0.1", 0), h)
        servers[name] = s
        PORTS[name] = s.server_address[1]
    for s in servers.values():
        threading.Thread(target=s.serve_forever, daemon=True).start()
    info = {"hub": "http://127.0.0.1:%d" % PORTS["hub"],
            "cdn": "http://127.0.0.1:%d" % PORTS["cdn"], "pid": os.getpid()}
    loopback.announce_and_wait(ARGS.port_file, info, LOG_FH, LOG_LOCK)


if __name__ == "__main__":
    main()
