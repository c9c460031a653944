/* rowstream.c - hf-stream's row loop: rows to text or JSON records. */
#define _GNU_SOURCE
#include "hub/rowstream.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/io.h"
#include "base/jsonw.h"
#include "base/rng.h"
#include "rec/header.h"
#include "rec/shufbuf.h"

/* The running state of one row_stream_run. */
struct stream {
	const struct row_stream_opts *o;
	const struct hub_sources *src;
	const char *text_field;
	char *text_owned; /* what text_field points to, when ours */
	int header_written, row_shard;
	struct hub_input *chosen; /* this shard's files, in reading order */
	size_t nchosen;
	struct rec_writer *w;
	struct shufbuf shuf;
	struct buf payload, key;
	uint64_t rows_seen, emitted, written, null_texts;
	uint64_t in_total, in_done; /* bytes of the chosen files, and of those read */
	struct progress *progress;
};

/* ---- the header ---- */

static uint64_t file_xxh3(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(STATUS_FAIL, "%s:", path);
	XXH3_state_t *st = XXH3_createState();
	if (!st)
		die(STATUS_FAIL, "out of memory");
	XXH3_64bits_reset(st);
	char *chunk = xmalloc(1 << 20);
	ssize_t got;
	while ((got = read_full(fd, chunk, 1 << 20)) > 0)
		XXH3_64bits_update(st, chunk, (size_t)got);
	if (got < 0)
		die(STATUS_FAIL, "%s: read error:", path);
	uint64_t h = XXH3_64bits_digest(st);
	XXH3_freeState(st);
	free(chunk);
	close(fd);
	return h;
}

/* r: the first file, whose schema names the columns; NULL when there is none. */
static void write_header(struct stream *s, struct rows *r)
{
	json_t *h = header_new(NULL, s->o->json_rows ? "json" : "text", s->o->argc, s->o->argv);
	json_t *sources = json_array();
	for (int i = s->o->first_source; i < s->o->argc; i++)
		json_array_append_new(sources, json_string(s->o->argv[i]));
	json_object_set_new(h, "dataset", sources);
	if (s->src->config_used)
		json_object_set_new(h, "config", json_string(s->src->config_used));
	json_object_set_new(h, "split", json_string(s->src->split_used ? s->src->split_used : s->src->split));
	json_t *files = json_array();
	for (size_t i = 0; i < s->nchosen; i++) {
		struct hub_input *in = &s->chosen[i];
		json_t *f = json_object();
		json_object_set_new(f, "path", json_string(in->path));
		json_object_set_new(f, "format", json_string(rows_format_name(in->fmt)));
		if (in->hub || in->remote) {
			/* the commit (a Hub file's) or the ETag (a URL's) pins the
			 * bytes; hashing them would mean reading each file twice */
			json_object_set_new(f, "size", json_integer((json_int_t)in->size));
			if (in->etag)
				json_object_set_new(f, "etag", json_string(in->etag));
		} else if (strcmp(in->path, "-") != 0) {
			char hex[17];
			snprintf(hex, sizeof hex, "%016llx", (unsigned long long)file_xxh3(in->path));
			json_object_set_new(f, "size", json_integer((json_int_t)in->size));
			json_object_set_new(f, "xxh3", json_string(hex));
		}
		json_array_append_new(files, f);
	}
	json_object_set_new(h, "files", files);
	if (s->text_field)
		json_object_set_new(h, "field", json_string(s->text_field));
	/* The columns of the dataset (from the first file's schema) with their
	 * types, so a consumer knows what the rows were cut from. */
	json_t *cols = json_array();
	if (r) {
		const char *const *names, *const *types;
		int n = rows_schema(r, &names, &types);
		for (int i = 0; i < n; i++) {
			json_t *c = json_object();
			json_object_set_new(c, "name", json_string(names[i]));
			json_object_set_new(c, "type", types[i] ? json_string(types[i]) : json_null());
			json_array_append_new(cols, c);
		}
	}
	json_object_set_new(h, "columns", cols);
	if (s->o->nfields && s->o->json_rows) {
		json_t *sel = json_array();
		for (int i = 0; i < s->o->nfields; i++)
			json_array_append_new(sel, json_string(s->o->fields[i]));
		json_object_set_new(h, "fields", sel);
	}
	if (s->o->key_field)
		json_object_set_new(h, "key_field", json_string(s->o->key_field));
	json_t *filters = json_object();
	if (s->o->ascii_only)
		json_object_set_new(filters, "ascii_only", json_true());
	if (s->o->min_chars)
		json_object_set_new(filters, "min_chars", json_integer((json_int_t)s->o->min_chars));
	if (s->o->max_chars != UINT64_MAX)
		json_object_set_new(filters, "max_chars", json_integer((json_int_t)s->o->max_chars));
	if (s->o->nwheres) {
		json_t *wh = json_array();
		for (int i = 0; i < s->o->nwheres; i++) {
			char *eq = NULL;
			if (asprintf(&eq, "%s=%s", s->o->wheres[i].field, s->o->wheres[i].value) < 0)
				die(STATUS_FAIL, "out of memory");
			json_array_append_new(wh, json_string(eq));
			free(eq);
		}
		json_object_set_new(filters, "where", wh);
	}
	json_object_set_new(h, "filters", filters);
	if (s->o->sharded) {
		char shard[32];
		snprintf(shard, sizeof shard, "%u/%u", s->o->shard_i, s->o->shard_n);
		json_object_set_new(h, "shard", json_string(shard));
	}
	if (s->o->shuffled) {
		json_t *sh = json_object();
		json_object_set_new(sh, "buffer", json_integer((json_int_t)s->o->shuffle_buf));
		json_object_set_new(sh, "seed", json_integer((json_int_t)s->o->seed));
		json_object_set_new(h, "shuffle", sh);
	}
	header_write(s->w, h);
	json_decref(h);
}

/* ---- rows to records ---- */

static const struct cell *find_cell(const struct row *row, const char *name)
{
	for (int i = 0; i < row->n; i++)
		if (strcmp(row->names[i], name) == 0)
			return &row->cells[i];
	return NULL;
}

/* The text field when none is named: text, else content, else the first
 * string column, as people name their corpora. */
static const char *default_text_field(struct rows *r, const char *path)
{
	const char *const *names, *const *types;
	int n = rows_schema(r, &names, &types);
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], "text") == 0)
			return names[i];
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], "content") == 0)
			return names[i];
	for (int i = 0; i < n; i++)
		if (types[i] && strcmp(types[i], "string") == 0)
			return names[i];
	die(STATUS_USAGE, "%s: no text, content or string column; name one with --field", path);
}

static size_t utf8_chars(const char *s, size_t n)
{
	size_t chars = 0;
	for (size_t i = 0; i < n; i++)
		chars += ((unsigned char)s[i] & 0xC0) != 0x80;
	return chars;
}

static int is_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* A cell's value as --where compares it: strings as their bytes, anything
 * else as its JSON text (so --where n=3 and --where ok=true work). */
static int cell_equals(const struct cell *c, const char *value)
{
	size_t n = strlen(value);
	if (!c || c->kind == CELL_NULL)
		return strcmp(value, "null") == 0;
	return c->len == n && memcmp(c->data, value, n) == 0;
}

static int keep_row(struct stream *s, const struct row *row, const struct cell *text)
{
	for (int i = 0; i < s->o->nwheres; i++)
		if (!cell_equals(find_cell(row, s->o->wheres[i].field), s->o->wheres[i].value))
			return 0;
	if (!text)
		return 1;
	if (s->o->ascii_only && !is_ascii(text->data, text->len))
		return 0;
	if (s->o->min_chars || s->o->max_chars != UINT64_MAX) {
		size_t chars = utf8_chars(text->data, text->len);
		if (chars < s->o->min_chars || chars > s->o->max_chars)
			return 0;
	}
	return 1;
}

static void render_cell(struct buf *b, const struct cell *c)
{
	switch (c ? c->kind : CELL_NULL) {
	case CELL_NULL:
		buf_adds(b, "null");
		break;
	case CELL_STRING:
		jsonw_string(b, c->data, c->len);
		break;
	case CELL_BINARY:
		buf_adds(b, "{\"base64\":\"");
		base64_encode(b, (const unsigned char *)c->data, c->len);
		buf_adds(b, "\"}");
		break;
	case CELL_JSON:
		buf_add(b, c->data, c->len);
		break;
	}
}

static void render_json_row(struct stream *s, const struct row *row)
{
	struct buf *b = &s->payload;
	buf_clear(b);
	buf_addc(b, '{');
	if (s->o->nfields) {
		for (int i = 0; i < s->o->nfields; i++) {
			if (i)
				buf_addc(b, ',');
			jsonw_string(b, s->o->fields[i], strlen(s->o->fields[i]));
			buf_addc(b, ':');
			render_cell(b, find_cell(row, s->o->fields[i]));
		}
	} else {
		for (int i = 0; i < row->n; i++) {
			if (i)
				buf_addc(b, ',');
			jsonw_string(b, row->names[i], strlen(row->names[i]));
			buf_addc(b, ':');
			render_cell(b, &row->cells[i]);
		}
	}
	buf_addc(b, '}');
}

/* Returns 0 once --take is satisfied. */
static int write_record(struct stream *s, const char *key, size_t key_len, const char *payload,
                        size_t len)
{
	if (s->o->taking && s->written >= s->o->take)
		return 0;
	if (s->emitted++ < s->o->skip)
		return 1;
	rec_write(s->w, s->o->json_rows ? REC_JSON : REC_TEXT, REC_DT_NONE, key, key_len, payload, len);
	progress_add(s->progress, len, 1);
	s->written++;
	return !(s->o->taking && s->written >= s->o->take);
}

static int emit(struct stream *s, const char *key, size_t key_len, const char *payload, size_t len)
{
	if (!s->o->shuffled)
		return write_record(s, key, key_len, payload, len);
	const struct shuf_item *it = shufbuf_push(&s->shuf, key, key_len, payload, len);
	return it ? write_record(s, it->key, it->key_len, it->payload, it->payload_len) : 1;
}

/* Row groups in a parquet file (its footer only); one for anything else,
 * which is never opened twice (stdin could not be). */
static int count_units(struct stream *s, const struct hub_input *in)
{
	if (in->fmt != FMT_PARQUET)
		return 1;
	char err[1024];
	struct rows_options ropt = {0};
	int status;
	struct rows *r = hub_input_rows(in, &ropt, &status, err, sizeof err);
	if (!r)
		die(status, "%s", err);
	int n = rows_units(r);
	rows_close(r);
	return n;
}

static int has_text_filters(const struct stream *s)
{
	return s->o->ascii_only || s->o->min_chars || s->o->max_chars != UINT64_MAX;
}

/* A field the user named that the file's schema (when it has one) lacks is
 * a usage error, caught before any row. */
static void check_field_exists(struct rows *r, const char *path, const char *field)
{
	const char *const *names, *const *types;
	int n = rows_schema(r, &names, &types);
	if (n == 0 || !rows_schema_fixed(r))
		return;
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], field) == 0)
			return;
	struct buf cols = {0};
	for (int i = 0; i < n; i++) {
		buf_adds(&cols, i ? ", " : "");
		buf_adds(&cols, names[i]);
	}
	buf_addc(&cols, '\0');
	die(STATUS_USAGE, "%s: no field \"%s\" (columns: %s)", path, field, cols.data);
}

/* Streams one file; returns 0 once --take is satisfied.  The header goes
 * out before the first file's first record, once the text field is known. */
static int stream_file(struct stream *s, struct hub_input *in, int unit_base, int unit_shard)
{
	char err[1024];
	struct rows_options ropt = {.paragraphs = s->o->paragraphs, .json_field = s->o->json_field};
	int status;
	struct rows *r = hub_input_rows(in, &ropt, &status, err, sizeof err);
	if (!r)
		die(status, "%s", err);
	/* The text field: named, or by the default rule; in JSON mode only when
	 * text filters need one. */
	if (!s->text_field && (!s->o->json_rows || has_text_filters(s)))
		s->text_field = s->text_owned = xstrdup(default_text_field(r, in->path));
	for (int i = 0; i < s->o->nfields; i++)
		check_field_exists(r, in->path, s->o->fields[i]);
	if (s->o->key_field)
		check_field_exists(r, in->path, s->o->key_field);
	if (!s->header_written) {
		write_header(s, r);
		s->header_written = 1;
	}
	if (unit_shard)
		for (int u = 0; u < rows_units(r); u++)
			if ((uint32_t)((unit_base + u) % s->o->shard_n) != s->o->shard_i)
				rows_skip_unit(r, u);
	if (!s->o->json_rows || s->o->nfields) {
		const char **need = xcalloc((size_t)s->o->nfields + (size_t)s->o->nwheres + 3, sizeof *need);
		int nneed = 0;
		for (int i = 0; i < s->o->nfields; i++)
			need[nneed++] = s->o->fields[i];
		if (s->text_field)
			need[nneed++] = s->text_field;
		if (s->o->key_field)
			need[nneed++] = s->o->key_field;
		for (int i = 0; i < s->o->nwheres; i++)
			need[nneed++] = s->o->wheres[i].field;
		rows_select(r, need, nneed);
		free(need);
	}
	struct row row;
	int more = 1, got = 0;
	/* the ETA: the files read, and the part of this one its rows say */
	int64_t file_rows = rows_count(r), file_row = 0;
	while (more && (got = rows_next(r, &row, err, sizeof err)) > 0) {
		uint64_t index = s->rows_seen++;
		if (s->in_total)
			progress_fraction(s->progress, ((double)s->in_done +
			                                 (file_rows > 0 ? (double)in->size * (double)++file_row / (double)file_rows : 0)) /
			                                    (double)s->in_total);
		if (s->row_shard && index % s->o->shard_n != s->o->shard_i)
			continue;
		const struct cell *text = s->text_field ? find_cell(&row, s->text_field) : NULL;
		if (!s->o->json_rows) {
			if (!text)
				die(STATUS_MALFORMED, "%s: row %llu has no field \"%s\"", in->path,
				    (unsigned long long)index, s->text_field);
			if (text->kind == CELL_NULL) {
				s->null_texts++;
				continue;
			}
			if (text->kind != CELL_STRING)
				die(STATUS_MALFORMED, "%s: field \"%s\" is not a string column (use --format json)",
				    in->path, s->text_field);
		} else if (text && text->kind != CELL_STRING) {
			text = NULL; /* in JSON rows, text filters pass what is not text */
		}
		if (!keep_row(s, &row, text))
			continue;
		buf_clear(&s->key);
		if (s->o->key_field) {
			const struct cell *k = find_cell(&row, s->o->key_field);
			if (k && k->kind != CELL_NULL)
				buf_add(&s->key, k->data, k->len);
		}
		const char *key = s->o->key_field ? s->key.data : NULL;
		if (s->o->json_rows) {
			render_json_row(s, &row);
			more = emit(s, key, s->key.len, s->payload.data, s->payload.len);
		} else {
			more = emit(s, key, s->key.len, text->data, text->len);
		}
	}
	if (more && got < 0)
		die(rows_error_status(r), "%s", err);
	rows_close(r);
	s->in_done += in->size;
	return more;
}

static void stream(struct stream *s)
{
	if (!s->o->json_rows && s->o->nfields)
		s->text_field = s->o->fields[0];

	/* Shards: by file when there are enough files, else by row group, else
	 * by row (datasets' split_dataset_by_node does the same).  Assignment
	 * follows the files' listed order, so --shuffle never moves a row
	 * between shards. */
	size_t nchosen = 0;
	struct hub_input *chosen = xcalloc(s->src->ninputs + 1, sizeof *chosen);
	int *unit_base = xcalloc(s->src->ninputs + 1, sizeof *unit_base);
	int by_file = s->o->sharded && s->src->ninputs >= s->o->shard_n;
	int units = 0;
	for (size_t i = 0; i < s->src->ninputs; i++) {
		if (by_file && i % s->o->shard_n != s->o->shard_i)
			continue;
		unit_base[nchosen] = units;
		chosen[nchosen++] = s->src->inputs[i];
		if (s->o->sharded && !by_file)
			units += count_units(s, &s->src->inputs[i]);
	}
	int unit_shard = s->o->sharded && !by_file && (uint32_t)units >= s->o->shard_n;
	s->row_shard = s->o->sharded && !by_file && !unit_shard;
	if (s->o->shuffled) {
		/* Permute (file, unit base) pairs together. */
		size_t *order = xcalloc(nchosen + 1, sizeof *order);
		for (size_t i = 0; i < nchosen; i++)
			order[i] = i;
		struct rng rng;
		rng_seed(&rng, s->o->seed);
		rng_shuffle(&rng, order, nchosen, sizeof *order);
		struct hub_input *permuted = xcalloc(nchosen + 1, sizeof *permuted);
		int *bases = xcalloc(nchosen + 1, sizeof *bases);
		for (size_t i = 0; i < nchosen; i++) {
			permuted[i] = chosen[order[i]];
			bases[i] = unit_base[order[i]];
		}
		free(chosen);
		free(unit_base);
		free(order);
		chosen = permuted;
		unit_base = bases;
		shufbuf_init(&s->shuf, s->o->shuffle_buf, s->o->seed ^ 0x5eed5eed5eed5eedull);
	}
	s->chosen = chosen;
	s->nchosen = nchosen;
	for (size_t i = 0; i < nchosen; i++)
		s->in_total += chosen[i].size;

	int more = 1;
	for (size_t i = 0; i < nchosen && more; i++)
		more = stream_file(s, &chosen[i], unit_base[i], unit_shard);
	if (!s->header_written) {
		write_header(s, NULL);
		s->header_written = 1;
	}
	if (s->o->shuffled) {
		const struct shuf_item *it;
		while (more && (it = shufbuf_drain(&s->shuf)))
			more = write_record(s, it->key, it->key_len, it->payload, it->payload_len);
		shufbuf_free(&s->shuf);
	}
	if (s->null_texts && !s->o->quiet)
		warn("left out %llu rows whose \"%s\" is null", (unsigned long long)s->null_texts,
		     s->text_field);
	free(chosen);
	free(unit_base);
}

void row_stream_run(const struct row_stream_opts *o, const struct hub_sources *src, struct rec_writer *w,
                    struct progress *progress)
{
	struct stream s = {.o = o, .src = src, .w = w, .progress = progress};
	stream(&s);
	free(s.text_owned);
	buf_free(&s.payload);
	buf_free(&s.key);
}
