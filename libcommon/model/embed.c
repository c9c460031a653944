/* embed.c - pooled GPT-2 hidden states (see embed.h). */
#include "model/embed.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/die.h"
#include "model/gpt2.h"

struct window {
	size_t doc, start, len;
};

struct embedder {
	struct gpt2 *m;
	struct embed_opts o;
	int dim, ctx;
	size_t rows; /* windows per forward pass */
	struct window *win;
	size_t win_cap;
	uint32_t *inputs; /* [rows, T] of one forward pass */
	size_t inputs_cap;
	double *acc; /* [n, dim]: sums (mean) or the last state, per document */
	size_t acc_cap;
};

int embed_pool_from_name(const char *name)
{
	if (strcmp(name, "mean") == 0)
		return EMBED_POOL_MEAN;
	if (strcmp(name, "last") == 0)
		return EMBED_POOL_LAST;
	return -1;
}

const char *embed_pool_name(enum embed_pool pool) { return pool == EMBED_POOL_LAST ? "last" : "mean"; }

struct embedder *embedder_new(struct gpt2 *m, const struct embed_opts *o)
{
	if (o->batch < 1)
		die(STATUS_FAIL, "embed: batch %d", o->batch);
	struct embedder *e = xcalloc(1, sizeof *e);
	e->m = m;
	e->o = *o;
	e->dim = gpt2_cfg(m)->channels;
	e->ctx = gpt2_cfg(m)->max_seq;
	/* The model keeps activations for the most rows and the longest T it
	 * has run (gpt2_reserve), whichever passes they came from: rows are
	 * bounded for the longest window there can be, not for this one's. */
	e->rows = o->max_positions / (size_t)e->ctx;
	if (e->rows < 1)
		e->rows = 1;
	if (e->rows > (size_t)o->batch)
		e->rows = (size_t)o->batch;
	return e;
}

void embedder_free(struct embedder *e)
{
	if (!e)
		return;
	free(e->win);
	free(e->inputs);
	free(e->acc);
	free(e);
}

int embedder_dim(const struct embedder *e) { return e->dim; }

static void add_window(struct embedder *e, size_t *n, size_t doc, size_t start, size_t len)
{
	if (*n == e->win_cap) {
		e->win_cap = e->win_cap ? e->win_cap * 2 : 256;
		e->win = xrealloc(e->win, e->win_cap * sizeof *e->win);
	}
	e->win[(*n)++] = (struct window){doc, start, len};
}

/* Longest first; ties in input order, so the batches are the same run to run. */
static int by_length(const void *pa, const void *pb)
{
	const struct window *a = pa, *b = pb;
	if (a->len != b->len)
		return a->len > b->len ? -1 : 1;
	if (a->doc != b->doc)
		return a->doc < b->doc ? -1 : 1;
	return a->start < b->start ? -1 : a->start > b->start;
}

void embedder_run(struct embedder *e, const uint32_t *const *docs, const size_t *lens, size_t n, float *out)
{
	size_t C = (size_t)e->dim, ctx = (size_t)e->ctx, nwin = 0;
	for (size_t d = 0; d < n; d++) {
		if (lens[d] == 0)
			die(STATUS_FAIL, "embed: document %zu is empty", d);
		if (e->o.pool == EMBED_POOL_LAST) {
			size_t len = lens[d] < ctx ? lens[d] : ctx;
			add_window(e, &nwin, d, lens[d] - len, len);
		} else {
			for (size_t s = 0; s < lens[d]; s += ctx)
				add_window(e, &nwin, d, s, lens[d] - s < ctx ? lens[d] - s : ctx);
		}
	}
	qsort(e->win, nwin, sizeof *e->win, by_length);
	if (n * C > e->acc_cap) {
		free(e->acc);
		e->acc_cap = n * C;
		e->acc = xmalloc(e->acc_cap * sizeof *e->acc);
	}
	memset(e->acc, 0, n * C * sizeof *e->acc);

	for (size_t w = 0; w < nwin;) {
		/* sorted longest first: the first window of a batch sets its T */
		size_t T = e->win[w].len, rows = e->rows < nwin - w ? e->rows : nwin - w;
		if (rows * T > e->inputs_cap) {
			free(e->inputs);
			e->inputs_cap = rows * T;
			e->inputs = xmalloc(e->inputs_cap * sizeof *e->inputs);
		}
		/* Padding is id 0, a real token: causal attention never lets a
		 * later position reach an earlier one, and pooling skips it. */
		for (size_t r = 0; r < rows; r++) {
			const struct window *win = &e->win[w + r];
			uint32_t *row = e->inputs + r * T;
			memcpy(row, docs[win->doc] + win->start, win->len * sizeof *row);
			memset(row + win->len, 0, (T - win->len) * sizeof *row);
		}
		const float *h = gpt2_forward_hidden(e->m, e->inputs, (int)rows, (int)T);
		for (size_t r = 0; r < rows; r++) {
			const struct window *win = &e->win[w + r];
			const float *hr = h + r * T * C;
			double *acc = e->acc + win->doc * C;
			if (e->o.pool == EMBED_POOL_LAST) {
				for (size_t c = 0; c < C; c++)
					acc[c] = hr[(win->len - 1) * C + c];
				continue;
			}
			for (size_t t = 0; t < win->len; t++)
				for (size_t c = 0; c < C; c++)
					acc[c] += hr[t * C + c];
		}
		w += rows;
	}

	for (size_t d = 0; d < n; d++) {
		double *acc = e->acc + d * C;
		double scale = e->o.pool == EMBED_POOL_MEAN ? 1.0 / (double)lens[d] : 1.0;
		if (e->o.normalize) {
			/* the mean's 1/len cancels in the normalisation */
			double ss = 0;
			for (size_t c = 0; c < C; c++)
				ss += acc[c] * acc[c];
			scale = ss > 0 ? 1.0 / sqrt(ss) : 0.0;
		}
		for (size_t c = 0; c < C; c++)
			out[d * C + c] = (float)(acc[c] * scale);
	}
}
