/* remove.c - rec-dedup's last stage (remove.h). */
#include "dedup/remove.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/jsonw.h"
#include "dedup/records.h"
#include "rec/header.h"

/* The drop list, read a row at a time. */
struct drops {
	struct rec_reader *r;
	const char *name;
	uint64_t records; /* the shard's record count it was made for */
	char digest[17];  /* and its records' digest, in hex */
	bool have;        /* next holds the next drop */
	uint64_t index;   /* its record */
	bool contaminated;
	const char *text; /* its row's JSON (the reader's, until the next row) */
	size_t len;
	uint64_t at;
	json_t *row; /* parsed when its fields are wanted (drop_row) */
	uint64_t last_at;
};

/* Reads `word` at *at; false, leaving *at, when it is not there. */
static bool take_word(const char *p, size_t n, size_t *at, const char *word)
{
	size_t k = strlen(word);
	if (n - *at < k || memcmp(p + *at, word, k) != 0)
		return false;
	*at += k;
	return true;
}

/* Reads a JSON integer of up to 18 digits at *at, as jansson reads it: no
 * sign, no leading zero, well within int64. */
static bool take_count(const char *p, size_t n, size_t *at, uint64_t *v)
{
	size_t i = *at;
	*v = 0;
	for (; i < n && i - *at < 19 && p[i] >= '0' && p[i] <= '9'; i++)
		*v = 10 * *v + (uint64_t)(p[i] - '0');
	size_t digits = i - *at;
	if (digits == 0 || digits > 18 || (p[*at] == '0' && digits > 1))
		return false;
	*at = i;
	return true;
}

/* Reads a JSON string of printable ASCII without escapes at *at. */
static bool take_plain_string(const char *p, size_t n, size_t *at)
{
	size_t i = *at;
	if (i >= n || p[i++] != '"')
		return false;
	while (i < n && p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
		i++;
	if (i >= n || p[i] != '"')
		return false;
	*at = i + 1;
	return true;
}

/* The rows `clusters` writes most, exactly: {"index":N,"duplicate_of":M}
 * (with "duplicate_of_key" when the records have keys, a plain one) and
 * {"index":N,"contaminated_by":M}.  Their index and kind are read off
 * their bytes: a drop list holds a row for most records of a shard full of
 * copies, and parsing each took three quarters of this stage's time.  Any
 * other row (a key with escapes, a "jaccard", fields in another order, a
 * row written by hand) goes to jansson, which reads these the same way. */
static bool canonical_row(const char *p, size_t n, uint64_t *index, bool *contaminated)
{
	size_t at = 0;
	uint64_t of;
	if (!take_word(p, n, &at, "{\"index\":") || !take_count(p, n, &at, index))
		return false;
	*contaminated = take_word(p, n, &at, ",\"contaminated_by\":");
	if (!*contaminated && !take_word(p, n, &at, ",\"duplicate_of\":"))
		return false;
	if (!take_count(p, n, &at, &of))
		return false;
	if (!*contaminated && take_word(p, n, &at, ",\"duplicate_of_key\":") && !take_plain_string(p, n, &at))
		return false;
	return take_word(p, n, &at, "}") && at == n;
}

/* The current drop's row as JSON. */
static json_t *drop_row(struct drops *d)
{
	if (!d->row && !(d->row = json_loadb(d->text, d->len, 0, NULL)))
		die_at(STATUS_MALFORMED, d->name, d->at, "a drop row that is not JSON");
	return d->row;
}

static void drops_next(struct drops *d)
{
	json_decref(d->row);
	d->row = NULL;
	d->have = false;
	struct rec_frame f;
	while (rec_next_or_die(d->r, &f) > 0) {
		if (f.type == REC_HEADER) {
			json_t *h = json_loads(rec_reader_header(d->r), 0, NULL);
			json_t *list = json_object_get(h, "drop_list");
			json_t *records = json_object_get(list, "records");
			if (!json_is_integer(records))
				die_at(STATUS_MALFORMED, d->name, f.offset, "not a rec-dedup drop list (made by `rec-dedup clusters`)");
			d->records = (uint64_t)json_integer_value(records);
			const char *digest = json_string_value(json_object_get(list, "digest"));
			snprintf(d->digest, sizeof d->digest, "%s", digest ? digest : "");
			json_decref(h);
			continue;
		}
		if (f.type != REC_JSON)
			continue;
		d->text = (const char *)f.payload;
		d->len = f.payload_len;
		d->at = f.offset;
		uint64_t i;
		if (!canonical_row(d->text, d->len, &i, &d->contaminated)) {
			/* (A key twice is no row: which would it mean?) */
			json_t *row = json_loadb(d->text, d->len, JSON_REJECT_DUPLICATES, NULL);
			json_t *index = json_object_get(row, "index");
			i = json_is_integer(index) && json_integer_value(index) >= 0 ? (uint64_t)json_integer_value(index)
			                                                              : UINT64_MAX;
			d->contaminated = json_object_get(row, "contaminated_by") != NULL;
			d->row = row;
		}
		if (i >= d->records || (d->last_at && i < d->index + 1))
			die_at(STATUS_MALFORMED, d->name, f.offset, "a drop row without a valid \"index\" (rows go in "
			       "increasing order, below the shard's %" PRIu64 " records)", d->records);
		d->index = i;
		d->last_at = f.offset + 1;
		d->have = true;
		return;
	}
}

/* The removed row of record f: its JSON row (or {"text": ...}) with the
 * drop row's fields but "index". */
void remove_row(struct buf *b, int type, const char *payload, size_t len, json_t *drop, const char *name,
                uint64_t at)
{
	struct jsonw_field adds[8];
	int nadds = 0;
	const char *k;
	json_t *v;
	json_object_foreach(drop, k, v)
	{
		if (strcmp(k, "index") != 0 && nadds < 8)
			adds[nadds++] = (struct jsonw_field){k, json_incref(v)};
	}
	buf_clear(b);
	if (type == REC_JSON) {
		json_t *row = json_loadb(payload, len, JSON_ALLOW_NUL, NULL);
		if (!json_is_object(row))
			die_at(STATUS_MALFORMED, name, at, "not a JSON object");
		jsonw_row_with(b, payload, len, row, NULL, NULL, 0, adds, nadds);
		json_decref(row);
	} else {
		jsonw_text_row(b, payload, len, adds, nadds);
	}
}

void remove_write_header(const struct remove_opts *o, const char *input_header, int kind_type,
                         struct rec_writer *out, struct rec_writer *removed)
{
	const char *kind = kind_type == REC_JSON ? "json" : "text";
	json_t *h = header_new(input_header, kind, o->argc, o->argv);
	header_set_shard(h, o->part);
	header_write(out, h);
	json_decref(h);
	if (removed) {
		h = header_new(input_header, "json", o->argc, o->argv);
		header_set_shard(h, o->part);
		json_object_set_new(h, "removed", json_true());
		header_write(removed, h);
		json_decref(h);
	}
}

void remove_run(const struct remove_opts *o, int n, const int *fds, char **names, int drop_fd, const char *drop_name,
                struct rec_writer *out, struct rec_writer *removed, struct progress *progress,
                struct remove_counts *counts)
{
	memset(counts, 0, sizeof *counts);
	int fd = dup(drop_fd);
	if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0)
		die(STATUS_FAIL, "%s:", drop_name);
	struct drops d = {.name = drop_name, .records = UINT64_MAX};
	d.r = rec_reader_fdopen(fd, drop_name, 0);
	if (!d.r)
		die(STATUS_FAIL, "%s:", drop_name);
	drops_next(&d);
	if (d.records == UINT64_MAX)
		die(STATUS_MALFORMED, "%s: not a rec-dedup drop list (made by `rec-dedup clusters`)", drop_name);

	struct dedup_input in;
	dedup_input_init(&in, n, fds, names, progress);
	dedup_input_cut(&in, o->records);
	struct rec_frame f;
	const char *name;
	struct buf row = {0};
	bool header_done = false;
	while (dedup_input_next(&in, &f, &name)) {
		uint64_t i = counts->read++;
		if (i >= d.records)
			die_at(STATUS_USAGE, name, f.offset, "more records than the %" PRIu64 " that %s was made for",
			       d.records, drop_name);
		if (!header_done) {
			remove_write_header(o, in.header, in.kind, out, removed);
			header_done = true;
		}
		const char *key = f.key;
		size_t key_len = f.key ? f.key_len : 0;
		if (!d.have || d.index != i) {
			counts->kept++;
			rec_write(out, f.type, REC_DT_NONE, key, key_len, f.payload, f.payload_len);
			continue;
		}
		if (d.contaminated)
			counts->contaminated++;
		else
			counts->duplicates++;
		if (removed) {
			remove_row(&row, f.type, (const char *)f.payload, f.payload_len, drop_row(&d), name, f.offset);
			rec_write(removed, REC_JSON, REC_DT_NONE, key, key_len, row.data, row.len);
		}
		drops_next(&d);
	}
	if (counts->read != d.records)
		die(STATUS_USAGE, "%s: %" PRIu64 " records, but %s was made for %" PRIu64, n ? names[n - 1] : "-",
		    counts->read, drop_name, d.records);
	char digest[32];
	snprintf(digest, sizeof digest, "%016" PRIx64, dedup_input_digest(&in));
	if (strcmp(digest, d.digest) != 0)
		die(STATUS_USAGE, "%s: made for another shard (its records differ from these)", drop_name);
	if (!header_done)
		remove_write_header(o, in.header, in.kind, out, removed);
	remove_write_trailer(out, removed, counts);
	json_decref(d.row);
	rec_reader_close(d.r);
	buf_free(&row);
	dedup_input_close(&in);
}

void remove_write_trailer(struct rec_writer *out, struct rec_writer *removed, const struct remove_counts *c)
{
	char t[256];
	int n = snprintf(t, sizeof t, "{\"read\":%" PRIu64 ",\"kept\":%" PRIu64 ",\"removed\":%" PRIu64
	                 ",\"duplicates\":%" PRIu64 ",\"contaminated\":%" PRIu64 "}",
	                 c->read, c->kept, c->duplicates + c->contaminated, c->duplicates, c->contaminated);
	rec_write_trailer(out, t, (size_t)n);
	rec_write_end(out);
	if (removed)
		rec_write_end(removed);
}
