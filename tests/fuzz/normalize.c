/* tests/fuzz/normalize.c - libFuzzer target for rec-dedup's text
 * normalisation (dedup/normalize.h) and MinHash (dedup/minhash.h).
 *
 * On any input, in every mode: the output fits normalize_bound() and is
 * normalize_portable()'s, byte for byte; ws and lower-punct leave no
 * space at either end and no two side by side;
 * normalising the output again changes nothing (for lower-punct only when
 * the input is UTF-8: deleting a character between two stray bytes can
 * join them into one); and the result's shingles (no more than its bytes),
 * signature and band keys come out without a fault, and its shingle set is
 * sorted, without repeats, and of Jaccard similarity 1 with itself.  The
 * first byte picks the input:
 * bit 0 clear, the rest as it is; set, each byte of the rest picks a
 * piece from an alphabet of what the rules look at (white space of both
 * kinds, punctuation and symbols, letters that lowercase to other
 * lengths, combining marks, stray and truncated UTF-8), and the next bits
 * pick the n-gram size. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "dedup/minhash.h"
#include "dedup/normalize.h"

#include "mapped.h"

static const char *const alphabet[] = {
	"a", "b", "Z", "Q", "0", "7", " ", " ", "  ", "\t", "\n", "\r\n", "\v", "\f", "\x1c",
	"\xc2\x85", "\xc2\xa0", "\xe1\x9a\x80", "\xe2\x80\x83", "\xe2\x80\xa8", "\xe3\x80\x80",
	"\xe2\x80\x8b", /* U+200B: not white space */
	".", ",", "!", "-", "'", "\"", "$", "+", "^", "`", "|", "~", "\xc2\xa9", "\xe2\x82\xac",
	"\xe2\x80\x94", "\xf0\x9f\x98\x80", "\xc8\xba", /* U+023A: 2 bytes, lowercase 3 */
	"\xc4\xb0",                                     /* U+0130: lowercase 'i' */
	"\xe2\x84\xaa",                                 /* U+212A KELVIN SIGN: 'k' */
	"\xce\xa3", "\xc3\x89", "\xd0\x96", "\xe1\xba\x9e", "\xcc\x81", "\xe4\xb8\xad", "\xff",
	"\xe2", "\x80", "\xe2\x80", "\xf0\x9f", "\xed\xa0\x80", "\0",
};
enum { NA = sizeof alphabet / sizeof alphabet[0] };

static struct minhash_params params;
static int params_ready;

static void check_spaces(const unsigned char *s, size_t n)
{
	if (n && (s[0] == ' ' || s[n - 1] == ' '))
		abort();
	for (size_t i = 1; i < n; i++)
		if (s[i] == ' ' && s[i - 1] == ' ')
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!params_ready) {
		if (minhash_params_init(&params, 3, 4, 3, 7, NULL, 0) < 0)
			abort();
		params_ready = 1;
	}
	if (size < 1)
		return 0;
	int ngram = 1 + (data[0] >> 1) % 6;
	size_t n;
	char *text = (char *)fuzz_mapped_text(data, size, alphabet, NA, &n);
	/* Exact-size buffers, so a write past the bound is one past an
	 * allocation. */
	size_t bound = normalize_bound(n);
	char *out = malloc(bound ? bound : 1);
	char *again = malloc(bound ? bound : 1);
	if (!text || !out || !again)
		abort();
	int valid = utf8_valid((const unsigned char *)text, n);

	uint64_t *hashes = NULL, sig[12], keys[4];
	size_t hashes_cap = 0;
	for (int mode = NORMALIZE_NONE; mode <= NORMALIZE_LOWER_PUNCT; mode++) {
		size_t m = normalize((enum normalize_mode)mode, text, n, out);
		if (m > bound)
			abort();
		if (mode == NORMALIZE_NONE && (m != n || memcmp(out, text, n)))
			abort();
		if (mode != NORMALIZE_NONE) {
			/* The vector loop (where this CPU has it) writes what
			 * the character loop does. */
			if (normalize_portable((enum normalize_mode)mode, text, n, again) != m || memcmp(again, out, m))
				abort();
			check_spaces((const unsigned char *)out, m);
			if (mode == NORMALIZE_WS || valid) {
				size_t m2 = normalize((enum normalize_mode)mode, out, m, again);
				if (m2 != m || memcmp(again, out, m))
					abort();
			}
		}
		size_t k = minhash_shingles(ngram, out, m, &hashes, &hashes_cap);
		if (k > m)
			abort();
		minhash_signature(&params, hashes, k, sig);
		minhash_band_keys(&params, sig, keys);
		size_t distinct = minhash_set(hashes, k);
		if (distinct > k || minhash_jaccard(hashes, distinct, hashes, distinct) != 1.0)
			abort();
		for (size_t i = 1; i < distinct; i++)
			if (hashes[i - 1] >= hashes[i])
				abort();
	}
	free(hashes);
	free(text);
	free(out);
	free(again);
	return 0;
}
