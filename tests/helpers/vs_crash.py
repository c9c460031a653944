#!/usr/bin/python3
"""vs_crash.py - kill -9 and concurrency checks of the embedded vector store
through vs-upsert and vs-query (found on PATH), for tests/vs-upsert-crash.bats.

  vs_crash.py kill STORE [--runs 50] [--seed S]
      RUNS times: start `vs-upsert --ack --batch 10 --metric dot` on STORE,
      feed it points from a generator (two runs in five an endless stream,
      else 10 to 150 points and EOF, so that some kills land in the final
      checkpoint), and kill -9 it after a random 0-100 ms; every fifth run
      is left to finish, and must leave nothing pending.  After
      each kill the store must open (--stats, a query), every acknowledged
      id must be there with its exact vector and metadata, every point
      there must be one that was sent, unchanged, and whole batches only
      (each batch's 10 points share a "batch" value).  At the end a run
      that is not killed must succeed and leave nothing pending.
  vs_crash.py reader STORE [--runs 10] [--batches 40] [--size 20]
      a writer upserts RUNS vs-upsert runs of BATCHES batches of SIZE
      points (a checkpoint ends each run) while a reader runs --scan, a
      query and --stats in a loop: every reader run must exit 0, and each
      scan must hold either all SIZE points of a batch or none.
  vs_crash.py compact STORE [--kills 8] [--seed S]
      makes a store of 3000 points, deletes half of them, then kill -9s
      `vs-upsert --compact` KILLS times at random moments of its run; after
      each kill the store must open with exactly the live points, unchanged.
      Then a compaction that is not killed must succeed, and shrink it.

Vectors are small multiples of 1/16, exact in float32, and the metric is
dot, so the store keeps them unchanged and they compare exactly.
Exit 0 with a summary line, or 1 with the first thing that went wrong.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time

DIM = 8


def fail(msg):
    sys.exit("vs_crash.py: " + msg)


def vector(run, j):
    return [float(((run * 31 + j * 17 + k * 7) % 97 - 48) / 16) for k in range(DIM)]


def point(run, j, size=10):
    return {"id": "r%d-%d" % (run, j), "vector": vector(run, j),
            "metadata": {"run": run, "j": j, "batch": "r%d-b%d" % (run, j // size)}}


def query(store, *args, stdin=None):
    p = subprocess.run(["vs-query", "-q", "--store", store, *args], input=stdin, capture_output=True, text=True)
    if p.returncode != 0:
        fail("vs-query %s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr.strip()))
    return p.stdout


def scan(store, with_vector=True):
    out = query(store, "--scan", *(["--with-vector"] if with_vector else []))
    pts = {}
    for line in out.splitlines():
        o = json.loads(line)
        if o["id"] in pts:
            fail("--scan prints %s twice" % o["id"])
        pts[o["id"]] = o
    return pts


def check_opens(store):
    # A writer may add points between the reads: the query's count must lie
    # between what the store held before it and after it.
    before = json.loads(query(store, "--stats"))["points"]
    q = json.dumps({"id": "q", "vector": [1.0] * DIM})
    hits = query(store, "-k", "5", stdin=q).splitlines()
    st = json.loads(query(store, "--stats"))
    if not min(5, before) <= len(hits) <= min(5, st["points"]):
        fail("a query found %d points, the store had %d before it and %d after" % (len(hits), before, st["points"]))
    return st


def same_vector(got, want):
    return len(got) == len(want) and all(abs(a - b) <= 1e-6 for a, b in zip(got, want))


def kill(a):
    rng = random.Random(a.seed)
    acked = set()
    kills = finished = 0
    for run in range(a.runs):
        endless = run % 5 in (0, 2)
        n = None if endless else rng.randrange(10, 150)
        p = subprocess.Popen(["vs-upsert", "-q", "--store", a.store, "--dim", str(DIM), "--metric", "dot",
                              "--ack", "--batch", "10"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)

        def feed():
            j = 0
            try:
                while n is None or j < n:
                    p.stdin.write("".join(json.dumps(point(run, j + i)) + "\n" for i in range(10)).encode())
                    j += 10
                p.stdin.close()
            except (BrokenPipeError, ValueError, OSError):
                pass

        t = threading.Thread(target=feed)
        t.start()
        spared = run % 5 == 4
        if spared:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
                fail("run %d: vs-upsert did not finish in 60 s" % run)
        else:
            time.sleep(rng.uniform(0, 0.1))
            p.kill()
            p.wait()
        t.join()  # the feeder ends on EPIPE, or ended
        out, err = p.stdout.read(), p.stderr.read()
        p.stdout.close()
        p.stderr.close()
        if p.returncode == -9:
            kills += 1
        elif p.returncode == 0:
            finished += 1
            if spared and json.loads(query(a.store, "--stats"))["pending"] != 0:
                fail("run %d finished, and left points pending" % run)
        else:
            fail("run %d: vs-upsert exit %d: %s" % (run, p.returncode, err.decode().strip()))
        for line in out.decode().splitlines():
            acked.add(line)
        if not acked and not os.path.exists(os.path.join(a.store, "manifest.json")):
            continue  # killed before it made the store: nothing to check yet
        # The store opens and answers.
        st = check_opens(a.store)
        pts = scan(a.store)
        if st["points"] != len(pts):
            fail("run %d: --stats says %d points, --scan gives %d" % (run, st["points"], len(pts)))
        missing = acked - set(pts)
        if missing:
            fail("run %d: %d acknowledged points are lost, e.g. %s" % (run, len(missing), sorted(missing)[:3]))
        batches = {}
        for pid, o in pts.items():
            r, j = (int(x) for x in pid[1:].split("-"))
            want = point(r, j)
            if not same_vector(o["vector"], want["vector"]) or o["metadata"] != want["metadata"]:
                fail("run %d: point %s is %s, it was sent as %s" % (run, pid, json.dumps(o), json.dumps(want)))
            batches.setdefault(want["metadata"]["batch"], []).append(pid)
        for b, ids in batches.items():
            if len(ids) != 10:
                fail("run %d: batch %s has %d of its 10 points: %s" % (run, b, len(ids), sorted(ids)))
    # A run that is not killed checkpoints everything.
    p = subprocess.run(["vs-upsert", "-q", "--store", a.store, "--batch", "10"], capture_output=True, text=True,
                       input="".join(json.dumps(point(a.runs, j)) + "\n" for j in range(20)))
    if p.returncode != 0:
        fail("the last run: exit %d: %s" % (p.returncode, p.stderr.strip()))
    st = check_opens(a.store)
    if st["pending"] != 0:
        fail("after a finished run %d points are still pending" % st["pending"])
    pts = scan(a.store, with_vector=False)
    if not acked <= set(pts) or "r%d-19" % a.runs not in pts:
        fail("after the last run points are missing")
    print("%d runs (%d killed, %d finished), %d points acknowledged, all there; %d in the store" %
          (a.runs, kills, finished, len(acked), st["points"]))


def reader(a):
    size = a.size
    errors = []
    stop = threading.Event()
    enough_reads = threading.Event()
    written = [0]

    def write():
        # At least --runs writer runs, and more until the reader has read
        # often enough to have overlapped them (a slow reader, as under the
        # sanitizers, would otherwise see the writes end first).
        try:
            run = 0
            while run < a.runs or (not enough_reads.is_set() and run < 20 * a.runs):
                text = "".join(json.dumps(point(run, j, size)) + "\n" for j in range(a.batches * size))
                p = subprocess.run(["vs-upsert", "-q", "--store", a.store, "--dim", str(DIM), "--metric", "dot",
                                    "--batch", str(size)], input=text, capture_output=True, text=True)
                if p.returncode != 0:
                    errors.append("writer run %d: exit %d: %s" % (run, p.returncode, p.stderr.strip()))
                    return
                run += 1
                written[0] = run
        finally:
            stop.set()

    # The store exists before the reader starts.
    subprocess.run(["vs-upsert", "-q", "--store", a.store, "--dim", str(DIM), "--metric", "dot"],
                   input=json.dumps({"id": "first", "vector": [1.0] * DIM, "metadata": {"batch": "first"}}),
                   text=True, check=True)
    t = threading.Thread(target=write)
    t.start()
    reads = 0
    seen_max = 0
    try:
        while not stop.is_set():
            pts = scan(a.store, with_vector=False)
            counts = {}
            for o in pts.values():
                b = o["metadata"]["batch"]
                counts[b] = counts.get(b, 0) + 1
            for b, c in counts.items():
                if b != "first" and c != size:
                    fail("read %d: batch %s has %d of its %d points" % (reads, b, c, size))
            check_opens(a.store)
            seen_max = max(seen_max, len(pts))
            reads += 1
            if reads >= 5:
                enough_reads.set()
    finally:
        t.join()
    if errors:
        fail(errors[0])
    total = len(scan(a.store, with_vector=False))
    if total != written[0] * a.batches * size + 1:
        fail("the store has %d points at the end, not %d" % (total, written[0] * a.batches * size + 1))
    if reads < 5:
        # The reader must have overlapped the writes to have tested anything.
        fail("only %d reads during the writes" % reads)
    print("%d reads during %d writer runs, whole batches only (at most %d points seen)" % (reads, written[0], seen_max))


def compact(a):
    rng = random.Random(a.seed)
    pts = [point(0, j) for j in range(3000)]
    text = "".join(json.dumps(p) + "\n" for p in pts)
    subprocess.run(["vs-upsert", "-q", "--store", a.store, "--dim", str(DIM), "--metric", "dot"], input=text,
                   text=True, check=True)
    gone = {p["id"] for p in pts if p["metadata"]["j"] % 2 == 0}
    subprocess.run(["vs-upsert", "-q", "--store", a.store, "--delete"], input="\n".join(sorted(gone)) + "\n",
                   text=True, check=True)
    live = {p["id"]: p for p in pts if p["id"] not in gone}
    before = json.loads(query(a.store, "--stats"))["bytes"]

    def check(when):
        st = check_opens(a.store)
        got = scan(a.store)
        if set(got) != set(live):
            fail("%s: %d points, %d expected; lost %s, back %s" % (when, len(got), len(live),
                                                                  sorted(set(live) - set(got))[:3],
                                                                  sorted(set(got) - set(live))[:3]))
        for pid, o in got.items():
            if not same_vector(o["vector"], live[pid]["vector"]) or o["metadata"] != live[pid]["metadata"]:
                fail("%s: point %s is %s" % (when, pid, json.dumps(o)))
        return st

    # How long an uninterrupted compaction takes here, to kill within it.
    t0 = time.monotonic()
    p = subprocess.run(["vs-upsert", "-q", "--store", a.store, "--compact"], capture_output=True, text=True)
    span = time.monotonic() - t0
    if p.returncode != 0:
        fail("--compact: exit %d: %s" % (p.returncode, p.stderr.strip()))
    check("after --compact")
    # Make garbage again, so that every compaction has work to do.
    kills = 0
    for i in range(a.kills):
        again = [p for p in pts if p["id"] in live][:200]
        subprocess.run(["vs-upsert", "-q", "--store", a.store], text=True, check=True,
                       input="".join(json.dumps(p) + "\n" for p in again))
        c = subprocess.Popen(["vs-upsert", "-q", "--store", a.store, "--compact"], stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0, span))
        c.kill()
        _, err = c.communicate()
        if c.returncode not in (0, -9):
            fail("--compact: exit %d: %s" % (c.returncode, err.decode().strip()))
        kills += c.returncode == -9
        check("after kill %d" % i)
    p = subprocess.run(["vs-upsert", "-q", "--store", a.store, "--compact"], capture_output=True, text=True)
    if p.returncode != 0:
        fail("the last --compact: exit %d: %s" % (p.returncode, p.stderr.strip()))
    st = check("after the last --compact")
    if st["bytes"] >= before:
        fail("--compact did not shrink the store: %d bytes before, %d after" % (before, st["bytes"]))
    print("%d of %d compactions killed (an uninterrupted one takes %.0f ms); every live point there each time" %
          (kills, a.kills, span * 1000))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    k = sub.add_parser("kill")
    k.add_argument("store")
    k.add_argument("--runs", type=int, default=50)
    k.add_argument("--seed", type=int, default=1)
    r = sub.add_parser("reader")
    r.add_argument("store")
    r.add_argument("--runs", type=int, default=10)
    r.add_argument("--batches", type=int, default=40)
    r.add_argument("--size", type=int, default=20)
    c = sub.add_parser("compact")
    c.add_argument("store")
    c.add_argument("--kills", type=int, default=8)
    c.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    {"kill": kill, "reader": reader, "compact": compact}[a.cmd](a)


if __name__ == "__main__":
    main()
