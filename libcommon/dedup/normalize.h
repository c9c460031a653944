/* normalize.h - the text that rec-dedup hashes: a record's text after one
 * of three documented normalisations, so that copies differing only in
 * spacing, case or punctuation count as the same text.
 *
 *   none         the bytes as they are
 *   ws           every run of white space (Unicode White_Space: the ASCII
 *                ones, U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028,
 *                U+2029, U+202F, U+205F, U+3000) becomes one ASCII space,
 *                and none is left at either end
 *   lower-punct  (the default) each character is lowercased (Unicode's
 *                simple lowercase mapping, one character to one), every
 *                character of general category P* (punctuation) or S*
 *                (symbols) is deleted, and then white space is collapsed
 *                as by ws
 *
 * Bytes that are not valid UTF-8 are kept as they are and never merged
 * with their neighbours' characters (though lower-punct, deleting what
 * lies between two, can leave them side by side as one character, so it
 * is idempotent only on UTF-8).  Lowercasing can lengthen a few
 * characters' UTF-8 (U+023A, two bytes, becomes U+2C65, three), so the
 * caller sizes its buffer with normalize_bound(). */
#ifndef SLUICE_NORMALIZE_H
#define SLUICE_NORMALIZE_H

#include <stddef.h>

enum normalize_mode { NORMALIZE_NONE, NORMALIZE_WS, NORMALIZE_LOWER_PUNCT };

/* "none", "ws", "lower-punct" to a mode; -1 for anything else. */
int normalize_parse(const char *name);
/* The name of a mode, as normalize_parse reads it. */
const char *normalize_name(enum normalize_mode mode);
/* The most bytes normalize() writes for len bytes of input. */
size_t normalize_bound(size_t len);
/* Writes the normalised text into out (normalize_bound(len) bytes) and
 * returns its length.  NORMALIZE_NONE copies. */
size_t normalize(enum normalize_mode mode, const char *text, size_t len, char *out);
/* The same a character at a time, without the vector loop that
 * normalize() takes on CPUs with AVX-512 VBMI2: what tests compare it with. */
size_t normalize_portable(enum normalize_mode mode, const char *text, size_t len, char *out);

#endif
