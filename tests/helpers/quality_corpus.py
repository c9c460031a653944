"""quality_corpus.py OUTDIR - documents built to sit just inside and just
outside each threshold of each rule of datatrove's quality filters, each
with the decision the rule must give, for tests/quality.bats.

Writes, per group of cases run with the same filter arguments, OUTDIR/NAME.args
(the arguments, one a line), OUTDIR/NAME.docs (the documents, each followed
by a NUL) and OUTDIR/NAME.expected (one decision a line, as quality-check
prints them).  The decisions here are worked out by hand from the rules, so
an oracle that got a rule wrong fails as well as the C code.

Words are lowercase letters separated by single spaces and marks stand
alone (" . ", " # "), so the decisions hold for whitespace splitting and
for spaCy's tokenizer alike; the places that depend on sentence splitting
say so.
"""
import os
import sys


def uw(i, width=4):
    """The i-th unique word: width letters from 'q' + base 26 of i, never a
    stop word nor a prefix of a rule's keyword."""
    s = ""
    for _ in range(width - 1):
        s = chr(ord("a") + i % 26) + s
        i //= 26
    return "q" + s


def words(start, n, width=4):
    return [uw(start + k, width) for k in range(n)]


def pad_to(text, length, start):
    """text + " " + unique words (and one shorter one) to exactly `length`
    code points."""
    need = length - len(text)
    assert need >= 0, (need, text)
    out, k = text, start
    while need > 0:
        if need >= 10:  # " " + 4 letters, leaving at least 5
            w = uw(k)
        else:
            w = uw(k, need - 1) if need >= 3 else None
            if w is None:  # 1 or 2 left: lengthen the text's last word
                out = out + "x" * need
                break
        out += " " + w
        need -= len(w) + 1
        k += 1
    assert len(out) == length, (len(out), length)
    return out


GROUPS = {}


def case(group, args, doc, expected):
    g = GROUPS.setdefault(group, (args, []))
    assert g[0] == args
    g[1].append((doc, expected))


def gopher_quality():
    A = ["--gopher-quality"]
    G = "gopher-quality"
    stop = ["the", "and"]
    # 50 non-symbol words keep, 49 are short (stop words included).
    case(G, A, " ".join(stop + words(0, 48)), "keep")
    case(G, A, " ".join(stop + words(0, 47)), f"{G}/gopher_short_doc")
    # Symbol-only words do not count towards the 50.
    case(G, A, " ".join(stop + words(0, 47) + ["--", "!!"]), f"{G}/gopher_short_doc")
    # 100000 words keep, 100001 are long.
    case(G, A, " ".join(stop + words(1000, 99998)), "keep")
    case(G, A, " ".join(stop + words(1000, 99999)), f"{G}/gopher_long_doc")
    # Mean word length: 60 words; "the"/"and" are 3; 4-letter words 4.
    three = ["the", "and"] + [uw(k, 3) for k in range(58)]
    case(G, A, " ".join(three), "keep")  # mean exactly 3
    case(G, A, " ".join(three[:-1] + ["qa"]), f"{G}/gopher_below_avg_threshold")
    ten = ["the", "and"] + words(0, 52, 10) + words(100, 6, 13)  # (6 + 520 + 78) / 60 = 10.07
    case(G, A, " ".join(ten), f"{G}/gopher_above_avg_threshold")
    ten = ["the", "and"] + words(0, 52, 10) + words(100, 4, 13) + words(200, 2, 11)  # 600 / 60
    case(G, A, " ".join(ten), "keep")
    # '#' per word: 54 words and 6 "#" are 0.1 exactly; 7 are over.
    base = stop + words(0, 52)
    case(G, A, " ".join(base + ["#"] * 6), "keep")
    case(G, A, " ".join(base + ["#"] * 7), f"{G}/gopher_too_many_hashes")
    # ellipses: "..." and "…" both count, mid-line.
    case(G, A, " ".join(base[:20] + ["...", "\u2026"] * 3 + base[20:]), "keep")
    case(G, A, " ".join(base[:20] + ["...", "\u2026"] * 3 + ["..."] + base[20:]),
         f"{G}/gopher_too_many_ellipsis")
    # "...." counts once, as str.count does: 6 of them and one "...." are 0.1
    case(G, A, " ".join(base[:20] + ["..."] * 5 + ["...."] + base[20:]), "keep")
    # Bullet lines: 9 of 10 is 0.9 (keeps), 19 of 20 is over.  Leading
    # spaces are stripped first; "•" counts like "-".
    lines = [" ".join(words(10 * k, 8)) for k in range(20)]
    doc = [("  - " if k % 2 else "\u2022 ") + ln if k < 9 else ln for k, ln in enumerate(lines[:10])]
    case(G, A, "the and\n" + "\n".join(doc), "keep")  # 9 of 11
    doc = [("- " + ln) for ln in lines[:19]] + [lines[19] + " the and"]
    case(G, A, "\n".join(doc), f"{G}/gopher_too_many_bullets")
    doc = [("- " + ln) for ln in lines[:9]] + [lines[9] + " the and"]
    case(G, A, "\n".join(doc), "keep")  # 9 of 10: not over 0.9
    # Lines ending in an ellipsis (trailing spaces stripped): 3 of 10 keep.
    doc = [ln + (" ...  " if k < 3 else "") for k, ln in enumerate(lines[:10])]
    case(G, A, "the and " + "\n".join(doc), "keep")
    doc = [ln + (" \u2026" if k < 4 else "") for k, ln in enumerate(lines[:10])]
    case(G, A, "the and " + "\n".join(doc), f"{G}/gopher_too_many_end_ellipsis")
    # \r and \x0b end lines for str.splitlines(): 4 of 10 lines now end so.
    doc = "\r\n".join(lines[:3]) + "\x0b" + "\n".join(lines[3:10])
    doc = doc.replace(lines[0], lines[0] + " ...").replace(lines[1], lines[1] + " ...")
    doc = doc.replace(lines[2], lines[2] + " ...").replace(lines[3], lines[3] + " ...")
    case(G, A, "the and " + doc, f"{G}/gopher_too_many_end_ellipsis")
    # Words with a letter: 80 of 100 keep, 79 drop (numbers are not symbols).
    nums = [str(10 + k) for k in range(21)]
    case(G, A, " ".join(stop + words(0, 78) + nums[:20]), "keep")
    case(G, A, " ".join(stop + words(0, 77) + nums[:21]), f"{G}/gopher_below_alpha_threshold")
    # Stop words: two distinct keep; one twice, or capitalised, do not.
    case(G, A, " ".join(["the"] + words(0, 60) + ["the"]), f"{G}/gopher_enough_stop_words")
    case(G, A, " ".join(["The", "And"] + words(0, 60)), f"{G}/gopher_enough_stop_words")
    case(G, A, " ".join(["with"] + words(0, 60) + ["have"]), "keep")


def gopher_repetition():
    # The paragraph and line rules alone: with n-grams off, as any text
    # under about 120 characters has a 4-gram over 0.16 of it.
    A = ["--gopher-repetition=top_n_grams=,dup_n_grams="]
    G = "gopher-repetition-lines"
    R = "gopher-repetition"
    # Paragraphs: of 10, 3 repeating an earlier one (0.3) keep; 4 drop.
    paras = [" ".join(words(20 * k, 12)) for k in range(10)]
    dup = "qq"
    case(G, A, "\n\n".join(paras[:6] + [dup] * 4), "keep")
    case(G, A, "\n\n".join(paras[:5] + [dup] * 5), f"{R}/dup_para_frac")
    # Leading/trailing whitespace is stripped before the paragraph split,
    # and \n\n\n is one separator, so the paragraphs pass; the line split
    # keeps the empty first and last lines, one a repeat: 4 of 12 drop.
    case(G, A, "\n\n\n" + "\n\n\n".join(paras[:6] + [dup] * 4) + "\n\n", f"{R}/dup_line_frac")
    # Paragraph characters: a repeated 20-letter word over 100 characters
    # is 0.2 (keeps); over 99, drops.
    b = "q" + "b" * 19
    for total, want in ((100, "keep"), (99, f"{R}/dup_para_char_frac")):
        first = pad_to("qaaa", 20, 600)
        second = pad_to("qbbb", total - len(first) - 2 * len(b) - 6, 700)
        doc = "\n\n".join([first, second, b, b])
        assert len(doc) == total
        case(G, A, doc, want.replace(G, R))
    # Lines (split on runs of \n, empty ones kept): 10 lines, 3 repeats keep.
    lines = [" ".join(words(20 * k, 12)) for k in range(10)]
    case(G, A, "\n".join(lines[:6] + [dup] * 4), "keep")
    case(G, A, "\n".join(lines[:5] + [dup] * 5), f"{R}/dup_line_frac")
    # A leading and a trailing newline are two empty lines, one a repeat:
    # 2 of 7 keep, 3 of 9 drop.
    case(G, A, "\n".join(lines[:4] + [dup] * 3), "keep")
    case(G, A, "\n" + "\n".join(lines[:4] + [dup] * 3) + "\n", f"{R}/dup_line_frac")
    # Line characters.
    for total, want in ((100, "keep"), (99, f"{R}/dup_line_char_frac")):
        first = pad_to("qaaa", 20, 600)
        second = pad_to("qbbb", total - len(first) - 2 * len(b) - 3, 700)
        doc = "\n".join([first, second, b, b])
        assert len(doc) == total
        case(G, A, doc, want)
    A = ["--gopher-repetition"]
    G = "gopher-repetition"
    # Top 2-gram: "qaa qbb" (7 characters) four times in 140 is 0.2.
    pair = "qaa qbb"
    for total, want in ((140, "keep"), (139, f"{G}/top_2_gram")):
        core = " ".join([pair, uw(1), pair, uw(2), pair, uw(3), pair])
        case(G, A, pad_to(core, total, 800), want)
    # Ties go to the first seen: "qa qb" x3 (15) before "qcccccc qdddddd" x3
    # (45) in 200 characters keeps, though the second alone would drop.
    core = " ".join(["qa qb", uw(1), "qa qb", uw(2), "qa qb", "qcccccc qdddddd", uw(3),
                     "qcccccc qdddddd", uw(4), "qcccccc qdddddd"])
    case(G, A, pad_to(core, 200, 900), "keep")
    core = " ".join(["qcccccc qdddddd", uw(3), "qcccccc qdddddd", uw(4), "qcccccc qdddddd",
                     "qa qb", uw(1), "qa qb", uw(2), "qa qb"])
    case(G, A, pad_to(core, 200, 900), f"{G}/top_2_gram")
    # Top 3-gram (0.18): "qa qb qc" (8) x3 = 24 in 133.33: 24/134 keeps,
    # 24/133 drops; its 2-grams (5 x3 = 15) stay under 0.2.
    tri = "qa qb qc"
    for total, want in ((134, "keep"), (133, f"{G}/top_3_gram")):
        core = " ".join([tri, uw(1), tri, uw(2), tri])
        case(G, A, pad_to(core, total, 1000), want)
    # Top 4-gram (0.16): "qa qb qc qd" (11) x2 = 22: 22/138 keeps, 22/137 drops.
    quad = "qa qb qc qd"
    for total, want in ((138, "keep"), (137, f"{G}/top_4_gram")):
        core = " ".join([quad, uw(1), quad])
        case(G, A, pad_to(core, total, 1100), want)
    # Duplicated n-grams compare "".join of the words: the same letters cut
    # into words differently repeat, though no word n-gram does.
    seqs = {5: ["qab", "cde", "fgh", "ijk", "lmn"], 6: ["qab", "cde", "fgh", "ijk", "lmn", "opr"],
            7: ["qab", "cde", "fgh", "ijk", "lmn", "opr", "stu"],
            8: ["qab", "cde", "fgh", "ijk", "lmn", "opr", "stu", "vwx"],
            9: ["qab", "cde", "fgh", "ijk", "lmn", "opr", "stu", "vwx", "yzq"],
            10: ["qab", "cde", "fgh", "ijk", "lmn", "opr", "stu", "vwx", "yzq", "rst"]}
    # 4-letter words make 19-character 4-grams, over 0.16 of these texts:
    # the top n-grams are off here.
    A = ["--gopher-repetition=top_n_grams="]
    G = "gopher-repetition-dup"
    fracs = {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10}
    for n, seq in seqs.items():
        letters = "".join(seq)
        recut = [letters[:4]] + [letters[4 + 3 * k:7 + 3 * k] for k in range(n - 2)] + [letters[4 + 3 * (n - 2):]]
        assert "".join(recut) == letters and len(recut) == n
        rep = len(letters)  # characters of the one repeat
        total = int(rep / fracs[n]) + 1  # smallest length keeping
        while rep / (total - 1) <= fracs[n]:
            total -= 1
        for t, want in ((total, "keep"), (total - 1, f"{R}/duplicated_{n}_n_grams")):
            core = " ".join(seq + [uw(1)] + recut)
            case(G, A, pad_to(core, t, 1200), want)
    case(G, A, "", "keep")  # no words, no characters: nothing to divide


def c4():
    A = ["--c4"]
    G = "c4"
    # One sentence a line (spaCy's sentencizer agrees: one terminal mark at
    # the end of each line).
    s = [" ".join(words(10 * k, 5)) + " ." for k in range(8)]
    case(G, A, "\n".join(s[:5]), "keep")
    case(G, A, "\n".join(s[:4]), f"{G}/too_few_sentences")
    # Dropped lines: no terminal mark, an ellipsis, under 3 words, a word
    # over 1000 characters, javascript, a policy phrase; the rest kept,
    # stripped, citations removed.
    doc = "\n".join([
        "  " + s[0] + "  ", "no terminal mark here", s[1][:-2] + " ...", "qa qb.",
        s[2][:-1] + "q" * 1001 + " .", "Please enable JavaScript in your browser .",
        "We use cookies on this site .", "Read the Privacy Policy first .",
        s[3][:-2] + "[1] [edit] x[citation needed] .", s[4], s[5] + " [12]", s[6] + '"', s[7] + "'",
    ])
    kept = [s[0], s[3][:-2] + "  x .", s[4], s[6] + '"', s[7] + "'"]
    case(G, A, doc, "keep\t" + "\\n".join(kept))
    # A citation at the end leaves a space: the line no longer ends in a mark.
    case(G, A, "\n".join(s[:4] + [s[4] + " [3]"]), f"{G}/too_few_sentences")
    # "lorem ipsum" in any case drops the document; so does "{" - but only on
    # lines that got that far.
    case(G, A, "\n".join(s[:6] + ["Lorem Ipsum dolor sit ."]), f"{G}/lorem_ipsum")
    case(G, A, "\n".join(s[:6] + ["some { brace here ."]), f"{G}/curly_bracket")
    case(G, A, "\n".join(s[:6] + ["some { brace here"]), "keep\t" + "\\n".join(s[:6]))
    case(G, A, "\n".join(s[:6] + ["lorem ipsum"]), "keep\t" + "\\n".join(s[:6]))
    # The Kelvin sign lowers to "k": "uses coo\u212aies" is a policy line.
    case(G, A, "\n".join(s[:6] + ["this site uses coo\u212aies ."]), "keep\t" + "\\n".join(s[:6]))
    # U+0130 lowers to "i" and a combining dot: no "javascript" then.
    case(G, A, "\n".join(s[:5] + ["JAVASCR\u0130PT is here ."]), "keep")
    # str.splitlines() line ends: \r, \x0b, \x0c, \x1c, U+2028 split too.
    case(G, A, "\r".join(s[:2]) + "\x0c" + s[2] + "\u2028" + s[3] + "\x1c" + s[4], "keep\t" + "\\n".join(s[:5]))
    # A word of exactly 1000 characters stays.
    case(G, A, "\n".join(s[:4] + ["qa qb " + "q" * 1000 + " ."]), "keep")


def fineweb():
    A = ["--fineweb"]
    G = "fineweb"
    case(G, A, " \n\t\n  ", f"{G}/empty")
    case(G, A, "", f"{G}/empty")
    # Lines over 30 characters, 8 words; 3 of 25 ending in "." is 0.12.
    long_lines = [" ".join(words(10 * k, 7)) + " qzzzz" for k in range(100)]  # 39 chars
    for marks, want in ((3, "keep"), (2, f"{G}/line_punct_ratio")):
        doc = [ln + (" ." if k < marks else "") for k, ln in enumerate(long_lines[:25])]
        case(G, A, "\n".join(doc), want)
    # Any terminal mark of datatrove's set counts; a trailing space hides it.
    doc = [ln + (" \u3002" if k < 2 else " \u0964" if k < 3 else "") for k, ln in enumerate(long_lines[:25])]
    case(G, A, "\n".join(doc), "keep")
    doc = [ln + (" ." if k < 2 else " . " if k < 3 else "") for k, ln in enumerate(long_lines[:25])]
    case(G, A, "\n".join(doc), f"{G}/line_punct_ratio")
    # Short lines (30 characters or fewer): 67 of 100 keep, 68 drop.
    short = [" ".join(words(2000 + 10 * k, 5)) + "qqqq ." for k in range(100)]  # 30
    assert all(len(x) == 30 for x in short)
    longer = [x[:-2] + "q ." for x in short]
    for n_short, want in ((67, "keep"), (68, f"{G}/short_line_ratio")):
        doc = short[:n_short] + [ln + " ." for ln in long_lines[:100 - n_short]]
        case(G, A, "\n".join(doc), want)
    case(G, A, "\n".join(longer[:90] + short[:10]), "keep")
    # Duplicate line characters: a repeated 42-character line in 4200
    # characters (newlines not counted) is 0.01, in 4199 over.
    rep = long_lines[99] + " ."
    assert len(rep) == 42
    for total, want in ((4200, "keep"), (4199, f"{G}/char_dup_ratio")):
        fill, rest = divmod(total - 2 * len(rep), len(rep))
        body = [long_lines[k] + " ." for k in range(fill)]
        if rest:
            body.append(pad_to("qabc", rest - 2, 9000) + " .")
        body = [rep] + body + [rep]
        assert sum(map(len, body)) == total, (sum(map(len, body)), total)
        case(G, A, "\n".join(body), want)
    # Newlines per word: 3 in 10 words is 0.3 (keeps), in 9 over.
    ln = ["qaaaaaaaaaaa qbbbbbbbbbbb qccccccccccc .", "qdddddddddddd qeeeeeeeeeeee qfffffffffff .",
          "qgggggggggggg qhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh .", ]
    case(G, A, "\n".join(ln) + "\n", "keep")  # 3 newlines, 11 words
    case(G, A, "\n".join(ln) + "\n\n", f"{G}/list_ratio")  # 4 in 11
    case(G, A, "\n".join(ln[:2] + [ln[2].replace(" .", "") + " ."]) + "\nqzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz .", "keep")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    gopher_quality()
    gopher_repetition()
    c4()
    fineweb()
    for name, (args, cases) in GROUPS.items():
        with open(os.path.join(out, name + ".args"), "w") as f:
            f.write("".join(a + "\n" for a in args))
        with open(os.path.join(out, name + ".docs"), "wb") as f:
            f.write(b"".join(d.encode() + b"\0" for d, _ in cases))
        with open(os.path.join(out, name + ".expected"), "wb") as f:
            f.write(b"".join(e.encode() + b"\n" for _, e in cases))


if __name__ == "__main__":
    main()
