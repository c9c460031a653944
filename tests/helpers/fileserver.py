#!/usr/bin/python3
"""fileserver.py - a static file server on loopback with injected faults, for
the wds-cat tests (shards read over http://).

Python 3 standard library only.  One HTTP/1.1 server on 127.0.0.1.

Usage:
  fileserver.py --root DIR --port-file FILE [--log FILE] [--faults FILE]

  Binds a free port, then writes FILE atomically (temp name + rename) as
    {"url": "http://127.0.0.1:PORT", "pid": PID}
  and serves until SIGTERM (or SIGINT).

GET|HEAD /PATH serves DIR/PATH (URL-decoded; no "..", no directories):
  200 with Content-Length, Accept-Ranges: bytes, ETag "SIZE-MTIME_NS" (hex),
      Last-Modified;
  Range: bytes=A-B / A- / -N (one range) -> 206 + Content-Range; an
      unsatisfiable range -> 416;
  If-Range: ETAG -> the Range is honoured only when ETAG is the file's
      current ETag (otherwise 200 and the whole file);
  a missing file -> 404 with a short text body.

--log FILE: one JSON line per request, flushed as the headers go out:
  {"method","path","range":HEADER|null,"if_range":HEADER|null,"status":CODE,
   "fault":KIND|null}

--faults FILE: a JSON list of rules, re-read on every request (a missing or
  invalid file means no faults).  Rule:
  {"match": "substring of the request path",   default ""
   "times": N (requests it applies to, counted per rule for the server's
              life; -1 = always),               default 1
   "kind": ...}
  kinds:
   "status":   answer "code" (default 503) with a text body
   "drop":     GET of file bytes: send the headers and "after" bytes of the
               body (default half), then close the connection
   "stall":    GET of file bytes: send the headers and "after" bytes (default
               half), sleep "delay" seconds (default 3), then send the rest
   "no_range": GET of file bytes: ignore Range, answer 200 and the whole file
  Rules are tried in order; the first that matches, is of a kind that applies
  and has times left is used (and counted).  Counters are keyed by the rule's
  position and text, so rewriting the file with new rules starts new counters.
"""

import argparse
import email.utils
import http.server
import json
import os
import sys
import threading
import time
import urllib.parse

import loopback

ARGS = None
LOG_LOCK = threading.Lock()
LOG_FH = None
FAULTS = None  # loopback.Faults of --faults, made in main
BODY_KINDS = ("drop", "stall", "no_range")


def take_fault(path, kinds):
    return FAULTS.take(path, kinds)


parse_range = loopback.parse_range


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "fileserver/1"

    def log_message(self, *a):
        pass

    def send_response(self, code, message=None):
        self._status = code
        super().send_response(code, message)

    def end_headers(self):
        super().end_headers()
        self.log_line()

    def log_line(self):
        if LOG_FH is None or self._logged:
            return
        self._logged = True
        rec = {"method": self.command, "path": self.path,
               "range": self.headers.get("Range"),
               "if_range": self.headers.get("If-Range"),
               "status": self._status, "fault": self._fault}
        with LOG_LOCK:
            LOG_FH.write(json.dumps(rec) + "\n")
            LOG_FH.flush()

    def text(self, code, msg, headers=()):
        body = (msg + "\n").encode()
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        self.handle_any()

    def do_HEAD(self):
        self.handle_any()

    def handle_any(self):
        self._status = None
        self._fault = None
        self._logged = False
        try:
            rule = take_fault(self.path, ("status",))
            if rule:
                self._fault = "status"
                return self.text(int(rule.get("code", 503)), "injected fault")
            rel = urllib.parse.unquote(self.path.partition("?")[0]).lstrip("/")
            full = os.path.join(ARGS.root, rel)
            if not rel or ".." in rel.split("/") or not os.path.isfile(full):
                return self.text(404, "not found: /" + rel)
            self.serve_file(full)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:  # a bug here must not hang the client
            if self._status is None:
                try:
                    self.text(500, "fileserver: %s: %s" % (type(e).__name__, e))
                except OSError:
                    pass
            self.close_connection = True
            sys.stderr.write("fileserver: %r\n" % (e,))
        finally:
            self.log_line()

    def serve_file(self, full):
        st = os.stat(full)
        size = st.st_size
        etag = '"%x-%x"' % (size, st.st_mtime_ns)
        fault = None
        if self.command == "GET":
            fault = take_fault(self.path, BODY_KINDS)
            if fault:
                self._fault = fault["kind"]
        rng = self.headers.get("Range")
        if fault and fault["kind"] == "no_range":
            rng = None
        ir = self.headers.get("If-Range")
        if rng and ir is not None and ir.strip() != etag:
            rng = None
        start, end, status = 0, size, 200
        if rng:
            r = parse_range(rng, size)
            if r == "bad":
                return self.text(416, "range not satisfiable",
                                 [("Content-Range", "bytes */%d" % size)])
            if r:
                start, end, status = r[0], r[1], 206
        n = end - start
        self.send_response(status)
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", email.utils.formatdate(st.st_mtime, usegmt=True))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", "application/x-tar")
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end - 1, size))
        self.send_header("Content-Length", str(n))
        self.end_headers()
        if self.command == "HEAD":
            return
        kind = fault["kind"] if fault else None
        with open(full, "rb") as f:
            if kind in ("drop", "stall"):
                after = min(n, int(fault.get("after", n // 2)))
                self.copy(f, start, after)
                if kind == "drop":
                    self.close_connection = True
                    try:
                        self.wfile.flush()
                        self.connection.shutdown(2)
                    except OSError:
                        pass
                    return
                self.wfile.flush()
                time.sleep(float(fault.get("delay", 3)))
                self.copy(f, start + after, n - after)
            else:
                self.copy(f, start, n)

    def copy(self, f, off, n):
        f.seek(off)
        while n > 0:
            b = f.read(min(n, 1 << 16))
            if not b:
                break
            self.wfile.write(b)
            n -= len(b)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (OSError, ValueError)):
            return
        super().handle_error(request, client_address)


def main():
    global ARGS, LOG_FH, FAULTS
    ap = argparse.ArgumentParser(description="static files on loopback, with faults")
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--faults")
    ARGS = ap.parse_args()
    FAULTS = loopback.Faults(ARGS.faults)
    ARGS.root = os.path.abspath(ARGS.root)
    if ARGS.log:
        LOG_FH = open(ARGS.log, "a", buffering=1)
    srv = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    info = {"url": "http://127.0.0.1:%d" % srv.server_address[1], "pid": os.getpid()}
    loopback.announce_and_wait(ARGS.port_file, info, LOG_FH, LOG_LOCK)


if __name__ == "__main__":
    main()
