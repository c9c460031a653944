/* batcher.h - documents of token ids into [B, T+1] training batches.
 *
 * Packing (the default), as llm.c's data loader reads its shards: the
 * documents form one stream, each preceded by the end-of-text id unless the
 * document before it ends with one or it starts with one (llm.c's shards
 * hold [eot] + doc; tok-bpe --eot gives doc + [eot]: neither is doubled); a batch is the
 * next B*T+1 ids of the stream, row r being ids r*T .. r*T+T, so rows share
 * their boundary id and every id is once an input and once a target; the
 * next batch starts at the last id of this one.
 *
 * Padding: one document a row, its first T+1 ids, the rest of the row the
 * end-of-text id with a mask byte 0.
 *
 * At the end the ids that do not fill a batch make a last, smaller batch
 * (its last row padded, with a mask), unless drop_last. */
#ifndef SLUICE_BATCHER_H
#define SLUICE_BATCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct batch_view {
	uint32_t B, T;
	const uint32_t *ids;  /* B*(T+1) */
	const uint8_t *mask;  /* B*(T+1), or NULL when every id is real */
};

typedef void (*batch_sink)(void *arg, const struct batch_view *b);

struct batcher {
	uint32_t B, T, eot;
	bool pad;
	batch_sink sink;
	void *arg;
	uint32_t *stream; /* packing: B*T+1 ids being gathered */
	size_t fill;
	uint32_t *rows;   /* the batch as rows of T+1 */
	uint8_t *mask;
	size_t nrows;     /* padding: rows gathered */
	bool prev_ends_eot; /* packing: the last document ended with the eot id */
	uint64_t batches, longest;
};

void batcher_init(struct batcher *b, uint32_t B, uint32_t T, uint32_t eot, bool pad, batch_sink sink, void *arg);
void batcher_doc(struct batcher *b, const uint32_t *ids, size_t n);
/* Ids that go into the packed stream as they are, with no end-of-text id
 * added: a stream already packed (llm.c shards read without documents). */
void batcher_ids(struct batcher *b, const uint32_t *ids, size_t n);
/* Hands out what is left (unless drop_last); the batcher can be freed. */
void batcher_finish(struct batcher *b, bool drop_last);
void batcher_free(struct batcher *b);

/* Whether a document goes into the packed stream after an end-of-text id:
 * unless the one before it ended with one or it starts with one.  Shared
 * with writers of the bare stream (llm.c shards). */
bool batcher_lead(uint32_t eot, bool prev_ends_eot, const uint32_t *ids, size_t n);

#endif
