/* recpack.c - lines, JSON lines or files into a record stream (see recpack.h). */
#define _GNU_SOURCE
#include "rec/recpack.h"

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/die.h"
#include "base/io.h"
#include "base/jsonw.h"
#include "rec/header.h"

static void write_header(struct recpack *p)
{
	static const char *kinds[] = {[RECPACK_OUT_TEXT] = "text", [RECPACK_OUT_JSON] = "json", [RECPACK_OUT_VECTOR] = "vector"};
	json_t *h = header_new(NULL, kinds[p->out], p->argc, p->argv);
	if (p->out == RECPACK_OUT_VECTOR && p->dim) {
		json_object_set_new(h, "dtype", json_string("f32"));
		json_object_set_new(h, "dim", json_integer(p->dim));
	}
	header_write(p->w, h);
	json_decref(h);
	p->header_written = 1;
}

/* Where a bad input line is, for "rec-pack: file:offset: line N: ..." */
struct where {
	const char *input;
	uint64_t offset, line;
};

static SLUICE_NORETURN void bad(const struct where *at, const char *fmt, ...) SLUICE_PRINTF(2, 3);
static void bad(const struct where *at, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: %s:%llu: line %llu: ", prog_name(), at->input,
	        (unsigned long long)at->offset, (unsigned long long)at->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(STATUS_MALFORMED);
}

/* Sets p->key from the key field: a string as is, an integer in decimal. */
static int take_key(struct recpack *p, json_t *obj, const struct where *at)
{
	buf_clear(&p->key);
	if (!p->key_field)
		return 0;
	json_t *k = json_object_get(obj, p->key_field);
	if (!k)
		bad(at, "no key field \"%s\"", p->key_field);
	if (json_is_string(k))
		buf_add(&p->key, json_string_value(k), json_string_length(k));
	else if (json_is_integer(k))
		buf_printf(&p->key, "%" JSON_INTEGER_FORMAT, json_integer_value(k));
	else
		bad(at, "key field \"%s\" is neither a string nor an integer", p->key_field);
	if (p->key.len > REC_MAX_KEY)
		bad(at, "key of %zu bytes is over the %u-byte limit", p->key.len, REC_MAX_KEY);
	return 1;
}

static void pack_vector(struct recpack *p, json_t *obj, const struct where *at)
{
	json_t *arr = json_object_get(obj, p->vector_field);
	if (!json_is_array(arr))
		bad(at, "field \"%s\" is not an array of numbers", p->vector_field);
	size_t dim = json_array_size(arr);
	if (dim == 0 || dim > (1u << 24))
		bad(at, "vector of %zu numbers (must be 1 to 16777216)", dim);
	if (p->dim && dim != p->dim)
		bad(at, "vector has %zu dimensions, earlier ones have %u", dim, p->dim);
	if (dim > p->vec_cap) {
		p->vec = xrealloc(p->vec, dim * sizeof *p->vec);
		p->vec_cap = dim;
	}
	for (size_t i = 0; i < dim; i++) {
		json_t *x = json_array_get(arr, i);
		if (!json_is_number(x))
			bad(at, "vector element %zu is not a number", i);
		float v = (float)json_number_value(x);
		if (!isfinite(v))
			bad(at, "vector element %zu is out of float range", i);
		p->vec[i] = v;
	}
	buf_clear(&p->scratch);
	if (p->metadata_field) {
		json_t *m = json_object_get(obj, p->metadata_field);
		if (m && !json_is_null(m)) {
			if (!json_is_object(m))
				bad(at, "metadata field \"%s\" is not an object", p->metadata_field);
			jsonw_value(&p->scratch, m);
		}
	}
	if (!p->dim) {
		p->dim = (uint32_t)dim;
		write_header(p);
	}
	rec_write_vector(p->w, p->key.data, p->key.len, p->vec, (uint32_t)dim, p->scratch.data,
	                 p->scratch.len);
}

static int blank(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

static void pack_json_line(struct recpack *p, const struct rec_frame *f, const struct where *at)
{
	if (blank(f->payload, f->payload_len))
		return;
	json_error_t err;
	json_t *obj = json_loadb((const char *)f->payload, f->payload_len, JSON_ALLOW_NUL, &err);
	if (!obj)
		bad(at, "invalid JSON: %s", err.text);
	if (!json_is_object(obj))
		bad(at, "not a JSON object");
	take_key(p, obj, at);
	switch (p->out) {
	case RECPACK_OUT_TEXT: {
		json_t *t = json_object_get(obj, p->field);
		if (!t)
			bad(at, "no field \"%s\" (choose one with --field)", p->field);
		if (!json_is_string(t))
			bad(at, "field \"%s\" is not a string", p->field);
		rec_write(p->w, REC_TEXT, REC_DT_NONE, p->key.data, p->key.len, json_string_value(t),
		          json_string_length(t));
		break;
	}
	case RECPACK_OUT_JSON:
		buf_clear(&p->scratch);
		jsonw_value(&p->scratch, obj);
		rec_write(p->w, REC_JSON, REC_DT_NONE, p->key.data, p->key.len, p->scratch.data,
		          p->scratch.len);
		break;
	case RECPACK_OUT_VECTOR:
		pack_vector(p, obj, at);
		break;
	}
	json_decref(obj);
}

static void pack_lines(struct recpack *p, const char *path)
{
	struct rec_reader *r = rec_reader_open(path, REC_READ_LINES_ONLY);
	if (!r)
		die(STATUS_FAIL, "%s:", path);
	rec_reader_set_delim(r, p->delim);
	struct rec_frame f;
	struct where at = {rec_reader_name(r), 0, 0};
	while (rec_next_or_die(r, &f)) {
		at.line++;
		at.offset = f.offset;
		/* Editors on some systems start UTF-8 files with a byte-order mark. */
		if (p->in == RECPACK_IN_JSONL && at.line == 1 && f.payload_len >= 3 &&
		    memcmp(f.payload, "\xEF\xBB\xBF", 3) == 0) {
			f.payload += 3;
			f.payload_len -= 3;
		}
		if (p->in == RECPACK_IN_JSONL)
			pack_json_line(p, &f, &at);
		else
			rec_write(p->w, REC_TEXT, REC_DT_NONE, NULL, 0, f.payload, f.payload_len);
		progress_add(&p->progress, f.payload_len + 1, 1);
	}
	rec_reader_close(r);
}

static void pack_file(struct recpack *p, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(STATUS_FAIL, "%s:", path);
	buf_clear(&p->scratch);
	for (;;) {
		buf_reserve(&p->scratch, 1 << 16);
		ssize_t got = read_full(fd, p->scratch.data + p->scratch.len, p->scratch.cap - p->scratch.len);
		if (got < 0)
			die(STATUS_FAIL, "%s: read error:", path);
		if (got == 0)
			break;
		p->scratch.len += (size_t)got;
	}
	close(fd);
	size_t key_len = strlen(path);
	if (key_len > REC_MAX_KEY)
		die(STATUS_FAIL, "%s: path is over the %u-byte key limit", path, REC_MAX_KEY);
	rec_write(p->w, REC_TEXT, REC_DT_NONE, path, key_len, p->scratch.data, p->scratch.len);
	progress_add(&p->progress, p->scratch.len, 1);
}

static int skip_entry(const struct dirent *d)
{
	return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

/* Named paths are read whatever they are (a user may mean /dev/stdin);
 * inside a walked directory only regular files are read, symlinked
 * directories are not followed (no loops) and FIFOs are never opened (no
 * hang), and our own output file is left out. */
static void pack_path(struct recpack *p, const char *path, int named)
{
	struct stat st;
	if (strcmp(path, "-") == 0)
		die(STATUS_USAGE, "--files reads named files, not stdin");
	if (stat(path, &st) != 0) {
		if (named)
			die(STATUS_FAIL, "%s:", path);
		return; /* a dangling symlink in a tree */
	}
	for (int i = 0; !named && i < 2; i++)
		if (st.st_dev == p->output_ids[i].st_dev && st.st_ino == p->output_ids[i].st_ino)
			return;
	if (!S_ISDIR(st.st_mode)) {
		if (named || S_ISREG(st.st_mode))
			pack_file(p, path);
		return;
	}
	struct stat lst;
	if (!named && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
		return;
	struct dirent **names;
	int n = scandir(path, &names, skip_entry, alphasort);
	if (n < 0)
		die(STATUS_FAIL, "%s:", path);
	struct buf child = {0};
	for (int i = 0; i < n; i++) {
		buf_clear(&child);
		buf_adds(&child, path);
		if (child.len && child.data[child.len - 1] != '/')
			buf_addc(&child, '/');
		buf_adds(&child, names[i]->d_name);
		buf_addc(&child, '\0');
		pack_path(p, child.data, 0);
		free(names[i]);
	}
	free(names);
	buf_free(&child);
}

void recpack_begin(struct recpack *p)
{
	if (p->out != RECPACK_OUT_VECTOR)
		write_header(p);
}

void recpack_input(struct recpack *p, const char *path)
{
	if (p->in == RECPACK_IN_FILES)
		pack_path(p, path, 1);
	else
		pack_lines(p, path);
}

void recpack_end(struct recpack *p)
{
	if (!p->header_written)
		write_header(p);
	rec_write_end(p->w);
	rec_writer_free(p->w);
	buf_free(&p->scratch);
	buf_free(&p->key);
	free(p->vec);
}
