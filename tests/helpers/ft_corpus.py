"""Multilingual lines for the fastText suite (tests/fasttext.bats), from the
fortune cookies Debian ships in several languages (packages fortunes,
fortunes-de, -es, -it, -pl, -ru, -br, -cs).

    ft_corpus.py TRAIN_PER_LANG TEST_PER_LANG TRAIN_OUT TEST_OUT

TRAIN_OUT gets "__label__LANG text" lines for `fasttext supervised`;
TEST_OUT the held-out texts, unlabelled, followed by a few lines that probe
fastText's reading of a line (empty, blank, tabs and carriage returns, a
label-looking word, bytes that are not UTF-8, one very long word).  Each
fortune becomes one line, its own line breaks turned into spaces.  The
choice is deterministic (a fixed seed), so a failure reproduces.
"""
import os
import random
import sys

ROOT = "/usr/share/games/fortunes"
# language -> the fortune files (or directories of them) that hold it
SOURCES = {
    "en": ["fortunes", "literature", "wisdom", "science", "people"],
    "de": ["de"],
    "es": ["es"],
    "it": ["it"],
    "pl": ["pl"],
    "ru": ["ru"],
    "pt": ["brasil"],
    "cs": ["cs"],
}


def fortune_files(name):
    path = os.path.join(ROOT, name)
    if os.path.isfile(path):
        return [path]
    files = []
    for entry in sorted(os.listdir(path)):
        full = os.path.join(path, entry)
        # .u8 are links to the UTF-8 file itself, .dat the strfile index
        if entry.endswith((".dat", ".u8")) or os.path.islink(full) or not os.path.isfile(full):
            continue
        files.append(full)
    return files


def fortunes(lang):
    out = []
    for name in SOURCES[lang]:
        for path in fortune_files(name):
            with open(path, "rb") as f:
                data = f.read()
            for cookie in data.split(b"\n%\n"):
                text = cookie.replace(b"\n", b" ").strip()
                if len(text) >= 20:
                    out.append(text)
    return out


def main():
    ntrain, ntest = int(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(19)
    train, test = [], []
    for lang in sorted(SOURCES):
        texts = fortunes(lang)
        if len(texts) < ntrain + ntest:
            sys.exit("ft_corpus.py: only %d fortunes for %s" % (len(texts), lang))
        rng.shuffle(texts)
        train += [b"__label__" + lang.encode() + b" " + t for t in texts[:ntrain]]
        test += texts[ntrain:ntrain + ntest]
    rng.shuffle(train)
    test += [
        b"",
        b"   \t ",
        b"\tDas ist\r ein\x0b Test\x0c mit  Leerraum",
        b"__label__de __label__xx ciao a tutti, come state?",
        b"caf\xe9 cr\xe8me \xff\xfe broken bytes",
        b"x" * 3000,
        "Привет, как дела? Zażółć gęślą jaźń.".encode(),
    ]
    with open(sys.argv[3], "wb") as f:
        f.write(b"".join(t + b"\n" for t in train))
    with open(sys.argv[4], "wb") as f:
        f.write(b"".join(t + b"\n" for t in test))


main()
