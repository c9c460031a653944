/* parenc.h - encoding a stream of text documents on several threads, the
 * results handed back in input order: tok-bpe encode and stats.  Documents
 * are batched into chunks (docchunk.h) that an ordered pool (ordpool.h)
 * encodes, one struct tok_encoder per thread; a finished chunk's
 * documents go to the caller's emit function one by one, in the order they
 * were added, on the caller's thread. */
#ifndef SLUICE_PARENC_H
#define SLUICE_PARENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rec/rec.h"
#include "tok/tokenc.h"
#include "tok/tokload.h"

/* One encoded document: its text and key as added, and its ids (the
 * end-of-text id last, when the encoder appends one). */
struct parenc_doc {
	const char *text, *key;
	size_t text_len, key_len;
	const uint32_t *ids;
	size_t n;
};

typedef void parenc_emit_fn(void *ctx, const struct parenc_doc *d);

/* The first document that could not be encoded: the input it came from,
 * the byte offset of the fault in it, its number in that input, and why. */
struct parenc_failure {
	const char *input;
	uint64_t at, number;
	char why[256];
};

struct parenc;

/* Encodes with tok under policy (both must outlive the encoder) on
 * threads threads, appending eot to each document unless it is BPE_NO_ID. */
struct parenc *parenc_new(const struct tokenizer *tok, const struct tok_policy *policy, uint32_t eot, int threads,
                          parenc_emit_fn *emit, void *ctx);
/* Adds text record f, number number of input (read as lines when lines
 * is set; input must outlive the encoder); may emit earlier documents.
 * -1 when a document failed: those before it have been emitted, *fail
 * says where and why, and the encoder is fit only for parenc_free. */
int parenc_add(struct parenc *p, const struct rec_frame *f, const char *input, bool lines, uint64_t number,
               struct parenc_failure *fail);
/* Encodes and emits what is left; -1 as parenc_add. */
int parenc_finish(struct parenc *p, struct parenc_failure *fail);
void parenc_free(struct parenc *p);

#endif
