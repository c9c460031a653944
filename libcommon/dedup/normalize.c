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

/* Collapses s[*at..] into out from out[o] on, character by character,
 * with after_space saying whether the last byte written is a space (or
 * none has been); returns the new output length.  With until_ascii it
 * stops at the first ASCII byte, for the vector loop to take over. */
static size_t collapse_chars(int fold, const unsigned char *s, size_t len, size_t *at, unsigned char *out, size_t o,
                             int *after_space, int until_ascii)
{
	const unsigned char *table = fold ? ascii_lower_punct : ascii_ws;
	size_t i = *at;
	/* The last byte written, or a space before the first: a space is
	 * written only after something else. */
	unsigned char last = *after_space ? ' ' : 'x';
	while (i < len) {
		unsigned c = s[i];
		if (c < 0x80) {
			if (until_ascii)
				break;
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
	*at = i;
	*after_space = last == ' ';
	return o;
}

/* ws (fold 0) and lower-punct (fold 1), a character at a time. */
static size_t collapse(int fold, const unsigned char *s, size_t len, unsigned char *out)
{
	size_t i = 0;
	int after_space = 1;
	size_t o = collapse_chars(fold, s, len, &i, out, 0, &after_space, 0);
	if (o && out[o - 1] == ' ')
		o--;
	return o;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX512_COLLAPSE 1

/* The same, 64 bytes at a time where they are ASCII, for CPUs with
 * AVX-512 VBMI and VBMI2 (byte permutes and byte compression) and BMI2;
 * the output is the same by construction, which the normalize fuzz target
 * checks against collapse().  For each block: the table gives each byte's
 * kind (vpermi2b looks up 64 at once), letters are folded and white space
 * made ' '; then among the bytes not deleted (live), a space is written
 * only when the live byte before it is not one, which is a shift of the
 * live bytes' space mask once they are packed together (pext) and put back
 * (pdep); the written bytes are packed (vpcompressb) and stored under a
 * mask.  A block holding other bytes is done in vector up to the first of
 * them, and that run of characters by collapse_chars. */
__attribute__((target("avx512f,avx512bw,avx512vbmi,avx512vbmi2,bmi,bmi2,popcnt"))) static size_t
collapse_avx512(int fold, const unsigned char *s, size_t len, unsigned char *out)
{
	const unsigned char *table = fold ? ascii_lower_punct : ascii_ws;
	const __m512i table_lo = _mm512_loadu_si512(table), table_hi = _mm512_loadu_si512(table + 64);
	const __m512i keep = _mm512_set1_epi8(KEEP), space = _mm512_set1_epi8(SPACE);
	const __m512i fold_bit = _mm512_set1_epi8(FOLD), blank = _mm512_set1_epi8(' ');
	size_t i = 0, o = 0;
	int after_space = 1;
	while (i < len) {
		size_t n = len - i < 64 ? len - i : 64;
		__mmask64 valid = n == 64 ? ~(__mmask64)0 : ((__mmask64)1 << n) - 1;
		__m512i v = _mm512_maskz_loadu_epi8(valid, s + i);
		uint64_t other = _mm512_movepi8_mask(v);
		if (other) {
			n = (size_t)_tzcnt_u64(other);
			valid = ((__mmask64)1 << n) - 1;
		}
		if (n) {
			__m512i kind = _mm512_permutex2var_epi8(table_lo, v, table_hi);
			uint64_t kept = _mm512_mask_test_epi8_mask(valid, kind, keep);
			uint64_t spaces = _mm512_mask_test_epi8_mask(valid, kind, space);
			__m512i b = _mm512_or_si512(v, _mm512_and_si512(kind, fold_bit));
			b = _mm512_mask_mov_epi8(b, spaces, blank);
			uint64_t live = kept | spaces;
			uint64_t packed_spaces = _pext_u64(spaces, live);
			unsigned nlive = (unsigned)_mm_popcnt_u64(live);
			uint64_t packed_written = ~(packed_spaces & (packed_spaces << 1 | (uint64_t)after_space));
			uint64_t written = _pdep_u64(packed_written, live);
			unsigned nwritten = (unsigned)_mm_popcnt_u64(written);
			__mmask64 store = nwritten == 64 ? ~(__mmask64)0 : ((__mmask64)1 << nwritten) - 1;
			_mm512_mask_storeu_epi8(out + o, store, _mm512_maskz_compress_epi8(written, b));
			o += nwritten;
			/* The last byte written is a space exactly when the last
			 * live byte is: if that one was not written, the one
			 * before it was a space too, and so on back to one that
			 * was (or to a space already there). */
			if (nlive)
				after_space = (int)(packed_spaces >> (nlive - 1) & 1);
			i += n;
		}
		if (other)
			o = collapse_chars(fold, s, len, &i, out, o, &after_space, 1);
	}
	if (o && out[o - 1] == ' ')
		o--;
	return o;
}

static int have_avx512_collapse(void)
{
	return __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("avx512vbmi") &&
	       __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("bmi2");
}
#endif

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

size_t normalize_portable(enum normalize_mode mode, const char *text, size_t len, char *out)
{
	if (mode == NORMALIZE_NONE) {
		if (len)
			memcpy(out, text, len);
		return len;
	}
	return collapse(mode == NORMALIZE_LOWER_PUNCT, (const unsigned char *)text, len, (unsigned char *)out);
}

size_t normalize(enum normalize_mode mode, const char *text, size_t len, char *out)
{
#ifdef HAVE_AVX512_COLLAPSE
	if (mode != NORMALIZE_NONE && have_avx512_collapse())
		return collapse_avx512(mode == NORMALIZE_LOWER_PUNCT, (const unsigned char *)text, len,
		                       (unsigned char *)out);
#endif
	return normalize_portable(mode, text, len, out);
}
