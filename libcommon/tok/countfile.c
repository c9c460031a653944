/* countfile.c - word count files: writing them, and reading several as
 * one sorted sum (countfile.h). */
#include "tok/countfile.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/die.h"
#include "base/jsonw.h"
#include "base/le.h"
#include "rec/header.h"
#include "tok/tokload.h"

int countfile_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = n ? memcmp(a, b, n) : 0; /* memcmp may not be given NULL, even for 0 bytes */
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* ---- writing ---- */

void countfile_begin(struct countfile_writer *cw, int fd, const char *name, const char *pattern,
                     const char *const *specials, size_t n_specials, int argc, char **argv)
{
	*cw = (struct countfile_writer){.w = rec_writer_fdopen(fd, name), .name = name};
	json_t *h = header_new(NULL, "sample", argc, argv);
	json_t *bc = json_object();
	json_object_set_new(bc, "version", json_integer(COUNTFILE_VERSION));
	json_object_set_new(bc, "pattern", json_string(pattern));
	json_t *sp = json_array();
	for (size_t i = 0; i < n_specials; i++)
		json_array_append_new(sp, json_string(specials[i]));
	json_object_set_new(bc, "specials", sp);
	json_object_set_new(bc, "order", json_string("bytes"));
	json_object_set_new(h, "bpe_counts", bc);
	header_write(cw->w, h);
	json_decref(h);
}

void countfile_put(struct countfile_writer *cw, const uint8_t *word, size_t len, uint64_t count)
{
	/* The merges downstream rely on the order: a broken one is our bug,
	 * and must not become a file that sums wrongly. */
	if (cw->started && countfile_cmp((const uint8_t *)cw->prev.data, cw->prev.len, word, len) >= 0)
		die(STATUS_FAIL, "%s: internal error: words out of order", cw->name);
	cw->started = 1;
	buf_clear(&cw->prev);
	buf_add(&cw->prev, word, len);
	unsigned char le[8];
	le_put64(le, count);
	rec_sample_begin(&cw->payload, 2);
	rec_sample_add(&cw->payload, "count", 5, le, sizeof le);
	rec_sample_add(&cw->payload, "word", 4, word, len);
	rec_write(cw->w, REC_SAMPLE, REC_DT_NONE, NULL, 0, cw->payload.data, cw->payload.len);
	cw->words++;
	cw->pieces += count;
}

void countfile_end(struct countfile_writer *cw)
{
	struct buf t = {0};
	buf_printf(&t, "{\"documents\":%llu,\"words\":%llu,\"pieces\":%llu}", (unsigned long long)cw->documents,
	           (unsigned long long)cw->words, (unsigned long long)cw->pieces);
	rec_write_trailer(cw->w, t.data, t.len);
	rec_write_end(cw->w);
	rec_writer_flush(cw->w);
	rec_writer_free(cw->w);
	buf_free(&t);
	buf_free(&cw->payload);
	buf_free(&cw->prev);
	cw->w = NULL;
}

/* ---- reading ---- */

struct cf_source {
	struct rec_reader *r;
	const char *path;
	int header_seen;
	/* the current record: word points into the reader's buffer */
	const uint8_t *word;
	size_t len;
	uint64_t count, offset;
	struct buf prev; /* the word before it, for the order check */
	int has_prev;
};

struct countfile_merge {
	struct cf_source *src;
	int n;
	int *heap, nheap; /* sources with a current record, smallest word on top */
	char *pattern;
	char **specials;
	size_t n_specials;
	const char *first; /* the file the others must agree with */
	struct buf word;
	/* the first failure: its one line ("path:offset: what") and the exit
	 * status it calls for; every call after it fails the same way */
	char err[1024];
	int status;
};

/* Records a failure at path:offset and returns -1. */
SLUICE_PRINTF(5, 6)
static int fail_at(struct countfile_merge *m, int status, const char *path, uint64_t offset, const char *fmt, ...)
{
	int n = snprintf(m->err, sizeof m->err, "%s:%llu: ", path, (unsigned long long)offset);
	va_list ap;
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < sizeof m->err)
		vsnprintf(m->err + n, sizeof m->err - (size_t)n, fmt, ap);
	va_end(ap);
	m->status = status;
	return -1;
}

/* A pattern as a reader knows it: its tok-bpe name when it has one. */
static const char *pattern_label(const char *p)
{
	static const char *const names[] = {"gpt2", "cl100k", "o200k"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(p, tokload_pattern_by_name(names[i])) == 0)
			return names[i];
	return p;
}

static void specials_text(json_t *sp, struct buf *out)
{
	buf_addc(out, '[');
	for (size_t i = 0; i < json_array_size(sp); i++) {
		if (i)
			buf_addc(out, ',');
		const char *s = json_string_value(json_array_get(sp, i));
		jsonw_string(out, s, strlen(s));
	}
	buf_addc(out, ']');
	buf_addc(out, '\0');
}

/* Checks a count file's header against the first file's (or, for the
 * first, takes its pattern and specials). */
static int check_header(struct countfile_merge *m, struct cf_source *s, uint64_t offset)
{
	const char *text = rec_reader_header(s->r);
	json_error_t jerr;
	json_t *h = text ? json_loads(text, 0, &jerr) : NULL;
	const char *kind = json_string_value(json_object_get(h, "kind"));
	json_t *bc = json_object_get(h, "bpe_counts");
	json_t *pat = json_object_get(bc, "pattern"), *sp = json_object_get(bc, "specials");
	int rc = 0;
	if (!bc || !kind || strcmp(kind, "sample") != 0) {
		rc = fail_at(m, STATUS_MALFORMED, s->path, offset,
		             "not a tok-bpe count file (a %s stream): make one with tok-bpe count", kind ? kind : "kindless");
		goto out;
	}
	if (json_integer_value(json_object_get(bc, "version")) != COUNTFILE_VERSION) {
		rc = fail_at(m, STATUS_MALFORMED, s->path, offset, "a count file of version %lld; this tok-bpe reads version %d",
		             (long long)json_integer_value(json_object_get(bc, "version")), COUNTFILE_VERSION);
		goto out;
	}
	int ok = json_is_string(pat) && json_is_array(sp);
	for (size_t i = 0; ok && i < json_array_size(sp); i++)
		ok = json_is_string(json_array_get(sp, i));
	const char *order = json_string_value(json_object_get(bc, "order"));
	if (!ok || !order || strcmp(order, "bytes") != 0) {
		rc = fail_at(m, STATUS_MALFORMED, s->path, offset, "a count file header without a pattern, specials or order");
		goto out;
	}
	if (!m->pattern) {
		m->pattern = xstrdup(json_string_value(pat));
		m->n_specials = json_array_size(sp);
		m->specials = xcalloc(m->n_specials + 1, sizeof *m->specials);
		for (size_t i = 0; i < m->n_specials; i++)
			m->specials[i] = xstrdup(json_string_value(json_array_get(sp, i)));
		m->first = s->path;
		goto out;
	}
	if (strcmp(m->pattern, json_string_value(pat)) != 0) {
		rc = fail_at(m, STATUS_MALFORMED, s->path, offset,
		             "counted with the pre-tokenizer pattern %s, but %s with %s: count files to be summed must "
		             "come from the same pre-tokenizer",
		             pattern_label(json_string_value(pat)), m->first, pattern_label(m->pattern));
		goto out;
	}
	int same = json_array_size(sp) == m->n_specials;
	for (size_t i = 0; same && i < m->n_specials; i++)
		same = strcmp(json_string_value(json_array_get(sp, i)), m->specials[i]) == 0;
	if (!same) {
		struct buf theirs = {0}, mine_text = {0};
		specials_text(sp, &theirs);
		json_t *mine = json_array();
		for (size_t i = 0; i < m->n_specials; i++)
			json_array_append_new(mine, json_string(m->specials[i]));
		specials_text(mine, &mine_text);
		json_decref(mine);
		rc = fail_at(m, STATUS_MALFORMED, s->path, offset,
		             "counted with the specials %s, but %s with %s: count files to be summed must cut the "
		             "same special tokens out",
		             theirs.data, m->first, mine_text.data);
		buf_free(&theirs);
		buf_free(&mine_text);
	}
out:
	json_decref(h);
	return rc;
}

/* The source's next record: 1, 0 at its end, -1 on a failure. */
static int advance(struct countfile_merge *m, struct cf_source *s)
{
	if (s->word) {
		buf_clear(&s->prev);
		buf_add(&s->prev, s->word, s->len);
		s->has_prev = 1;
	}
	struct rec_frame f;
	int got;
	while ((got = rec_next(s->r, &f)) > 0) {
		if (f.type == REC_HEADER) {
			if (s->header_seen)
				return fail_at(m, STATUS_MALFORMED, s->path, f.offset,
				               "a second stream: count files are summed by naming each one, not by joining them");
			s->header_seen = 1;
			if (check_header(m, s, f.offset) < 0)
				return -1;
			continue;
		}
		if (f.type == REC_END)
			continue;
		struct rec_part count, word;
		size_t cursor = 0;
		if (!s->header_seen || f.type != REC_SAMPLE || rec_sample_nparts(&f) != 2 ||
		    !rec_sample_next(&f, &cursor, &count) || !rec_sample_next(&f, &cursor, &word) || count.name_len != 5 ||
		    memcmp(count.name, "count", 5) || count.data_len != 8 || word.name_len != 4 ||
		    memcmp(word.name, "word", 4))
			return fail_at(m, STATUS_MALFORMED, s->path, f.offset,
			               "a %s record that is not a word count (a sample of \"count\", 8 bytes, and \"word\")",
			               rec_type_name(f.type) ? rec_type_name(f.type) : "unknown");
		s->word = word.data;
		s->len = word.data_len;
		s->count = le_get64(count.data);
		s->offset = f.offset;
		if (s->has_prev) {
			int c = countfile_cmp((const uint8_t *)s->prev.data, s->prev.len, s->word, s->len);
			if (c >= 0)
				return fail_at(m, STATUS_MALFORMED, s->path, f.offset,
				               "%s word: count files are sorted by the words' bytes, each word once",
				               c == 0 ? "a repeated" : "an out-of-order");
		}
		return 1;
	}
	s->word = NULL;
	if (got < 0) {
		/* the reader's line names the input and offset already */
		snprintf(m->err, sizeof m->err, "%s", rec_reader_error(s->r));
		m->status = -got;
		return -1;
	}
	return 0;
}

static int src_less(const struct countfile_merge *m, int a, int b)
{
	const struct cf_source *x = &m->src[a], *y = &m->src[b];
	int c = countfile_cmp(x->word, x->len, y->word, y->len);
	return c < 0 || (c == 0 && a < b);
}

static void sift_down(struct countfile_merge *m, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, best = i;
		if (l < m->nheap && src_less(m, m->heap[l], m->heap[best]))
			best = l;
		if (r < m->nheap && src_less(m, m->heap[r], m->heap[best]))
			best = r;
		if (best == i)
			return;
		int t = m->heap[i];
		m->heap[i] = m->heap[best];
		m->heap[best] = t;
		i = best;
	}
}

struct countfile_merge *countfile_merge_open(int n, char **paths)
{
	struct countfile_merge *m = xcalloc(1, sizeof *m);
	m->n = n;
	m->src = xcalloc((size_t)n, sizeof *m->src);
	m->heap = xcalloc((size_t)n, sizeof *m->heap);
	for (int i = 0; i < n && !m->status; i++) {
		struct cf_source *s = &m->src[i];
		s->path = paths[i];
		s->r = rec_reader_open(paths[i], 0);
		if (!s->r) {
			snprintf(m->err, sizeof m->err, "%s: %s", paths[i], strerror(errno));
			m->status = STATUS_FAIL;
			break;
		}
		int got = advance(m, s);
		if (got > 0)
			m->heap[m->nheap++] = i;
	}
	for (int i = m->nheap / 2; i-- > 0;)
		sift_down(m, i);
	return m;
}

const char *countfile_merge_error(const struct countfile_merge *m, int *status)
{
	if (!m->status)
		return NULL;
	if (status)
		*status = m->status;
	return m->err;
}

const char *countfile_merge_pattern(const struct countfile_merge *m)
{
	return m->pattern;
}

const char *const *countfile_merge_specials(const struct countfile_merge *m, size_t *n)
{
	*n = m->n_specials;
	return (const char *const *)m->specials;
}

/* Moves the top source to its next record, or out of the heap; -1 on a
 * failure. */
static int step_top(struct countfile_merge *m)
{
	int got = advance(m, &m->src[m->heap[0]]);
	if (got < 0)
		return -1;
	if (!got)
		m->heap[0] = m->heap[--m->nheap];
	sift_down(m, 0);
	return 0;
}

int countfile_merge_next(struct countfile_merge *m, const uint8_t **word, size_t *len, uint64_t *count)
{
	if (m->status)
		return -1;
	if (!m->nheap)
		return 0;
	struct cf_source *top = &m->src[m->heap[0]];
	buf_clear(&m->word);
	buf_add(&m->word, top->word, top->len);
	uint64_t sum = top->count;
	if (step_top(m) < 0)
		return -1;
	while (m->nheap) {
		top = &m->src[m->heap[0]];
		if (countfile_cmp(top->word, top->len, (const uint8_t *)m->word.data, m->word.len) != 0)
			break;
		if (sum + top->count < sum)
			return fail_at(m, STATUS_MALFORMED, top->path, top->offset, "the counts of a word sum past 2^64 - 1");
		sum += top->count;
		if (step_top(m) < 0)
			return -1;
	}
	*word = (const uint8_t *)m->word.data;
	*len = m->word.len;
	*count = sum;
	return 1;
}

void countfile_merge_close(struct countfile_merge *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->n; i++) {
		rec_reader_close(m->src[i].r);
		buf_free(&m->src[i].prev);
	}
	for (size_t i = 0; i < m->n_specials; i++)
		free(m->specials[i]);
	free(m->specials);
	free(m->pattern);
	free(m->src);
	free(m->heap);
	buf_free(&m->word);
	free(m);
}
