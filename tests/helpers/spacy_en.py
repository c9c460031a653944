"""spacy_en.py - FIRST CUT stand-in: words and sentences by whitespace, with
the interface of the spaCy-rules oracle that replaces it (words(text) and
sentences(text) return lists of str)."""


def words(text):
    return text.split()


def sentences(text):
    return [s.strip() for s in text.split("\n") if s.strip()]
