/* wdscat.c - WebDataset samples to records: selection, decoding, losses. */
#include "wds/wdscat.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/jsonw.h"
#include "base/utf8.h"
#include "net/s3.h"
#include "rec/shufbuf.h"
#include "wds/shardorder.h"
#include "wds/shardsrc.h"
#include "wds/wds.h"

struct wds_cat {
	struct wds_cat_opts o; /* its keys and want are the caller's */
	struct http *http;     /* made at the first http:// shard */
	struct s3 *s3;         /* made at the first s3:// shard */
	struct rec_writer *w;
	struct shufbuf shuf;
	int shuffling;
	struct progress *progress;
	struct buf payload, url_part;
	const struct wds_part **chosen;

	uint64_t bytes; /* read from shards, before decompression */
	uint64_t written, shards_read, bad_shards, bad_samples, lost_samples;
	uint64_t samples_seen; /* for o.samples */
};

/* ---- --key ---- */

static char **split(const char *s, char sep, size_t *n)
{
	char **out = NULL;
	*n = 0;
	for (const char *p = s;;) {
		const char *end = strchr(p, sep);
		size_t len = end ? (size_t)(end - p) : strlen(p);
		out = xrealloc(out, (*n + 1) * sizeof *out);
		out[(*n)++] = xstrndup(p, len);
		if (!end)
			break;
		p = end + 1;
	}
	return out;
}

int wds_cat_parse_keys(struct wds_cat_opts *o, const char *arg, char *err, size_t errn)
{
	size_t n;
	char **elems = split(arg, ',', &n);
	int rc = 0;
	o->keys = xcalloc(n, sizeof *o->keys);
	o->nkeys = n;
	for (size_t i = 0; i < n; i++) {
		struct wds_key_choice *k = &o->keys[i];
		k->alts = split(elems[i], ';', &k->nalts);
		for (size_t j = 0; j < k->nalts; j++) {
			char *e = k->alts[j];
			if (!*e || strchr(e, '/'))
				rc = errorf(err, errn, "--key: '%s' is not a list of extensions", arg);
			for (char *q = e; *q; q++) /* parts are named lower-case */
				if (*q >= 'A' && *q <= 'Z')
					*q = (char)(*q - 'A' + 'a');
			o->want = xrealloc(o->want, (o->nwant + 1) * sizeof *o->want);
			o->want[o->nwant++] = e;
		}
		free(elems[i]);
	}
	free(elems);
	return rc;
}

void wds_cat_opts_free(struct wds_cat_opts *o)
{
	for (size_t i = 0; i < o->nkeys; i++)
		free(o->keys[i].alts);
	for (size_t i = 0; i < o->nwant; i++)
		free(o->want[i]);
	free(o->keys);
	free(o->want);
}

/* ---- losses ---- */

/* A bad sample or shard: the end under --on-error fail, else counted. */
static void lose(struct wds_cat *c, const char *what, int whole_shard, int lost)
{
	if (c->o.on_error == WDS_ON_ERROR_FAIL) {
		rec_writer_flush(c->w);
		die(STATUS_FAIL, "%s", what);
	}
	if (c->o.on_error == WDS_ON_ERROR_WARN)
		warn("warning: %s (%s)", what, whole_shard ? "the rest of the shard is lost" : "sample dropped");
	if (whole_shard)
		c->bad_shards++;
	else
		c->bad_samples++;
	c->lost_samples += (uint64_t)lost;
}

/* ---- output ---- */

static void emit(struct wds_cat *c, int type, const char *key, size_t key_len, const struct rec_piece *pieces,
                 int n)
{
	if (!shard_takes(c->o.samples, c->samples_seen++))
		return;
	if (!c->shuffling) {
		rec_writev(c->w, type, REC_DT_NONE, key, key_len, pieces, n);
		c->written++;
		return;
	}
	buf_clear(&c->payload);
	for (int i = 0; i < n; i++)
		buf_add(&c->payload, pieces[i].data, pieces[i].len);
	const struct shuf_item *out = shufbuf_push(&c->shuf, key, key_len, c->payload.data, c->payload.len);
	if (out) {
		rec_write(c->w, type, REC_DT_NONE, out->key, out->key_len, out->payload, out->payload_len);
		c->written++;
	}
}

int wds_cat_done(const struct wds_cat *c) { return c->o.taking && c->written >= c->o.take; }

static int output_type(const struct wds_cat *c)
{
	return c->o.output == WDS_OUT_JSON ? REC_JSON : c->o.output == WDS_OUT_TEXT ? REC_TEXT : REC_SAMPLE;
}

static int is_json_ext(const char *ext) { return strcmp(ext, "json") == 0 || strcmp(ext, "jsn") == 0; }

/* webdataset decodes these as integers. */
static int is_int_ext(const char *ext)
{
	static const char *const names[] = {"cls", "cls2", "class", "count", "index", "inx", "id"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(ext, names[i]) == 0)
			return 1;
	return 0;
}

static json_t *part_value(const struct wds_part *p)
{
	if (is_int_ext(p->ext) && p->len && p->len < 32) {
		char text[32], *end;
		memcpy(text, p->data, p->len);
		text[p->len] = '\0';
		errno = 0;
		long long v = strtoll(text, &end, 10);
		while (*end == '\n' || *end == ' ' || *end == '\r' || *end == '\t')
			end++;
		if (end != text && !*end && errno == 0)
			return json_integer(v);
	}
	if (utf8_valid(p->data, p->len))
		return json_stringn((const char *)p->data, p->len);
	struct buf b = {0};
	base64_encode(&b, p->data, p->len);
	json_t *v = json_pack("{s:s%}", "base64", b.data ? b.data : "", b.len);
	buf_free(&b);
	return v;
}

/* One JSON row: __key__, __url__, the .json part's members, the other
 * parts under their extensions.  -1 with a message for a bad .json. */
static int json_row(struct wds_cat *c, const struct wds_sample *s, const char *url, size_t nchosen,
                    char *err, size_t errn)
{
	json_t *row = json_object();
	json_object_set_new(row, "__key__", json_stringn(s->key, s->key_len));
	json_object_set_new(row, "__url__", json_string(url));
	for (size_t i = 0; i < nchosen; i++) {
		const struct wds_part *p = c->chosen[i];
		if (is_json_ext(p->ext)) {
			json_error_t e;
			json_t *v = json_loadb((const char *)p->data, p->len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
			if (!v) {
				errorf(err, errn, "%llu: member %s: not JSON: %s", (unsigned long long)p->offset,
				       p->member, e.text);
				json_decref(row);
				return -1;
			}
			if (json_is_object(v)) {
				const char *k;
				json_t *item;
				json_object_foreach(v, k, item) if (strcmp(k, "__key__") && strcmp(k, "__url__"))
					json_object_set(row, k, item);
				json_decref(v);
			} else {
				json_object_set_new(row, p->ext, v);
			}
		} else {
			json_object_set_new(row, p->ext, part_value(p));
		}
	}
	buf_clear(&c->payload);
	jsonw_value(&c->payload, row);
	json_decref(row);
	return 0;
}

/* The __url__ part of this shard's samples, laid out once per shard. */
static void url_part(struct wds_cat *c, const char *url)
{
	buf_clear(&c->url_part);
	unsigned char head[8];
	size_t name_len = strlen("__url__"), len = strlen(url);
	for (int i = 0; i < 4; i++) {
		head[i] = (unsigned char)(name_len >> (8 * i));
		head[4 + i] = (unsigned char)(len >> (8 * i));
	}
	buf_add(&c->url_part, head, sizeof head);
	buf_add(&c->url_part, "__url__", name_len);
	buf_pad8(&c->url_part);
	buf_add(&c->url_part, url, len);
	buf_pad8(&c->url_part);
}

/* Writes one sample as asked.  0, or -1 with a message (a bad sample). */
static int put_sample(struct wds_cat *c, const struct wds_sample *s, const char *url, char *err, size_t errn)
{
	size_t nchosen = 0;
	if (c->o.keys) {
		for (size_t i = 0; i < c->o.nkeys; i++) {
			const struct wds_key_choice *k = &c->o.keys[i];
			const struct wds_part *found = NULL;
			for (size_t a = 0; a < k->nalts && !found; a++)
				for (size_t j = 0; j < s->nparts && !found; j++)
					if (strcmp(s->parts[j].ext, k->alts[a]) == 0)
						found = &s->parts[j];
			if (!found) {
				struct buf names = {0};
				for (size_t a = 0; a < k->nalts; a++) {
					buf_adds(&names, a ? " or '" : "'");
					buf_adds(&names, k->alts[a]);
					buf_adds(&names, "'");
				}
				buf_addc(&names, '\0');
				errorf(err, errn, "%llu: sample %s: no %s part", (unsigned long long)s->offset, s->key,
				       names.data);
				buf_free(&names);
				return -1;
			}
			c->chosen[nchosen++] = found;
		}
	} else {
		for (size_t j = 0; j < s->nparts; j++)
			c->chosen[nchosen++] = &s->parts[j];
	}
	if (c->o.decode == WDS_DECODE_TEXT)
		for (size_t i = 0; i < nchosen; i++)
			if (!utf8_valid(c->chosen[i]->data, c->chosen[i]->len))
				return errorf(err, errn, "%llu: member %s: not UTF-8 text", (unsigned long long)c->chosen[i]->offset,
				              c->chosen[i]->member);
	switch (c->o.output) {
	case WDS_OUT_TEXT: {
		struct rec_piece text = {c->chosen[0]->data, c->chosen[0]->len};
		emit(c, REC_TEXT, s->key, s->key_len, &text, 1);
		break;
	}
	case WDS_OUT_JSON: {
		if (json_row(c, s, url, nchosen, err, errn) < 0)
			return -1;
		struct rec_piece row = {c->payload.data, c->payload.len};
		/* emit reuses c->payload when shuffling: hand it a copy. */
		if (c->shuffling) {
			char *copy = xmalloc(c->payload.len ? c->payload.len : 1);
			memcpy(copy, c->payload.data, c->payload.len);
			row.data = copy;
			emit(c, REC_JSON, s->key, s->key_len, &row, 1);
			free(copy);
		} else {
			emit(c, REC_JSON, s->key, s->key_len, &row, 1);
		}
		break;
	}
	case WDS_OUT_SAMPLE: {
		unsigned char head[REC_SAMPLE_HEAD] = {0};
		uint32_t nparts = (uint32_t)nchosen + (c->o.keys ? 0 : 1);
		for (int i = 0; i < 4; i++)
			head[i] = (unsigned char)(nparts >> (8 * i));
		struct rec_piece stack[8], *pieces = nchosen + 3 <= 8 ? stack : xmalloc((nchosen + 3) * sizeof *pieces);
		int n = 0;
		pieces[n++] = (struct rec_piece){head, sizeof head};
		if (c->o.keys) {
			for (size_t i = 0; i < nchosen; i++)
				pieces[n++] = (struct rec_piece){c->chosen[i]->layout, c->chosen[i]->layout_len};
		} else {
			/* Every part, in member order: the shard's layout as it is. */
			pieces[n++] = (struct rec_piece){s->layout, s->layout_len};
			pieces[n++] = (struct rec_piece){c->url_part.data, c->url_part.len};
		}
		emit(c, REC_SAMPLE, s->key, s->key_len, pieces, n);
		if (pieces != stack)
			free(pieces);
		break;
	}
	}
	return 0;
}

/* ---- reading ---- */

static struct http *http_of(struct wds_cat *c)
{
	if (!c->http)
		c->http = http_new(&c->o.http_opts);
	return c->http;
}

/* The S3 client, made at the first s3:// shard; a configuration it cannot
 * use (a profile that does not exist) ends the program. */
static struct s3 *s3_of(struct wds_cat *c)
{
	if (!c->s3) {
		struct s3_opts so = {.no_sign = c->o.no_sign, .timeout = c->o.http_opts.timeout,
		                     .retries = c->o.http_opts.retries};
		char err[1024];
		c->s3 = s3_new(&so, err, sizeof err);
		if (!c->s3)
			die(STATUS_FAIL, "%s", err);
	}
	return c->s3;
}

void wds_cat_read_shard(struct wds_cat *c, const char *url)
{
	char err[1024];
	struct source src;
	enum shardsrc_kind kind = shardsrc_kind_of(url);
	c->shards_read++;
	if (shardsrc_open(&src, url, kind == SHARDSRC_HTTP ? http_of(c) : NULL, kind == SHARDSRC_S3 ? s3_of(c) : NULL,
	                  err, sizeof err) < 0) {
		char what[1400];
		snprintf(what, sizeof what, "%s: %s", url, err);
		lose(c, what, 1, 0);
		return;
	}
	struct wds_opts o = {(const char *const *)c->o.want, c->o.nwant, rec_max_frame()};
	struct wds_shard *shard = wds_open(src, url, &o);
	if (c->o.output == WDS_OUT_SAMPLE && !c->o.keys)
		url_part(c, url);
	uint64_t last_raw = 0;
	while (!wds_cat_done(c)) {
		struct wds_sample s;
		int lost;
		int r = wds_next(shard, &s, err, sizeof err, &lost);
		uint64_t raw = wds_raw_bytes(shard);
		progress_add(c->progress, raw - last_raw, r == WDS_SAMPLE);
		c->bytes += raw - last_raw;
		last_raw = raw;
		if (r == WDS_END)
			break;
		if (r == WDS_BAD_SHARD) {
			lose(c, err, 1, lost);
			break;
		}
		if (r == WDS_BAD_SAMPLE) {
			lose(c, err, 0, lost);
			continue;
		}
		c->chosen = xrealloc(c->chosen, (c->o.nkeys + s.nparts + 1) * sizeof *c->chosen);
		char why[1024];
		if (put_sample(c, &s, url, why, sizeof why) < 0) {
			struct buf what = {0};
			buf_printf(&what, "%s:%s", url, why);
			buf_addc(&what, '\0');
			lose(c, what.data, 0, 1);
			buf_free(&what);
		}
	}
	wds_close(shard);
}


/* ---- the run ---- */

/* What was read and lost, for a reader of the stream (rec-cat --stats). */
static void trailer(const struct wds_cat *c)
{
	json_t *t = json_pack("{s:I,s:I,s:I,s:{s:I,s:I,s:I}}", "samples", (json_int_t)c->written, "shards",
	                      (json_int_t)c->shards_read, "bytes", (json_int_t)c->bytes, "lost", "samples",
	                      (json_int_t)c->lost_samples, "bad_samples", (json_int_t)c->bad_samples,
	                      "bad_shards", (json_int_t)c->bad_shards);
	struct buf b = {0};
	jsonw_value(&b, t);
	rec_write_trailer(c->w, b.data, b.len);
	buf_free(&b);
	json_decref(t);
}

void wds_cat_summary(const struct wds_cat *c)
{
	int lossy = c->bad_shards || c->bad_samples;
	if (!lossy && !c->o.verbose)
		return;
	char line[1024];
	int n = snprintf(line, sizeof line, "%llu samples from %llu shards (%llu bytes)",
	                 (unsigned long long)c->written, (unsigned long long)c->shards_read,
	                 (unsigned long long)c->bytes);
	if (lossy)
		n += snprintf(line + n, sizeof line - (size_t)n, "; lost: %llu samples, %llu bad samples, %llu bad shards",
		              (unsigned long long)c->lost_samples, (unsigned long long)c->bad_samples,
		              (unsigned long long)c->bad_shards);
	if ((c->http || c->s3) && c->o.verbose) {
		struct http_stats st = {0};
		if (c->s3)
			s3_stats(c->s3, &st);
		if (c->http) {
			const struct http_stats *h = http_stats(c->http);
			st.requests += h->requests, st.retries += h->retries, st.resumes += h->resumes;
		}
		(void)!snprintf(line + n, sizeof line - (size_t)n, "; HTTP: %llu requests, %llu retries, %llu resumes",
		                (unsigned long long)st.requests, (unsigned long long)st.retries,
		                (unsigned long long)st.resumes);
	}
	warn("%s", line);
}

struct wds_cat *wds_cat_new(const struct wds_cat_opts *o, struct rec_writer *w, struct progress *progress)
{
	struct wds_cat *c = xcalloc(1, sizeof *c);
	c->o = *o;
	c->w = w;
	c->progress = progress;
	if (o->shuffle_buf) {
		c->shuffling = 1;
		shufbuf_init(&c->shuf, o->shuffle_buf, shard_order_seed(o->seed, 3, 0));
		shufbuf_set_initial(&c->shuf, o->shuffle_initial);
	}
	return c;
}

void wds_cat_finish(struct wds_cat *c)
{
	if (c->shuffling) {
		const struct shuf_item *it;
		while (!wds_cat_done(c) && (it = shufbuf_drain(&c->shuf))) {
			rec_write(c->w, output_type(c), REC_DT_NONE, it->key, it->key_len, it->payload, it->payload_len);
			c->written++;
		}
		shufbuf_free(&c->shuf);
		c->shuffling = 0;
	}
	trailer(c);
}

void wds_cat_free(struct wds_cat *c)
{
	if (!c)
		return;
	http_free(c->http);
	s3_free(c->s3);
	free(c->chosen);
	buf_free(&c->payload);
	buf_free(&c->url_part);
	free(c);
}
