"""loopback.py - what the tests' HTTP servers (hubserver.py, fileserver.py,
qdrantserver.py) share: announcing where they listen and running until
told to stop; fault rules; Range headers.

announce_and_wait(port_file, info, log_fh, log_lock) writes info (the
server's URLs and pid) to port_file atomically (temp name + rename: a test
polling for the file never reads half of it), then sleeps until SIGTERM or
SIGINT, flushing the request log before it exits."""

import json
import os
import re
import signal
import threading


def announce_and_wait(port_file, info, log_fh=None, log_lock=None):
    tmp = port_file + ".tmp.%d" % os.getpid()
    with open(tmp, "w") as f:
        json.dump(info, f)
        f.write("\n")
    os.replace(tmp, port_file)

    def stop(*_):
        if log_fh:
            if log_lock:
                with log_lock:
                    log_fh.flush()
            else:
                log_fh.flush()
        os._exit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        signal.pause()


class Faults:
    """The fault rules of --faults FILE: a JSON list re-read on every
    request (a missing or invalid file means none), each rule used at most
    its "times" (default 1, -1 for always), counted per rule position and
    text, so that a rewritten file starts new counters."""

    def __init__(self, path):
        self.path = path
        self.counts = {}
        self.lock = threading.Lock()

    def rules(self):
        if not self.path:
            return []
        try:
            with open(self.path) as f:
                rules = json.load(f)
            return rules if isinstance(rules, list) else []
        except (OSError, ValueError):
            return []

    def take(self, target, kinds, port=None):
        """The first rule of one of kinds whose "match" is in target (and
        whose "port", if any, is port) with uses left; counted."""
        with self.lock:
            for i, rule in enumerate(self.rules()):
                if not isinstance(rule, dict) or rule.get("kind") not in kinds:
                    continue
                if port is not None and rule.get("port", "any") not in ("any", port):
                    continue
                if rule.get("match", "") not in target:
                    continue
                key = (i, json.dumps(rule, sort_keys=True))
                used = self.counts.get(key, 0)
                times = rule.get("times", 1)
                if times is not None and times >= 0 and used >= times:
                    continue
                self.counts[key] = used + 1
                return rule
        return None


def parse_range(h, size):
    """A Range header against a body of size bytes: (start, end_exclusive),
    "bad" (416), or None (no usable header: serve the whole body)."""
    m = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", h or "")
    if not m:
        return None
    a, b = m.group(1), m.group(2)
    if a == "" and b == "":
        return None
    if a == "":
        n = int(b)
        if n == 0 or size == 0:
            return "bad"
        return (max(0, size - n), size)
    a = int(a)
    if a >= size:
        return "bad"
    if b == "":
        return (a, size)
    b = int(b)
    if b < a:
        return "bad"
    return (a, min(b, size - 1) + 1)
