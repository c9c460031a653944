/* docchunk.h - text records batched into chunks of about a megabyte, the
 * unit of work tok-bpe hands its threads (encoding in parenc.h, counting
 * pieces for training in bpecorpus.h).  A chunk copies each record's text
 * and key, and remembers where the text lay in its input so that an error
 * found on a thread can still name the byte it is at.  Internal to tok/. */
#ifndef SLUICE_DOCCHUNK_H
#define SLUICE_DOCCHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "rec/rec.h"

/* Records are batched into chunks of about this much text for the threads. */
#define CHUNK_BYTES (1u << 20)
#define CHUNK_RECORDS 4096

struct doc_record {
	size_t text_off, text_len, key_off, key_len;
	const char *input;
	uint64_t text_at; /* offset of the text's first byte in input */
	uint64_t number;  /* 1 for the first record of the input */
};

struct doc_chunk {
	struct buf text, keys;
	struct doc_record *recs;
	size_t n, cap;
};

/* Appends record f of input (read as lines when lines is set). */
void doc_chunk_add(struct doc_chunk *c, const struct rec_frame *f, const char *input, bool lines, uint64_t number);
bool doc_chunk_full(const struct doc_chunk *c);
/* Empties c for reuse, keeping its memory. */
void doc_chunk_clear(struct doc_chunk *c);
/* Frees what c holds (not c itself). */
void doc_chunk_release(struct doc_chunk *c);

#endif
