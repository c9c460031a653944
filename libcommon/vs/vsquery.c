/* vsquery.c - answering a vector store's queries (see vsquery.h). */
#include "vs/vsquery.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/die.h"
#include "base/jsonw.h"
#include "rec/header.h"
#include "vs/vsinput.h"

#define STATUS_BAD_QUERY STATUS_MALFORMED

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The q-th quantile of sorted times, nearest rank. */
static double quantile(const double *t, size_t n, double q)
{
	size_t i = (size_t)(q * (double)n + 0.999999);
	return t[(i ? i : 1) - 1];
}

/* A point's members of its JSON object, after the caller's own. */
static void point_members(const struct vsquery *qr, const struct vsclient_point *p, struct buf *b)
{
	buf_adds(b, "\"id\":");
	jsonw_string(b, p->id, p->id_len);
	if (p->meta_len) {
		buf_adds(b, ",\"metadata\":");
		buf_add(b, p->meta, p->meta_len);
	} else {
		buf_adds(b, ",\"metadata\":{}");
	}
	if (p->vec) {
		buf_adds(b, ",\"vector\":[");
		for (uint32_t i = 0; i < vsclient_dim(qr->store); i++) {
			if (i)
				buf_addc(b, ',');
			jsonw_float(b, p->vec[i]);
		}
		buf_addc(b, ']');
	}
}

static void emit(struct vsquery *qr, const char *key, size_t key_len)
{
	if (qr->records) {
		rec_write(qr->w, REC_JSON, REC_DT_NONE, key, key_len, qr->line.data, qr->line.len);
	} else {
		outbuf_write(&qr->out, qr->line.data, qr->line.len);
		outbuf_putc(&qr->out, '\n');
	}
}

static int print_hit(void *ctx, size_t query, size_t rank, const struct vsclient_point *p)
{
	struct vsquery *qr = ctx;
	const char *qid = qr->qids.data + qr->qid_offs[query];
	size_t qlen = qr->qid_offs[query + 1] - qr->qid_offs[query];
	buf_clear(&qr->line);
	buf_adds(&qr->line, "{\"query\":");
	jsonw_string(&qr->line, qid, qlen);
	buf_printf(&qr->line, ",\"rank\":%zu,", rank + 1);
	point_members(qr, p, &qr->line);
	buf_adds(&qr->line, ",\"score\":");
	jsonw_float(&qr->line, p->score);
	buf_addc(&qr->line, '}');
	emit(qr, qid, qlen);
	return 0;
}

static int print_point(void *ctx, size_t query, size_t rank, const struct vsclient_point *p)
{
	struct vsquery *qr = ctx;
	(void)query;
	(void)rank;
	buf_clear(&qr->line);
	buf_addc(&qr->line, '{');
	point_members(qr, p, &qr->line);
	buf_addc(&qr->line, '}');
	emit(qr, p->id, p->id_len);
	qr->printed++;
	return 0;
}

static void answer_batch(struct vsquery *qr)
{
	if (qr->n == 0)
		return;
	char err[1024];
	double t0 = qr->timing ? now() : 0;
	if (vsclient_search(qr->store, qr->vecs, qr->n, &qr->q, print_hit, qr, err, sizeof err) != 0)
		die(strncmp(err, "filter: ", 8) == 0 ? STATUS_USAGE : STATUS_FAIL, "%s", err);
	if (qr->timing) {
		/* A batch's time is shared by its queries. */
		double each = (now() - t0) / (double)qr->n;
		if (qr->ntimes + qr->n > qr->cap_times) {
			qr->cap_times = 2 * (qr->ntimes + qr->n);
			qr->times = xrealloc(qr->times, qr->cap_times * sizeof *qr->times);
		}
		for (size_t i = 0; i < qr->n; i++)
			qr->times[qr->ntimes++] = each;
	}
	progress_add(&qr->progress, 0, qr->n);
	qr->n = 0;
	buf_clear(&qr->qids);
}

static void read_queries(struct vsquery *qr, const char *path)
{
	struct rec_reader *r = rec_reader_open(path, REC_READ_LINES);
	if (!r)
		die(STATUS_FAIL, "%s:", path);
	const char *name = rec_reader_name(r);
	struct rec_frame f;
	struct vs_input in = {0};
	char err[512];
	uint64_t line = 0, serial = 0;
	uint32_t dim = vsclient_dim(qr->store);
	while (rec_next_or_die(r, &f)) {
		if (f.type == REC_HEADER || f.type == REC_END)
			continue;
		line++;
		uint64_t where = rec_reader_is_lines(r) ? line : f.offset;
		if (vs_input_parse(&in, &f, VS_NEED_VECTOR, err, sizeof err) != 0)
			die_at(STATUS_BAD_QUERY, name, where, "%s", err);
		if (in.dim != dim)
			die_at(STATUS_BAD_QUERY, name, where, "the query has %zu values, the store has dim %u", in.dim, dim);
		for (size_t i = 0; i < dim; i++)
			if (in.vec[i] != in.vec[i] || in.vec[i] - in.vec[i] != 0)
				die_at(STATUS_BAD_QUERY, name, where, "the query holds NaN or Inf at index %zu", i);
		if (qr->n == 0)
			qr->qid_offs[0] = 0;
		if (in.id.len)
			buf_add(&qr->qids, in.id.data, in.id.len);
		else /* an id-less query is named by its number */
			buf_printf(&qr->qids, "%llu", (unsigned long long)serial);
		serial++;
		memcpy(qr->vecs + qr->n * dim, in.vec, dim * sizeof *qr->vecs);
		qr->n++;
		qr->qid_offs[qr->n] = qr->qids.len;
		if (qr->n == qr->batch)
			answer_batch(qr);
	}
	answer_batch(qr);
	vs_input_free(&in);
	rec_reader_close(r);
}

void vsquery_open(struct vsquery *qr, const char *where, const struct vsclient_opts *o)
{
	char err[1024];
	int locked;
	qr->where = where;
	double opened = now();
	qr->store = vsclient_open(where, o, &locked, err, sizeof err);
	qr->opened = now() - opened;
	if (!qr->store)
		die(STATUS_FAIL, "%s", err);
}

void vsquery_begin(struct vsquery *qr, int argc, char **argv)
{
	outbuf_init(&qr->out, STDOUT_FILENO, "<stdout>", 1 << 16);
	if (qr->records) {
		io_grow_pipe(STDOUT_FILENO);
		qr->w = rec_writer_fdopen(STDOUT_FILENO, "<stdout>");
		json_t *h = header_new(NULL, "json", argc, argv);
		header_write(qr->w, h);
		json_decref(h);
	}
}

void vsquery_search(struct vsquery *qr, char **paths, int n, enum cli_progress progress)
{
	uint32_t dim = vsclient_dim(qr->store);
	qr->vecs = xmalloc(qr->batch * dim * sizeof *qr->vecs);
	qr->qid_offs = xmalloc((qr->batch + 1) * sizeof *qr->qid_offs);
	progress_init(&qr->progress, progress, 0);
	if (n == 0)
		read_queries(qr, "-");
	for (int i = 0; i < n; i++)
		read_queries(qr, paths[i]);
	progress_end(&qr->progress);
}

int vsquery_get(struct vsquery *qr, const char **ids, size_t n)
{
	char err[1024];
	size_t missing;
	if (vsclient_get(qr->store, ids, n, qr->q.with_vector, print_point, qr, &missing, err, sizeof err) != 0)
		die(STATUS_FAIL, "%s", err);
	if (missing) {
		warn("%s: %zu of the ids asked for are not there", qr->where, missing);
		return VSQUERY_NOT_FOUND;
	}
	return 0;
}

void vsquery_scan(struct vsquery *qr, const char *filter, uint64_t limit)
{
	char err[1024];
	if (vsclient_scan(qr->store, filter, limit, qr->q.with_vector, print_point, qr, err, sizeof err) != 0)
		die(strncmp(err, "filter: ", 8) == 0 ? STATUS_USAGE : STATUS_FAIL, "%s", err);
}

void vsquery_stats(struct vsquery *qr)
{
	char err[1024];
	char *text = vsclient_stats(qr->store, err, sizeof err);
	if (!text)
		die(STATUS_FAIL, "%s", err);
	outbuf_write(&qr->out, text, strlen(text));
	outbuf_putc(&qr->out, '\n');
	free(text);
}

void vsquery_verify(struct vsquery *qr)
{
	char err[1024];
	if (vsclient_verify(qr->store, err, sizeof err) != 0)
		die(STATUS_FAIL, "%s", err);
}

void vsquery_timings(struct vsquery *qr)
{
	if (!qr->timing || !qr->ntimes)
		return;
	double sum = 0;
	for (size_t i = 0; i < qr->ntimes; i++)
		sum += qr->times[i];
	qsort(qr->times, qr->ntimes, sizeof *qr->times, by_value);
	warn("timings: open %.3f ms; %zu queries: mean %.3f ms, p50 %.3f, p95 %.3f, p99 %.3f, max %.3f ms",
	     qr->opened * 1e3, qr->ntimes, sum / (double)qr->ntimes * 1e3, quantile(qr->times, qr->ntimes, 0.5) * 1e3,
	     quantile(qr->times, qr->ntimes, 0.95) * 1e3, quantile(qr->times, qr->ntimes, 0.99) * 1e3,
	     qr->times[qr->ntimes - 1] * 1e3);
}

void vsquery_close(struct vsquery *qr)
{
	if (qr->records) {
		rec_write_end(qr->w);
		rec_writer_free(qr->w);
	}
	outbuf_free(&qr->out);
	vsclient_close(qr->store);
	free(qr->vecs);
	free(qr->qid_offs);
	free(qr->times);
	buf_free(&qr->qids);
	buf_free(&qr->line);
}
