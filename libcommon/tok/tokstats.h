/* tokstats.h - how text tokenizes and what a tokenizer is, as tok-bpe
 * stats and info report them: counts of documents, bytes, characters,
 * words and tokens, the use of each id, and the JSON lines that describe
 * them. */
#ifndef SLUICE_TOKSTATS_H
#define SLUICE_TOKSTATS_H

#include <stddef.h>
#include <stdint.h>

#include "tok/tokload.h"

struct buf;

struct tok_stats {
	uint64_t docs, bytes, chars, words, tokens;
	uint64_t *counts; /* per id */
};

/* Counts for tok's vocabulary; dies when out of memory. */
void tok_stats_init(struct tok_stats *s, const struct tokenizer *tok);
void tok_stats_free(struct tok_stats *s);
/* One document: its text and its n ids (ids outside the vocabulary are
 * counted as tokens, not as uses). */
void tok_stats_add(struct tok_stats *s, const struct tokenizer *tok, const char *text, size_t len,
                   const uint32_t *ids, size_t n);
/* Appends the stats line: totals, rates, vocabulary use and the ten
 * longest tokens seen. */
void tok_stats_json(const struct tok_stats *s, const struct tokenizer *tok, struct buf *b);

/* Appends the info line: name, path, sizes, hash, end-of-text id, pattern
 * and specials. */
void tok_info_json(const struct tokenizer *tok, struct buf *b);

#endif
