/* parenc.c - encoding documents on several threads, in order (parenc.h). */
#include "tok/parenc.h"

#include <stdlib.h>
#include <string.h>

#include "base/die.h"
#include "base/ordpool.h"
#include "tok/docchunk.h"

struct chunk {
	struct doc_chunk docs;
	struct ids out;
	size_t *ends; /* out.len after each record */
	/* The first record that could not be encoded, if any. */
	size_t bad, bad_at;
	char why[256];
};

struct worker_state {
	struct tok_encoder *enc;
	const struct tok_policy *policy;
	uint32_t eot; /* appended when not BPE_NO_ID */
};

struct parenc {
	int threads;
	struct worker_state *ws;
	void **states;
	struct ordpool *pool;
	struct chunk *c; /* filling; NULL once finished */
	parenc_emit_fn *emit;
	void *ctx;
};

static void encode_chunk(void *arg, void *state)
{
	struct chunk *c = arg;
	struct worker_state *ws = state;
	c->out.len = 0;
	c->bad = c->docs.n;
	c->ends = xrealloc(c->ends, (c->docs.n + 1) * sizeof *c->ends);
	for (size_t i = 0; i < c->docs.n; i++) {
		const struct doc_record *r = &c->docs.recs[i];
		if (tok_encode(ws->enc, ws->policy, c->docs.text.data + r->text_off, r->text_len, &c->out, &c->bad_at,
		               c->why, sizeof c->why) < 0) {
			c->bad = i;
			break;
		}
		if (ws->eot != BPE_NO_ID)
			ids_push(&c->out, ws->eot);
		c->ends[i] = c->out.len;
	}
}

static void chunk_free(struct chunk *c)
{
	doc_chunk_release(&c->docs);
	ids_free(&c->out);
	free(c->ends);
	free(c);
}

struct parenc *parenc_new(const struct tokenizer *tok, const struct tok_policy *policy, uint32_t eot, int threads,
                          parenc_emit_fn *emit, void *ctx)
{
	struct parenc *p = xcalloc(1, sizeof *p);
	p->threads = threads;
	p->states = xcalloc((size_t)threads, sizeof *p->states);
	p->ws = xcalloc((size_t)threads, sizeof *p->ws);
	for (int i = 0; i < threads; i++) {
		p->ws[i] = (struct worker_state){tok_encoder_new(tok), policy, eot};
		p->states[i] = &p->ws[i];
	}
	p->pool = ordpool_new(threads, (size_t)threads * 2, encode_chunk, p->states);
	p->c = xcalloc(1, sizeof *p->c);
	p->emit = emit;
	p->ctx = ctx;
	return p;
}

/* Hands a finished chunk's records to emit; -1 at the first that failed. */
static int emit_chunk(struct parenc *p, struct chunk *c, struct parenc_failure *fail)
{
	size_t from = 0;
	for (size_t i = 0; i < c->bad; i++) {
		const struct doc_record *rec = &c->docs.recs[i];
		struct parenc_doc d = {
			.text = c->docs.text.data + rec->text_off,
			.text_len = rec->text_len,
			.key = rec->key_len ? c->docs.keys.data + rec->key_off : NULL,
			.key_len = rec->key_len,
			.ids = c->out.v + from,
			.n = c->ends[i] - from,
		};
		from = c->ends[i];
		p->emit(p->ctx, &d);
	}
	if (c->bad < c->docs.n) {
		const struct doc_record *rec = &c->docs.recs[c->bad];
		fail->input = rec->input;
		fail->at = rec->text_at + c->bad_at;
		fail->number = rec->number;
		memcpy(fail->why, c->why, sizeof fail->why);
		return -1;
	}
	doc_chunk_clear(&c->docs);
	return 0;
}

int parenc_add(struct parenc *p, const struct rec_frame *f, const char *input, bool lines, uint64_t number,
               struct parenc_failure *fail)
{
	doc_chunk_add(&p->c->docs, f, input, lines, number);
	if (doc_chunk_full(&p->c->docs)) {
		struct chunk *done = ordpool_submit(p->pool, p->c);
		p->c = done ? done : xcalloc(1, sizeof *p->c);
		if (done && emit_chunk(p, done, fail) < 0)
			return -1;
	}
	return 0;
}

int parenc_finish(struct parenc *p, struct parenc_failure *fail)
{
	struct chunk *c = p->c;
	p->c = NULL;
	if (c->docs.n) {
		struct chunk *done = ordpool_submit(p->pool, c);
		if (done && emit_chunk(p, done, fail) < 0) {
			chunk_free(done);
			return -1;
		}
		c = done ? done : NULL;
	}
	if (c)
		chunk_free(c);
	while ((c = ordpool_drain(p->pool))) {
		int rc = emit_chunk(p, c, fail);
		chunk_free(c);
		if (rc < 0)
			return -1;
	}
	return 0;
}

void parenc_free(struct parenc *p)
{
	if (!p)
		return;
	if (p->c)
		chunk_free(p->c);
	/* After a failure chunks may still be in flight. */
	struct chunk *c;
	while ((c = ordpool_drain(p->pool)))
		chunk_free(c);
	ordpool_free(p->pool);
	for (int i = 0; i < p->threads; i++)
		tok_encoder_free(p->ws[i].enc);
	free(p->ws);
	free(p->states);
	free(p);
}
