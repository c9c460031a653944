/* wordtok.h - words and sentences of English text as datatrove's quality
 * filters see them: datatrove splits English with spaCy's blank "en"
 * tokenizer (and its "sentencizer" for sentences), then drops the tokens
 * that are only whitespace and strips the rest (strip_strings).  Matching
 * its decisions at the thresholds means matching those splits, so this
 * module follows spaCy's documented tokenizer algorithm: split on spaces,
 * then peel prefixes, suffixes and infixes, with the English exceptions.
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

/* The words of text[0..len) (valid UTF-8), in order: *words points at
 * them.  Returns their count, or -1 when out of memory. */
long wordtok_words(struct wordtok *t, const char *text, size_t len, const struct text_span **words);

/* The sentences of text[0..len), each stripped of surrounding whitespace,
 * empty ones left out.  Returns their count, or -1 when out of memory. */
long wordtok_sentences(struct wordtok *t, const char *text, size_t len, const struct text_span **sents);

#endif
