/* minhash.c - word n-gram shingles, MinHash signatures and LSH band keys
 * (see minhash.h).
 *
 * Shingles are found with two cursors over the text, one at the first word
 * of the current n-gram and one at its last, so no word list is kept for
 * any n.  The signature loop runs over the permutations innermost, on
 * contiguous arrays of coefficients and running minima, which compilers
 * unroll and, where the target has 64-bit multiplies and minima in its
 * vector unit, vectorise. */
#include "dedup/minhash.h"

#include <stdlib.h>
#include <string.h>

/* Inlined: most shingles are a few dozen bytes, where a call costs. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "base/die.h"
#include "base/nprandom.h"

int minhash_params_init(struct minhash_params *p, int ngram, int bands, int rows, uint64_t seed,
                        char *err, size_t errn)
{
	memset(p, 0, sizeof *p);
	if (ngram < 1 || ngram > 1000)
		return errorf(err, errn, "ngram %d out of range (1 to 1000)", ngram);
	if (bands < 1 || bands > 1024)
		return errorf(err, errn, "bands %d out of range (1 to 1024)", bands);
	if (rows < 1 || rows > 1024)
		return errorf(err, errn, "rows %d out of range (1 to 1024)", rows);
	size_t n = (size_t)bands * (size_t)rows;
	uint64_t *a = xmalloc(n * sizeof *a), *b = xmalloc(n * sizeof *b);
	struct nprandom g;
	nprandom_seed(&g, seed);
	for (size_t i = 0; i < n; i++) {
		/* An odd multiplier makes h -> a*h + b a permutation of the
		 * 64-bit words. */
		a[i] = nprandom_next64(&g) | 1;
		b[i] = nprandom_next64(&g);
	}
	p->ngram = ngram;
	p->bands = bands;
	p->rows = rows;
	p->seed = seed;
	p->a = a;
	p->b = b;
	return 0;
}

void minhash_params_free(struct minhash_params *p)
{
	free(p->a);
	free(p->b);
	p->a = p->b = NULL;
}

/* The separators between words: ASCII white space. */
static int separator(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static size_t skip_word(const unsigned char *s, size_t len, size_t i)
{
	while (i < len && !separator(s[i]))
		i++;
	return i;
}

static size_t skip_separators(const unsigned char *s, size_t len, size_t i)
{
	while (i < len && separator(s[i]))
		i++;
	return i;
}

static void push(uint64_t **hashes, size_t *cap, size_t n, uint64_t h)
{
	if (n == *cap) {
		size_t grown = *cap ? *cap * 2 : 256;
		if (grown > SIZE_MAX / sizeof **hashes)
			die(STATUS_FAIL, "too many shingles");
		*hashes = xrealloc(*hashes, grown * sizeof **hashes);
		*cap = grown;
	}
	(*hashes)[n] = h;
}

size_t minhash_shingles(int ngram, const char *text, size_t len, uint64_t **hashes, size_t *cap)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t first = skip_separators(s, len, 0);
	if (first == len)
		return 0;
	size_t n = 0, words = 0, end = first;
	/* head: the first byte of the current n-gram's first word. */
	size_t head = first;
	for (size_t i = first; i < len; i = skip_separators(s, len, end)) {
		end = skip_word(s, len, i);
		if (++words < (size_t)ngram)
			continue;
		push(hashes, cap, n++, XXH3_64bits(s + head, end - head));
		head = skip_separators(s, len, skip_word(s, len, head));
	}
	if (words < (size_t)ngram)
		push(hashes, cap, n++, XXH3_64bits(s + first, end - first));
	return n;
}

/* Lowers the running minima m[0..count) by the shingle hashes h[0..n).
 * Four hashes a pass over the permutations load each coefficient and
 * minimum once for four products: the multiplier, not the memory, is then
 * what bounds the loop. */
static inline void lower_minima(const uint64_t *restrict a, const uint64_t *restrict b,
                                uint64_t *restrict m, size_t count, const uint64_t *h, size_t n)
{
	size_t k = 0;
	for (; k + 4 <= n; k += 4) {
		uint64_t h0 = h[k], h1 = h[k + 1], h2 = h[k + 2], h3 = h[k + 3];
		for (size_t i = 0; i < count; i++) {
			uint64_t v0 = a[i] * h0 + b[i], v1 = a[i] * h1 + b[i];
			uint64_t v2 = a[i] * h2 + b[i], v3 = a[i] * h3 + b[i];
			uint64_t v01 = v0 < v1 ? v0 : v1, v23 = v2 < v3 ? v2 : v3;
			uint64_t v = v01 < v23 ? v01 : v23;
			m[i] = v < m[i] ? v : m[i];
		}
	}
	for (; k < n; k++)
		for (size_t i = 0; i < count; i++) {
			uint64_t v = a[i] * h[k] + b[i];
			m[i] = v < m[i] ? v : m[i];
		}
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(MINHASH_NO_DISPATCH)
/* The same loop for CPUs with AVX-512DQ, whose vector unit multiplies
 * 64-bit words (vpmullq) and takes their unsigned minima (vpminuq), eight
 * at once; without them (baseline x86-64 has neither, nor has AVX2) the
 * loop stays scalar.  Chosen at run time, so the build stays baseline. */
__attribute__((target("avx512f,avx512dq"))) static void
lower_minima_avx512(const uint64_t *a, const uint64_t *b, uint64_t *m, size_t count, const uint64_t *h, size_t n)
{
	lower_minima(a, b, m, count, h, n);
}
#define HAVE_AVX512_MINIMA 1
#endif

void minhash_signature(const struct minhash_params *p, const uint64_t *h, size_t n, uint64_t *sig)
{
	size_t count = (size_t)p->bands * (size_t)p->rows;
	for (size_t i = 0; i < count; i++)
		sig[i] = UINT64_MAX;
#ifdef HAVE_AVX512_MINIMA
	if (__builtin_cpu_supports("avx512dq")) {
		lower_minima_avx512(p->a, p->b, sig, count, h, n);
		return;
	}
#endif
	lower_minima(p->a, p->b, sig, count, h, n);
}

void minhash_band_keys(const struct minhash_params *p, const uint64_t *sig, uint64_t *keys)
{
	/* A band's key hashes its rows as little-endian bytes, which on the
	 * little-endian hosts sluice runs on (base/le.h) is the signature's own
	 * memory: copying the rows to a buffer first made the hash stall
	 * reloading what the copy had just stored. */
	size_t rows = (size_t)p->rows;
	for (size_t j = 0; j < (size_t)p->bands; j++)
		keys[j] = XXH3_64bits_withSeed(sig + rows * j, 8 * rows, (XXH64_hash_t)j);
}

static int compare_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return (a > b) - (a < b);
}

size_t minhash_set(uint64_t *h, size_t n)
{
	if (n < 2)
		return n;
	qsort(h, n, sizeof *h, compare_u64);
	size_t k = 1;
	for (size_t i = 1; i < n; i++)
		if (h[i] != h[k - 1])
			h[k++] = h[i];
	return k;
}

double minhash_jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
	if (!na && !nb)
		return 1;
	size_t i = 0, j = 0, shared = 0;
	while (i < na && j < nb) {
		if (a[i] < b[j])
			i++;
		else if (a[i] > b[j])
			j++;
		else
			shared++, i++, j++;
	}
	return (double)shared / (double)(na + nb - shared);
}
