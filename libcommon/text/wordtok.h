/* wordtok.h - words and sentences of English text as datatrove's quality
 * filters see them: datatrove splits English with spaCy's blank "en"
 * tokenizer (and its "sentencizer" for sentences), then drops the tokens
 * that are only whitespace and strips the rest (strip_strings).  Matching
 * its decisions at the thresholds means matching those splits, so this
 * module follows spaCy's tokenizer algorithm for English:
 *
 *   implemented: the split into runs of whitespace and of other
 *   characters (Python's str.isspace); the English special cases
 *   (contractions with and without apostrophes, straight and curly;
 *   abbreviations; times; emoticons; single letters with a period);
 *   prefixes, suffixes (leftmost match wins, units and currencies after
 *   digits, the period rules) and English infixes, peeled in spaCy's
 *   order with its early stops at special cases; URL_MATCH (scheme,
 *   user@, public IPv4 or host names with a lower-case TLD, port, path);
 *   the second pass that merges special cases the affix rules split
 *   ("Hi:)" -> "Hi" ":)"), within one whitespace-free chunk; the
 *   sentencizer's default sentence-ending characters and its rule (after
 *   one of them, the next token that is not punctuation starts a
 *   sentence; whitespace tokens count as tokens there).
 *
 *   approximated: spaCy spells its letter classes as per-script ranges;
 *   here letters are Unicode's L* (lower case: Ll Lm Lo, upper: Lu Lm
 *   Lo, so uncased scripts are both, as in spaCy), and its list of
 *   symbols ("icons") is Unicode's So, both through utf8proc.  ASCII,
 *   Latin, Greek and Cyrillic text classify the same.  URL_MATCH's \d in
 *   IP octets is ASCII here; its \w in schemes is L and N.
 *
 *   not implemented: special-case matches that would span whitespace
 *   (spaCy finds them but then keeps the tokens as they were; they could
 *   only shadow an overlapping match); the 2^30-character limit (texts
 *   must be under 4 GiB).
 *
 * Bytes that are not UTF-8 are characters of no class (not space, not a
 * letter, no affix), one per byte; NUL is an ordinary character.
 *
 * A wordtok holds the scratch of one thread; the spans it returns point
 * into the caller's text and live until the next call on the same wordtok. */
#ifndef SLUICE_WORDTOK_H
#define SLUICE_WORDTOK_H

#include <stddef.h>
#include <stdint.h>

/* A piece of the text: bytes [off, off+len). */
struct text_span {
	uint32_t off, len;
};

struct wordtok;

struct wordtok *wordtok_new(void); /* NULL when out of memory */
void wordtok_free(struct wordtok *t);

/* The words of text[0..len), in order (datatrove's word_tokenize): *words
 * points at them.  Returns their count, or -1 when out of memory or when
 * len does not fit in 32 bits. */
long wordtok_words(struct wordtok *t, const char *text, size_t len, const struct text_span **words);

/* The sentences of text[0..len) (datatrove's sent_tokenize), each
 * stripped of surrounding whitespace, empty ones left out.  Returns their
 * count, or -1 as wordtok_words does. */
long wordtok_sentences(struct wordtok *t, const char *text, size_t len, const struct text_span **sents);

#endif
