/* utf8.c - see utf8.h */
#include "base/utf8.h"

#include <stdint.h>
#include <string.h>

#include "base/buf.h"

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF), or 0 if there is none. */
size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F))
			return 0;
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
			return 0;
		return 4;
	}
	return 0;
}

size_t utf8_valid_prefix(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		/* Text is mostly ASCII: skip it eight bytes at a time. */
		if (n - i >= 8) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			if (!(w & 0x8080808080808080ull)) {
				i += 8;
				continue;
			}
		}
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		size_t k = utf8_seq_len(s + i, n - i);
		if (!k)
			break;
		i += k;
	}
	return i;
}

/* Where s[0] is not a well-formed sequence: how many bytes of it begin one
 * (the "maximal subpart" of Unicode 3.9, which Python's errors="replace"
 * turns into one U+FFFD), at least 1. */
size_t utf8_bad_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t want;
	unsigned lo = 0x80, hi = 0xBF; /* range of the second byte */
	if (c >= 0xC2 && c <= 0xDF)
		want = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		want = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
	else if (c >= 0xF0 && c <= 0xF4)
		want = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
	else
		return 1;
	size_t k = 1;
	if (k < n && s[k] >= lo && s[k] <= hi)
		for (k = 2; k < want && k < n && (s[k] & 0xC0) == 0x80;)
			k++;
	return k < want ? k : 1;
}

void utf8_append_replacing(struct buf *b, const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t ok = utf8_valid_prefix(s + i, n - i);
		buf_add(b, s + i, ok);
		i += ok;
		if (i < n) {
			buf_add(b, "\xEF\xBF\xBD", 3);
			i += utf8_bad_len(s + i, n - i);
		}
	}
}
