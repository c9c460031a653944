#!/usr/bin/env python3
"""tok-randdocs.py N SEED: N random documents as JSON lines {"text": ...},
made of words, numbers, punctuation and white space drawn from every
character class the pre-tokenizer patterns distinguish, in many scripts.
The same N and SEED give the same documents."""
import json
import random
import sys

n, seed = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(seed)
pools = {
    "lower": "abcdefghijklmnopqrstuvwxyz",
    "upper": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "latin1": "àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿÀÉÎÕÜßĳŒœ",
    "greek": "αβγδεζηθικλμνξοπρστυφχψωΑΒΓΔΩάέ",
    "cyrillic": "абвгдежзийклмнопрстуфхцчшщъыьэюяАБВГДЁЖЩЯ",
    "cjk": "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年",
    "kana": "あいうえおかきくけこアイウエオカキクケコー",
    "hangul": "한국어텍스트입니다가나다라",
    "arabic": "مرحبابالعالمهذااختبار",
    "devanagari": "नमस्तेकिहिंदी",
    "marks": "\u0301\u0300\u0308\u0303\u0327\u064e\u093f\u0951",
    "titlecase": "ǅǈǋǲᾈᾉ",
    "modifier": "ʰʱʲˠˡ々ゝ",
    "digits": "0123456789",
    "otherdigits": "٠١٢٣४५६७²³½¼ⅠⅡⅫ①②",
    "punct": "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~¡¿«»—–…·•",
    "symbols": "€£¥©®™°±×÷←→∀∂∑√∞≈≠≤≥♠♥",
    "emoji": ["\U0001F600", "\U0001F44D\U0001F3FD", "\U0001F468\u200D\U0001F469\u200D\U0001F467",
              "\u2764\uFE0F", "\U0001F1EB\U0001F1F7", "\U0001F3F3\uFE0F\u200D\U0001F308", "\U0001F4A9"],
    "space": [" ", " ", " ", "  ", "\t", "\u00a0", "\u3000", "\u2003", "\u2028", "   "],
    "newline": ["\n", "\r\n", "\r", "\n\n", " \n", "\n ", "\t\n"],
    "apostrophe": ["'s", "'S", "'t", "'T", "'re", "'RE", "'Re", "'ve", "'VE", "'m", "'M", "'ll", "'LL", "'lL", "'d", "'D", "'", "''", "\u2019s", "'x"],
}
word_pools = ["lower", "upper", "latin1", "greek", "cyrillic", "cjk", "kana", "hangul",
              "arabic", "devanagari", "titlecase", "modifier"]


def word():
    p = pools[rng.choice(word_pools)]
    w = "".join(rng.choice(p) for _ in range(rng.randint(1, 9)))
    r = rng.random()
    if r < 0.15:
        w = w.capitalize()
    elif r < 0.25:
        w += rng.choice(pools["marks"])
    elif r < 0.3:
        w = rng.choice(pools["upper"]) + w + rng.choice(pools["upper"])
    return w


def token():
    r = rng.random()
    if r < 0.45:
        return word()
    if r < 0.55:
        return "".join(rng.choice(pools["digits"]) for _ in range(rng.randint(1, 11)))
    if r < 0.58:
        return "".join(rng.choice(pools["otherdigits"]) for _ in range(rng.randint(1, 4)))
    if r < 0.66:
        return "".join(rng.choice(pools["punct"]) for _ in range(rng.randint(1, 4)))
    if r < 0.69:
        return rng.choice(pools["symbols"])
    if r < 0.73:
        return rng.choice(pools["emoji"])
    if r < 0.85:
        return rng.choice(pools["space"])
    if r < 0.93:
        return rng.choice(pools["newline"])
    return rng.choice(pools["apostrophe"])


for _ in range(n):
    parts = []
    for _ in range(rng.randint(0, 60)):
        parts.append(token())
        if rng.random() < 0.6:
            parts.append(" ")
    if rng.random() < 0.05:
        parts.append(rng.choice(pools["lower"]) * rng.randint(50, 400))
    print(json.dumps({"text": "".join(parts)}, ensure_ascii=False))
