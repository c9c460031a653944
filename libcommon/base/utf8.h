/* utf8.h - UTF-8 validation (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF), shared by the JSON writer and every reader
 * that reports invalid text with its position. */
#ifndef SLUICE_UTF8_H
#define SLUICE_UTF8_H

#include <stddef.h>

/* Length of the well-formed sequence at s (1 to 4), or 0 if there is none. */
size_t utf8_seq_len(const unsigned char *s, size_t n);
/* Length of the valid UTF-8 prefix of s: the offset of the first invalid
 * byte, or n. */
size_t utf8_valid_prefix(const unsigned char *s, size_t n);
static inline int utf8_valid(const unsigned char *s, size_t n)
{
	return utf8_valid_prefix(s, n) == n;
}

/* At an ill-formed s[0]: the length of the maximal subpart there (>= 1). */
size_t utf8_bad_len(const unsigned char *s, size_t n);
struct buf;
/* Appends s with each maximal ill-formed subpart replaced by U+FFFD, as
 * Python's bytes.decode("utf-8", errors="replace") does. */
void utf8_append_replacing(struct buf *b, const unsigned char *s, size_t n);

#endif
