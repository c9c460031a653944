/* bpe.h - byte-level BPE: a vocabulary of byte strings, the merges between
 * them, special tokens, and the encoder that turns one pre-tokenized piece
 * into token ids.
 *
 * One model serves both families of tokenizer files:
 *  - tiktoken rank files have no merge list; two adjacent tokens merge when
 *    their concatenation is a token, and that token's rank is the merge's
 *    priority (bpe_derive_merges builds the pair table from the vocabulary);
 *  - HF tokenizer.json and GPT-2's vocab.bpe list merges; a merge's place in
 *    the list is its priority.
 * Either way a piece starts as one token per byte, and the adjacent pair
 * with the lowest priority merges first, the leftmost one on a tie, until no
 * pair merges.  With whole_piece set (always for tiktoken; HF's
 * ignore_merges) a piece that is itself a token is that token.
 *
 * A built model is read-only and shared by threads; each thread encodes
 * through its own struct bpe_worker, which holds scratch space and a cache
 * of recently seen pieces.
 */
#ifndef SLUICE_BPE_H
#define SLUICE_BPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BPE_NO_ID UINT32_MAX

struct ids {
	uint32_t *v;
	size_t len, cap;
};
void ids_push(struct ids *a, uint32_t id);
/* Makes a exactly n ids long (their values unset) and returns them. */
uint32_t *ids_resize(struct ids *a, size_t n);
void ids_free(struct ids *a);

struct bpe;

struct bpe *bpe_new(void);
void bpe_free(struct bpe *m);

/* Adds an ordinary (mergeable) token.  Returns -1 if the id or the bytes
 * are already taken. */
int bpe_add_token(struct bpe *m, const void *bytes, size_t len, uint32_t id);
/* Adds a special token: text that is never merged into, found in the input
 * before pre-tokenization.  Returns -1 if the id or the text are taken. */
int bpe_add_special(struct bpe *m, const char *text, size_t len, uint32_t id);
/* Merging left then right gives result, with priority rank (lower first).
 * Returns -1 if the pair already has a merge. */
int bpe_add_merge(struct bpe *m, uint32_t left, uint32_t right, uint32_t rank, uint32_t result);
/* tiktoken's rule: every split of a token into two tokens is a merge whose
 * priority is the token's own id. */
void bpe_derive_merges(struct bpe *m);
void bpe_set_whole_piece(struct bpe *m, bool on);
/* Checks the model can encode: every byte has a token and every merge
 * result is a token of the two halves' bytes.  On failure writes why. */
int bpe_finish(struct bpe *m, char *err, size_t errn);

/* Largest id + 1, counting specials (tiktoken's n_vocab). */
uint32_t bpe_vocab_size(const struct bpe *m);
size_t bpe_token_count(const struct bpe *m); /* ordinary tokens */
/* The bytes of a token or special, or NULL if id names neither. */
const uint8_t *bpe_token_bytes(const struct bpe *m, uint32_t id, size_t *len);
/* Id of the ordinary token with these bytes, or BPE_NO_ID. */
uint32_t bpe_lookup(const struct bpe *m, const void *bytes, size_t len);
/* Id of the special token with this text, or BPE_NO_ID. */
uint32_t bpe_special_lookup(const struct bpe *m, const char *text, size_t len);
size_t bpe_special_count(const struct bpe *m);
/* i-th special (in the order added): its text and id. */
const char *bpe_special_at(const struct bpe *m, size_t i, size_t *len, uint32_t *id);
/* The earliest special token starting at or after pos in text: its start
 * and index (for bpe_special_at), or -1 when there is none.  Only specials
 * with allowed[index] (or all, when allowed is NULL) are looked for. */
long bpe_find_special(const struct bpe *m, const char *text, size_t len, size_t pos,
                      const bool *allowed, size_t *index);
/* An XXH3 hash of the ordinary tokens, merges and specials: two models
 * with the same hash encode alike. */
uint64_t bpe_hash(const struct bpe *m);

struct bpe_worker;
struct bpe_worker *bpe_worker_new(const struct bpe *m);
void bpe_worker_free(struct bpe_worker *w);
/* Appends the ids of one piece (n >= 1 bytes). */
void bpe_encode_piece(struct bpe_worker *w, const uint8_t *piece, size_t n, struct ids *out);

#endif
