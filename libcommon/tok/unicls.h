/* unicls.h - the Unicode character classes that the byte-level BPE
 * pre-tokenizers (pretok.h) split on, read straight from UTF-8.
 *
 * One bit per class the GPT-2, cl100k and o200k patterns name.  ASCII
 * comes from a table; other characters from utf8proc's general category,
 * so the classes follow the Unicode version of the installed utf8proc.
 * A byte that does not start a well-formed UTF-8 sequence (RFC 3629, as
 * utf8.h checks it) is one character of length 1 in no class at all. */
#ifndef SLUICE_UNICLS_H
#define SLUICE_UNICLS_H

#include <stddef.h>
#include <stdint.h>

enum {
	UC_L = 1 << 0,  /* \p{L}: Lu Ll Lt Lm Lo */
	UC_N = 1 << 1,  /* \p{N}: Nd Nl No */
	UC_S = 1 << 2,  /* \s: the White_Space property (as Rust's regex has it) */
	UC_NL = 1 << 3, /* \r or \n */
	UC_UP = 1 << 4, /* [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]: o200k's "upper" letters */
	UC_LO = 1 << 5, /* [\p{Ll}\p{Lm}\p{Lo}\p{M}]: o200k's "lower" letters */
	UC_M = 1 << 6,  /* \p{M}: Mn Mc Me */
};

extern const uint8_t unicls_ascii[128];

/* The classes of code point cp (any value; above U+10FFFF: none). */
unsigned unicls_cp(uint32_t cp);

/* The well-formed UTF-8 sequence at s[0..n) (n >= 1): its length (1 to 4)
 * with the code point in *cp, or 0 if there is none. */
size_t unicls_decode(const uint8_t *s, size_t n, uint32_t *cp);

/* The classes of every code point of the Basic Multilingual Plane, into
 * t[0x10000] (surrogates: none): one load each, for a hot loop that can
 * keep 64 KiB of table. */
void unicls_fill_bmp(uint8_t *t);

/* unicls_at for a character that is not ASCII. */
unsigned unicls_at_slow(const uint8_t *s, size_t n, size_t *len);

/* The classes of the character at s[0..n) (n >= 1); its length in *len
 * (1 for a byte that starts no well-formed sequence). */
static inline unsigned unicls_at(const uint8_t *s, size_t n, size_t *len)
{
	if (s[0] < 0x80) {
		*len = 1;
		return unicls_ascii[s[0]];
	}
	return unicls_at_slow(s, n, len);
}

#endif
