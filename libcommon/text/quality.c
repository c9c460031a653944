/* quality.c - see quality.h.  Each filter follows datatrove's source step
 * by step, in its order, so the first failing check names the same reason.
 *
 * Nothing allocates per word: the scratch keeps growable arrays (pieces of
 * the text, per-word lengths and prefix hashes, one hash set) that reach
 * the size of the largest document and stay.  N-grams are never built as
 * strings: a " ".join window is hashed from prefix hashes over its words'
 * hashes, a "".join window as one piece of the words laid back to back,
 * and a hash match is confirmed by comparing the strings Python would
 * build, so a collision costs time, never a count. */
#include "text/quality.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include <xxhash.h>

#include "base/die.h"
#include "base/utf8.h"
#include "text/wordtok.h"

/* ---- Python's character classes ---------------------------------------- */

/* Next code point of s[*i..n) (an ill-formed byte reads as U+FFFD). */
static uint32_t next_cp(const char *text, size_t n, size_t *i)
{
	const unsigned char *s = (const unsigned char *)text + *i;
	unsigned char c = s[0];
	if (c < 0x80) {
		*i += 1;
		return c;
	}
	size_t k = utf8_seq_len(s, n - *i);
	if (!k) {
		*i += 1;
		return 0xFFFD;
	}
	*i += k;
	if (k == 2)
		return (uint32_t)(c & 0x1F) << 6 | (s[1] & 0x3F);
	if (k == 3)
		return (uint32_t)(c & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
	return (uint32_t)(c & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
	       (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
}

/* The code point ending at text[end) and its first byte, in *start. */
static uint32_t prev_cp(const char *text, size_t begin, size_t end, size_t *start)
{
	size_t i = end - 1;
	while (i > begin && end - i < 4 && ((unsigned char)text[i] & 0xC0) == 0x80)
		i--;
	size_t j = i;
	uint32_t cp = next_cp(text, end, &j);
	if (j != end) { /* not a whole sequence: the last byte alone */
		*start = end - 1;
		return 0xFFFD;
	}
	*start = i;
	return cp;
}

/* Code points in s[0..n): Python's len() of the decoded text, that is the
 * bytes less the continuation bytes (10xxxxxx), counted 8 at a time. */
static size_t cp_count(const char *s, size_t n)
{
	const uint64_t high = UINT64_C(0x8080808080808080), ones = UINT64_C(0x0101010101010101);
	size_t cont = 0, i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t x;
		memcpy(&x, s + i, 8);
		/* bit 7 of a byte: set, with bit 6 (shifted up to it) clear */
		uint64_t m = (x & ~(x << 1) & high) >> 7;
		cont += (size_t)((m * ones) >> 56); /* the sum of the 0/1 bytes */
	}
	for (; i < n; i++)
		cont += ((unsigned char)s[i] & 0xC0) == 0x80;
	return n - cont;
}

/* str.isspace(): Unicode White_Space plus the separators U+001C..U+001F. */
static int py_space(uint32_t c)
{
	if (c < 0x80)
		return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
	return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
	       c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* str.isalpha() of one character: general category L*. */
static int py_alpha(uint32_t c)
{
	if (c < 0x80)
		return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
	switch (utf8proc_category((utf8proc_int32_t)c)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
		return 1;
	default:
		return 0;
	}
}

static int in_sorted(const uint32_t *v, size_t n, uint32_t c)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] == c)
			return 1;
		if (v[mid] < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* datatrove's TERMINAL_PUNCTUATION (utils/text.py), sorted. */
static const uint32_t terminal_punct[] = {
	0x21, 0x2e, 0x3f, 0x589, 0x61d, 0x61e, 0x61f, 0x6d4, 0x700, 0x701, 0x702, 0x7f9, 0x837, 0x839,
	0x83d, 0x83e, 0x964, 0x965, 0x104a, 0x104b, 0x1362, 0x1367, 0x1368, 0x166e, 0x1735, 0x1736,
	0x17d4, 0x17d5, 0x17d6, 0x17d9, 0x17da, 0x1803, 0x1809, 0x1944, 0x1945, 0x1aa8, 0x1aa9,
	0x1aaa, 0x1aab, 0x1b5a, 0x1b5b, 0x1b5e, 0x1b5f, 0x1b7d, 0x1b7e, 0x1c3b, 0x1c3c, 0x1c7e,
	0x1c7f, 0x203c, 0x203d, 0x2047, 0x2048, 0x2049, 0x2e2e, 0x2e3c, 0x2e53, 0x2e54, 0x3002,
	0xa4ff, 0xa60e, 0xa60f, 0xa6f3, 0xa6f7, 0xa876, 0xa877, 0xa8ce, 0xa8cf, 0xa92f, 0xa9c8,
	0xa9c9, 0xaa5d, 0xaa5e, 0xaa5f, 0xaaf0, 0xaaf1, 0xabeb, 0xfe52, 0xfe56, 0xfe57, 0xff01,
	0xff0e, 0xff1f, 0xff61, 0x10a56, 0x10a57, 0x10f55, 0x10f56, 0x10f57, 0x10f58, 0x10f59,
	0x10f86, 0x10f87, 0x10f88, 0x10f89, 0x11047, 0x11048, 0x110be, 0x110bf, 0x110c0, 0x110c1,
	0x11141, 0x11142, 0x11143, 0x111c5, 0x111c6, 0x111cd, 0x111de, 0x111df, 0x11238, 0x11239,
	0x1123b, 0x1123c, 0x112a9, 0x1144b, 0x1144c, 0x115c2, 0x115c3, 0x115c9, 0x115ca, 0x115cb,
	0x115cc, 0x115cd, 0x115ce, 0x115cf, 0x115d0, 0x115d1, 0x115d2, 0x115d3, 0x115d4, 0x115d5,
	0x115d6, 0x115d7, 0x11641, 0x11642, 0x1173c, 0x1173d, 0x1173e, 0x11944, 0x11946, 0x11a42,
	0x11a43, 0x11a9b, 0x11a9c, 0x11c41, 0x11c42, 0x11ef7, 0x11ef8, 0x11f43, 0x11f44, 0x16a6e,
	0x16a6f, 0x16af5, 0x16b37, 0x16b38, 0x16b44, 0x16e98, 0x1bc9f, 0x1da88,
};

/* datatrove's PUNCTUATION_SET above U+009F (its PUNCTUATION string and
 * TERMINAL_PUNCTUATION together), sorted. */
static const uint32_t punct_above_c1[] = {
	0xab, 0xb4, 0xbb, 0x589, 0x61d, 0x61e, 0x61f, 0x6d4, 0x700, 0x701, 0x702, 0x7f9, 0x837, 0x839,
	0x83d, 0x83e, 0x964, 0x965, 0x104a, 0x104b, 0x1362, 0x1367, 0x1368, 0x166e, 0x1735, 0x1736,
	0x17d4, 0x17d5, 0x17d6, 0x17d9, 0x17da, 0x1803, 0x1809, 0x1944, 0x1945, 0x1aa8, 0x1aa9,
	0x1aaa, 0x1aab, 0x1b5a, 0x1b5b, 0x1b5e, 0x1b5f, 0x1b7d, 0x1b7e, 0x1c3b, 0x1c3c, 0x1c7e,
	0x1c7f, 0x2013, 0x2014, 0x2019, 0x201c, 0x201d, 0x201e, 0x2026, 0x203c, 0x203d, 0x2047,
	0x2048, 0x2049, 0x2236, 0x2501, 0x25ba, 0x2e2e, 0x2e3c, 0x2e53, 0x2e54, 0x3001, 0x3002,
	0x3008, 0x3009, 0x300a, 0x300b, 0x300c, 0x300d, 0x3010, 0x3011, 0xa4ff, 0xa60e, 0xa60f,
	0xa6f3, 0xa6f7, 0xa876, 0xa877, 0xa8ce, 0xa8cf, 0xa92f, 0xa9c8, 0xa9c9, 0xaa5d, 0xaa5e,
	0xaa5f, 0xaaf0, 0xaaf1, 0xabeb, 0xfe52, 0xfe56, 0xfe57, 0xff01, 0xff05, 0xff08, 0xff09,
	0xff0c, 0xff0e, 0xff11, 0xff1a, 0xff1b, 0xff1f, 0xff5e, 0xff61, 0x10a56, 0x10a57, 0x10f55,
	0x10f56, 0x10f57, 0x10f58, 0x10f59, 0x10f86, 0x10f87, 0x10f88, 0x10f89, 0x11047, 0x11048,
	0x110be, 0x110bf, 0x110c0, 0x110c1, 0x11141, 0x11142, 0x11143, 0x111c5, 0x111c6, 0x111cd,
	0x111de, 0x111df, 0x11238, 0x11239, 0x1123b, 0x1123c, 0x112a9, 0x1144b, 0x1144c, 0x115c2,
	0x115c3, 0x115c9, 0x115ca, 0x115cb, 0x115cc, 0x115cd, 0x115ce, 0x115cf, 0x115d0, 0x115d1,
	0x115d2, 0x115d3, 0x115d4, 0x115d5, 0x115d6, 0x115d7, 0x11641, 0x11642, 0x1173c, 0x1173d,
	0x1173e, 0x11944, 0x11946, 0x11a42, 0x11a43, 0x11a9b, 0x11a9c, 0x11c41, 0x11c42, 0x11ef7,
	0x11ef8, 0x11f43, 0x11f44, 0x16a6e, 0x16a6f, 0x16af5, 0x16b37, 0x16b38, 0x16b44, 0x16e98,
	0x1bc9f, 0x1da88,
};

/* Membership in datatrove's PUNCTUATION_SET: the ASCII marks, the C0
 * controls but tab and newline, DEL and the C1 controls, and the table. */
static int dt_punct(uint32_t c)
{
	if (c < 0x80)
		return (c < 0x20 && c != '\t' && c != '\n') || c == 0x7F ||
		       (c > ' ' && c < 0x7F && !(c >= '0' && c <= '9') && !((c | 0x20) >= 'a' && (c | 0x20) <= 'z'));
	if (c < 0xA0)
		return 1;
	return in_sorted(punct_above_c1, sizeof punct_above_c1 / sizeof *punct_above_c1, c);
}

/* ---- pieces of text ------------------------------------------------------ */

struct piece {
	size_t off, len;
};

/* A growable array that reports failure instead of dying. */
static int grow(void **v, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 64;
	while (n < need) {
		if (n > SIZE_MAX / 2 / elem)
			return -1;
		n *= 2;
	}
	void *p = realloc(*v, n * elem);
	if (!p)
		return -1;
	*v = p, *cap = n;
	return 0;
}

struct pieces {
	struct piece *v;
	size_t n, cap;
};

static int pieces_add(struct pieces *p, size_t off, size_t len)
{
	if (grow((void **)&p->v, &p->cap, p->n + 1, sizeof *p->v) < 0)
		return -1;
	p->v[p->n++] = (struct piece){off, len};
	return 0;
}

/* The first byte of text[b..e) after its leading whitespace (lstrip). */
static size_t skip_space(const char *text, size_t b, size_t e)
{
	while (b < e) {
		unsigned char c = (unsigned char)text[b];
		if (c < 0x80) { /* the common case, without decoding */
			if (!py_space(c))
				break;
			b++;
			continue;
		}
		size_t j = b;
		if (!py_space(next_cp(text, e, &j)))
			break;
		b = j;
	}
	return b;
}

/* The end of text[b..e) before its trailing whitespace (rstrip). */
static size_t rskip_space(const char *text, size_t b, size_t e)
{
	while (e > b) {
		unsigned char c = (unsigned char)text[e - 1];
		if (c < 0x80) {
			if (!py_space(c))
				break;
			e--;
			continue;
		}
		size_t start;
		if (!py_space(prev_cp(text, b, e, &start)))
			break;
		e = start;
	}
	return e;
}

/* Python's str.strip() of text[*off..*off+*len), in place. */
static void py_strip(const char *text, size_t *off, size_t *len)
{
	size_t b = *off, e = *off + *len;
	b = skip_space(text, b, e);
	e = rskip_space(text, b, e);
	*off = b, *len = e - b;
}

/* Python's str.splitlines() (no ends kept): \n, \r, \r\n, \v, \f, \x1c,
 * \x1d, \x1e, U+0085, U+2028, U+2029 end a line; "" has no lines. */
static int split_lines(struct pieces *out, const char *t, size_t n)
{
	out->n = 0;
	size_t start = 0, i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)t[i];
		if (c > 0x1E && c != 0xC2 && c != 0xE2) { /* most bytes end no line */
			i++;
			continue;
		}
		size_t end = i, next = 0;
		if (c == '\n' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E)
			next = i + 1;
		else if (c == '\r')
			next = i + 1 < n && t[i + 1] == '\n' ? i + 2 : i + 1;
		else if (c == 0xC2 && i + 1 < n && (unsigned char)t[i + 1] == 0x85)
			next = i + 2;
		else if (c == 0xE2 && i + 2 < n && (unsigned char)t[i + 1] == 0x80 &&
		         ((unsigned char)t[i + 2] == 0xA8 || (unsigned char)t[i + 2] == 0xA9))
			next = i + 3;
		if (!next) {
			i++;
			continue;
		}
		if (pieces_add(out, start, end - start) < 0)
			return -1;
		start = i = next;
	}
	if (start < n && pieces_add(out, start, n - start) < 0)
		return -1;
	return 0;
}

/* re.split(r"\n{min_run,}", t): the pieces between runs of at least
 * min_run newlines, empty ones included. */
static int split_newline_runs(struct pieces *out, const char *t, size_t n, size_t min_run)
{
	out->n = 0;
	size_t start = 0, i = 0;
	while (i < n) {
		const char *nl = memchr(t + i, '\n', n - i);
		if (!nl)
			break;
		i = (size_t)(nl - t);
		size_t run = i;
		while (run < n && t[run] == '\n')
			run++;
		if (run - i >= min_run) {
			if (pieces_add(out, start, i - start) < 0)
				return -1;
			start = run;
		}
		i = run;
	}
	return pieces_add(out, start, n - start);
}

/* Non-overlapping occurrences of pat in s[0..n), as str.count() counts. */
static size_t count_str(const char *s, size_t n, const char *pat, size_t m)
{
	size_t c = 0;
	for (size_t i = 0; i + m <= n;) {
		const char *p = memchr(s + i, pat[0], n - i - m + 1);
		if (!p)
			break;
		i = (size_t)(p - s);
		if (!memcmp(p, pat, m)) {
			c++;
			i += m;
		} else {
			i++;
		}
	}
	return c;
}

static int contains(const char *s, size_t n, const char *pat)
{
	size_t m = strlen(pat);
	return count_str(s, n, pat, m) > 0;
}

static int ends_with(const char *s, size_t n, const char *suf, size_t m)
{
	return n >= m && !memcmp(s + n - m, suf, m);
}

/* ---- hashing ----------------------------------------------------------- */

#define MERSENNE61 ((UINT64_C(1) << 61) - 1)
#define HASH_BASE UINT64_C(0x1f3d5b79a2c4e681) /* any value below 2^61 - 1 */

/* a * b mod 2^61-1 for a, b below it: with a 128-bit product where the
 * compiler has one, else in 64-bit halves. */
static inline uint64_t mulmod(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
	__extension__ typedef unsigned __int128 u128;
	u128 p = (u128)a * b;
	uint64_t r = ((uint64_t)p & MERSENNE61) + (uint64_t)(p >> 61);
#else
	uint64_t ah = a >> 32, al = (uint32_t)a, bh = b >> 32, bl = (uint32_t)b;
	uint64_t lo = al * bl, mid = ah * bl + al * bh, hi = ah * bh;
	/* a*b = hi 2^64 + mid 2^32 + lo, and 2^61 = 1 modulo 2^61-1. */
	uint64_t r = (hi << 3) + (mid >> 29) + ((mid & ((UINT64_C(1) << 29) - 1)) << 32) +
	             (lo >> 61) + (lo & MERSENNE61);
	r = (r & MERSENNE61) + (r >> 61);
#endif
	return r >= MERSENNE61 ? r - MERSENNE61 : r;
}

static inline uint64_t addmod(uint64_t a, uint64_t b)
{
	uint64_t r = a + b;
	return r >= MERSENNE61 ? r - MERSENNE61 : r;
}

static inline uint64_t submod(uint64_t a, uint64_t b)
{
	return a >= b ? a - b : a + MERSENNE61 - b;
}

/* An open-addressing set of items named by index, with their counts.  A
 * slot is in use when its stamp is the set's current one, so emptying the
 * set between n-gram sizes costs nothing.  A slot keeps 32 bits of its
 * item's hash, enough to pass over most others without comparing them,
 * and is 16 bytes so that a document's set stays in the nearest cache. */
struct slot {
	uint32_t tag, item, count, stamp;
};

struct hset {
	struct slot *v;
	size_t cap; /* a power of two */
	uint32_t stamp;
};

/* Empties the set and makes room for n items. */
static int hset_reset(struct hset *h, size_t n)
{
	size_t want = 16;
	while (want < 2 * n) {
		if (want > SIZE_MAX / 4 / sizeof(struct slot))
			return -1;
		want *= 2;
	}
	if (want > h->cap) {
		free(h->v);
		h->v = calloc(want, sizeof *h->v);
		if (!h->v) {
			h->cap = 0;
			return -1;
		}
		h->cap = want;
		h->stamp = 0;
	}
	if (++h->stamp == 0) { /* wrapped: forget every stamp */
		memset(h->v, 0, h->cap * sizeof *h->v);
		h->stamp = 1;
	}
	return 0;
}

/* The slot of an item equal to `item` (same hash, same(ctx, a, b)), or the
 * empty slot where it belongs. */
static inline struct slot *hset_find(struct hset *h, uint64_t hash, uint32_t item,
                                     int (*same)(const void *ctx, uint32_t a, uint32_t b), const void *ctx)
{
	size_t mask = h->cap - 1, i = (size_t)(hash ^ (hash >> 29)) & mask;
	for (;; i = (i + 1) & mask) {
		struct slot *s = &h->v[i];
		if (s->stamp != h->stamp)
			return s;
		if (s->tag == (uint32_t)(hash >> 32) && same(ctx, s->item, item))
			return s;
	}
}

static void hset_put(struct hset *h, struct slot *s, uint64_t hash, uint32_t item)
{
	*s = (struct slot){(uint32_t)(hash >> 32), item, 1, h->stamp};
}

/* ---- the scratch ------------------------------------------------------- */

/* Per word: its place in the text, and what the filters ask of it. */
struct word {
	uint32_t off, len;  /* bytes */
	uint32_t chars;     /* code points */
};

struct quality_scratch {
	struct wordtok *tok;
	struct pieces lines, lines2;
	struct word *w;
	size_t wcap;
	/* Prefix sums over the words, W + 1 each: code points, bytes, and the
	 * hashes of "".join(words[:i]) and of " ".join with a space after
	 * each word (a string's hash with one more space is as distinctive). */
	uint64_t *cp_sum, *byte_sum, *word_sum;
	size_t pcap;
	/* The last exact top n-gram count, per window start i: group[i] is
	 * the first window equal to window i, and group_count[g] how many
	 * windows equal window g. */
	uint32_t *group, *group_count;
	size_t gcap;
	uint64_t *pow; /* HASH_BASE^k */
	size_t powcap, pown;
	struct hset set;
	/* The words' bytes back to back ("".join(words)), and per word
	 * whether the SHARED_PREFIX bytes from its start there also start at
	 * another word. */
	char *stream;
	uint8_t *shared;
	size_t streamcap, sharedcap;
	/* The windows the duplicate counts must hash, in order. */
	uint32_t *dup_at;
	size_t dupcap, ndup;
	char *out, *line, *lower;
	size_t outcap, linecap, lowercap;
	/* The words of one text, cached across the filters until it changes. */
	const char *words_of;
	size_t words_len;
	long nwords;
};

struct quality_scratch *quality_scratch_new(void)
{
	struct quality_scratch *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->tok = wordtok_new();
	if (!s->tok) {
		free(s);
		return NULL;
	}
	return s;
}

void quality_scratch_free(struct quality_scratch *s)
{
	if (!s)
		return;
	wordtok_free(s->tok);
	free(s->lines.v);
	free(s->lines2.v);
	free(s->w);
	free(s->cp_sum);
	free(s->byte_sum);
	free(s->word_sum);
	free(s->group);
	free(s->group_count);
	free(s->pow);
	free(s->set.v);
	free(s->out);
	free(s->line);
	free(s->lower);
	free(s->stream);
	free(s->shared);
	free(s->dup_at);
	free(s);
}

/* Whether get_words has the words of text already. */
static int words_cached(const struct quality_scratch *s, const char *text, size_t len)
{
	return s->words_of == text && s->words_len == len;
}

/* The words of text (wordtok's), with their lengths in code points. */
static long get_words(struct quality_scratch *s, const char *text, size_t len)
{
	if (words_cached(s, text, len))
		return s->nwords;
	const struct text_span *sp;
	long n = wordtok_words(s->tok, text, len, &sp);
	if (n < 0 || grow((void **)&s->w, &s->wcap, (size_t)n + 1, sizeof *s->w) < 0)
		return -1;
	int ascii = cp_count(text, len) == len; /* then every byte is a code point */
	for (long i = 0; i < n; i++)
		s->w[i] = (struct word){sp[i].off, sp[i].len,
		                        ascii ? sp[i].len : (uint32_t)cp_count(text + sp[i].off, sp[i].len)};
	s->words_of = text, s->words_len = len, s->nwords = n;
	return n;
}

/* ---- find_duplicates over pieces of one text ---------------------------- */

struct piece_ctx {
	const char *text;
	const struct piece *v;
};

static int same_piece(const void *ctx, uint32_t a, uint32_t b)
{
	const struct piece_ctx *c = ctx;
	const struct piece *x = &c->v[a], *y = &c->v[b];
	return x->len == y->len && !memcmp(c->text + x->off, c->text + y->off, x->len);
}

/* datatrove's find_duplicates: how many pieces repeat an earlier one, and
 * their code points. */
static int find_duplicates(struct quality_scratch *s, const char *text, const struct pieces *p,
                           size_t *dup_items, size_t *dup_chars)
{
	if (p->n > UINT32_MAX || hset_reset(&s->set, p->n) < 0)
		return -1;
	struct piece_ctx ctx = {text, p->v};
	*dup_items = *dup_chars = 0;
	for (size_t i = 0; i < p->n; i++) {
		uint64_t h = XXH3_64bits(text + p->v[i].off, p->v[i].len);
		struct slot *sl = hset_find(&s->set, h, (uint32_t)i, same_piece, &ctx);
		if (sl->stamp == s->set.stamp) {
			++*dup_items;
			*dup_chars += cp_count(text + p->v[i].off, p->v[i].len);
		} else {
			hset_put(&s->set, sl, h, (uint32_t)i);
		}
	}
	return 0;
}

/* a / b > t, a / b < t as Python computes them, where b == 0 (Python's
 * ZeroDivisionError) counts as the check passing: see quality.h. */
static int ratio_above(double a, double b, double t)
{
	return b != 0 && a / b > t;
}

static int ratio_below(double a, double b, double t)
{
	return b != 0 && a / b < t;
}

/* ---- gopher-repetition ------------------------------------------------- */

/* N-grams are windows of words.  Two " ".join windows are the same string
 * exactly when they hold the same words (words hold no whitespace), so they
 * are hashed from per-word hashes.  Two "".join windows are the same string
 * whatever their word boundaries, so they are hashed as bytes: in the words'
 * stream (the words back to back, s->stream) each is one contiguous piece. */
struct ngram_ctx {
	const struct quality_scratch *s;
	size_t n;
};

/* Whether " ".join of words[a..a+n) and of words[b..b+n) are the same:
 * the same words. */
static int same_spaced(const void *ctx, uint32_t a, uint32_t b)
{
	const struct ngram_ctx *c = ctx;
	const struct quality_scratch *s = c->s;
	for (size_t k = 0; k < c->n; k++)
		if (s->w[a + k].len != s->w[b + k].len ||
		    memcmp(s->stream + s->byte_sum[a + k], s->stream + s->byte_sum[b + k], s->w[a + k].len))
			return 0;
	return 1;
}

/* Whether "".join of words[a..a+n) and of words[b..b+n) are the same. */
static int same_joined(const void *ctx, uint32_t a, uint32_t b)
{
	const struct ngram_ctx *c = ctx;
	const uint64_t *at = c->s->byte_sum;
	uint64_t len = at[a + c->n] - at[a];
	return len == at[b + c->n] - at[b] && !memcmp(c->s->stream + at[a], c->s->stream + at[b], len);
}

static int pow_upto(struct quality_scratch *s, size_t k)
{
	if (k < s->pown)
		return 0;
	if (grow((void **)&s->pow, &s->powcap, k + 1, sizeof *s->pow) < 0)
		return -1;
	if (!s->pown)
		s->pow[s->pown++] = 1;
	while (s->pown <= k) {
		s->pow[s->pown] = mulmod(s->pow[s->pown - 1], HASH_BASE);
		s->pown++;
	}
	return 0;
}

/* Prefix sums over the W words of text (code points, bytes, and a
 * polynomial hash of the word hashes), and the words' stream, for windows
 * of up to max_n words. */
static int prepare_ngrams(struct quality_scratch *s, const char *text, size_t W, size_t max_n)
{
	if (grow((void **)&s->cp_sum, &s->pcap, W + 1, sizeof(uint64_t)) < 0)
		return -1;
	size_t cap = s->pcap;
	/* The three arrays share one capacity: grow the others to it. */
	uint64_t **arr[] = {&s->byte_sum, &s->word_sum};
	for (size_t k = 0; k < 2; k++) {
		uint64_t *p = realloc(*arr[k], cap * sizeof(uint64_t));
		if (!p)
			return -1;
		*arr[k] = p;
	}
	s->cp_sum[0] = s->byte_sum[0] = s->word_sum[0] = 0;
	for (size_t i = 0; i < W; i++) {
		s->cp_sum[i + 1] = s->cp_sum[i] + s->w[i].chars;
		s->byte_sum[i + 1] = s->byte_sum[i] + s->w[i].len;
	}
	if (grow((void **)&s->stream, &s->streamcap, (size_t)s->byte_sum[W] + 1, 1) < 0 ||
	    pow_upto(s, max_n < W ? max_n : W) < 0)
		return -1;
	for (size_t i = 0; i < W; i++) {
		const char *word = text + s->w[i].off;
		memcpy(s->stream + s->byte_sum[i], word, s->w[i].len);
		uint64_t h = XXH3_64bits(word, s->w[i].len) % MERSENNE61;
		s->word_sum[i + 1] = addmod(mulmod(s->word_sum[i], HASH_BASE), h);
	}
	return 0;
}

/* The hash of " ".join(words[i..i+n)), from the prefix hashes. */
static uint64_t spaced_hash(const struct quality_scratch *s, size_t i, size_t n)
{
	return submod(s->word_sum[i + n], mulmod(s->word_sum[i], s->pow[n]));
}

/* The hash of "".join(words[i..i+n)). */
static uint64_t joined_hash(const struct quality_scratch *s, size_t i, size_t n)
{
	return XXH3_64bits(s->stream + s->byte_sum[i], (size_t)(s->byte_sum[i + n] - s->byte_sum[i]));
}

/* Room in s->group and s->group_count (one capacity) for n entries. */
static int grow_groups(struct quality_scratch *s, size_t n)
{
	size_t cap = s->gcap;
	if (grow((void **)&s->group, &cap, n, sizeof *s->group) < 0)
		return -1;
	cap = s->gcap;
	if (grow((void **)&s->group_count, &cap, n, sizeof *s->group_count) < 0)
		return -1;
	s->gcap = cap;
	return 0;
}

/* find_top_duplicate over " ".join n-grams: code points of the most
 * frequent one (the first seen among equals, as Counter.most_common(1)
 * picks) times its count; -1 when out of memory. */
static long long top_ngram_chars(struct quality_scratch *s, size_t W, size_t n)
{
	if (hset_reset(&s->set, W - n + 1) < 0)
		return -1;
	if (grow_groups(s, W) < 0)
		return -1;
	struct ngram_ctx ctx = {s, n};
	uint32_t best = 0, best_count = 0;
	for (size_t i = 0; i + n <= W; i++) {
		uint64_t h = spaced_hash(s, i, n);
		struct slot *sl = hset_find(&s->set, h, (uint32_t)i, same_spaced, &ctx);
		if (sl->stamp == s->set.stamp)
			sl->count++;
		else
			hset_put(&s->set, sl, h, (uint32_t)i);
		s->group[i] = sl->item;
		s->group_count[sl->item] = sl->count;
		if (sl->count > best_count || (sl->count == best_count && sl->item < best))
			best = sl->item, best_count = sl->count;
	}
	uint64_t chars = s->cp_sum[best + n] - s->cp_sum[best] + (n - 1);
	return (long long)(chars * best_count);
}

/* An upper bound of top_ngram_chars(n) from the counts top_ngram_chars
 * left for a smaller m: an n-gram occurs at most as often as its first m
 * words (" ".join makes equal strings equal word sequences, as words hold
 * no whitespace), so no window's count times code points exceeds its
 * m-gram's count times its own code points. */
static uint64_t top_ngram_bound(const struct quality_scratch *s, size_t W, size_t n)
{
	uint64_t bound = 0;
	for (size_t i = 0; i + n <= W; i++) {
		uint64_t chars = s->cp_sum[i + n] - s->cp_sum[i] + (n - 1);
		uint64_t b = chars * s->group_count[s->group[i]];
		if (b > bound)
			bound = b;
	}
	return bound;
}

/* Two windows of "".join n-grams that are the same string of at least
 * SHARED_PREFIX bytes begin with the same SHARED_PREFIX bytes of the
 * words' stream.  A window whose first bytes start at no other word can
 * thus neither repeat an earlier window nor be repeated by a later one, for
 * any n: the duplicate counts need not hash it at all, and in prose most
 * windows are such. */
#define SHARED_PREFIX 16

struct prefix_ctx {
	const char *stream;
	const uint64_t *byte_sum;
};

static int same_prefix(const void *ctx, uint32_t a, uint32_t b)
{
	const struct prefix_ctx *c = ctx;
	return !memcmp(c->stream + c->byte_sum[a], c->stream + c->byte_sum[b], SHARED_PREFIX);
}

/* Fills s->shared for the W words in s->stream, and s->dup_at with the
 * windows of min_n words or more that may repeat: those shorter than
 * SHARED_PREFIX bytes at min_n words, and those whose prefix is shared. */
static int mark_shared_prefixes(struct quality_scratch *s, size_t W, size_t min_n)
{
	size_t total = (size_t)s->byte_sum[W];
	if (grow((void **)&s->shared, &s->sharedcap, W + 1, 1) < 0 || grow_groups(s, W) < 0 ||
	    grow((void **)&s->dup_at, &s->dupcap, W + 1, sizeof *s->dup_at) < 0)
		return -1;
	/* The words whose stream runs SHARED_PREFIX bytes: a prefix of the
	 * word offsets, as they only grow. */
	size_t keyed = 0;
	while (keyed < W && total - s->byte_sum[keyed] >= SHARED_PREFIX)
		keyed++;
	if (hset_reset(&s->set, keyed) < 0)
		return -1;
	struct prefix_ctx ctx = {s->stream, s->byte_sum};
	for (size_t i = 0; i < keyed; i++) {
		uint64_t h = XXH3_64bits(s->stream + s->byte_sum[i], SHARED_PREFIX);
		struct slot *sl = hset_find(&s->set, h, (uint32_t)i, same_prefix, &ctx);
		if (sl->stamp == s->set.stamp)
			sl->count++;
		else
			hset_put(&s->set, sl, h, (uint32_t)i);
		s->group[i] = sl->item;
		s->shared[sl->item] = (uint8_t)(sl->count > 1); /* the first of each prefix */
	}
	for (size_t i = 0; i < keyed; i++)
		s->shared[i] = s->shared[s->group[i]];
	s->ndup = 0;
	for (size_t i = 0; i + min_n <= W; i++)
		if (s->byte_sum[i + min_n] - s->byte_sum[i] < SHARED_PREFIX || s->shared[i])
			s->dup_at[s->ndup++] = (uint32_t)i;
	return 0;
}

/* find_all_duplicate over "".join n-grams: code points of the windows that
 * repeat an earlier one, skipping past each repeat. */
static long long dup_ngram_chars(struct quality_scratch *s, size_t W, size_t n)
{
	if (W < n)
		return 0;
	if (hset_reset(&s->set, s->ndup) < 0)
		return -1;
	struct ngram_ctx ctx = {s, n};
	uint64_t repeated = 0;
	/* datatrove's walk moves one word on, or n past a repeat; a window
	 * not in dup_at only moves it on, so the walk visits dup_at alone. */
	size_t next = 0; /* the walk's next window */
	for (size_t k = 0; k < s->ndup; k++) {
		size_t i = s->dup_at[k];
		if (i < next)
			continue;
		if (i + n > W)
			break;
		if (s->byte_sum[i + n] - s->byte_sum[i] >= SHARED_PREFIX && !s->shared[i])
			continue; /* unique: no match, and no later window will match it */
		uint64_t h = joined_hash(s, i, n);
		struct slot *sl = hset_find(&s->set, h, (uint32_t)i, same_joined, &ctx);
		if (sl->stamp == s->set.stamp) {
			repeated += s->cp_sum[i + n] - s->cp_sum[i];
			next = i + n;
		} else {
			hset_put(&s->set, sl, h, (uint32_t)i);
		}
	}
	return (long long)repeated;
}

/* datatrove's f"top_{n}_gram" and f"duplicated_{n}_n_grams", as static
 * strings for every n allowed. */
#define NGRAM_SIZES(X) \
	X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15) X(16) \
	X(17) X(18) X(19) X(20) X(21) X(22) X(23) X(24) X(25) X(26) X(27) X(28) X(29) X(30) X(31) X(32)
#define TOP_REASON(n) "gopher-repetition/top_" #n "_gram",
#define DUP_REASON(n) "gopher-repetition/duplicated_" #n "_n_grams",
static const char *const top_reason[QUALITY_NGRAM_MAX + 1] = {NULL, NGRAM_SIZES(TOP_REASON)};
static const char *const dup_reason[QUALITY_NGRAM_MAX + 1] = {NULL, NGRAM_SIZES(DUP_REASON)};

static int gopher_repetition(const struct quality_opts *o, struct quality_scratch *s,
                             const char *text, size_t len, const char **reason)
{
	double chars = (double)cp_count(text, len);
	size_t dup, dup_chars;

	size_t off = 0, slen = len;
	py_strip(text, &off, &slen);
	if (split_newline_runs(&s->lines, text + off, slen, 2) < 0 ||
	    find_duplicates(s, text + off, &s->lines, &dup, &dup_chars) < 0)
		return -1;
	if (o->rep.dup_para_frac != 0 && ratio_above((double)dup, (double)s->lines.n, o->rep.dup_para_frac))
		return *reason = "gopher-repetition/dup_para_frac", 0;
	if (o->rep.dup_para_char_frac != 0 && ratio_above((double)dup_chars, chars, o->rep.dup_para_char_frac))
		return *reason = "gopher-repetition/dup_para_char_frac", 0;

	if (split_newline_runs(&s->lines, text, len, 1) < 0 ||
	    find_duplicates(s, text, &s->lines, &dup, &dup_chars) < 0)
		return -1;
	if (o->rep.dup_line_frac != 0 && ratio_above((double)dup, (double)s->lines.n, o->rep.dup_line_frac))
		return *reason = "gopher-repetition/dup_line_frac", 0;
	if (o->rep.dup_line_char_frac != 0 && ratio_above((double)dup_chars, chars, o->rep.dup_line_char_frac))
		return *reason = "gopher-repetition/dup_line_char_frac", 0;

	long W = get_words(s, text, len);
	if (W < 0)
		return -1;
	if (W == 0)
		return 0; /* no n-grams: nothing repeats (and 0/len(text) passes) */
	size_t max_n = 0;
	for (int k = 0; k < o->rep.n_top_n_grams; k++)
		if ((size_t)o->rep.top_n_grams[k].n > max_n)
			max_n = (size_t)o->rep.top_n_grams[k].n;
	for (int k = 0; k < o->rep.n_dup_n_grams; k++)
		if ((size_t)o->rep.dup_n_grams[k].n > max_n)
			max_n = (size_t)o->rep.dup_n_grams[k].n;
	if (prepare_ngrams(s, text, (size_t)W, max_n) < 0)
		return -1;
	size_t counted_n = 0; /* the n of the counts top_ngram_chars left, 0: none */
	for (int k = 0; k < o->rep.n_top_n_grams; k++) {
		size_t n = (size_t)o->rep.top_n_grams[k].n;
		double frac = o->rep.top_n_grams[k].frac;
		if ((size_t)W < n)
			continue;
		/* Counting is a pass over a hash table; when the smaller n-grams
		 * already counted show this check passes, skip it. */
		if (counted_n && counted_n <= n &&
		    !ratio_above((double)top_ngram_bound(s, (size_t)W, n), chars, frac))
			continue;
		long long top = top_ngram_chars(s, (size_t)W, n);
		if (top < 0)
			return -1;
		counted_n = n;
		if (ratio_above((double)top, chars, frac))
			return *reason = top_reason[n], 0;
	}
	size_t min_dup_n = SIZE_MAX;
	for (int k = 0; k < o->rep.n_dup_n_grams; k++)
		if ((size_t)o->rep.dup_n_grams[k].n < min_dup_n)
			min_dup_n = (size_t)o->rep.dup_n_grams[k].n;
	if (min_dup_n <= (size_t)W && mark_shared_prefixes(s, (size_t)W, min_dup_n) < 0)
		return -1;
	for (int k = 0; k < o->rep.n_dup_n_grams; k++) {
		size_t n = (size_t)o->rep.dup_n_grams[k].n;
		long long dupc = dup_ngram_chars(s, (size_t)W, n);
		if (dupc < 0)
			return -1;
		if (ratio_above((double)dupc, chars, o->rep.dup_n_grams[k].frac))
			return *reason = dup_reason[n], 0;
	}
	return 0;
}

/* ---- gopher-quality ---------------------------------------------------- */

static int gopher_quality(const struct quality_opts *o, struct quality_scratch *s, const char *text,
                          size_t len, const char **reason)
{
	long W = get_words(s, text, len);
	if (W < 0)
		return -1;
	/* The stop words' places and lengths, measured once per document
	 * rather than once per word. */
	const char *stop[64];
	size_t stop_len[64];
	uint64_t stop_lengths = 0; /* bit l: some stop word has l bytes (l < 64) */
	int n_stop = o->gq.n_stop_words < 64 ? o->gq.n_stop_words : 64;
	const char *sw = o->gq.stop_words;
	for (int k = 0; k < n_stop; k++) {
		stop[k] = sw, stop_len[k] = strlen(sw);
		stop_lengths |= stop_len[k] < 64 ? UINT64_C(1) << stop_len[k] : 0;
		sw += stop_len[k] + 1;
	}
	size_t non_symbol = 0, non_symbol_chars = 0, alpha_words = 0;
	uint64_t stop_seen = 0; /* bit k: stop word k occurs */
	size_t stop_found = 0;
	for (long i = 0; i < W; i++) {
		const char *w = text + s->w[i].off;
		size_t wl = s->w[i].len;
		int symbol_only = 1, alpha = 0;
		for (size_t j = 0; j < wl && (symbol_only || !alpha);) {
			uint32_t c = next_cp(w, wl, &j);
			symbol_only &= dt_punct(c);
			alpha |= py_alpha(c);
		}
		if (!symbol_only)
			non_symbol++, non_symbol_chars += s->w[i].chars;
		alpha_words += alpha;
		if (wl >= 64 || (stop_lengths >> wl & 1)) /* most words have no stop word's length */
			for (int k = 0; k < n_stop; k++)
				if (stop_len[k] == wl && !(stop_seen >> k & 1) && !memcmp(stop[k], w, wl))
					stop_seen |= UINT64_C(1) << k, stop_found++;
	}
	if (o->gq.min_doc_words != 0 && (double)non_symbol < o->gq.min_doc_words)
		return *reason = "gopher-quality/gopher_short_doc", 0;
	if (o->gq.max_doc_words != 0 && (double)non_symbol > o->gq.max_doc_words)
		return *reason = "gopher-quality/gopher_long_doc", 0;
	/* np.mean of no lengths is NaN, which passes both comparisons. */
	if (o->gq.min_avg_word_length != 0 &&
	    ratio_below((double)non_symbol_chars, (double)non_symbol, o->gq.min_avg_word_length))
		return *reason = "gopher-quality/gopher_below_avg_threshold", 0;
	if (o->gq.max_avg_word_length != 0 &&
	    ratio_above((double)non_symbol_chars, (double)non_symbol, o->gq.max_avg_word_length))
		return *reason = "gopher-quality/gopher_above_avg_threshold", 0;
	if (o->gq.max_symbol_word_ratio != 0) {
		if (ratio_above((double)count_str(text, len, "#", 1), (double)W, o->gq.max_symbol_word_ratio))
			return *reason = "gopher-quality/gopher_too_many_hashes", 0;
		size_t ell = count_str(text, len, "...", 3) + count_str(text, len, "\xE2\x80\xA6", 3);
		if (ratio_above((double)ell, (double)W, o->gq.max_symbol_word_ratio))
			return *reason = "gopher-quality/gopher_too_many_ellipsis", 0;
	}
	if (split_lines(&s->lines, text, len) < 0)
		return -1;
	size_t bullets = 0, ellipsis_ends = 0;
	for (size_t i = 0; i < s->lines.n; i++) {
		size_t off = s->lines.v[i].off, e = off + s->lines.v[i].len;
		size_t b = skip_space(text, off, e);
		bullets += (e - b >= 3 && !memcmp(text + b, "\xE2\x80\xA2", 3)) || (b < e && text[b] == '-');
		size_t re = rskip_space(text, off, e);
		ellipsis_ends += ends_with(text + off, re - off, "...", 3) ||
		                 ends_with(text + off, re - off, "\xE2\x80\xA6", 3);
	}
	if (o->gq.max_bullet_lines_ratio != 0 &&
	    ratio_above((double)bullets, (double)s->lines.n, o->gq.max_bullet_lines_ratio))
		return *reason = "gopher-quality/gopher_too_many_bullets", 0;
	if (o->gq.max_ellipsis_lines_ratio != 0 &&
	    ratio_above((double)ellipsis_ends, (double)s->lines.n, o->gq.max_ellipsis_lines_ratio))
		return *reason = "gopher-quality/gopher_too_many_end_ellipsis", 0;
	if (o->gq.max_non_alpha_words_ratio != 0 &&
	    ratio_below((double)alpha_words, (double)W, o->gq.max_non_alpha_words_ratio))
		return *reason = "gopher-quality/gopher_below_alpha_threshold", 0;
	if (o->gq.min_stop_words != 0 && (double)stop_found < o->gq.min_stop_words)
		return *reason = "gopher-quality/gopher_enough_stop_words", 0;
	return 0;
}

/* ---- c4 ---------------------------------------------------------------- */

static int reserve(char **p, size_t *cap, size_t need)
{
	return grow((void **)p, cap, need, 1);
}

/* CITATION_REGEX.sub("", line): removes "[", digits (\d: category Nd),
 * "]"; "[edit]"; "[citation needed]", leftmost first, into s->line. */
static int remove_citations(struct quality_scratch *s, const char *line, size_t n, size_t *out_len)
{
	if (reserve(&s->line, &s->linecap, n + 1) < 0)
		return -1;
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		if (line[i] == '[') {
			size_t j = i + 1;
			while (j < n) {
				size_t k = j;
				uint32_t c = next_cp(line, n, &k);
				if (c < 0x80 ? !(c >= '0' && c <= '9') :
				               utf8proc_category((utf8proc_int32_t)c) != UTF8PROC_CATEGORY_ND)
					break;
				j = k;
			}
			size_t skip = 0;
			if (j < n && line[j] == ']')
				skip = j + 1 - i;
			else if (n - i >= 6 && !memcmp(line + i, "[edit]", 6))
				skip = 6;
			else if (n - i >= 17 && !memcmp(line + i, "[citation needed]", 17))
				skip = 17;
			if (skip) {
				i += skip;
				continue;
			}
		}
		s->line[o++] = line[i++];
	}
	*out_len = o;
	return 0;
}

/* line.lower() as far as ASCII substrings can tell: the only characters
 * beyond ASCII whose lowercase holds ASCII are U+0130 ("i" and U+0307) and
 * the Kelvin sign U+212A ("k"); the rest keep their non-ASCII bytes. */
static int lower_for_search(struct quality_scratch *s, const char *line, size_t n, size_t *out_len)
{
	if (reserve(&s->lower, &s->lowercap, n + 1) < 0) /* U+0130 is 2 bytes, and 3 lowered */
		return -1;
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)line[i];
		if (c == 0xC4 && i + 1 < n && (unsigned char)line[i + 1] == 0xB0) {
			if (reserve(&s->lower, &s->lowercap, o + (n - i) + 2) < 0)
				return -1;
			memcpy(s->lower + o, "i\xCC\x87", 3), o += 3, i += 2;
		} else if (c == 0xE2 && i + 2 < n && (unsigned char)line[i + 1] == 0x84 &&
		           (unsigned char)line[i + 2] == 0xAA) {
			s->lower[o++] = 'k', i += 3;
		} else {
			s->lower[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
			i++;
		}
	}
	*out_len = o;
	return 0;
}

static const char *const policy_substrings[] = {
	"terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies",
};

/* Appends one kept line to the rewritten text in s->out. */
static int out_add(struct quality_scratch *s, size_t *olen, const char *p, size_t n, int sep)
{
	if (reserve(&s->out, &s->outcap, *olen + n + 2) < 0)
		return -1;
	if (sep)
		s->out[(*olen)++] = (char)sep;
	memcpy(s->out + *olen, p, n);
	*olen += n;
	return 0;
}

/* Sentences of text as datatrove's split_into_sentences counts them: one
 * piece per sentence, and a single piece when there is none. */
static long sentence_count(struct quality_scratch *s, const char *text, size_t len)
{
	const struct text_span *sp;
	long n = wordtok_sentences(s->tok, text, len, &sp);
	return n < 0 ? -1 : n == 0 ? 1 : n;
}

/* The lines C4 reads with split_paragraph=false: split_into_sentences'
 * pieces, each running from the end of the sentence before to the end of
 * its own (the last to the end of the text). */
static int sentence_pieces(struct quality_scratch *s, const char *text, size_t len)
{
	const struct text_span *sp;
	long n = wordtok_sentences(s->tok, text, len, &sp);
	if (n < 0)
		return -1;
	s->lines.n = 0;
	size_t start = 0;
	for (long i = 0; i < n; i++) {
		size_t end = i + 1 < n ? (size_t)sp[i].off + sp[i].len : len;
		if (pieces_add(&s->lines, start, end - start) < 0)
			return -1;
		start = end;
	}
	if (n == 0 && pieces_add(&s->lines, 0, len) < 0)
		return -1;
	return 0;
}

/* line.split(): how many words, and the longest one's code points. */
static void split_words_stats(const char *line, size_t n, size_t *nwords, size_t *longest)
{
	*nwords = *longest = 0;
	for (size_t i = skip_space(line, 0, n); i < n; i = skip_space(line, i, n)) {
		size_t chars = 0;
		while (i < n) {
			size_t j = i;
			uint32_t c = (unsigned char)line[i] < 0x80 ? (unsigned char)line[j++] : next_cp(line, n, &j);
			if (py_space(c))
				break;
			chars++, i = j;
		}
		++*nwords;
		if (chars > *longest)
			*longest = chars;
	}
}

static int c4(const struct quality_opts *o, struct quality_scratch *s, const char *text, size_t len,
              const char **reason, size_t *out_len)
{
	if (o->c4.split_paragraph ? split_lines(&s->lines, text, len) : sentence_pieces(s, text, len))
		return -1;
	const struct pieces *lines = &s->lines; /* sentence_count leaves it be */
	double sentences = 0;
	size_t olen = 0, kept = 0;
	for (size_t li = 0; li < lines->n; li++) {
		size_t off = lines->v[li].off, n = lines->v[li].len;
		py_strip(text, &off, &n);
		const char *line = text + off;
		size_t nwords, longest;
		split_words_stats(line, n, &nwords, &longest);
		if (o->c4.max_word_length != -1 && (double)longest > o->c4.max_word_length)
			continue;
		if (o->c4.remove_citations) {
			if (remove_citations(s, line, n, &n) < 0)
				return -1;
			line = s->line;
		}
		if (o->c4.filter_no_terminal_punct) {
			char last = n ? line[n - 1] : 0;
			if (!(last == '.' || last == '?' || last == '!' || last == '"' || last == '\'') ||
			    ends_with(line, n, "...", 3))
				continue;
		}
		if ((double)nwords < o->c4.min_words_per_line)
			continue;
		size_t lower_len;
		if (lower_for_search(s, line, n, &lower_len) < 0)
			return -1;
		const char *low = s->lower;
		if (o->c4.filter_lorem_ipsum && contains(low, lower_len, "lorem ipsum"))
			return *reason = "c4/lorem_ipsum", 0;
		if (o->c4.filter_javascript && contains(low, lower_len, "javascript"))
			continue;
		if (o->c4.filter_curly_bracket && memchr(line, '{', n))
			return *reason = "c4/curly_bracket", 0;
		if (o->c4.filter_policy) {
			int hit = 0;
			for (size_t k = 0; k < sizeof policy_substrings / sizeof *policy_substrings && !hit; k++)
				hit = contains(low, lower_len, policy_substrings[k]);
			if (hit)
				continue;
		}
		/* The count only meets min_num_sentences at the end: once it is
		 * reached, more sentences change nothing, and need no splitting. */
		if (o->c4.min_num_sentences != -1 && sentences < o->c4.min_num_sentences) {
			if (o->c4.split_paragraph) {
				long k = sentence_count(s, line, n);
				if (k < 0)
					return -1;
				sentences += (double)k;
			} else {
				sentences += 1;
			}
		}
		if (out_add(s, &olen, line, n, kept++ ? (o->c4.split_paragraph ? '\n' : ' ') : 0) < 0)
			return -1;
	}
	if (sentences < o->c4.min_num_sentences)
		return *reason = "c4/too_few_sentences", 0;
	size_t b = 0, n = olen;
	if (reserve(&s->out, &s->outcap, 1) < 0)
		return -1;
	py_strip(s->out, &b, &n);
	memmove(s->out, s->out + b, n);
	*out_len = n;
	return 0;
}

/* ---- fineweb ----------------------------------------------------------- */

static int fineweb(const struct quality_opts *o, struct quality_scratch *s, const char *text,
                   size_t len, const char **reason)
{
	/* text.split("\n"), without the lines that are only whitespace */
	struct pieces *lines = &s->lines2;
	if (split_newline_runs(lines, text, len, 1) < 0)
		return -1;
	size_t kept = 0;
	for (size_t i = 0; i < lines->n; i++) {
		size_t off = lines->v[i].off, n = lines->v[i].len;
		py_strip(text, &off, &n);
		if (n)
			lines->v[kept++] = lines->v[i];
	}
	lines->n = kept;
	if (!kept)
		return *reason = "fineweb/empty", 0;

	size_t punct = 0, short_lines = 0;
	for (size_t i = 0; i < kept; i++) {
		const char *line = text + lines->v[i].off;
		size_t n = lines->v[i].len;
		if (o->fw.n_stop_chars < 0) {
			size_t start;
			punct += in_sorted(terminal_punct, sizeof terminal_punct / sizeof *terminal_punct,
			                   prev_cp(line, 0, n, &start));
		} else {
			const char *sc = o->fw.stop_chars;
			int hit = 0;
			for (int k = 0; k < o->fw.n_stop_chars; k++) {
				size_t m = strlen(sc);
				hit |= ends_with(line, n, sc, m);
				sc += m + 1;
			}
			punct += hit;
		}
		short_lines += (double)cp_count(line, n) <= o->fw.short_line_length;
	}
	double ratio = (double)punct / (double)kept;
	if (ratio < o->fw.line_punct_thr && !(ratio == 0 && o->fw.line_punct_exclude_zero))
		return *reason = "fineweb/line_punct_ratio", 0;
	if ((double)short_lines / (double)kept > o->fw.short_line_thr)
		return *reason = "fineweb/short_line_ratio", 0;

	size_t dup, dup_chars, newlines = count_str(text, len, "\n", 1);
	if (find_duplicates(s, text, lines, &dup, &dup_chars) < 0)
		return -1;
	if (ratio_above((double)dup_chars, (double)(cp_count(text, len) - newlines), o->fw.char_duplicates_ratio))
		return *reason = "fineweb/char_dup_ratio", 0;

	if (!words_cached(s, text, len)) {
		/* C4 rewrote the text, and its words would cost a tokenization.
		 * Each whitespace-separated piece holds one word at least, so
		 * their count often settles the check alone. */
		size_t pieces, longest;
		split_words_stats(text, len, &pieces, &longest);
		if (!ratio_above((double)newlines, (double)pieces, o->fw.new_line_ratio))
			return 0;
	}
	long W = get_words(s, text, len);
	if (W < 0)
		return -1;
	if (ratio_above((double)newlines, (double)W, o->fw.new_line_ratio))
		return *reason = "fineweb/list_ratio", 0;
	return 0;
}

/* ---- running them ------------------------------------------------------ */

int quality_check(const struct quality_opts *o, struct quality_scratch *s, const char *text,
                  size_t len, const char **reason, const char **text_out, size_t *len_out)
{
	const char *input = text;
	size_t input_len = len;
	*reason = NULL;
	*text_out = text, *len_out = len;
	if (len > UINT32_MAX - 1)
		return -1;
	s->words_of = NULL;
	if (o->enabled[QUALITY_GOPHER_REPETITION] && gopher_repetition(o, s, text, len, reason) < 0)
		return -1;
	if (!*reason && o->enabled[QUALITY_GOPHER_QUALITY] && gopher_quality(o, s, text, len, reason) < 0)
		return -1;
	if (!*reason && o->enabled[QUALITY_C4]) {
		size_t n;
		if (c4(o, s, text, len, reason, &n) < 0)
			return -1;
		if (!*reason && (n != len || memcmp(s->out, text, n))) {
			text = *text_out = s->out;
			len = *len_out = n;
			s->words_of = NULL;
		}
	}
	if (!*reason && o->enabled[QUALITY_FINEWEB] && fineweb(o, s, text, len, reason) < 0)
		return -1;
	if (*reason)
		*text_out = input, *len_out = input_len;
	return 0;
}

/* ---- options ----------------------------------------------------------- */

static const char *const filter_names[QUALITY_NFILTERS] = {
	"gopher-repetition", "gopher-quality", "c4", "fineweb",
};

static const char *const gopher_stop_words[] = {"the", "be", "to", "of", "and", "that", "have", "with"};

static int set_list(char *dst, int *count, const char *const *v, size_t n)
{
	size_t at = 0;
	*count = 0;
	for (size_t i = 0; i < n; i++) {
		size_t m = strlen(v[i]);
		memcpy(dst + at, v[i], m + 1);
		at += m + 1;
		++*count;
	}
	return 0;
}

void quality_opts_init(struct quality_opts *o)
{
	memset(o, 0, sizeof *o);
	o->rep.dup_line_frac = 0.3;
	o->rep.dup_para_frac = 0.3;
	o->rep.dup_line_char_frac = 0.2;
	o->rep.dup_para_char_frac = 0.2;
	static const struct quality_ngram top[] = {{2, 0.2}, {3, 0.18}, {4, 0.16}};
	static const struct quality_ngram dup[] = {{5, 0.15}, {6, 0.14}, {7, 0.13},
	                                           {8, 0.12}, {9, 0.11}, {10, 0.10}};
	memcpy(o->rep.top_n_grams, top, sizeof top);
	o->rep.n_top_n_grams = (int)(sizeof top / sizeof *top);
	memcpy(o->rep.dup_n_grams, dup, sizeof dup);
	o->rep.n_dup_n_grams = (int)(sizeof dup / sizeof *dup);

	o->gq.min_doc_words = 50;
	o->gq.max_doc_words = 100000;
	o->gq.min_avg_word_length = 3;
	o->gq.max_avg_word_length = 10;
	o->gq.max_symbol_word_ratio = 0.1;
	o->gq.max_bullet_lines_ratio = 0.9;
	o->gq.max_ellipsis_lines_ratio = 0.3;
	o->gq.max_non_alpha_words_ratio = 0.8;
	o->gq.min_stop_words = 2;
	set_list(o->gq.stop_words, &o->gq.n_stop_words, gopher_stop_words,
	         sizeof gopher_stop_words / sizeof *gopher_stop_words);

	o->c4.split_paragraph = 1;
	o->c4.remove_citations = 1;
	o->c4.filter_no_terminal_punct = 1;
	o->c4.min_num_sentences = 5;
	o->c4.min_words_per_line = 3;
	o->c4.max_word_length = 1000;
	o->c4.filter_lorem_ipsum = 1;
	o->c4.filter_javascript = 1;
	o->c4.filter_curly_bracket = 1;
	o->c4.filter_policy = 1;

	o->fw.line_punct_thr = 0.12;
	o->fw.line_punct_exclude_zero = 0;
	o->fw.n_stop_chars = -1;
	o->fw.short_line_thr = 0.67;
	o->fw.short_line_length = 30;
	o->fw.char_duplicates_ratio = 0.01;
	o->fw.new_line_ratio = 0.3;
}

enum param_kind { P_NUM, P_NUM_OR_NONE, P_BOOL, P_NGRAMS, P_WORDS };

struct param {
	enum quality_filter filter;
	const char *name;
	enum param_kind kind;
	size_t at;    /* offsetof the value in struct quality_opts */
	size_t count; /* P_NGRAMS, P_WORDS: offsetof the int count */
};

#define P(f, sect, name, kind) {f, #name, kind, offsetof(struct quality_opts, sect.name), 0}
#define PL(f, sect, name, kind, cnt) \
	{f, #name, kind, offsetof(struct quality_opts, sect.name), offsetof(struct quality_opts, sect.cnt)}

static const struct param params[] = {
	P(QUALITY_GOPHER_REPETITION, rep, dup_line_frac, P_NUM_OR_NONE),
	P(QUALITY_GOPHER_REPETITION, rep, dup_para_frac, P_NUM_OR_NONE),
	P(QUALITY_GOPHER_REPETITION, rep, dup_line_char_frac, P_NUM_OR_NONE),
	P(QUALITY_GOPHER_REPETITION, rep, dup_para_char_frac, P_NUM_OR_NONE),
	PL(QUALITY_GOPHER_REPETITION, rep, top_n_grams, P_NGRAMS, n_top_n_grams),
	PL(QUALITY_GOPHER_REPETITION, rep, dup_n_grams, P_NGRAMS, n_dup_n_grams),
	P(QUALITY_GOPHER_QUALITY, gq, min_doc_words, P_NUM_OR_NONE),
	P(QUALITY_GOPHER_QUALITY, gq, max_doc_words, P_NUM_OR_NONE),
	P(QUALITY_GOPHER_QUALITY, gq, min_avg_word_length, P_NUM_OR_NONE),
	P(QUALITY_GOPHER_QUALITY, gq, max_avg_word_length, P_NUM_OR_NONE),
	P(QUALITY_GOPHER_QUALITY, gq, max_symbol_word_ratio, P_NUM_OR_NONE),
	P(QUALITY_GOPHER_QUALITY, gq, max_bullet_lines_ratio, P_NUM_OR_NONE),
	P(QUALITY_GOPHER_QUALITY, gq, max_ellipsis_lines_ratio, P_NUM_OR_NONE),
	P(QUALITY_GOPHER_QUALITY, gq, max_non_alpha_words_ratio, P_NUM_OR_NONE),
	P(QUALITY_GOPHER_QUALITY, gq, min_stop_words, P_NUM_OR_NONE),
	PL(QUALITY_GOPHER_QUALITY, gq, stop_words, P_WORDS, n_stop_words),
	P(QUALITY_C4, c4, split_paragraph, P_BOOL),
	P(QUALITY_C4, c4, remove_citations, P_BOOL),
	P(QUALITY_C4, c4, filter_no_terminal_punct, P_BOOL),
	P(QUALITY_C4, c4, min_num_sentences, P_NUM),
	P(QUALITY_C4, c4, min_words_per_line, P_NUM),
	P(QUALITY_C4, c4, max_word_length, P_NUM),
	P(QUALITY_C4, c4, filter_lorem_ipsum, P_BOOL),
	P(QUALITY_C4, c4, filter_javascript, P_BOOL),
	P(QUALITY_C4, c4, filter_curly_bracket, P_BOOL),
	P(QUALITY_C4, c4, filter_policy, P_BOOL),
	P(QUALITY_FINEWEB, fw, line_punct_thr, P_NUM),
	P(QUALITY_FINEWEB, fw, line_punct_exclude_zero, P_BOOL),
	PL(QUALITY_FINEWEB, fw, stop_chars, P_WORDS, n_stop_chars),
	P(QUALITY_FINEWEB, fw, short_line_thr, P_NUM),
	P(QUALITY_FINEWEB, fw, short_line_length, P_NUM),
	P(QUALITY_FINEWEB, fw, char_duplicates_ratio, P_NUM),
	P(QUALITY_FINEWEB, fw, new_line_ratio, P_NUM),
};

/* Copies raw[0..n) up to the first unescaped character of `stops` (or the
 * end) into out, undoing backslash escapes; returns the raw bytes read. */
static size_t unescape_until(const char *raw, size_t n, const char *stops, char *out, size_t outn,
                             size_t *outlen)
{
	size_t i = 0, o = 0;
	while (i < n && !strchr(stops, raw[i])) {
		if (raw[i] == '\\' && i + 1 < n)
			i++;
		if (o + 1 < outn)
			out[o] = raw[i];
		o++, i++;
	}
	*outlen = o;
	if (outn)
		out[o < outn ? o : outn - 1] = 0;
	return i;
}

static int parse_number(const char *s, double *v)
{
	char *end;
	if (!*s || strchr(" \t\n", *s))
		return -1;
	*v = strtod(s, &end);
	return *end || !isfinite(*v) ? -1 : 0;
}

static int parse_value(struct quality_opts *o, const struct param *p, const char *raw, size_t n,
                       char *err, size_t errn)
{
	const char *fname = filter_names[p->filter];
	char *base = (char *)o;
	char buf[QUALITY_LIST_BYTES];
	size_t blen;
	if (p->kind == P_NUM || p->kind == P_NUM_OR_NONE || p->kind == P_BOOL) {
		unescape_until(raw, n, "", buf, sizeof buf, &blen);
		if (blen >= sizeof buf)
			return errorf(err, errn, "%s: %s: value too long", fname, p->name);
		if (p->kind == P_BOOL) {
			int b = !strcmp(buf, "true") ? 1 : !strcmp(buf, "false") ? 0 : -1;
			if (b < 0)
				return errorf(err, errn, "%s: %s: '%s' is not true or false", fname, p->name, buf);
			*(int *)(base + p->at) = b;
			return 0;
		}
		double v;
		if (p->kind == P_NUM_OR_NONE && !strcmp(buf, "none"))
			v = 0;
		else if (parse_number(buf, &v) < 0)
			return errorf(err, errn, "%s: %s: '%s' is not a number%s", fname, p->name, buf,
			              p->kind == P_NUM_OR_NONE ? " (or none)" : "");
		*(double *)(base + p->at) = v;
		return 0;
	}
	int *count = (int *)(base + p->count);
	if (n == 0) { /* an empty list */
		*count = 0;
		return 0;
	}
	if (p->kind == P_NGRAMS) {
		struct quality_ngram *list = (struct quality_ngram *)(base + p->at);
		int k = 0;
		for (size_t i = 0;; i++) { /* i++ steps over the ':' */
			if (k == QUALITY_NGRAM_LISTS)
				return errorf(err, errn, "%s: %s: more than %d pairs", fname, p->name,
				              QUALITY_NGRAM_LISTS);
			i += unescape_until(raw + i, n - i, ":", buf, sizeof buf, &blen);
			char *at = strchr(buf, '@');
			double nv, frac;
			if (blen >= sizeof buf || !at || (*at = 0, parse_number(buf, &nv) < 0) ||
			    parse_number(at + 1, &frac) < 0 || nv != floor(nv) || nv < 1 || nv > QUALITY_NGRAM_MAX)
				return errorf(err, errn,
				              "%s: %s: each item must be N@FRACTION with N from 1 to %d, "
				              "as in 2@0.2:3@0.18",
				              fname, p->name, QUALITY_NGRAM_MAX);
			list[k++] = (struct quality_ngram){(int)nv, frac};
			if (i >= n)
				break;
		}
		*count = k;
		return 0;
	}
	/* P_WORDS: a ':' list into the NUL-separated store; only the first of
	 * equal items is kept (datatrove makes a set of its stop words, and a
	 * repeated stop char changes nothing). */
	char *store = base + p->at;
	size_t at = 0;
	int k = 0;
	for (size_t i = 0;; i++) {
		i += unescape_until(raw + i, n - i, ":", buf, sizeof buf, &blen);
		if (blen >= sizeof buf || at + blen + 1 > QUALITY_LIST_BYTES)
			return errorf(err, errn, "%s: %s: the list is over %d bytes", fname, p->name,
			              QUALITY_LIST_BYTES - 1);
		int seen = 0;
		for (size_t q = 0; q < at && !seen; q += strlen(store + q) + 1)
			seen = !strcmp(store + q, buf);
		if (!seen) {
			if (k == 64)
				return errorf(err, errn, "%s: %s: more than 64 items", fname, p->name);
			memcpy(store + at, buf, blen + 1);
			at += blen + 1;
			k++;
		}
		if (i >= n)
			break;
	}
	*count = k;
	return 0;
}

int quality_enable(struct quality_opts *o, const char *filter, const char *opts_text, char *err,
                   size_t errn)
{
	int f = 0;
	while (f < QUALITY_NFILTERS && strcmp(filter, filter_names[f]))
		f++;
	if (f == QUALITY_NFILTERS)
		return errorf(err, errn, "unknown quality filter '%s' (gopher-repetition, gopher-quality, c4, fineweb)",
		              filter);
	/* Parse into a copy: a bad list leaves o as it was. */
	struct quality_opts next = *o;
	next.enabled[f] = 1;
	const char *s = opts_text ? opts_text : "";
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		size_t name_len = strcspn(s + i, "=,");
		if (s[i + name_len] != '=')
			return errorf(err, errn, "%s: '%.*s' is not name=value", filter_names[f],
			              (int)name_len, s + i);
		const struct param *p = NULL;
		for (size_t k = 0; k < sizeof params / sizeof *params && !p; k++)
			if ((int)params[k].filter == f && strlen(params[k].name) == name_len &&
			    !memcmp(params[k].name, s + i, name_len))
				p = &params[k];
		if (!p) {
			char known[512] = "";
			for (size_t k = 0; k < sizeof params / sizeof *params; k++)
				if ((int)params[k].filter == f) {
					size_t kl = strlen(known);
					snprintf(known + kl, sizeof known - kl, "%s%s", kl ? ", " : "", params[k].name);
				}
			return errorf(err, errn, "%s: unknown parameter '%.*s' (known: %s)", filter_names[f],
			              (int)name_len, s + i, known);
		}
		size_t vstart = i + name_len + 1, vlen = 0;
		while (vstart + vlen < n && s[vstart + vlen] != ',') /* to the first unescaped ',' */
			vlen += s[vstart + vlen] == '\\' && vstart + vlen + 1 < n ? 2 : 1;
		if (parse_value(&next, p, s + vstart, vlen, err, errn) < 0)
			return -1;
		i = vstart + vlen + 1;
	}
	*o = next;
	return 0;
}

size_t quality_reasons(const struct quality_opts *o, const char **names, size_t max)
{
	static const char *const fixed[QUALITY_NFILTERS][11] = {
		{"gopher-repetition/dup_para_frac", "gopher-repetition/dup_para_char_frac",
		 "gopher-repetition/dup_line_frac", "gopher-repetition/dup_line_char_frac"},
		{"gopher-quality/gopher_short_doc", "gopher-quality/gopher_long_doc",
		 "gopher-quality/gopher_below_avg_threshold", "gopher-quality/gopher_above_avg_threshold",
		 "gopher-quality/gopher_too_many_hashes", "gopher-quality/gopher_too_many_ellipsis",
		 "gopher-quality/gopher_too_many_bullets", "gopher-quality/gopher_too_many_end_ellipsis",
		 "gopher-quality/gopher_below_alpha_threshold", "gopher-quality/gopher_enough_stop_words"},
		{"c4/lorem_ipsum", "c4/curly_bracket", "c4/too_few_sentences"},
		{"fineweb/empty", "fineweb/line_punct_ratio", "fineweb/short_line_ratio",
		 "fineweb/char_dup_ratio", "fineweb/list_ratio"},
	};
	size_t count = 0;
#define ADD(r) do { if (count < max) names[count] = (r); count++; } while (0)
	for (int f = 0; f < QUALITY_NFILTERS; f++) {
		if (!o->enabled[f])
			continue;
		for (int k = 0; k < 11 && fixed[f][k]; k++)
			ADD(fixed[f][k]);
		if (f != QUALITY_GOPHER_REPETITION)
			continue;
		/* each n once, in the order of its first mention */
		for (int k = 0; k < o->rep.n_top_n_grams; k++) {
			int again = 0;
			for (int j = 0; j < k; j++)
				again |= o->rep.top_n_grams[j].n == o->rep.top_n_grams[k].n;
			if (!again)
				ADD(top_reason[o->rep.top_n_grams[k].n]);
		}
		for (int k = 0; k < o->rep.n_dup_n_grams; k++) {
			int again = 0;
			for (int j = 0; j < k; j++)
				again |= o->rep.dup_n_grams[j].n == o->rep.dup_n_grams[k].n;
			if (!again)
				ADD(dup_reason[o->rep.dup_n_grams[k].n]);
		}
	}
#undef ADD
	return count;
}
