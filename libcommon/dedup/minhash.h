/* minhash.h - MinHash signatures of a text's word n-grams, and their LSH
 * band keys, for near-duplicate detection (rec-dedup --near).
 *
 * The text is one that normalize() wrote.  Its words are the maximal runs
 * of bytes other than ASCII white space (space, \t, \n, \v, \f, \r); a
 * shingle is a run of `ngram` consecutive words, and its hash is XXH3-64
 * (seed 0) of the bytes from its first word's first byte to its last
 * word's last byte, separators included as they are (after ws or
 * lower-punct one space).  A text of fewer than ngram words (but at least
 * one) is one shingle, from its first word to its last; a text with no
 * word has no shingle.
 *
 * The signature has bands * rows values.  Value i is the minimum, over the
 * text's shingle hashes h, of (a[i] * h + b[i]) mod 2^64, where a[i] and
 * b[i] are 64-bit words from numpy's default_rng(seed).bit_generator
 * .random_raw(): a[i] = the (2i)th draw with its lowest bit set, b[i] =
 * the (2i+1)th.  A text with no shingle has every value UINT64_MAX.  This
 * is what numpy computes with uint64 arrays, which is how the tests check
 * it.
 *
 * Band j's key is XXH3-64, seeded with j, of the rows values
 * rows*j .. rows*j+rows-1 as little-endian bytes: two texts share band j's
 * bucket when all of those values agree (or, with chance 2^-64, by a
 * collision), which for Jaccard similarity s happens with probability s^rows,
 * and so they share at least one of the bands with probability
 * 1 - (1 - s^rows)^bands. */
#ifndef SLUICE_MINHASH_H
#define SLUICE_MINHASH_H

#include <stddef.h>
#include <stdint.h>

/* datatrove's MinhashConfig: 5-grams, 14 bands of 8 rows. */
#define MINHASH_NGRAM 5
#define MINHASH_BANDS 14
#define MINHASH_ROWS 8

struct minhash_params {
	int ngram, bands, rows;
	uint64_t seed;
	uint64_t *a, *b; /* bands * rows coefficients, from the seed */
};

/* Fills p (and allocates its coefficients); 0, or -1 with err set when a
 * parameter is out of range (ngram 1..1000, bands and rows 1..1024). */
int minhash_params_init(struct minhash_params *p, int ngram, int bands, int rows, uint64_t seed,
                        char *err, size_t errn);
void minhash_params_free(struct minhash_params *p);

/* The hash of each shingle of text, in text order (repeats kept) into a
 * growing array *hashes of capacity *cap (realloc'd; dies on no memory);
 * returns their number. */
size_t minhash_shingles(int ngram, const char *text, size_t len, uint64_t **hashes, size_t *cap);

/* The signature of a text whose shingle hashes are h[0..n): bands*rows
 * values into sig. */
void minhash_signature(const struct minhash_params *p, const uint64_t *h, size_t n, uint64_t *sig);

/* The band keys of a signature: bands values into keys. */
void minhash_band_keys(const struct minhash_params *p, const uint64_t *sig, uint64_t *keys);

/* Sorts h[0..n) and removes repeats: the shingle set, for Jaccard
 * similarity; returns its size. */
size_t minhash_set(uint64_t *h, size_t n);

/* |A ∩ B| / |A ∪ B| of two sets from minhash_set (1 when both are empty). */
double minhash_jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb);

#endif
