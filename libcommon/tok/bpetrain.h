/* bpetrain.h - training a byte-level BPE: counting the pre-tokenized pieces
 * of a corpus, learning merges from the counts, and writing the result as
 * an HF tokenizer.json or a tiktoken rank file.
 *
 * The merge loop follows HF tokenizers' BpeTrainer so that the same corpus
 * gives the same merges: ids are the specials, then the 256 bytes in the
 * order of GPT-2's byte-to-character table (the code points of the
 * characters that stand for them), then each new token; the most frequent
 * pair merges first, and of equally frequent pairs the one with the smaller
 * (left id, right id).  Pair counts are kept up to date incrementally and a
 * priority queue with lazy re-insertion picks the next pair: no recount per
 * merge.  Memory is bounded by the unique pieces of the corpus.
 */
#ifndef SLUICE_BPETRAIN_H
#define SLUICE_BPETRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct bpe;
struct pretok;
struct pretok_scratch;

/* ---- counting ---- */

struct piece_counts;
struct piece_counts *piece_counts_new(void);
void piece_counts_free(struct piece_counts *c);
void piece_counts_add(struct piece_counts *c, const uint8_t *piece, size_t n, uint64_t count);
/* Adds every count of from into into. */
void piece_counts_merge(struct piece_counts *into, const struct piece_counts *from);
size_t piece_counts_unique(const struct piece_counts *c);
/* The memory it holds, table and bytes, for callers that bound it. */
size_t piece_counts_bytes(const struct piece_counts *c);
/* Forgets every piece and gives back the memory they held. */
void piece_counts_clear(struct piece_counts *c);

/* Calls fn for every unique piece with its count. */
void piece_counts_each(const struct piece_counts *c,
                       void (*fn)(void *arg, const uint8_t *piece, size_t n, uint64_t count), void *arg);

/* Counts the pieces of text, skipping the given special-token strings. */
void piece_counts_text(struct piece_counts *c, const struct pretok *pt, struct pretok_scratch *sc,
                       const char *const *specials, size_t n_specials, const char *text, size_t len);

/* ---- training ---- */

struct bpe_train_opts {
	uint32_t vocab_size;    /* specials, bytes and merges together */
	uint64_t min_frequency; /* a pair occurring fewer times does not merge */
	size_t max_token_length; /* bytes; 0 for no limit */
	bool bytes_only;        /* no merges at all */
	const char *const *specials;
	size_t n_specials;
};

struct bpe_merge {
	uint32_t left, right, result;
};

struct bpe_trained {
	uint32_t n_ids;
	uint64_t *off; /* id -> its bytes in blob */
	uint32_t *len;
	struct buf blob;
	size_t n_specials; /* ids 0 .. n_specials-1 */
	struct bpe_merge *merges;
	size_t n_merges;
};

/* Learns merges; progress, when not NULL, is called after each merge with
 * the vocabulary size so far. */
void bpe_train(const struct piece_counts *counts, const struct bpe_train_opts *opts, struct bpe_trained *out,
               void (*progress)(void *arg, uint32_t size), void *progress_arg);
void bpe_trained_free(struct bpe_trained *t);

/* An encoder for the trained tokenizer (merges by their order, as HF). */
struct bpe *bpe_trained_model(const struct bpe_trained *t);

/* tokenizer.json that HF tokenizers loads: the pattern as a Split
 * pre-tokenizer (or ByteLevel's own regex when it is GPT-2's), ByteLevel
 * decoding, the specials as added tokens. */
void bpe_trained_json(const struct bpe_trained *t, const char *pattern, struct buf *out);
/* A tiktoken rank file: "base64 rank" for every non-special token. */
void bpe_trained_tiktoken(const struct bpe_trained *t, struct buf *out);

#endif
