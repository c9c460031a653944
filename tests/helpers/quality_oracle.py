"""quality_oracle.py - the test oracle for text/quality.h: datatrove's four
quality filters (Gopher repetition, Gopher quality, C4 quality, FineWeb
quality) written again in plain Python from the rules in datatrove's source,
with its defaults and reason strings, and words and sentences from
spacy_en.py where datatrove calls its word tokenizer.

    quality_oracle.py [--FILTER[=PARAMS]]... [--quiet] [--time] < DOCS

Same arguments, input (NUL-separated documents) and output (one line each:
"keep", "keep\\tTEXT" when C4 rewrote the text, or "FILTER/REASON") as
tests/helpers/quality-check.  Where datatrove divides by zero (and raises),
the check passes, as quality.h documents.
"""
import collections
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import spacy_en  # noqa: E402

# datatrove's PUNCTUATION_SET: ASCII marks, control characters (but tab
# and newline), and these.
_OTHER_PUNCT = [
    0xAB, 0xB4, 0xBB, 0x2013, 0x2014, 0x2019, 0x201C, 0x201D, 0x201E, 0x2026, 0x2236, 0x2501,
    0x25BA, 0x3001, 0x3002, 0x3008, 0x3009, 0x300A, 0x300B, 0x300C, 0x300D, 0x3010, 0x3011,
    0xFF01, 0xFF05, 0xFF08, 0xFF09, 0xFF0C, 0xFF0E, 0xFF11, 0xFF1A, 0xFF1B, 0xFF1F, 0xFF5E,
]
TERMINAL = frozenset(chr(c) for c in [
    0x21, 0x2E, 0x3F, 0x589, 0x61D, 0x61E, 0x61F, 0x6D4, 0x700, 0x701, 0x702, 0x7F9, 0x837,
    0x839, 0x83D, 0x83E, 0x964, 0x965, 0x104A, 0x104B, 0x1362, 0x1367, 0x1368, 0x166E, 0x1735,
    0x1736, 0x17D4, 0x17D5, 0x17D6, 0x17D9, 0x17DA, 0x1803, 0x1809, 0x1944, 0x1945, 0x1AA8,
    0x1AA9, 0x1AAA, 0x1AAB, 0x1B5A, 0x1B5B, 0x1B5E, 0x1B5F, 0x1B7D, 0x1B7E, 0x1C3B, 0x1C3C,
    0x1C7E, 0x1C7F, 0x203C, 0x203D, 0x2047, 0x2048, 0x2049, 0x2E2E, 0x2E3C, 0x2E53, 0x2E54,
    0x3002, 0xA4FF, 0xA60E, 0xA60F, 0xA6F3, 0xA6F7, 0xA876, 0xA877, 0xA8CE, 0xA8CF, 0xA92F,
    0xA9C8, 0xA9C9, 0xAA5D, 0xAA5E, 0xAA5F, 0xAAF0, 0xAAF1, 0xABEB, 0xFE52, 0xFE56, 0xFE57,
    0xFF01, 0xFF0E, 0xFF1F, 0xFF61, 0x10A56, 0x10A57, 0x10F55, 0x10F56, 0x10F57, 0x10F58,
    0x10F59, 0x10F86, 0x10F87, 0x10F88, 0x10F89, 0x11047, 0x11048, 0x110BE, 0x110BF, 0x110C0,
    0x110C1, 0x11141, 0x11142, 0x11143, 0x111C5, 0x111C6, 0x111CD, 0x111DE, 0x111DF, 0x11238,
    0x11239, 0x1123B, 0x1123C, 0x112A9, 0x1144B, 0x1144C, 0x115C2, 0x115C3, 0x115C9, 0x115CA,
    0x115CB, 0x115CC, 0x115CD, 0x115CE, 0x115CF, 0x115D0, 0x115D1, 0x115D2, 0x115D3, 0x115D4,
    0x115D5, 0x115D6, 0x115D7, 0x11641, 0x11642, 0x1173C, 0x1173D, 0x1173E, 0x11944, 0x11946,
    0x11A42, 0x11A43, 0x11A9B, 0x11A9C, 0x11C41, 0x11C42, 0x11EF7, 0x11EF8, 0x11F43, 0x11F44,
    0x16A6E, 0x16A6F, 0x16AF5, 0x16B37, 0x16B38, 0x16B44, 0x16E98, 0x1BC9F, 0x1DA88,
])
PUNCT = frozenset(
    [chr(c) for c in range(0x21, 0x7F) if not chr(c).isalnum()]
    + [chr(c) for c in range(0, 32) if c not in (9, 10)]
    + [chr(c) for c in range(0x7F, 0xA0)]
    + [chr(c) for c in _OTHER_PUNCT]
) | TERMINAL

GQ_STOP_WORDS = ["the", "be", "to", "of", "and", "that", "have", "with"]
POLICY = ["terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies",
          "use cookies"]
CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")


def above(a, b, t):
    """a / b > t, with a zero b passing (datatrove would raise)."""
    return b != 0 and a / b > t


def below(a, b, t):
    return b != 0 and a / b < t


DEFAULTS = {
    "gopher-repetition": dict(dup_line_frac=0.3, dup_para_frac=0.3, dup_line_char_frac=0.2,
                              dup_para_char_frac=0.2, top_n_grams=[(2, 0.2), (3, 0.18), (4, 0.16)],
                              dup_n_grams=[(5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11),
                                           (10, 0.10)]),
    "gopher-quality": dict(min_doc_words=50, max_doc_words=100000, min_avg_word_length=3,
                           max_avg_word_length=10, max_symbol_word_ratio=0.1,
                           max_bullet_lines_ratio=0.9, max_ellipsis_lines_ratio=0.3,
                           max_non_alpha_words_ratio=0.8, min_stop_words=2, stop_words=GQ_STOP_WORDS),
    "c4": dict(split_paragraph=True, remove_citations=True, filter_no_terminal_punct=True,
               min_num_sentences=5, min_words_per_line=3, max_word_length=1000,
               filter_lorem_ipsum=True, filter_javascript=True, filter_curly_bracket=True,
               filter_policy=True),
    "fineweb": dict(line_punct_thr=0.12, line_punct_exclude_zero=False, stop_chars=None,
                    short_line_thr=0.67, short_line_length=30, char_duplicates_ratio=0.01,
                    new_line_ratio=0.3),
}


def count_dups(items):
    """(repeated items, their characters) - each item after its first."""
    seen, n, chars = set(), 0, 0
    for it in items:
        if it in seen:
            n += 1
            chars += len(it)
        else:
            seen.add(it)
    return n, chars


def gopher_repetition(p, text):
    paras = re.split(r"\n\n+", text.strip())
    n, chars = count_dups(paras)
    if p["dup_para_frac"] and above(n, len(paras), p["dup_para_frac"]):
        return "dup_para_frac"
    if p["dup_para_char_frac"] and above(chars, len(text), p["dup_para_char_frac"]):
        return "dup_para_char_frac"
    lines = re.split(r"\n+", text)
    n, chars = count_dups(lines)
    if p["dup_line_frac"] and above(n, len(lines), p["dup_line_frac"]):
        return "dup_line_frac"
    if p["dup_line_char_frac"] and above(chars, len(text), p["dup_line_char_frac"]):
        return "dup_line_char_frac"
    words = spacy_en.words(text)
    for n, frac in p["top_n_grams"]:
        grams = [" ".join(words[i:i + n]) for i in range(len(words) - n + 1)]
        if not grams:
            continue
        counts = {}
        for g in grams:
            counts[g] = counts.get(g, 0) + 1
        best = max(counts.values())
        first = next(g for g in counts if counts[g] == best)  # dicts keep first-seen order
        if above(len(first) * best, len(text), frac):
            return f"top_{n}_gram"
    for n, frac in p["dup_n_grams"]:
        seen, rep, i = set(), 0, 0
        while i + n <= len(words):
            g = "".join(words[i:i + n])
            if g in seen:
                rep += len(g)
                i += n
            else:
                seen.add(g)
                i += 1
        if above(rep, len(text), frac):
            return f"duplicated_{n}_n_grams"
    return None


def gopher_quality(p, text):
    words = spacy_en.words(text)
    kept = [w for w in words if any(c not in PUNCT for c in w)]
    if p["min_doc_words"] and len(kept) < p["min_doc_words"]:
        return "gopher_short_doc"
    if p["max_doc_words"] and len(kept) > p["max_doc_words"]:
        return "gopher_long_doc"
    total = sum(len(w) for w in kept)
    if p["min_avg_word_length"] and below(total, len(kept), p["min_avg_word_length"]):
        return "gopher_below_avg_threshold"
    if p["max_avg_word_length"] and above(total, len(kept), p["max_avg_word_length"]):
        return "gopher_above_avg_threshold"
    r = p["max_symbol_word_ratio"]
    if r and above(text.count("#"), len(words), r):
        return "gopher_too_many_hashes"
    if r and above(text.count("...") + text.count("\u2026"), len(words), r):
        return "gopher_too_many_ellipsis"
    lines = text.splitlines()
    bullets = sum(1 for ln in lines if ln.lstrip()[:1] in ("\u2022", "-"))
    ends = sum(1 for ln in lines if ln.rstrip().endswith(("...", "\u2026")))
    if p["max_bullet_lines_ratio"] and above(bullets, len(lines), p["max_bullet_lines_ratio"]):
        return "gopher_too_many_bullets"
    if p["max_ellipsis_lines_ratio"] and above(ends, len(lines), p["max_ellipsis_lines_ratio"]):
        return "gopher_too_many_end_ellipsis"
    alpha = sum(1 for w in words if any(c.isalpha() for c in w))
    if p["max_non_alpha_words_ratio"] and below(alpha, len(words), p["max_non_alpha_words_ratio"]):
        return "gopher_below_alpha_threshold"
    if p["min_stop_words"] and len(set(p["stop_words"]) & set(words)) < p["min_stop_words"]:
        return "gopher_enough_stop_words"
    return None


def n_sentences(text):
    # split_into_sentences yields one piece per sentence, and the whole
    # text as one piece when it finds none.
    return max(1, len(spacy_en.sentences(text)))


def c4(p, text):
    """(reason, text as rewritten)."""
    lines = text.splitlines() if p["split_paragraph"] else spacy_en.sentences(text)
    if not p["split_paragraph"] and not lines:
        lines = [text]
    sentences, kept = 0, []
    for line in lines:
        line = line.strip()
        words = line.split()
        if p["max_word_length"] != -1 and any(len(w) > p["max_word_length"] for w in words):
            continue
        if p["remove_citations"]:
            line = CITATION.sub("", line)
        if p["filter_no_terminal_punct"] and (
                not line.endswith((".", "?", "!", '"', "'")) or line.endswith("...")):
            continue
        if len(words) < p["min_words_per_line"]:
            continue
        low = line.lower()
        if p["filter_lorem_ipsum"] and "lorem ipsum" in low:
            return "lorem_ipsum", text
        if p["filter_javascript"] and "javascript" in low:
            continue
        if p["filter_curly_bracket"] and "{" in line:
            return "curly_bracket", text
        if p["filter_policy"] and any(s in low for s in POLICY):
            continue
        if p["min_num_sentences"] != -1:
            sentences += n_sentences(line) if p["split_paragraph"] else 1
        kept.append(line)
    if sentences < p["min_num_sentences"]:
        return "too_few_sentences", text
    return None, ("\n" if p["split_paragraph"] else " ").join(kept).strip()


def fineweb(p, text):
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if not lines:
        return "empty"
    stops = tuple(TERMINAL) if p["stop_chars"] is None else tuple(p["stop_chars"])
    r = sum(1 for ln in lines if ln.endswith(stops)) / len(lines)
    if r < p["line_punct_thr"] and not (r == 0 and p["line_punct_exclude_zero"]):
        return "line_punct_ratio"
    if sum(1 for ln in lines if len(ln) <= p["short_line_length"]) / len(lines) > p["short_line_thr"]:
        return "short_line_ratio"
    if above(count_dups(lines)[1], len(text.replace("\n", "")), p["char_duplicates_ratio"]):
        return "char_dup_ratio"
    if above(text.count("\n"), len(spacy_en.words(text)), p["new_line_ratio"]):
        return "list_ratio"
    return None


ORDER = ["gopher-repetition", "gopher-quality", "c4", "fineweb"]


def split_list(value):
    """'a:b\\:c' -> ['a', 'b:c']; '' -> []."""
    if value == "":
        return []
    items, cur, i = [], "", 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            cur += value[i + 1]
            i += 2
        elif value[i] == ":":
            items.append(cur)
            cur = ""
            i += 1
        else:
            cur += value[i]
            i += 1
    items.append(cur)
    return items


def parse_params(name, text):
    p = dict(DEFAULTS[name])
    parts, cur, i = [], "", 0
    while i < len(text):  # split at unescaped commas, escapes kept
        if text[i] == "\\" and i + 1 < len(text):
            cur += text[i:i + 2]
            i += 2
        elif text[i] == ",":
            parts.append(cur)
            cur = ""
            i += 1
        else:
            cur += text[i]
            i += 1
    if cur:
        parts.append(cur)
    for part in parts:
        key, _, value = part.partition("=")
        if key not in p:
            sys.exit(f"quality_oracle: {name}: unknown parameter {key!r}")
        old = DEFAULTS[name][key]
        if key in ("top_n_grams", "dup_n_grams"):
            p[key] = [(int(a), float(b)) for a, b in (x.split("@") for x in split_list(value))]
        elif key in ("stop_words", "stop_chars"):
            p[key] = split_list(value)
        elif isinstance(old, bool):
            p[key] = {"true": True, "false": False}[value]
        elif value == "none":
            p[key] = None
        else:
            p[key] = float(value)
    return p


def main():
    enabled, quiet, timing = {}, False, False
    for a in sys.argv[1:]:
        if a == "--quiet":
            quiet = True
        elif a == "--time":
            timing = True
        else:
            name, _, params = a[2:].partition("=")
            enabled[name] = parse_params(name, params)
    data = sys.stdin.buffer.read()
    docs = data.split(b"\0")
    if docs and docs[-1] == b"":
        docs.pop()
    t0 = time.monotonic()
    out = []
    for raw in docs:
        text = original = raw.decode("utf-8")
        reason = None
        for name in ORDER:
            if name not in enabled:
                continue
            p = enabled[name]
            if name == "gopher-repetition":
                reason = gopher_repetition(p, text)
            elif name == "gopher-quality":
                reason = gopher_quality(p, text)
            elif name == "c4":
                reason, text = c4(p, text)
            else:
                reason = fineweb(p, text)
            if reason:
                reason = f"{name}/{reason}"
                break
        if reason:
            out.append(reason)
        elif text != original:
            out.append("keep\t" + text.replace("\\", "\\\\").replace("\n", "\\n"))
        else:
            out.append("keep")
    sec = time.monotonic() - t0
    if not quiet:
        sys.stdout.buffer.write("".join(s + "\n" for s in out).encode("utf-8", "surrogatepass"))
    if timing:
        mb = len(data) / 1e6
        print(f"{len(docs)} documents, {mb:.1f} MB in {sec:.3f} s: {mb / sec:.2f} MB/s", file=sys.stderr)


if __name__ == "__main__":
    main()
