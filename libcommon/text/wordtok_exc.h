/* wordtok_exc.h - spaCy's English tokenizer exceptions ("special cases")
 * for wordtok.c: the strings that are not split by the affix rules but
 * replaced by fixed pieces ("don't" -> "do" "n't", "e.g." kept whole,
 * emoticons kept whole).  The table is generated from the rules spaCy
 * documents (pronoun and verb contractions with and without the
 * apostrophe, both cases, curly-apostrophe variants, abbreviations,
 * emoticons, times), then looked up by hash.  Internal to text/. */
#ifndef SLUICE_WORDTOK_EXC_H
#define SLUICE_WORDTOK_EXC_H

#include <stddef.h>
#include <stdint.h>

enum { WT_EXC_PIECES = 4, WT_EXC_PATTERN = 16, WT_EXC_KEY_MAX = 63 /* bytes */ };

struct wt_exc {
	char *key;
	uint32_t klen;
	uint32_t hash;
	uint8_t dead;                    /* removed by a later rule */
	uint8_t npieces;                 /* the pieces' byte lengths */
	uint8_t piece[WT_EXC_PIECES];
	/* When the affix rules would split key, spaCy matches that split as a
	 * token sequence and merges it back: its tokens' byte lengths (npat 0:
	 * not matched that way). */
	uint8_t npat;
	uint16_t pat[WT_EXC_PATTERN];
};

struct wt_exctab {
	struct wt_exc *slot; /* open addressing; key NULL: empty */
	size_t mask, n;
	/* bit k of by_first[b]: some key of k bytes starts with byte b (a
	 * filter that spares most lookups the hashing) */
	uint64_t by_first[256];
};

/* Fills tab (zeroed by the caller) with the English exceptions.  Returns
 * 0, or -1 when out of memory (then wt_exc_free still frees it). */
int wt_exc_build(struct wt_exctab *tab);
void wt_exc_free(struct wt_exctab *tab);

/* The live exception for s[0..n), or NULL. */
const struct wt_exc *wt_exc_find(const struct wt_exctab *tab, const char *s, size_t n);

#endif
