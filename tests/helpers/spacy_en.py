"""spacy_en.py - an independent oracle for spaCy's blank English tokenizer
and its "sentencizer", as datatrove's quality filters use them.

    words(text)      datatrove's SpaCyTokenizer.word_tokenize: the tokens'
                     text, whitespace-only ones dropped, the rest stripped
    sentences(text)  its sent_tokenize: the sentences' text, stripped, empty
                     ones dropped

Written from spaCy's documented tokenizer algorithm ("How spaCy's tokenizer
works"): split on whitespace; a chunk that is a special case is replaced by
its pieces; otherwise peel prefixes and suffixes (stopping as soon as what
is left is a special case), then the rest is a special case, a URL, or is
split at its infixes.  Finally special cases whose text the affix rules
would have split are matched as token sequences and merged back.  The
rules are expressed here as regular expressions (the `regex` module, for
Unicode classes); libcommon/text/wordtok.c implements the same rules by
hand, so the two check each other.

Character classes: where spaCy spells out letter ranges per script, this
uses Unicode categories (alpha = L*, lower = Ll Lm Lo, upper = Lu Lm Lo;
icons = So).  ASCII text and accented Latin, Greek and Cyrillic fall in
the same classes either way.

Run as a program: reads NUL-separated documents on stdin and prints each
one's words (or with -s its sentences) one per line, then an empty line,
like tests/helpers/wordtok-dump.
"""

import sys
import unicodedata

import regex

# ---------------------------------------------------------------- classes

ALPHA = r"\p{L}"
LOWER = r"\p{Ll}\p{Lm}\p{Lo}"
UPPER = r"\p{Lu}\p{Lm}\p{Lo}"
ICON = r"\p{So}"

# Punctuation that is a prefix and a suffix on its own (escaped for a class).
PUNCT_CHARS = "…,:;!?¿؟¡()[]{}<>_#*&。？！，、；：～·।،۔؛٪"
QUOTE_CHARS = "'\"”“`‘´’‚,„»«「」『』（）〔〕【】《》〈〉\u2329\u232a⟦⟧"
CURRENCIES = ["US$", "C$", "A$"] + list("$£€¥฿₽﷼₴₠₡₢₣₤₥₦₧₨₩₪₫₭₮₯₰₱₲₳₵₶₷₸₹₺₻₼₾₿")
UNITS = (
    "km km² km³ m m² m³ dm dm² dm³ cm cm² cm³ mm mm² mm³ ha µm nm yd in ft "
    "kg g mg µg t lb oz m/s km/h kmh mph hPa Pa mbar mb MB kb KB gb GB tb "
    "TB T G M K % км км² км³ м м² м³ дм дм² дм³ см см² см³ мм мм² мм³ нм "
    "кг г мг м/с км/ч кПа Па мбар Кб КБ кб Мб МБ мб Гб ГБ гб Тб ТБ "
    # spaCy's list runs "тб" into the first Arabic unit (no space between
    # two string literals): "тбكم" is the unit, "тб" alone is not.
    "тбكم كم² كم³ م م² م³ سم سم² سم³ مم مم² مم³ كم غرام جرام جم كغ ملغ كوب اكواب"
).split()
HYPHENS = ["-", "–", "—", "--", "---", "——", "~"]


def cls(chars):
    return "[" + "".join("\\" + c if c in "\\]^-[" else c for c in chars) + "]"


def alt(strings):
    return "|".join(regex.escape(s) for s in strings)


# Prefixes: tried in this order at the start (the first that matches wins).
PREFIX = regex.compile(
    "^(?:"
    + "|".join(
        ["§", "%", "=", "—", "–", r"\+(?![0-9])", "…", cls(PUNCT_CHARS), r"\.\.+",
         cls(QUOTE_CHARS), alt(CURRENCIES), ICON]
    )
    + ")"
)

# Suffixes: the match that starts leftmost wins (regex search).
SUFFIX = regex.compile(
    "(?:"
    + "|".join(
        [
            "……", cls(PUNCT_CHARS), r"\.\.+", cls(QUOTE_CHARS), ICON,
            "'s", "'S", "’s", "’S", "—", "–",
            r"(?<=[0-9])\+",
            r"(?<=°[FfCcKk])\.",
            r"(?<=[0-9])(?:" + alt(CURRENCIES) + ")",
            r"(?<=[0-9])(?:" + alt(UNITS) + ")",
            # spaCy builds this class from its punctuation list joined with
            # "|" and its quotes wrapped in "(?:...)", so those four
            # characters are in the class too.
            r"(?<=[0-9" + LOWER + r"%²\-\+" + cls(PUNCT_CHARS + QUOTE_CHARS + "|(?:)")[1:-1] + r"])\.",
            r"(?<=[" + UPPER + "][" + UPPER + r"])\.",
        ]
    )
    + ")$"
)

INFIX = regex.compile(
    "|".join(
        [
            r"\.\.+", "…", ICON,
            r"(?<=[0-9])[+\-\*^](?=[0-9-])",
            r"(?<=[" + LOWER + cls(QUOTE_CHARS)[1:-1] + r"])\.(?=[" + UPPER + cls(QUOTE_CHARS)[1:-1] + "])",
            r"(?<=[" + ALPHA + r"]),(?=[" + ALPHA + "])",
            r"(?<=[" + ALPHA + r"0-9])(?:" + alt(HYPHENS) + r")(?=[" + ALPHA + "])",
            r"(?<=[" + ALPHA + r"0-9])[:<>=/](?=[" + ALPHA + "])",
        ]
    )
)

# URLs (spaCy's URL_MATCH, after Diego Perini's validation pattern):
# optional scheme, optional user:pass@, a public dotted IP or host names
# ending in a lower-case TLD, optional port, optional path.
_HOSTCH = r"[A-Za-z0-9\u00a1-\uffff]"
URL = regex.compile(
    r"(?u)^(?:(?:[\w\+\-\.]{2,})://)?(?:\S+(?::\S*)?@)?(?:"
    r"(?!(?:10|127)(?:\.\d{1,3}){3})(?!(?:169\.254|192\.168)(?:\.\d{1,3}){2})"
    r"(?!172\.(?:1[6-9]|2\d|3[0-1])(?:\.\d{1,3}){2})"
    r"(?:[1-9]\d?|1\d\d|2[01]\d|22[0-3])(?:\.(?:1?\d{1,2}|2[0-4]\d|25[0-5])){2}"
    r"(?:\.(?:[1-9]\d?|1\d\d|2[0-4]\d|25[0-4]))"
    r"|(?:(?:" + _HOSTCH + r"[A-Za-z0-9\u00a1-\uffff_-]{0,62})?" + _HOSTCH + r"\.)+"
    r"(?:[" + LOWER + r"]{2,63}))(?::\d{2,5})?(?:[/?#]\S*)?$"
)

# ------------------------------------------------------------ exceptions


def _build_exceptions():
    exc = {}

    def single(*orths):
        for o in orths:
            exc[o] = [o]

    def both_cases(stem):
        return [stem, stem[0].upper() + stem[1:]]

    # Base: whitespace, odd symbols, single letters with a period.
    single(" ", "\t", "\\t", "\n", "\\n", "\u2014", "\u00a0")
    single("'", '\\")', "<space>", "''", "C++", "ä.", "ö.", "ü.")
    single(*(chr(c) + "." for c in range(ord("a"), ord("z") + 1)))
    for u in "cfkCFK":
        exc["°" + u + "."] = ["°", u, "."]
    single(*EMOTICONS)

    # Contractions: subject + clitic, with and without the apostrophe.
    def clitics(word, forms):
        for w in both_cases(word):
            for form in forms:
                pieces = form.split("+")
                exc[w + "".join(pieces)] = [w] + pieces
                bare = [p.lstrip("'") for p in pieces]
                exc[w + "".join(bare)] = [w] + bare

    for w in ["i"]:
        clitics(w, ["'m", "'m+a"])
    for w in ["i", "you", "he", "she", "it", "we", "they"]:
        clitics(w, ["'ll", "'ll+'ve", "'d", "'d+'ve"])
    for w in ["i", "you", "we", "they"]:
        clitics(w, ["'ve"])
    for w in ["you", "we", "they"]:
        clitics(w, ["'re"])
    for w in ["he", "she", "it"]:
        clitics(w, ["'s"])
    for w in ["who", "what", "when", "where", "why", "how", "there", "that", "this", "these", "those"]:
        forms = ["'ll", "'ll+'ve", "'d", "'d+'ve"]
        if w not in ("these", "those"):
            forms.append("'s")
        if w not in ("that", "this"):
            forms += ["'re", "'ve"]
        clitics(w, forms)
    # Negations: "n't" loses its apostrophe as "nt".
    for v in ["ca", "could", "do", "does", "did", "had", "may", "might", "must", "need",
              "ought", "sha", "should", "wo", "would"]:
        for w in both_cases(v):
            for neg in ["n't", "nt"]:
                exc[w + neg] = [w, neg]
                have = "'ve" if neg == "n't" else "ve"
                exc[w + neg + have] = [w, neg, have]
    for v in ["could", "might", "must", "should", "would"]:
        clitics(v, ["'ve"])
    for v in ["ai", "are", "is", "was", "were", "have", "has", "dare"]:
        for w in both_cases(v):
            exc[w + "n't"] = [w, "n't"]
            exc[w + "nt"] = [w, "nt"]
    # Dropped letters, kept as one token.
    for stem in ["doin", "goin", "nothin", "nuthin", "ol", "somethin", "lovin", "havin"]:
        for w in both_cases(stem):
            single(w, w + "'")
    for stem in ["em", "ll", "nuff"]:
        single(stem, "'" + stem)
    single("'S", "'s", "\u2018S", "\u2018s", "and/or", "w/o", "'re", "'bout", "'d",
           "ma'am", "Ma'am", "o'clock", "O'clock")
    for stem in ["cause", "cos", "coz", "cuz"]:
        for w in both_cases(stem):
            single("'" + w)
    for h in range(1, 13):
        for period in ["a.m.", "am", "p.m.", "pm"]:
            exc[str(h) + period] = [str(h), period]
    for w, pieces in [
        ("y'all", ["y'", "all"]), ("yall", ["y", "all"]),
        ("how'd'y", ["how", "'d", "'y"]), ("How'd'y", ["How", "'d", "'y"]),
        ("not've", ["not", "'ve"]), ("notve", ["not", "ve"]),
        ("Not've", ["Not", "'ve"]), ("Notve", ["Not", "ve"]),
        ("cannot", ["can", "not"]), ("Cannot", ["Can", "not"]),
        ("gonna", ["gon", "na"]), ("Gonna", ["Gon", "na"]),
        ("gotta", ["got", "ta"]), ("Gotta", ["Got", "ta"]),
        ("let's", ["let", "'s"]), ("Let's", ["Let", "'s"]),
        ("c'mon", ["c'm", "on"]), ("C'mon", ["C'm", "on"]),
    ]:
        exc[w] = pieces
    # Abbreviations that keep their periods.
    single(*(a + "." for a in ABBREVIATIONS.split()))
    # Words the contraction rules would wrongly split.
    for w in ["ill", "its", "hell", "shell", "shed", "were", "well", "whore"]:
        for v in both_cases(w):
            exc.pop(v, None)
    # Every rule with a straight apostrophe also holds with a curly one.
    for key, pieces in list(exc.items()):
        if "'" in key:
            exc[key.replace("'", "’")] = [p.replace("'", "’") for p in pieces]
    return exc


ABBREVIATIONS = (
    "a.m Adm Bros co Co Corp D.C Dr e.g E.g E.G Gen Gov i.e I.e I.E Inc Jr Ltd Md "
    "Messrs Mo Mont Mr Mrs Ms p.m Ph.D Prof Rep Rev Sen St vs v.s Mt "
    # months and US states
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec "
    "Ak Ala Ariz Ark Calif Colo Conn Del Fla Ga Ia Id Ill Ind Kan Kans Ky La Mass "
    "Mich Minn Miss N.C N.D N.H N.J N.M N.Y Neb Nebr Nev Okla Ore Pa S.C Tenn Va Wash Wis"
)


def _emoticons():
    out = set()
    # eyes, optional nose, mouth (repeated up to three times for the
    # smile and the frown)
    for mouth in ")(":
        for n in (1, 2, 3):
            out |= {":" + mouth * n, ":-" + mouth * n}
    for eyes, mouths in [(":", "]}/|PpOo0*3>XxD"), (";", ")D"), ("8", ")D")]:
        for m in mouths:
            out |= {eyes + m, eyes + "-" + m}
    out |= {"=)", "=]", "=(", "=/", "=|", "=3", "=D", ":o)", ":1", ":()", ":')", ":'-)",
            ":'(", ":'-(", ">:(", ">:o"}
    # the same faces read right to left
    out |= {"(:", "(-:", "(=", "[:", "[-:", "[=", "(o:", "(-8", "(;", "(-;", "):", ")-:",
            "]=", "=["}
    out |= {"xD", "XD", "xDD", "XDD", "<3", "<33", "<333", "</3"}
    # eastern faces
    out |= {"^_^", "^__^", "^___^", ">.<", ">.>", "<.<", "._.", ";_;", "-_-", "-__-",
            "v.v", "V.V", "v_v", "V_V", "@_@", "ಠ_ಠ", "ಠ︵ಠ"}
    for a in "oO0":
        for b in "oO0":
            if {a, b} != {"O", "0"}:
                out |= {a + "_" + b, a + "." + b}
    out |= {"(^_^)", "(-_-)", "(._.)", "(>_<)", "(*_*)", "(¬_¬)", "(ಠ_ಠ)", "¯\\(ツ)/¯",
            "(╯°□°）╯︵┻━┻", "><(((*>"}
    return out


EMOTICONS = _emoticons()
SPECIALS = _build_exceptions()

# ------------------------------------------------------------- tokenizer


def _prefix_len(s):
    m = PREFIX.search(s)
    return m.end() if m else 0


def _suffix_len(s):
    m = SUFFIX.search(s)
    return len(s) - m.start() if m else 0


def _tokenize_chunk(s, specials):
    """The tokens of one whitespace-free chunk (specials: whether the
    special cases apply, as in spaCy's _tokenize_affixes)."""
    if specials and s in SPECIALS:
        return list(SPECIALS[s])
    prefixes, suffixes = [], []
    last = -1
    while s and len(s) != last:
        if specials and s in SPECIALS:
            break
        last = len(s)
        pre = _prefix_len(s)
        if pre and specials and s[pre:] in SPECIALS:
            prefixes.append(s[:pre])
            s = s[pre:]
            break
        suf = _suffix_len(s[pre:])
        if suf and specials and s[:-suf] in SPECIALS:
            suffixes.append(s[-suf:])
            s = s[:-suf]
            break
        if pre and suf and pre + suf <= len(s):
            prefixes.append(s[:pre])
            suffixes.append(s[-suf:])
            s = s[pre:-suf]
        elif pre:
            prefixes.append(s[:pre])
            s = s[pre:]
        elif suf:
            suffixes.append(s[-suf:])
            s = s[:-suf]
    tokens = list(prefixes)
    if s:
        if specials and s in SPECIALS:
            tokens += SPECIALS[s]
        elif URL.match(s):
            tokens.append(s)
        else:
            start = 0
            for m in INFIX.finditer(s):
                if m.start() == 0:
                    continue
                if m.start() != start:
                    tokens.append(s[start:m.start()])
                if m.end() != m.start():
                    tokens.append(s[m.start():m.end()])
                start = m.end()
            if s[start:]:
                tokens.append(s[start:])
    return tokens + suffixes[::-1]


def _split_chunks(text):
    """(offset, chunk) pairs: runs of whitespace and of other characters;
    a whitespace run loses its first character when that is a plain space
    (spaCy stores it as the previous token's trailing space)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        ws = text[i].isspace()
        j = i
        while j < n and text[j].isspace() == ws:
            j += 1
        start = i
        if ws and text[i] == " " and i > 0:
            start += 1
        if start < j:
            out.append((start, text[start:j]))
        i = j
    return out


# Special cases the affix rules would split: spaCy finds their affix
# tokenization as a token sequence after the fact and merges it back.
def _matcher_patterns():
    pats = {}
    for key in SPECIALS:
        if " " in key or _prefix_len(key) or _suffix_len(key) or INFIX.search(key):
            toks = tuple(_tokenize_chunk(key, False))
            pats.setdefault(toks, key)
    return pats


PATTERNS = _matcher_patterns()
MAX_PATTERN = max(len(p) for p in PATTERNS)


def _merge_specials(tokens):
    """tokens: (offset, text) of one chunk.  Longest matches first, then
    the later one; a match is taken when neither its first nor its last
    token was covered by an earlier candidate."""
    cands = []
    for i in range(len(tokens)):
        for k in range(1, min(MAX_PATTERN, len(tokens) - i) + 1):
            key = tuple(t for _, t in tokens[i:i + k])
            if key in PATTERNS:
                cands.append((i, i + k))
    if not cands:
        return tokens
    cands.sort(key=lambda c: (c[1] - c[0], c[0]), reverse=True)
    seen, keep = set(), []
    for a, b in cands:
        if a not in seen and b - 1 not in seen:
            keep.append((a, b))
        seen.update(range(a, b))
    out, i = [], 0
    for a, b in sorted(keep):
        out += tokens[i:a]
        off = tokens[a][0]
        for piece in SPECIALS["".join(t for _, t in tokens[a:b])]:
            out.append((off, piece))
            off += len(piece)
        i = b
    return out + tokens[i:]


def tokens(text):
    """(offset, text) of every token, whitespace tokens included."""
    out = []
    for off, chunk in _split_chunks(text):
        toks, pos = [], off
        for t in _tokenize_chunk(chunk, True):
            toks.append((pos, t))
            pos += len(t)
        out += _merge_specials(toks)
    return out


def _strip_strings(items):
    return [s.strip() for s in items if s.strip()]


def words(text):
    return _strip_strings(t for _, t in tokens(text))


SENT_END = set(
    "!.?։؟۔܀܁܂߹।॥၊။።፧፨᙮᜵᜶᠃᠉᥄᥅᪨᪩᪪᪫᭚᭛᭞᭟᰻᰼᱾᱿‼‽⁇⁈⁉⸮⸼꓿꘎꘏꛳꛷꡶꡷꣎꣏꤯꧈꧉꩝꩞꩟꫰꫱꯫﹒﹖﹗！．？"
    "𐩖𐩗𑁇𑁈𑂾𑂿𑃀𑃁𑅁𑅂𑅃𑇅𑇆𑇍𑇞𑇟𑈸𑈹𑈻𑈼𑊩𑑋𑑌𑗂𑗃𑗉𑗊𑗋𑗌𑗍𑗎𑗏𑗐𑗑𑗒𑗓𑗔𑗕𑗖𑗗𑙁𑙂𑜼𑜽𑜾𑩂𑩃𑪛𑪜𑱁𑱂𖩮𖩯𖫵𖬷𖬸𖭄𛲟𝪈｡。"
)


def _is_punct(s):
    return all(unicodedata.category(c).startswith("P") for c in s)


def sentences(text):
    """The sentencizer: after a token that is one of the sentence-ending
    characters, the next token that is neither punctuation nor another
    such character starts a sentence."""
    toks = tokens(text)
    starts, seen_end = [0] if toks else [], False
    for i, (_, t) in enumerate(toks):
        if seen_end and not _is_punct(t) and t not in SENT_END:
            starts.append(i)
            seen_end = False
        elif t in SENT_END:
            seen_end = True
    out = []
    for a, b in zip(starts, starts[1:] + [len(toks)]):
        off, t = toks[b - 1]
        out.append(text[toks[a][0]:off + len(t)])
    return _strip_strings(out)


def main():
    sent = "-s" in sys.argv[1:]
    data = sys.stdin.buffer.read().decode("utf-8", "replace")
    docs = data.split("\0")
    if docs and docs[-1] == "":
        docs.pop()
    out = []
    for d in docs:
        for item in (sentences(d) if sent else words(d)):
            out.append(item.replace("\n", "\\n") + "\n")
        out.append("\n")
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main()
