"""wordtok_random.py SEED COUNT - random documents for tests/wordtok.bats,
NUL-separated on stdout: each a run of pieces the tokenizer rules look at
(affix and infix characters, apostrophes, clitics, abbreviations, URL
parts, emoticons, units, white space, letters of both cases and none), so
that C and the oracle meet the rules' interactions, not only the cases
written by hand."""
import random
import sys

PIECES = [
    "a", "b", "e", "g", "i", "m", "n", "o", "s", "t", "x", "y", "z", "A", "C", "E", "F", "K", "M",
    "S", "U", "0", "1", "5", "8", "9", " ", " ", " ", "  ", "\t", "\n", "\u00a0", ".", ".", "..",
    ",", ":", ";", "!", "?", "'", "'", "\u2019", "\u2018", '"', "\u201c", "\u201d", "\u00ab",
    "\u00bb", "(", ")", "[", "-", "-", "\u2014", "~", "/", "=", "<", ">", "+", "*", "^", "%",
    "$", "US$", "\u20ac", "@", "#", "_", "km", "\u00b0", "\u2026", "n't", "'s", "\u2019s", "'ll",
    "ll", "em", "ve", "re", "do", "ca", "it", "he", "we", "I", "e.g.", "Mr", "cannot", "gonna",
    "y'all", "pm", "am", "a.m.", "http://", "www.", ".com", ":)", "''", "-_-", "<3", "\u00e9",
    "\u00dc", "\u0436", "\u4e2d", "\U0001F600", "\u2603",
]


def main():
    rng = random.Random(int(sys.argv[1]))
    docs = ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 30)))
            for _ in range(int(sys.argv[2]))]
    sys.stdout.write("".join(d + "\0" for d in docs))


if __name__ == "__main__":
    main()
