/* batcher.c - token documents into training batches (see batcher.h). */
#include "train/batcher.h"

#include <stdlib.h>
#include <string.h>

#include "base/die.h"

void batcher_init(struct batcher *b, uint32_t B, uint32_t T, uint32_t eot, bool pad, batch_sink sink, void *arg)
{
	memset(b, 0, sizeof *b);
	b->B = B, b->T = T, b->eot = eot, b->pad = pad, b->sink = sink, b->arg = arg;
	size_t row = (size_t)T + 1, n = (size_t)B * row;
	b->rows = xmalloc(n * sizeof *b->rows);
	b->mask = xmalloc(n);
	if (!pad)
		b->stream = xmalloc(((size_t)B * T + 1) * sizeof *b->stream);
}

void batcher_free(struct batcher *b)
{
	free(b->stream);
	free(b->rows);
	free(b->mask);
	b->stream = b->rows = NULL;
	b->mask = NULL;
}

bool batcher_lead(uint32_t eot, bool prev_ends_eot, const uint32_t *ids, size_t n)
{
	return !prev_ends_eot && !(n && ids[0] == eot);
}

/* Rows r*T .. r*T+T of the first `len` ids of the stream; a short last
 * row is padded. */
static void emit_stream(struct batcher *b, size_t len)
{
	size_t row = (size_t)b->T + 1, T = b->T;
	size_t nrows = len > 1 ? (len - 1 + T - 1) / T : 0;
	bool masked = false;
	for (size_t r = 0; r < nrows; r++) {
		size_t from = r * T, real = len - from < row ? len - from : row;
		memcpy(b->rows + r * row, b->stream + from, real * sizeof *b->rows);
		memset(b->mask + r * row, 1, real);
		for (size_t k = real; k < row; k++) {
			b->rows[r * row + k] = b->eot;
			b->mask[r * row + k] = 0;
			masked = true;
		}
	}
	if (!nrows)
		return;
	struct batch_view v = {(uint32_t)nrows, b->T, b->rows, masked ? b->mask : NULL};
	b->sink(b->arg, &v);
	b->batches++;
}

static void pack(struct batcher *b, const uint32_t *ids, size_t n)
{
	size_t full = (size_t)b->B * b->T + 1;
	while (n) {
		size_t take = full - b->fill < n ? full - b->fill : n;
		memcpy(b->stream + b->fill, ids, take * sizeof *ids);
		b->fill += take, ids += take, n -= take;
		if (b->fill == full) {
			emit_stream(b, full);
			b->stream[0] = b->stream[full - 1]; /* the next batch starts here */
			b->fill = 1;
		}
	}
}

void batcher_ids(struct batcher *b, const uint32_t *ids, size_t n)
{
	pack(b, ids, n);
	if (n)
		b->prev_ends_eot = ids[n - 1] == b->eot;
}

static void emit_rows(struct batcher *b)
{
	struct batch_view v = {(uint32_t)b->nrows, b->T, b->rows, b->mask};
	b->sink(b->arg, &v);
	b->batches++;
	b->nrows = 0;
}

void batcher_doc(struct batcher *b, const uint32_t *ids, size_t n)
{
	if (n > b->longest)
		b->longest = n;
	if (!b->pad) {
		if (batcher_lead(b->eot, b->prev_ends_eot, ids, n))
			pack(b, &b->eot, 1);
		pack(b, ids, n);
		b->prev_ends_eot = n && ids[n - 1] == b->eot;
		return;
	}
	size_t row = (size_t)b->T + 1, real = n < row ? n : row;
	uint32_t *dst = b->rows + b->nrows * row;
	uint8_t *m = b->mask + b->nrows * row;
	memcpy(dst, ids, real * sizeof *ids);
	memset(m, 1, real);
	for (size_t k = real; k < row; k++)
		dst[k] = b->eot, m[k] = 0;
	if (++b->nrows == b->B)
		emit_rows(b);
}

void batcher_finish(struct batcher *b, bool drop_last)
{
	if (drop_last)
		return;
	if (b->pad) {
		if (b->nrows)
			emit_rows(b);
	} else if (b->fill > 1) {
		emit_stream(b, b->fill);
	}
	b->fill = b->nrows = 0;
}
