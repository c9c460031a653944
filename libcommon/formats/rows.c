/* rows.c - see rows.h.  Each format is an adapter with the same four
 * operations; the parquet one decodes a row group's selected columns at a
 * time and hands out rows from them. */
#define _GNU_SOURCE
#include "formats/rows.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/decomp.h"
#include "base/die.h"
#include "base/jsonw.h"
#include "base/source.h"
#include "base/status.h"
#include "formats/csv.h"
#include "formats/jsonrows.h"
#include "formats/parquet.h"
#include "formats/textrows.h"

static const char *const format_names[] = {
	[FMT_UNKNOWN] = "unknown", [FMT_PARQUET] = "parquet", [FMT_JSONL] = "jsonl",
	[FMT_JSON] = "json",       [FMT_CSV] = "csv",         [FMT_TSV] = "tsv",
	[FMT_TXT] = "txt",
};

const char *rows_format_name(enum rows_format f) { return format_names[f]; }

enum rows_format rows_format_from_name(const char *name)
{
	for (int f = FMT_PARQUET; f <= FMT_TXT; f++)
		if (strcmp(name, format_names[f]) == 0)
			return (enum rows_format)f;
	if (strcmp(name, "ndjson") == 0)
		return FMT_JSONL;
	if (strcmp(name, "text") == 0)
		return FMT_TXT;
	return FMT_UNKNOWN;
}

static int ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

enum rows_format rows_format_of_path(const char *path)
{
	size_t n = strlen(path);
	static const char *const compressed[] = {".gz", ".zst", ".bz2", ".xz", ".lz4"};
	for (size_t i = 0; i < sizeof compressed / sizeof *compressed; i++)
		if (ends_with(path, n, compressed[i])) {
			n -= strlen(compressed[i]);
			break;
		}
	static const struct {
		const char *ext;
		enum rows_format fmt;
	} exts[] = {
		{".parquet", FMT_PARQUET}, {".jsonl", FMT_JSONL}, {".ndjson", FMT_JSONL},
		{".json", FMT_JSON},       {".csv", FMT_CSV},     {".tsv", FMT_TSV},
		{".txt", FMT_TXT},         {".text", FMT_TXT},
	};
	for (size_t i = 0; i < sizeof exts / sizeof *exts; i++)
		if (ends_with(path, n, exts[i].ext))
			return exts[i].fmt;
	return FMT_UNKNOWN;
}

/* ---- the adapter interface ---- */

struct rows_ops {
	int (*next)(struct rows *r, struct row *out, char *err, size_t errn);
	void (*close)(struct rows *r);
};

struct rows {
	const struct rows_ops *ops;
	enum rows_format fmt;
	char *path;
	/* schema as known */
	char **names, **types;
	int ncols;
	/* the row handed out */
	const char **row_names;
	struct cell *cells;
	int cells_cap;
	/* selection (NULL: everything) */
	char **selected;
	int nselected;
	int units;
	unsigned char *skip_unit;
	int64_t count;
	void *impl;
	/* A read of the input failed (or opening it did): the error is the
	 * machine's, not the file's (rows_error_status). */
	int read_failed;
};

static void set_schema(struct rows *r, int n)
{
	r->ncols = n;
	r->names = xcalloc((size_t)n + 1, sizeof *r->names);
	r->types = xcalloc((size_t)n + 1, sizeof *r->types);
}

static void reserve_cells(struct rows *r, int n)
{
	if (n <= r->cells_cap)
		return;
	r->cells = xrealloc(r->cells, (size_t)n * sizeof *r->cells);
	r->row_names = xrealloc(r->row_names, (size_t)n * sizeof *r->row_names);
	r->cells_cap = n;
}

static int selected(const struct rows *r, const char *name)
{
	if (!r->selected)
		return 1;
	for (int i = 0; i < r->nselected; i++)
		if (strcmp(r->selected[i], name) == 0)
			return 1;
	return 0;
}

/* ---- parquet ---- */

struct pq_impl {
	struct pq_source src;
	struct pq_file *f;
	int *fields; /* field indices read, in schema order */
	int nfields;
	struct pq_cells *cells; /* per read field, for the current row group */
	int rg;                 /* current row group; -1 before the first */
	int64_t row;            /* next row within it */
	int64_t rg_rows;
};

static void pq_choose_fields(struct rows *r, struct pq_impl *p)
{
	free(p->fields);
	p->fields = xcalloc((size_t)r->ncols + 1, sizeof *p->fields);
	p->nfields = 0;
	for (int i = 0; i < r->ncols; i++)
		if (selected(r, r->names[i]))
			p->fields[p->nfields++] = i;
	free(p->cells);
	p->cells = xcalloc((size_t)p->nfields + 1, sizeof *p->cells);
	reserve_cells(r, p->nfields);
	for (int i = 0; i < p->nfields; i++)
		r->row_names[i] = r->names[p->fields[i]];
}

/* Adds the column chunks of row group g's read fields to ranges. */
static size_t pq_group_ranges(const struct pq_impl *p, int g, struct pq_range *ranges, size_t n, size_t cap)
{
	for (int i = 0; i < p->nfields && n < cap; i++) {
		int k = pq_field_ranges(p->f, g, p->fields[i], ranges + n, (int)(cap - n));
		if (k > 0)
			n += (size_t)k < cap - n ? (size_t)k : cap - n;
	}
	return n;
}

/* Tells a remote source the column chunks the reader will need: this row
 * group's, then those of the row groups after it up to a budget of bytes,
 * so that it fetches them ahead, several at a time, while this one is
 * decoded.  Small row groups (a few hundred kB) would otherwise make one
 * small request after another. */
enum { HINT_BUDGET = 32 << 20 };

static void pq_hint(struct rows *r, struct pq_impl *p)
{
	struct pq_range ranges[1024];
	size_t cap = sizeof ranges / sizeof *ranges, n = 0;
	uint64_t bytes = 0;
	for (int g = p->rg; g < r->units && n < cap && (g == p->rg || bytes < HINT_BUDGET); g++) {
		if (r->skip_unit[g])
			continue;
		size_t before = n;
		n = pq_group_ranges(p, g, ranges, n, cap);
		for (size_t i = before; i < n; i++)
			bytes += ranges[i].length;
	}
	if (n)
		p->src.will_need(p->src.ctx, ranges, n);
}

static int pq_rows_next(struct rows *r, struct row *out, char *err, size_t errn)
{
	struct pq_impl *p = r->impl;
	if (!p->fields)
		pq_choose_fields(r, p);
	while (p->row >= p->rg_rows) {
		do
			p->rg++;
		while (p->rg < r->units && r->skip_unit[p->rg]);
		if (p->rg >= r->units)
			return 0;
		p->rg_rows = pq_row_group_rows(p->f, p->rg);
		p->row = 0;
		if (p->src.will_need)
			pq_hint(r, p);
		for (int i = 0; i < p->nfields; i++)
			if (pq_read_field(p->f, p->rg, p->fields[i], &p->cells[i], err, errn) != 0)
				return -1;
	}
	int64_t k = p->row++;
	for (int i = 0; i < p->nfields; i++) {
		const struct pq_cells *c = &p->cells[i];
		struct cell *cell = &r->cells[i];
		if (k >= c->n || c->is_null[k]) {
			*cell = (struct cell){CELL_NULL, NULL, 0};
			continue;
		}
		cell->data = c->data + c->offsets[k];
		cell->len = (size_t)(c->offsets[k + 1] - c->offsets[k]);
		cell->kind = c->kind == PQ_CELLS_STRING   ? CELL_STRING
		             : c->kind == PQ_CELLS_BINARY ? CELL_BINARY
		                                          : CELL_JSON;
	}
	out->n = p->nfields;
	out->names = r->row_names;
	out->cells = r->cells;
	return 1;
}

static void pq_rows_close(struct rows *r)
{
	struct pq_impl *p = r->impl;
	pq_close(p->f);
	pq_source_close(&p->src);
	free(p->fields);
	free(p->cells);
	free(p);
}

static const struct rows_ops pq_ops = {pq_rows_next, pq_rows_close};

/* The same for parquet's byte ranges. */
struct tracked_ranges {
	struct pq_source inner;
	int *failed;
};

static int tracked_read_at(void *ctx, uint64_t offset, void *buf, size_t len, char *err, size_t errn)
{
	struct tracked_ranges *t = ctx;
	int rc = t->inner.read_at(t->inner.ctx, offset, buf, len, err, errn);
	if (rc != 0)
		*t->failed = 1;
	return rc;
}

static void tracked_ranges_close(void *ctx)
{
	struct tracked_ranges *t = ctx;
	pq_source_close(&t->inner);
	free(t);
}

static void tracked_will_need(void *ctx, const struct pq_range *ranges, size_t n)
{
	struct tracked_ranges *t = ctx;
	t->inner.will_need(t->inner.ctx, ranges, n);
}

static int open_parquet(struct rows *r, const char *path, const struct rows_options *opt, char *err,
                        size_t errn)
{
	struct pq_impl *p = xcalloc(1, sizeof *p);
	const char *name = opt && opt->name ? opt->name : path;
	struct pq_source raw;
	int rc = opt && opt->open_random ? opt->open_random(opt->open_ctx, path, &raw, err, errn)
	                                 : pq_open_path_as(&raw, path, name, err, errn);
	if (rc != 0) {
		r->read_failed = 1;
		free(p);
		return -1;
	}
	struct tracked_ranges *t = xmalloc(sizeof *t);
	*t = (struct tracked_ranges){raw, &r->read_failed};
	p->src = (struct pq_source){t, tracked_read_at, raw.size, raw.name, tracked_ranges_close,
	                            raw.will_need ? tracked_will_need : NULL};
	p->f = pq_open(&p->src, err, errn);
	if (!p->f) {
		pq_source_close(&p->src);
		free(p);
		return -1;
	}
	p->rg = -1;
	set_schema(r, pq_num_fields(p->f));
	for (int i = 0; i < r->ncols; i++) {
		r->names[i] = xstrdup(pq_field_name(p->f, i));
		r->types[i] = xstrdup(pq_field_type(p->f, i));
	}
	r->units = pq_num_row_groups(p->f);
	r->count = pq_num_rows(p->f);
	r->ops = &pq_ops;
	r->impl = p;
	return 0;
}

/* ---- the text formats: a decompressing source under each reader ---- */

/* The raw bytes of an input, under the decompressor: a failed read
 * there is an I/O error, which is told from a damaged file by it. */
struct tracked_source {
	struct source inner;
	int *failed;
};

static ssize_t tracked_read(void *ctx, void *buf, size_t n)
{
	struct tracked_source *t = ctx;
	ssize_t got = source_read(&t->inner, buf, n);
	if (got < 0)
		*t->failed = 1;
	return got;
}

static const char *tracked_error(void *ctx)
{
	struct tracked_source *t = ctx;
	return source_error(&t->inner);
}

static void tracked_close(void *ctx)
{
	struct tracked_source *t = ctx;
	source_close(&t->inner);
	free(t);
}

static int open_source(struct rows *r, struct source *out, const char *path, const struct rows_options *opt,
                       char *err, size_t errn)
{
	struct source raw;
	if (opt && opt->open_stream) {
		if (opt->open_stream(opt->open_ctx, path, &raw, err, errn) != 0) {
			r->read_failed = 1;
			return -1;
		}
	} else if (source_open(&raw, path) != 0) {
		r->read_failed = 1;
		return errorf(err, errn, "%s: %s", path, strerror(errno));
	}
	struct tracked_source *t = xmalloc(sizeof *t);
	*t = (struct tracked_source){raw, &r->read_failed};
	struct source tracked = {t, tracked_read, tracked_error, tracked_close, raw.size};
	return decomp_open(out, tracked, path, err, errn);
}

/* CSV and TSV: every cell is a string, as the file has no types. */
static int csv_rows_next(struct rows *r, struct row *out, char *err, size_t errn)
{
	const struct csv_field *fields;
	int got = csv_next(r->impl, &fields, err, errn);
	if (got <= 0)
		return got;
	int n = 0;
	for (int i = 0; i < r->ncols; i++) {
		if (!selected(r, r->names[i]))
			continue;
		r->row_names[n] = r->names[i];
		r->cells[n++] = (struct cell){CELL_STRING, fields[i].ptr, fields[i].len};
	}
	out->n = n;
	out->names = r->row_names;
	out->cells = r->cells;
	return 1;
}

static void csv_rows_close(struct rows *r) { csv_close(r->impl); }

static const struct rows_ops csv_ops = {csv_rows_next, csv_rows_close};

static int open_csv(struct rows *r, const char *path, enum rows_format fmt, const struct rows_options *opt,
                    char *err, size_t errn)
{
	struct source src;
	if (open_source(r, &src, path, opt, err, errn) != 0)
		return -1;
	struct csv_opts copt = {.delim = fmt == FMT_TSV ? '\t' : ','};
	struct csv_reader *c;
	if (csv_open(&c, src, path, &copt, err, errn) != 0)
		return -1;
	set_schema(r, (int)csv_ncols(c));
	const struct csv_field *cols = csv_columns(c);
	for (int i = 0; i < r->ncols; i++) {
		r->names[i] = xstrndup(cols[i].ptr, cols[i].len);
		r->types[i] = xstrdup("string");
	}
	reserve_cells(r, r->ncols);
	r->ops = &csv_ops;
	r->impl = c;
	return 0;
}

/* JSON lines and JSON documents: strings stay strings, other values are
 * handed out as their JSON text.  The schema is the first row's keys, read
 * ahead at open and handed out first. */
struct json_impl {
	struct jsonrows *j;
	json_t *pending; /* the first row, read at open; the reader owns it until its next call */
	struct buf text; /* JSON text of the row's non-string values */
	size_t *at;      /* where each cell's text starts in `text` */
	int at_cap;
};

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "int64";
	case JSON_REAL: return "double";
	case JSON_TRUE:
	case JSON_FALSE: return "bool";
	case JSON_OBJECT: return "struct";
	case JSON_ARRAY: return "list";
	default: return NULL;
	}
}

static int json_rows_next(struct rows *r, struct row *out, char *err, size_t errn)
{
	struct json_impl *p = r->impl;
	json_t *obj;
	if (p->pending) {
		obj = p->pending;
	} else {
		int got = jsonrows_next(p->j, &obj, err, errn);
		if (got <= 0)
			return got;
	}
	int n = (int)json_object_size(obj);
	reserve_cells(r, n);
	if (n > p->at_cap) {
		p->at = xrealloc(p->at, (size_t)n * sizeof *p->at);
		p->at_cap = n;
	}
	buf_clear(&p->text);
	const char *k;
	json_t *v;
	int i = 0;
	json_object_foreach(obj, k, v) {
		if (!selected(r, k))
			continue;
		r->row_names[i] = k;
		if (json_is_string(v)) {
			r->cells[i] = (struct cell){CELL_STRING, json_string_value(v), json_string_length(v)};
		} else if (json_is_null(v)) {
			r->cells[i] = (struct cell){CELL_NULL, NULL, 0};
		} else {
			p->at[i] = p->text.len;
			jsonw_value(&p->text, v);
			r->cells[i] = (struct cell){CELL_JSON, NULL, p->text.len - p->at[i]};
		}
		i++;
	}
	/* The text buffer may have moved while it grew: point into it now. */
	for (int c = 0; c < i; c++)
		if (r->cells[c].kind == CELL_JSON)
			r->cells[c].data = p->text.data + p->at[c];
	p->pending = NULL;
	out->n = i;
	out->names = r->row_names;
	out->cells = r->cells;
	return 1;
}

static void json_rows_close(struct rows *r)
{
	struct json_impl *p = r->impl;
	jsonrows_close(p->j);
	buf_free(&p->text);
	free(p->at);
	free(p);
}

static const struct rows_ops json_ops = {json_rows_next, json_rows_close};

static int open_json(struct rows *r, const char *path, enum rows_format fmt,
                     const struct rows_options *opt, char *err, size_t errn)
{
	struct source src;
	if (open_source(r, &src, path, opt, err, errn) != 0)
		return -1;
	struct jsonrows_opts jopt = {
		.mode = fmt == FMT_JSON ? JSONROWS_DOCUMENT : JSONROWS_LINES,
		.field = opt ? opt->json_field : NULL,
	};
	struct json_impl *p = xcalloc(1, sizeof *p);
	if (jsonrows_open(&p->j, src, path, &jopt, err, errn) != 0) {
		free(p);
		return -1;
	}
	json_t *first;
	int got = jsonrows_next(p->j, &first, err, errn);
	if (got < 0) {
		jsonrows_close(p->j);
		free(p);
		return -1;
	}
	if (got > 0) {
		p->pending = first;
		set_schema(r, (int)json_object_size(first));
		const char *k;
		json_t *v;
		int i = 0;
		json_object_foreach(first, k, v) {
			r->names[i] = xstrdup(k);
			const char *t = json_type_name(v);
			r->types[i++] = t ? xstrdup(t) : NULL;
		}
	} else {
		set_schema(r, 0);
	}
	r->ops = &json_ops;
	r->impl = p;
	return 0;
}

/* Text: one "text" cell a line, or a paragraph. */
static int text_rows_next(struct rows *r, struct row *out, char *err, size_t errn)
{
	const char *text;
	size_t len;
	int got = textrows_next(r->impl, &text, &len, err, errn);
	if (got <= 0)
		return got;
	r->cells[0] = (struct cell){CELL_STRING, text, len};
	r->row_names[0] = r->names[0];
	out->n = 1;
	out->names = r->row_names;
	out->cells = r->cells;
	return 1;
}

static void text_rows_close(struct rows *r) { textrows_close(r->impl); }

static const struct rows_ops text_ops = {text_rows_next, text_rows_close};

static int open_text(struct rows *r, const char *path, const struct rows_options *opt, char *err,
                     size_t errn)
{
	struct source src;
	if (open_source(r, &src, path, opt, err, errn) != 0)
		return -1;
	struct textrows_opts topt = {.paragraphs = opt && opt->paragraphs};
	struct textrows *t;
	if (textrows_open(&t, src, path, &topt, err, errn) != 0)
		return -1;
	set_schema(r, 1);
	r->names[0] = xstrdup("text");
	r->types[0] = xstrdup("string");
	reserve_cells(r, 1);
	r->ops = &text_ops;
	r->impl = t;
	return 0;
}

static int open_text_format(struct rows *r, const char *path, enum rows_format fmt,
                            const struct rows_options *opt, char *err, size_t errn)
{
	switch (fmt) {
	case FMT_CSV:
	case FMT_TSV:
		return open_csv(r, path, fmt, opt, err, errn);
	case FMT_JSONL:
	case FMT_JSON:
		return open_json(r, path, fmt, opt, err, errn);
	case FMT_TXT:
		return open_text(r, path, opt, err, errn);
	default:
		return errorf(err, errn, "%s: unknown format", path);
	}
}

/* ---- common ---- */

struct rows *rows_open(const char *path, enum rows_format fmt, const struct rows_options *opt, int *status,
                       char *err, size_t errn)
{
	struct rows *r = xcalloc(1, sizeof *r);
	r->fmt = fmt;
	r->path = xstrdup(path);
	r->units = 1;
	r->count = -1;
	int rc;
	switch (fmt) {
	case FMT_PARQUET:
		rc = open_parquet(r, path, opt, err, errn);
		break;
	default:
		rc = open_text_format(r, path, fmt, opt, err, errn);
		break;
	}
	if (rc != 0) {
		*status = r->read_failed ? STATUS_FAIL : STATUS_MALFORMED;
		free(r->path);
		free(r);
		return NULL;
	}
	r->skip_unit = xcalloc((size_t)r->units + 1, 1);
	return r;
}

void rows_close(struct rows *r)
{
	if (!r)
		return;
	r->ops->close(r);
	for (int i = 0; i < r->ncols; i++) {
		free(r->names[i]);
		free(r->types[i]);
	}
	free(r->names);
	free(r->types);
	for (int i = 0; i < r->nselected; i++)
		free(r->selected[i]);
	free(r->selected);
	free(r->cells);
	free(r->row_names);
	free(r->skip_unit);
	free(r->path);
	free(r);
}

int rows_units(const struct rows *r) { return r->units; }

void rows_skip_unit(struct rows *r, int unit)
{
	if (unit >= 0 && unit < r->units)
		r->skip_unit[unit] = 1;
}

void rows_select(struct rows *r, const char *const *names, int n)
{
	for (int i = 0; i < r->nselected; i++)
		free(r->selected[i]);
	free(r->selected);
	r->selected = xcalloc((size_t)n + 1, sizeof *r->selected);
	r->nselected = n;
	for (int i = 0; i < n; i++)
		r->selected[i] = xstrdup(names[i]);
}

int rows_next(struct rows *r, struct row *out, char *err, size_t errn)
{
	return r->ops->next(r, out, err, errn);
}

int rows_error_status(const struct rows *r)
{
	return r->read_failed ? STATUS_FAIL : STATUS_MALFORMED;
}

int rows_schema(struct rows *r, const char *const **names, const char *const **types)
{
	*names = (const char *const *)r->names;
	*types = (const char *const *)r->types;
	return r->ncols;
}

int64_t rows_count(const struct rows *r) { return r->count; }

int rows_schema_fixed(const struct rows *r) { return r->fmt != FMT_JSONL && r->fmt != FMT_JSON; }
