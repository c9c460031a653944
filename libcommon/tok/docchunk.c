/* docchunk.c - text records batched for the threads (docchunk.h). */
#include "tok/docchunk.h"

#include <stdlib.h>

#include "base/die.h"

void doc_chunk_add(struct doc_chunk *c, const struct rec_frame *f, const char *input, bool lines, uint64_t number)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->recs = xrealloc(c->recs, c->cap * sizeof *c->recs);
	}
	struct doc_record *rec = &c->recs[c->n++];
	rec->text_off = c->text.len;
	rec->text_len = f->payload_len;
	rec->key_off = c->keys.len;
	rec->key_len = f->key_len;
	rec->input = input;
	rec->text_at = lines ? f->offset : f->offset + REC_FRAME_HEAD + rec_pad8(f->key_len);
	rec->number = number;
	buf_add(&c->text, f->payload, f->payload_len);
	if (f->key_len)
		buf_add(&c->keys, f->key, f->key_len);
}

bool doc_chunk_full(const struct doc_chunk *c)
{
	return c->text.len >= CHUNK_BYTES || c->n >= CHUNK_RECORDS;
}

void doc_chunk_clear(struct doc_chunk *c)
{
	c->n = 0;
	buf_clear(&c->text);
	buf_clear(&c->keys);
}

void doc_chunk_release(struct doc_chunk *c)
{
	buf_free(&c->text);
	buf_free(&c->keys);
	free(c->recs);
}
