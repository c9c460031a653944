/* bpecorpus.c - counting training text on threads, with a holdout
 * (bpecorpus.h). */
#include "tok/bpecorpus.h"

#include <pthread.h>
#include <stdlib.h>
#include <xxhash.h>

#include "base/buf.h"
#include "base/cli.h"
#include "base/die.h"
#include "base/ordpool.h"
#include "tok/bpe.h"
#include "tok/docchunk.h"

struct count_state {
	struct piece_counts *counts;
	const struct pretok *pt;
	struct pretok_scratch *sc;
	const struct bpe_train_opts *opts;
	struct bpe_corpus *corpus;
};

struct bpe_corpus {
	const struct pretok *pt;
	const struct bpe_train_opts *opts;
	int threads;
	struct count_state *cs;
	void **states;
	struct ordpool *pool; /* NULL once finished */
	struct doc_chunk *c;
	uint64_t cut;
	struct buf held;
	size_t *held_lens, n_held;
	/* Set before the first chunk goes to the threads (the pool's lock
	 * then orders it before their reads), and not changed after. */
	size_t spill_share; /* bytes a thread's counts may hold */
	bpe_corpus_spill_fn spill; /* NULL: never spill */
	void *spill_arg;
	pthread_mutex_t spill_lock; /* one spill at a time */
};

/* Hands counts to the spill, one thread at a time, and empties them. */
static void spill_counts(struct bpe_corpus *c, struct piece_counts *counts)
{
	if (!piece_counts_unique(counts))
		return;
	if (pthread_mutex_lock(&c->spill_lock) != 0)
		die(STATUS_FAIL, "the counts' lock");
	c->spill(c->spill_arg, counts);
	pthread_mutex_unlock(&c->spill_lock);
	piece_counts_clear(counts);
}

static void count_chunk(void *arg, void *state)
{
	struct doc_chunk *c = arg;
	struct count_state *cs = state;
	struct bpe_corpus *corpus = cs->corpus;
	for (size_t i = 0; i < c->n; i++) {
		piece_counts_text(cs->counts, cs->pt, cs->sc, cs->opts->specials, cs->opts->n_specials,
		                  c->text.data + c->recs[i].text_off, c->recs[i].text_len);
		/* After each document: a chunk of a megabyte can hold more
		 * distinct words than a small --mem. */
		if (corpus->spill && piece_counts_bytes(cs->counts) > corpus->spill_share)
			spill_counts(corpus, cs->counts);
	}
	doc_chunk_clear(c);
}

static void chunk_free(struct doc_chunk *c)
{
	doc_chunk_release(c);
	free(c);
}

struct bpe_corpus *bpe_corpus_new(const struct pretok *pt, const struct bpe_train_opts *opts, int threads,
                                  double holdout)
{
	struct bpe_corpus *c = xcalloc(1, sizeof *c);
	c->pt = pt;
	c->opts = opts;
	c->threads = threads;
	c->cs = xcalloc((size_t)threads, sizeof *c->cs);
	c->states = xcalloc((size_t)threads, sizeof *c->states);
	if (pthread_mutex_init(&c->spill_lock, NULL) != 0)
		die(STATUS_FAIL, "the counts' lock");
	for (int i = 0; i < threads; i++) {
		c->cs[i] = (struct count_state){piece_counts_new(), pt, pretok_scratch_new(pt), opts, c};
		c->states[i] = &c->cs[i];
	}
	c->pool = ordpool_new(threads, (size_t)threads * 2, count_chunk, c->states);
	c->c = xcalloc(1, sizeof *c->c);
	/* A document is held out when the hash of its text falls under the
	 * fraction: the same documents whatever their order. */
	c->cut = (uint64_t)(holdout * 18446744073709551616.0);
	return c;
}

void bpe_corpus_set_spill(struct bpe_corpus *c, size_t limit, bpe_corpus_spill_fn spill, void *arg)
{
	c->spill_share = limit / (size_t)c->threads;
	c->spill = spill;
	c->spill_arg = arg;
}

void bpe_corpus_add(struct bpe_corpus *c, const struct rec_frame *f, const char *input, bool lines)
{
	if (c->cut && XXH3_64bits(f->payload, f->payload_len) < c->cut) {
		buf_add(&c->held, f->payload, f->payload_len);
		c->held_lens = xrealloc(c->held_lens, (c->n_held + 1) * sizeof *c->held_lens);
		c->held_lens[c->n_held++] = f->payload_len;
		return;
	}
	doc_chunk_add(c->c, f, input, lines, 0);
	if (doc_chunk_full(c->c)) {
		struct doc_chunk *done = ordpool_submit(c->pool, c->c);
		c->c = done ? done : xcalloc(1, sizeof *c->c);
	}
}

uint64_t bpe_corpus_read(struct bpe_corpus *c, struct tokrun *r, const char *verb, struct shard s, int nin,
                         char **inputs)
{
	inputs = cli_inputs(inputs, &nin);
	enum shard_cut cut = shard_plan(s, (size_t)nin);
	uint64_t record = 0, documents = 0;
	for (int i = 0; i < nin; i++) {
		if (cut == SHARD_BY_FILE && !shard_takes(s, (uint64_t)i))
			continue;
		struct rec_reader *in = r->in = tokrun_open_input(inputs[i], REC_READ_LINES);
		struct rec_frame f;
		uint64_t last = 0;
		while (rec_next_or_die(in, &f) > 0) {
			if (f.type == REC_HEADER || f.type == REC_END)
				continue;
			if (f.type != REC_TEXT)
				die_at(STATUS_MALFORMED, rec_reader_name(in), f.offset,
				       "a %s record: tok-bpe %s reads text records", rec_type_name(f.type), verb);
			uint64_t now = rec_reader_offset(in);
			progress_add(&r->progress, now - last, 1);
			last = now;
			if (cut == SHARD_BY_RECORD && !shard_takes(s, record++))
				continue;
			documents++;
			bpe_corpus_add(c, &f, inputs[i], rec_reader_is_lines(in));
		}
		rec_reader_close(in);
		r->in = NULL;
	}
	return documents;
}

const struct piece_counts *bpe_corpus_finish(struct bpe_corpus *c)
{
	struct doc_chunk *ch = c->c;
	c->c = NULL;
	if (ch->n) {
		struct doc_chunk *done = ordpool_submit(c->pool, ch);
		ch = done;
	}
	if (ch)
		chunk_free(ch);
	while ((ch = ordpool_drain(c->pool)))
		chunk_free(ch);
	/* The threads are idle now: what they hold is spilled from here. */
	for (int i = 0; c->spill && i < c->threads; i++)
		spill_counts(c, c->cs[i].counts);
	ordpool_free(c->pool);
	c->pool = NULL;
	if (c->spill)
		return NULL;
	for (int i = 1; i < c->threads; i++) {
		piece_counts_merge(c->cs[0].counts, c->cs[i].counts);
		piece_counts_free(c->cs[i].counts);
		c->cs[i].counts = NULL;
	}
	return c->cs[0].counts;
}

bool bpe_corpus_holding_out(const struct bpe_corpus *c)
{
	return c->cut != 0;
}

size_t bpe_corpus_held(const struct bpe_corpus *c)
{
	return c->n_held;
}

void bpe_corpus_free(struct bpe_corpus *c)
{
	if (!c)
		return;
	if (c->pool) {
		struct doc_chunk *ch;
		if (c->c)
			chunk_free(c->c);
		while ((ch = ordpool_drain(c->pool)))
			chunk_free(ch);
		ordpool_free(c->pool);
	}
	for (int i = 0; i < c->threads; i++) {
		if (c->cs[i].counts)
			piece_counts_free(c->cs[i].counts);
		pretok_scratch_free(c->cs[i].sc);
	}
	free(c->cs);
	free(c->states);
	pthread_mutex_destroy(&c->spill_lock);
	buf_free(&c->held);
	free(c->held_lens);
	free(c);
}

struct coverage {
	struct bpe_worker *w;
	struct ids ids;
	uint64_t pieces, single, tokens;
};

static void cover_piece(void *arg, const uint8_t *piece, size_t n, uint64_t count)
{
	struct coverage *cv = arg;
	cv->ids.len = 0;
	bpe_encode_piece(cv->w, piece, n, &cv->ids);
	cv->pieces += count;
	cv->tokens += count * cv->ids.len;
	if (cv->ids.len == 1)
		cv->single += count;
}

void bpe_corpus_holdout(const struct bpe_corpus *c, const struct bpe_trained *tr, struct bpe_holdout *h)
{
	const struct bpe_train_opts *opts = c->opts;
	struct piece_counts *pc = piece_counts_new();
	struct pretok_scratch *sc = pretok_scratch_new(c->pt);
	uint64_t bytes = 0, words = 0;
	const char *p = c->held.data;
	for (size_t i = 0; i < c->n_held; p += c->held_lens[i++]) {
		piece_counts_text(pc, c->pt, sc, opts->specials, opts->n_specials, p, c->held_lens[i]);
		bytes += c->held_lens[i];
		bool in_word = false;
		for (size_t k = 0; k < c->held_lens[i]; k++) {
			bool space = p[k] == ' ' || (p[k] >= '\t' && p[k] <= '\r');
			words += !space && !in_word;
			in_word = !space;
		}
	}
	struct bpe *m = bpe_trained_model(tr);
	struct coverage cv = {.w = bpe_worker_new(m)};
	piece_counts_each(pc, cover_piece, &cv);
	*h = (struct bpe_holdout){.docs = c->n_held, .bytes = bytes, .words = words,
	                          .pieces = cv.pieces, .single = cv.single, .tokens = cv.tokens};
	ids_free(&cv.ids);
	bpe_worker_free(cv.w);
	bpe_free(m);
	pretok_scratch_free(sc);
	piece_counts_free(pc);
}
