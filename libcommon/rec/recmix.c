/* recmix.c - see recmix.h */
#include "rec/recmix.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/jsonw.h"
#include "base/nprandom.h"
#include "rec/header.h"

/* The header fields that say what the records are: inputs that differ in
 * any of them hold data that cannot share a stream. */
static const char *const kind_fields[] = {
	"kind", "dtype", "tokenizer", "vocab_size", "eot", "B", "T", "dim", "metric",
};

struct mix_input {
	const char *name; /* for messages: the path, or <stdin> */
	int fd;
	struct rec_reader *r; /* NULL once exhausted, until read again */
	uint64_t seen;        /* bytes of r already counted for progress */
	/* The input's next record, read ahead to know when the record taken
	 * is its last, as datasets keeps one example of each source ahead. */
	struct rec_frame ahead;
	int has_ahead;
	int exhausted;
	uint64_t taken, rereads;
	json_t *header; /* of its first stream */
};

struct mix {
	struct mix_input *in;
	int n, n_exhausted;
	/* all_exhausted with a --take: every input that can be drawn is
	 * exhausted and empty, so no record will ever come */
	int barren;
	const struct recmix_options *o;
	struct rec_writer *w;
	uint64_t written;
	char *err;
	size_t errn;
};

/* The functions below return a negative exit status with the reason in
 * m->err on failure. */
static int fail(struct mix *m, int status, const char *fmt, ...) SLUICE_PRINTF(3, 4);
static int fail(struct mix *m, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (m->errn)
		vsnprintf(m->err, m->errn, fmt, ap);
	va_end(ap);
	return -status;
}

int recmix_check(const struct recmix_options *o, int n, char *err, size_t errn)
{
	if (n < 1)
		return errorf(err, errn, "no inputs to mix");
	if (!o->probabilities)
		return 0;
	char why[256];
	if (nprandom_check_p(o->probabilities, (size_t)n, why, sizeof why) != 0)
		return errorf(err, errn, "--probabilities: %s", why);
	if (o->stop == RECMIX_ALL_EXHAUSTED && !o->taking)
		for (int i = 0; i < n; i++)
			if (o->probabilities[i] == 0)
				return errorf(err, errn,
				              "--probabilities: input %d has probability 0, so with --stop all_exhausted "
				              "the mix never ends (give --take N, or drop the input)", i + 1);
	return 0;
}

/* A header field's value for a message: a string bare, anything else as JSON. */
static void describe(struct buf *b, const char *field, const json_t *v)
{
	buf_printf(b, "%s ", field);
	if (!v)
		buf_printf(b, "none");
	else if (json_is_string(v))
		buf_add(b, json_string_value(v), json_string_length(v));
	else
		jsonw_value(b, v);
}

static int check_kind(struct mix *m, const struct mix_input *in, const json_t *h)
{
	const json_t *first = m->in[0].header;
	for (size_t k = 0; k < sizeof kind_fields / sizeof *kind_fields; k++) {
		const json_t *a = json_object_get(first, kind_fields[k]);
		const json_t *b = json_object_get(h, kind_fields[k]);
		if ((!a && !b) || (a && b && json_equal(a, b)))
			continue;
		struct buf msg = {0};
		buf_printf(&msg, "cannot mix %s (", m->in[0].name);
		describe(&msg, kind_fields[k], a);
		buf_printf(&msg, ") with %s (", in->name);
		describe(&msg, kind_fields[k], b);
		buf_addc(&msg, ')');
		buf_addc(&msg, '\0');
		int e = fail(m, STATUS_MALFORMED, "%s", msg.data);
		buf_free(&msg);
		return e;
	}
	return 0;
}

/* The next frame of in, progress counted; 1, 0 at the end, or an error. */
static int next_frame(struct mix *m, struct mix_input *in, struct rec_frame *f)
{
	int got = rec_next(in->r, f);
	if (got < 0)
		return fail(m, -got, "%s", rec_reader_error(in->r));
	if (m->o->progress) {
		uint64_t now = rec_reader_offset(in->r);
		progress_add(m->o->progress, now - in->seen, got && f->type != REC_HEADER && f->type != REC_END);
		in->seen = now;
	}
	return got;
}

/* Reads in's next record into in->ahead, starting the input again from
 * its first byte if it was exhausted.  1 with a record, 0 at its end. */
static int read_ahead(struct mix *m, struct mix_input *in)
{
	in->has_ahead = 0;
	if (!in->r) {
		if (lseek(in->fd, 0, SEEK_SET) != 0)
			return fail(m, STATUS_FAIL, "%s: cannot read it again: %s", in->name, strerror(errno));
		in->r = rec_reader_fdopen(in->fd, in->name, 0);
		in->seen = 0;
		in->rereads++;
	}
	for (;;) {
		int got = next_frame(m, in, &in->ahead);
		if (got <= 0)
			return got;
		if (in->ahead.type == REC_END)
			continue;
		if (in->ahead.type == REC_HEADER) {
			/* A later stream of the same input must hold the same kind. */
			json_t *h = json_loads(rec_reader_header(in->r), 0, NULL);
			int e = h ? check_kind(m, in, h) : fail(m, STATUS_MALFORMED, "%s: bad header", in->name);
			json_decref(h);
			if (e)
				return e;
			continue;
		}
		in->has_ahead = 1;
		return 1;
	}
}

static void exhaust(struct mix *m, struct mix_input *in)
{
	rec_reader_close(in->r);
	in->r = NULL;
	if (!in->exhausted) {
		in->exhausted = 1;
		m->n_exhausted++;
	}
	if (m->o->stop != RECMIX_ALL_EXHAUSTED || !m->o->probabilities)
		return;
	for (int i = 0; i < m->n; i++)
		if (m->o->probabilities[i] > 0 && (!m->in[i].exhausted || m->in[i].taken))
			return;
	m->barren = 1;
}

/* One turn of input i: its record ahead goes out, and the one after it is
 * read, or the input is exhausted. */
static int take_turn(struct mix *m, struct mix_input *in)
{
	int have = in->has_ahead;
	if (!have) {
		have = read_ahead(m, in);
		if (have < 0)
			return have;
	}
	if (have) {
		const struct rec_frame *f = &in->ahead;
		rec_write(m->w, f->type, f->dtype, f->key, f->key_len, f->payload, f->payload_len);
		m->written++;
		in->taken++;
		int more = read_ahead(m, in);
		if (more != 0)
			return more < 0 ? more : 0;
	}
	exhaust(m, in);
	return 0;
}

static int finished(const struct mix *m)
{
	if (m->o->taking && m->written >= m->o->take)
		return 1;
	if (m->o->stop == RECMIX_FIRST_EXHAUSTED)
		return m->n_exhausted > 0;
	return m->n_exhausted == m->n || m->barren;
}

static int interleave(struct mix *m)
{
	const struct recmix_options *o = m->o;
	double *cdf = NULL;
	struct nprandom g;
	if (o->probabilities) {
		cdf = xcalloc((size_t)m->n, sizeof *cdf);
		nprandom_cdf(o->probabilities, (size_t)m->n, cdf);
		/* datasets draws choice(n, 1000, p) batches from default_rng(seed);
		 * a sample is one random() draw, so drawing them one at a time
		 * gives the same sequence. */
		nprandom_seed(&g, o->seed);
	}
	int e = 0;
	for (uint64_t turn = 0; !finished(m); turn++) {
		int i = cdf ? (int)nprandom_choice(&g, cdf, (size_t)m->n) : (int)(turn % (uint64_t)m->n);
		e = take_turn(m, &m->in[i]);
		if (e)
			break;
	}
	free(cdf);
	return e;
}

/* The output header: the fields every input's header agrees on (the kind
 * fields, by check_kind), lineage apart, then this program's lineage and
 * every input's header as it was. */
static void write_header(struct mix *m)
{
	json_t *common = json_deep_copy(m->in[0].header);
	json_object_del(common, "lineage");
	json_object_del(common, "inputs");
	const char *key;
	json_t *value;
	void *tmp;
	json_object_foreach_safe(common, tmp, key, value) {
		for (int i = 1; i < m->n; i++) {
			if (!json_equal(value, json_object_get(m->in[i].header, key))) {
				json_object_del(common, key);
				break;
			}
		}
	}
	char *text = json_dumps(common, JSON_COMPACT);
	if (!text)
		die(STATUS_FAIL, "out of memory");
	json_t *h = header_new(text, NULL, m->o->argc, m->o->argv);
	free(text);
	json_decref(common);
	json_t *inputs = json_array();
	for (int i = 0; i < m->n; i++)
		json_array_append(inputs, m->in[i].header);
	json_object_set_new(h, "inputs", inputs);
	header_write(m->w, h);
	json_decref(h);
}

/* What was taken from where, for rec-cat --stats. */
static void write_trailer(struct mix *m)
{
	json_t *inputs = json_array();
	for (int i = 0; i < m->n; i++)
		json_array_append_new(inputs, json_pack("{s:s,s:I,s:I}", "input", m->in[i].name, "records",
		                                        (json_int_t)m->in[i].taken, "rereads",
		                                        (json_int_t)m->in[i].rereads));
	json_t *t = json_pack("{s:I,s:o}", "records", (json_int_t)m->written, "inputs", inputs);
	struct buf b = {0};
	jsonw_value(&b, t);
	rec_write_trailer(m->w, b.data, b.len);
	buf_free(&b);
	json_decref(t);
}

/* Opens input i and reads its header. */
static int open_input(struct mix *m, struct mix_input *in, const char *path)
{
	int is_stdin = strcmp(path, "-") == 0;
	in->name = is_stdin ? "<stdin>" : path;
	in->fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (in->fd < 0)
		return fail(m, STATUS_FAIL, "%s: %s", path, strerror(errno));
	struct stat st;
	if (m->o->stop == RECMIX_ALL_EXHAUSTED && (fstat(in->fd, &st) != 0 || !S_ISREG(st.st_mode)))
		return fail(m, STATUS_USAGE,
		            "%s: --stop all_exhausted reads an exhausted input again from its start, "
		            "and a pipe cannot be read twice (give a file)", in->name);
	in->r = rec_reader_fdopen(in->fd, in->name, 0);
	struct rec_frame f;
	int got = next_frame(m, in, &f);
	if (got < 0)
		return got;
	if (got == 0) /* the reader calls an empty input an error; this is for safety */
		return fail(m, STATUS_NO_END, "%s:0: no record stream", in->name);
	json_error_t jerr;
	in->header = json_loads(rec_reader_header(in->r), 0, &jerr);
	if (!in->header)
		return fail(m, STATUS_MALFORMED, "%s:0: header: %s", in->name, jerr.text);
	return in == m->in ? 0 : check_kind(m, in, in->header);
}

int recmix_run(struct rec_writer *w, char **paths, int n, const struct recmix_options *o, char *err,
               size_t errn)
{
	struct mix m = {.n = n, .o = o, .w = w, .err = err, .errn = errn};
	if (recmix_check(o, n, err, errn) != 0)
		return STATUS_USAGE;
	m.in = xcalloc((size_t)n, sizeof *m.in);
	for (int i = 0; i < n; i++)
		m.in[i].fd = -1;
	int stdin_uses = 0, e = 0;
	for (int i = 0; i < n && !e; i++) {
		if (strcmp(paths[i], "-") == 0 && stdin_uses++)
			e = fail(&m, STATUS_USAGE, "standard input (-) can be only one of the inputs");
		else
			e = open_input(&m, &m.in[i], paths[i]);
	}
	if (!e) {
		write_header(&m);
		e = interleave(&m);
	}
	if (!e) {
		write_trailer(&m);
		rec_write_end(w);
	}
	for (int i = 0; i < n; i++) {
		rec_reader_close(m.in[i].r);
		if (m.in[i].fd > 0)
			close(m.in[i].fd);
		json_decref(m.in[i].header);
	}
	free(m.in);
	return -e;
}
