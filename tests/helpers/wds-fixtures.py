#!/usr/bin/python3
"""wds-fixtures.py DIR - build the WebDataset shards that tests/wds-cat.bats reads.

Python 3 standard library, GNU tar and bsdtar.  Everything lands under DIR
(created); the suite runs it once, in setup_file.  Shards whose layout the
tar CLIs can make are made by them (GNU tar --format=gnu/posix/ustar,
bsdtar --format pax/ustar) from a source tree with the member order given
explicitly (--no-recursion / -n); the rest by Python's tarfile.

  basic/s-00000{0,1,2}.tar  GNU tar: 2 samples each, keys sK-a and sK-b,
                            parts txt ("text of KEY"), json
                            ({"id":"KEY","n":I}), cls ("I"), in that order
  ten/t-{0..9}.tar          1 sample each: key tI, txt "tI"
  many/m-{0..3}.tar         25 samples each, keys mS-II (II = 00..24), txt = key
  big/big.tar               16 samples: bNN.bin (65536 random bytes), bNN.txt
                            (about 1.1 MB in all)
  grouping/g-{gnu,posix,ustar,bsd-pax,bsd-ustar}.tar
                            the grouping rules, see GROUPING below
  grouping/inside.tar       a skipped member (no dot) between two parts of one
                            sample
  long/long-{gnu,posix,bsd-pax}.tar
                            one member whose base name is 124 bytes long
                            (GNU longname / pax path)
  long/prefix-{ustar,bsd-ustar}.tar
                            a 145-byte path stored with the ustar prefix field
  order.tar                 a.txt, b.txt, a.json (tarfile)
  dup.tar                   a.txt, a.txt, b.txt (tarfile)
  empty.tar                 no member, just the end blocks
  bad/four.tar              GNU tar: samples q0..q3, each q.txt (1500 bytes of
                            hex) then q.json (about 1 KB)
  bad/trunc-data.tar        four.tar cut 100 bytes into the data of q1.json
  bad/trunc-hdr.tar         four.tar cut 200 bytes into the header of q1.json
  bad/bad-sum.tar           four.tar with a wrong checksum in q1.json's header
  bad/offsets               "q1.json HEADER_OFFSET" (the byte offset of that
                            member's header in four.tar)
  bad/trunc.tar.gz, bad/trunc.tar.zst
                            gzip / zstd of four.tar, cut to half their size
  comp/c.tar                a copy of basic/s-000000.tar, and the same
                            compressed: c.tar.gz c.tgz c.tar.zst c.tar.bz2
                            c.tar.xz; zst-named.tar.gz (zstd content) and
                            plain-named.tar.gz (a plain tar)
  sel/ks.tar                k0 {txt,cls}; k1 {text,cls}; k2 {text,txt,cls}
  sel/nocls.tar             n0 {txt,cls}; n1 {txt}; n2 {txt,cls}
  sel/utf8.tar              u0.txt "ok"; u1.txt b"\\xff\\xfe"; u2.txt "fine"
  sel/jsonbad.tar           j0.json {"a":1}; j1.json "{not json"; j2.json {"a":2}
  sel/fmt.tar               f0: json {"n":1,"tag":"x"}, txt "hello",
                            bin b"\\x00\\x01\\xff"
"""

import io
import json
import os
import random
import shutil
import subprocess
import sys
import tarfile

TOP = os.path.abspath(sys.argv[1])


def w(path, data):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def gnutar(out, src, names, fmt="gnu"):
    subprocess.run(["tar", "--format=" + fmt, "-cf", out, "-C", src,
                    "--no-recursion", "--"] + names, check=True)


def bsdtar(out, src, names, fmt):
    subprocess.run(["bsdtar", "--format", fmt, "-cf", out, "-C", src, "-n", "--"]
                   + names, check=True)


def pytar(out, members):
    """members: [(name, bytes)], in order, as regular files."""
    with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as t:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = 1700000000
            t.addfile(ti, io.BytesIO(data))


def src_tree(name, files):
    """A source directory of FILES [(relpath, bytes)]; returns its path."""
    d = os.path.join(TOP, "src", name)
    for rel, data in files:
        w(os.path.join(d, rel), data)
    return d


def main():
    os.makedirs(TOP, exist_ok=True)
    rnd = random.Random(1234)

    # basic: 3 shards of 2 samples
    for s in range(3):
        files, names = [], []
        for i, x in enumerate("ab"):
            k = "s%d-%s" % (s, x)
            n = 2 * s + i
            for ext, data in (("txt", "text of " + k),
                              ("json", json.dumps({"id": k, "n": n})),
                              ("cls", str(n))):
                files.append((k + "." + ext, data.encode()))
                names.append(k + "." + ext)
        d = src_tree("basic%d" % s, files)
        os.makedirs(os.path.join(TOP, "basic"), exist_ok=True)
        gnutar(os.path.join(TOP, "basic", "s-%06d.tar" % s), d, names)

    # ten: 10 shards of one sample
    os.makedirs(os.path.join(TOP, "ten"), exist_ok=True)
    for s in range(10):
        d = src_tree("ten%d" % s, [("t%d.txt" % s, b"t%d" % s)])
        gnutar(os.path.join(TOP, "ten", "t-%d.tar" % s), d, ["t%d.txt" % s])

    # many: 4 shards of 25 samples
    os.makedirs(os.path.join(TOP, "many"), exist_ok=True)
    for s in range(4):
        keys = ["m%d-%02d" % (s, i) for i in range(25)]
        d = src_tree("many%d" % s, [(k + ".txt", k.encode()) for k in keys])
        gnutar(os.path.join(TOP, "many", "m-%d.tar" % s), d, [k + ".txt" for k in keys])

    # big: about 1.1 MB
    files, names = [], []
    for i in range(16):
        k = "b%02d" % i
        files += [(k + ".bin", rnd.randbytes(65536)),
                  (k + ".txt", ("big sample %d" % i).encode())]
        names += [k + ".bin", k + ".txt"]
    d = src_tree("big", files)
    os.makedirs(os.path.join(TOP, "big"), exist_ok=True)
    gnutar(os.path.join(TOP, "big", "big.tar"), d, names)

    # grouping (GROUPING): member order as listed; expected samples:
    #   a/b/c {d.txt, json}, X {txt, cls}, v1.2/x {txt}, k {txt}
    d = src_tree("grouping", [
        ("a/b/c.d.txt", b"abc-d"),
        ("a/b/c.json", b'{"n":1}'),
        ("README", b"no dot: skipped"),
        ("X.TXT", b"upper"),
        ("X.Cls", b"7"),
        ("v1.2/x.txt", b"dotted dir"),
        (".hidden.txt", b"hidden: skipped"),
        ("sub/.hidden", b"hidden in a dir: skipped"),
        ("__meta__/x.txt", b"meta dir: skipped"),
        ("k.txt", b"k"),
    ])
    os.symlink("X.TXT", os.path.join(d, "link.txt"))
    os.link(os.path.join(d, "k.txt"), os.path.join(d, "kk.txt"))
    order = ["a/b/c.d.txt", "a/b/c.json", "README", "X.TXT", "X.Cls", "v1.2/x.txt",
             ".hidden.txt", "sub", "sub/.hidden", "__meta__/x.txt",
             "link.txt", "k.txt", "kk.txt"]
    g = os.path.join(TOP, "grouping")
    os.makedirs(g, exist_ok=True)
    for fmt in ("gnu", "posix", "ustar"):
        gnutar(os.path.join(g, "g-%s.tar" % fmt), d, order, fmt)
    for fmt in ("pax", "ustar"):
        bsdtar(os.path.join(g, "g-bsd-%s.tar" % fmt), d, order, fmt)
    d = src_tree("inside", [("i.txt", b"i-txt"), ("NOTES", b"skipped"), ("i.json", b"{}")])
    gnutar(os.path.join(g, "inside.tar"), d, ["i.txt", "NOTES", "i.json"])

    # long names
    base = "n" * 120
    d = src_tree("long", [("long/%s.x.txt" % base, b"long one")])
    lg = os.path.join(TOP, "long")
    os.makedirs(lg, exist_ok=True)
    gnutar(os.path.join(lg, "long-gnu.tar"), d, ["long/%s.x.txt" % base], "gnu")
    gnutar(os.path.join(lg, "long-posix.tar"), d, ["long/%s.x.txt" % base], "posix")
    bsdtar(os.path.join(lg, "long-bsd-pax.tar"), d, ["long/%s.x.txt" % base], "pax")
    pre = "p" * 80 + "/" + "q" * 60 + ".txt"
    d = src_tree("prefix", [(pre, b"prefixed")])
    gnutar(os.path.join(lg, "prefix-ustar.tar"), d, [pre], "ustar")
    bsdtar(os.path.join(lg, "prefix-bsd-ustar.tar"), d, [pre], "ustar")

    # tarfile-made oddities
    pytar(os.path.join(TOP, "order.tar"), [("a.txt", b"a1"), ("b.txt", b"b1"), ("a.json", b'{"a":2}')])
    pytar(os.path.join(TOP, "dup.tar"), [("a.txt", b"first"), ("a.txt", b"second"), ("b.txt", b"b")])
    subprocess.run(["tar", "-cf", os.path.join(TOP, "empty.tar"), "-T", "/dev/null"], check=True)

    # bad shards, from four.tar
    files, names = [], []
    for i in range(4):
        k = "q%d" % i
        files += [(k + ".txt", ("%x" % rnd.getrandbits(6000)).encode()[:1500]),
                  (k + ".json", json.dumps({"id": k, "pad": "%x" % rnd.getrandbits(4000)}).encode())]
        names += [k + ".txt", k + ".json"]
    d = src_tree("four", files)
    b = os.path.join(TOP, "bad")
    os.makedirs(b, exist_ok=True)
    four = os.path.join(b, "four.tar")
    gnutar(four, d, names)
    with tarfile.open(four) as t:
        m = t.getmember("q1.json")
        hdr, data_at = m.offset, m.offset_data
    raw = open(four, "rb").read()
    w(os.path.join(b, "offsets"), "q1.json %d\n" % hdr)
    w(os.path.join(b, "trunc-data.tar"), raw[:data_at + 100])
    w(os.path.join(b, "trunc-hdr.tar"), raw[:hdr + 200])
    bad = bytearray(raw)
    good_sum = int(bytes(bad[hdr + 148:hdr + 155]).strip(b"\0 ") or b"0", 8)
    bad[hdr + 148:hdr + 156] = b"%06o\0 " % ((good_sum + 1) & 0o777777)
    w(os.path.join(b, "bad-sum.tar"), bytes(bad))
    for ext, cmd in (("gz", ["gzip", "-9c"]), ("zst", ["zstd", "-19", "-qc"])):
        c = subprocess.run(cmd + [four], check=True, stdout=subprocess.PIPE).stdout
        w(os.path.join(b, "trunc.tar." + ext), c[:len(c) // 2])

    # compression
    c = os.path.join(TOP, "comp")
    os.makedirs(c, exist_ok=True)
    shutil.copy(os.path.join(TOP, "basic", "s-000000.tar"), os.path.join(c, "c.tar"))
    plain = os.path.join(c, "c.tar")
    for name, cmd in (("c.tar.gz", ["gzip", "-c"]), ("c.tgz", ["gzip", "-c"]),
                      ("c.tar.zst", ["zstd", "-qc"]), ("c.tar.bz2", ["bzip2", "-c"]),
                      ("c.tar.xz", ["xz", "-c"]), ("zst-named.tar.gz", ["zstd", "-qc"])):
        out = subprocess.run(cmd + [plain], check=True, stdout=subprocess.PIPE).stdout
        w(os.path.join(c, name), out)
    shutil.copy(plain, os.path.join(c, "plain-named.tar.gz"))

    # key selection, decoding, --format json
    s = os.path.join(TOP, "sel")
    os.makedirs(s, exist_ok=True)
    pytar(os.path.join(s, "ks.tar"), [
        ("k0.txt", b"zero"), ("k0.cls", b"0"),
        ("k1.text", b"one"), ("k1.cls", b"1"),
        ("k2.text", b"two-text"), ("k2.txt", b"two-txt"), ("k2.cls", b"2")])
    pytar(os.path.join(s, "nocls.tar"), [
        ("n0.txt", b"n0"), ("n0.cls", b"0"), ("n1.txt", b"n1"),
        ("n2.txt", b"n2"), ("n2.cls", b"2")])
    pytar(os.path.join(s, "utf8.tar"), [("u0.txt", b"ok"), ("u1.txt", b"\xff\xfe"), ("u2.txt", b"fine")])
    pytar(os.path.join(s, "jsonbad.tar"), [("j0.json", b'{"a":1}'), ("j1.json", b"{not json"),
                                           ("j2.json", b'{"a":2}')])
    pytar(os.path.join(s, "fmt.tar"), [("f0.json", b'{"n":1,"tag":"x"}'), ("f0.txt", b"hello"),
                                       ("f0.bin", b"\x00\x01\xff")])
    shutil.rmtree(os.path.join(TOP, "src"))


if __name__ == "__main__":
    main()
