"""decontam_oracle.py - benchmark decontamination as decontam.h words it,
written from the header alone, for tests/decontam.bats.

    decontam_oracle.py match EVAL DOCS NGRAM
        for each line of DOCS, the evaluation line (0-based) it shares a span
        with, or -1; on stderr "texts N spans M"
    decontam_oracle.py gen EVAL DOCS NGRAM SEED [--ragged]
        random evaluation texts (long and short) and documents with some of
        their spans planted; --ragged separates words by runs of mixed
        ASCII white space, with some at the ends

Spans are compared as the words joined by single spaces (the header's
keys are hashes of exactly that string), so no hash is needed here.
"""
import random
import sys


def words(line):
    # bytes.split() with no argument splits on runs of ASCII white space:
    # space, \t, \n, \v, \f, \r, as minhash.h defines a word.
    return line.split()


def spans_of(eval_lines, ngram):
    """(first record of each joined span, the span lengths present)."""
    first = {}
    lengths = set()
    for record, line in enumerate(eval_lines):
        w = words(line)
        if not w:
            continue
        k = min(len(w), ngram)
        lengths.add(k)
        for start in range(len(w) - k + 1):
            first.setdefault(b" ".join(w[start:start + k]), record)
    return first, sorted(lengths, reverse=True)


def match(first, lengths, doc):
    w = words(doc)
    for start in range(len(w)):
        for k in lengths:  # at one start, the longest span first
            if start + k <= len(w):
                record = first.get(b" ".join(w[start:start + k]))
                if record is not None:
                    return record
    return -1


def read_lines(path):
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def cmd_match(eval_path, docs_path, ngram):
    eval_lines = read_lines(eval_path)
    first, lengths = spans_of(eval_lines, ngram)
    out = sys.stdout
    for doc in read_lines(docs_path):
        out.write("%d\n" % match(first, lengths, doc))
    sys.stderr.write("texts %d spans %d\n" % (len(eval_lines), len(first)))


def cmd_gen(eval_path, docs_path, ngram, seed, ragged):
    r = random.Random(seed)
    # A small vocabulary, so spans also recur by chance; a few UTF-8 words.
    vocab = ["w%d" % i for i in range(400)] + ["é", "日本", "x-y", "a.b"]
    seps = [b" ", b"\t", b"  ", b"\r", b"\x0b", b"\x0c", b" \t "]

    def join(ws):
        if not ragged:
            return b" ".join(ws)
        out = r.choice([b"", b" ", b"\t "])
        for i, w in enumerate(ws):
            if i:
                out += r.choice(seps)
            out += w
        return out + r.choice([b"", b" ", b"\r"])

    def rand_words(n):
        return [r.choice(vocab).encode() for _ in range(n)]

    evals = []
    for _ in range(120):
        kind = r.random()
        if kind < 0.6:
            evals.append(rand_words(r.randint(ngram, 3 * ngram)))
        elif kind < 0.95:
            evals.append(rand_words(r.randint(1, max(1, ngram - 1))))
        else:
            evals.append([])
    # Repeated evaluation texts and shared spans, for the lowest-index rule.
    for _ in range(10):
        i, j = r.randrange(len(evals)), r.randrange(len(evals))
        evals[j] = list(evals[i])
    docs = []
    for _ in range(400):
        doc = rand_words(r.randint(0, 60))
        for _ in range(r.choice([0, 0, 1, 2, 3])):
            src = evals[r.randrange(len(evals))]
            if not src:
                continue
            k = min(len(src), ngram)
            start = r.randint(0, len(src) - k)
            # Sometimes one word short of a span: must not match by it.
            piece = src[start:start + k - (1 if r.random() < 0.2 and k > 1 else 0)]
            at = r.randint(0, len(doc))
            doc[at:at] = piece
        docs.append(doc)
    with open(eval_path, "wb") as f:
        f.write(b"".join(join(e) + b"\n" for e in evals))
    with open(docs_path, "wb") as f:
        f.write(b"".join(join(d) + b"\n" for d in docs))


def main():
    if sys.argv[1] == "match":
        cmd_match(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "gen":
        cmd_gen(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]),
                "--ragged" in sys.argv[6:])
    else:
        sys.exit("usage: decontam_oracle.py match|gen ...")


if __name__ == "__main__":
    main()
