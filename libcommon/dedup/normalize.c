/* normalize.c - rec-dedup's text normalisations (see normalize.h).
 *
 * One pass over the text for ws and lower-punct alike.  ASCII, the bulk of
 * most corpora, goes through a table that says for each byte what it
 * becomes (itself, its lowercase, nothing, or a space to collapse); other
 * characters are decoded and looked up in utf8proc.  White space is never
 * written at once: a space goes out only when the byte before it in the
 * output is not already one, and a trailing one is taken back at the end,
 * so runs collapse and neither end keeps any. */
#include "dedup/normalize.h"

#include <stdint.h>
#include <string.h>

#include <utf8proc.h>

#include "base/utf8.h"

/* What each ASCII byte does, as bits: KEEP, written; SPACE, white space
 * (Unicode's White_Space: \t \n \v \f \r and space), written as one space
 * unless one was just written; neither, deleted.  FOLD is or'ed into the
 * byte written (it makes 'A'..'Z' lowercase).  Every ASCII graphic
 * character other than a letter or digit is of general category P* or S*;
 * control characters are kept. */
enum { KEEP = 1, SPACE = 2, FOLD = 0x20 };
/* One table for each mode from the four kinds of byte: kept (k), an
 * uppercase letter (u), white space (s), punctuation or a symbol (p). */
#define ASCII_TABLE(k, u, s, p)                                                         \
	{                                                                               \
		k, k, k, k, k, k, k, k, k, s, s, s, s, s, k, k, /* \0 .. \x0F */        \
		k, k, k, k, k, k, k, k, k, k, k, k, k, k, k, k,                         \
		s, p, p, p, p, p, p, p, p, p, p, p, p, p, p, p, /* space ! " .. / */    \
		k, k, k, k, k, k, k, k, k, k, p, p, p, p, p, p, /* 0 .. 9 : .. ? */     \
		p, u, u, u, u, u, u, u, u, u, u, u, u, u, u, u, /* @ A .. O */          \
		u, u, u, u, u, u, u, u, u, u, u, p, p, p, p, p, /* P .. Z [ .. _ */     \
		p, k, k, k, k, k, k, k, k, k, k, k, k, k, k, k, /* ` a .. o */          \
		k, k, k, k, k, k, k, k, k, k, k, p, p, p, p, k, /* p .. z { .. ~ \x7F */ \
	}
static const unsigned char ascii_ws[128] = ASCII_TABLE(KEEP, KEEP, SPACE, KEEP);
static const unsigned char ascii_lower_punct[128] = ASCII_TABLE(KEEP, KEEP | FOLD, SPACE, 0);

/* Unicode's White_Space beyond ASCII. */
static int unicode_space(uint32_t c)
{
	return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
	       c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* The code point of the well-formed n-byte (2 to 4) sequence at s. */
static uint32_t decode(const unsigned char *s, size_t n)
{
	if (n == 2)
		return (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
	if (n == 3)
		return (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
	return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
	       (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
}

/* Writes c (a scalar value above U+007F) as UTF-8; returns its length. */
static size_t encode(uint32_t c, unsigned char *out)
{
	if (c < 0x800) {
		out[0] = (unsigned char)(0xC0 | c >> 6);
		out[1] = (unsigned char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (unsigned char)(0xE0 | c >> 12);
		out[1] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
		out[2] = (unsigned char)(0x80 | (c & 0x3F));
		return 3;
	}
	out[0] = (unsigned char)(0xF0 | c >> 18);
	out[1] = (unsigned char)(0x80 | (c >> 12 & 0x3F));
	out[2] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
	out[3] = (unsigned char)(0x80 | (c & 0x3F));
	return 4;
}

static int punct_or_symbol(uint32_t c)
{
	utf8proc_category_t k = utf8proc_category((utf8proc_int32_t)c);
	return k >= UTF8PROC_CATEGORY_PC && k <= UTF8PROC_CATEGORY_SO;
}

/* ws (fold 0) and lower-punct (fold 1). */
static size_t collapse(int fold, const unsigned char *s, size_t len, unsigned char *out)
{
	const unsigned char *table = fold ? ascii_lower_punct : ascii_ws;
	size_t o = 0;
	/* The last byte written, or a space before the first: a space is
	 * written only after something else. */
	unsigned char last = ' ';
	for (size_t i = 0; i < len;) {
		unsigned c = s[i];
		if (c < 0x80) {
			/* Without a branch on the kind of byte, which English
			 * changes every few letters: the byte is always stored,
			 * and the output grows past it or not. */
			unsigned t = table[c];
			unsigned char b = t & SPACE ? ' ' : (unsigned char)(c | (t & FOLD));
			size_t step = (t & KEEP) | ((t >> 1) & (last != ' '));
			out[o] = b;
			o += step;
			last = step ? b : last;
			i++;
			continue;
		}
		size_t n = utf8_seq_len(s + i, len - i);
		if (!n) {
			/* Not UTF-8: the byte stays, a character of its own. */
			out[o++] = last = (unsigned char)c;
			i++;
			continue;
		}
		uint32_t cp = decode(s + i, n);
		if (unicode_space(cp)) {
			if (last != ' ')
				out[o++] = last = ' ';
		} else if (!fold) {
			memcpy(out + o, s + i, n);
			o += n;
			last = s[i + n - 1];
		} else if (!punct_or_symbol(cp)) {
			/* A lowercase may be ASCII: U+212A KELVIN SIGN's is
			 * 'k', U+0130's 'i'. */
			uint32_t low = (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp);
			if (low < 0x80)
				out[o++] = last = (unsigned char)low;
			else {
				o += encode(low, out + o);
				last = out[o - 1];
			}
		}
		i += n;
	}
	if (o && out[o - 1] == ' ')
		o--;
	return o;
}

int normalize_parse(const char *name)
{
	if (!strcmp(name, "none"))
		return NORMALIZE_NONE;
	if (!strcmp(name, "ws"))
		return NORMALIZE_WS;
	if (!strcmp(name, "lower-punct"))
		return NORMALIZE_LOWER_PUNCT;
	return -1;
}

const char *normalize_name(enum normalize_mode mode)
{
	switch (mode) {
	case NORMALIZE_NONE:
		return "none";
	case NORMALIZE_WS:
		return "ws";
	case NORMALIZE_LOWER_PUNCT:
		return "lower-punct";
	}
	return "?";
}

size_t normalize_bound(size_t len)
{
	/* A character grows by lowercasing from two bytes to three at most
	 * (U+023A to U+2C65); white space and everything else only shrink
	 * or stay.  Past what memory can hold, the answer saturates rather
	 * than wraps. */
	if (len > SIZE_MAX / 3 * 2)
		return SIZE_MAX;
	return len + len / 2;
}

size_t normalize(enum normalize_mode mode, const char *text, size_t len, char *out)
{
	switch (mode) {
	case NORMALIZE_WS:
		return collapse(0, (const unsigned char *)text, len, (unsigned char *)out);
	case NORMALIZE_LOWER_PUNCT:
		return collapse(1, (const unsigned char *)text, len, (unsigned char *)out);
	case NORMALIZE_NONE:
		break;
	}
	if (len)
		memcpy(out, text, len);
	return len;
}
