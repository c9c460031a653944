/* embedrun.c - lm-embed's documents gathered, embedded and written
 * (embedrun.h). */
#include "model/embedrun.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/die.h"
#include "base/jsonw.h"
#include "rec/header.h"

/* Documents gathered per embedder_run: enough for the embedder to sort
 * them into batches of similar lengths. */
#define GROUP_BATCHES 8

/* ---- the session ---- */

void embed_run_start(struct embed_run *r, int fd, const char *name, enum cli_progress progress, uint64_t total)
{
	r->vocab = lm_vocab(r->m);
	r->emb = embedder_new(lm_gpt2(r->m), &r->eo);
	r->dim = embedder_dim(r->emb);
	if (r->jsonl)
		outbuf_init(&r->out, fd, name, 1 << 16);
	else
		r->w = rec_writer_fdopen(fd, name);
	r->group = (size_t)r->eo.batch * GROUP_BATCHES;
	r->docs = xmalloc(r->group * sizeof *r->docs);
	r->vecs = xmalloc(r->group * (size_t)r->dim * sizeof *r->vecs);
	progress_init(&r->progress, progress, total);
}

void embed_run_finish(struct embed_run *r)
{
	embed_run_flush(r);
	embed_run_header(r);
	progress_end(&r->progress);
	if (r->w) {
		rec_write_end(r->w);
		rec_writer_free(r->w);
		r->w = NULL;
	} else {
		outbuf_free(&r->out);
	}
}

void embed_run_summary(const struct embed_run *r)
{
	struct buf s = {0};
	buf_printf(&s, "%" PRIu64 " vectors (dim %d) from %" PRIu64 " tokens", r->written, r->dim, r->tokens);
	if (r->skipped)
		buf_printf(&s, "; %" PRIu64 " empty document%s skipped", r->skipped, r->skipped == 1 ? "" : "s");
	buf_addc(&s, 0);
	warn("%s", s.data);
	buf_free(&s);
}

void embed_run_free(struct embed_run *r)
{
	embedder_free(r->emb);
	if (r->have_tok) {
		model_tokenizer_close(&r->mt);
	}
	lm_free(r->m);
	free(r->docs);
	free(r->vecs);
	free(r->input_header);
	ids_free(&r->ids);
	ids_free(&r->one);
	buf_free(&r->strs);
	buf_free(&r->text);
	buf_free(&r->meta);
	buf_free(&r->id);
	buf_free(&r->line);
	buf_free(&r->scratch);
}

/* ---- output ---- */

/* The first input's header, with what described its text or tokens taken
 * out, and what a consumer of the vectors must know put in. */
void embed_run_header(struct embed_run *r)
{
	if (r->header_done || r->jsonl)
		return;
	r->header_done = true;
	json_t *h = header_new(r->input_header, "vector", r->argc, r->argv);
	static const char *const stale[] = {"vocab_size", "eot", "B", "T", "columns"};
	for (size_t i = 0; i < sizeof stale / sizeof *stale; i++)
		json_object_del(h, stale[i]);
	json_object_set_new(h, "dtype", json_string("f32"));
	json_object_set_new(h, "dim", json_integer(r->dim));
	json_object_set_new(h, "metric", json_string("cosine"));
	char desc[128];
	lm_describe(r->m, desc, sizeof desc);
	json_object_set_new(h, "model", json_string(r->model_path));
	json_object_set_new(h, "model_config", json_string(desc));
	json_object_set_new(h, "pool", json_string(embed_pool_name(r->eo.pool)));
	json_object_set_new(h, "normalized", json_boolean(r->eo.normalize));
	if (r->have_tok) {
		char hash[32];
		snprintf(hash, sizeof hash, "xxh3:%016" PRIx64, bpe_hash(r->mt.tok.bpe));
		json_object_set_new(h, "tokenizer", json_string(r->mt.tok.name));
		json_object_set_new(h, "tokenizer_hash", json_string(hash));
	}
	header_write(r->w, h);
	json_decref(h);
}

static void emit(struct embed_run *r, const struct doc *d, const float *v)
{
	const char *key = r->strs.data + d->key_off;
	const char *meta = d->meta_len ? r->strs.data + d->meta_off : NULL;
	if (!r->jsonl) {
		rec_write_vector(r->w, key, d->key_len, v, (uint32_t)r->dim, meta, d->meta_len);
		return;
	}
	buf_clear(&r->line);
	buf_adds(&r->line, "{\"id\":");
	jsonw_string(&r->line, key, d->key_len);
	buf_adds(&r->line, ",\"vector\":[");
	for (int c = 0; c < r->dim; c++) {
		if (c)
			buf_addc(&r->line, ',');
		jsonw_float(&r->line, v[c]);
	}
	buf_addc(&r->line, ']');
	if (meta) {
		buf_adds(&r->line, ",\"metadata\":");
		buf_add(&r->line, meta, d->meta_len);
	}
	buf_adds(&r->line, "}\n");
	outbuf_write(&r->out, r->line.data, r->line.len);
}

/* Embeds the gathered documents and writes their vectors, in input order. */
void embed_run_flush(struct embed_run *r)
{
	if (!r->ndocs)
		return;
	const uint32_t **docs = xmalloc(r->ndocs * sizeof *docs);
	size_t *lens = xmalloc(r->ndocs * sizeof *lens);
	for (size_t i = 0; i < r->ndocs; i++) {
		docs[i] = r->ids.v + r->docs[i].ids_off;
		lens[i] = r->docs[i].nids;
	}
	embedder_run(r->emb, docs, lens, r->ndocs, r->vecs);
	embed_run_header(r);
	for (size_t i = 0; i < r->ndocs; i++)
		emit(r, &r->docs[i], r->vecs + i * (size_t)r->dim);
	r->written += r->ndocs;
	r->ndocs = 0;
	r->ids.len = 0;
	buf_clear(&r->strs);
	free(docs);
	free(lens);
}

/* ---- input ---- */

/* The length of the first n characters of text (valid UTF-8). */
static size_t prefix_chars(const char *text, size_t len, uint64_t n)
{
	size_t end = 0;
	uint64_t chars = 0;
	while (end < len) {
		if (((unsigned char)text[end] & 0xC0) != 0x80 && chars++ == n)
			break;
		end++;
	}
	return end;
}

/* Queues the document whose ids are in r->one, with its id and metadata
 * (a JSON object, or NULL; --keep-text's text is set in it). */
void embed_run_add(struct embed_run *r, const char *id, size_t id_len, json_t *meta, const char *text,
                   size_t text_len, const char *name, uint64_t offset)
{
	size_t n = r->one.len;
	for (size_t i = 0; i < n; i++)
		if (r->one.v[i] >= (uint32_t)r->vocab)
			die_at(STATUS_USAGE, name, offset, "token id %u is outside the model's vocabulary of %d",
			       r->one.v[i], r->vocab);
	if (!n) {
		if (!r->skip_empty)
			die_at(STATUS_MALFORMED, name, offset, "an empty document (no tokens); --on-empty skip leaves them out");
		r->skipped++;
		return;
	}
	if (id_len == 0)
		die_at(STATUS_MALFORMED, name, offset, "an empty id");
	if (id_len > REC_MAX_KEY)
		die_at(STATUS_MALFORMED, name, offset, "an id of %zu bytes (at most %u)", id_len, REC_MAX_KEY);
	buf_clear(&r->meta);
	json_t *own = NULL;
	if (r->keep_text >= 0 && text) {
		if (!meta)
			meta = own = json_object();
		json_t *t = json_stringn(text, prefix_chars(text, text_len, (uint64_t)r->keep_text));
		if (!meta || !t || json_object_set_new(meta, "text", t) != 0)
			die(STATUS_FAIL, "out of memory");
	}
	if (meta)
		jsonw_value(&r->meta, meta);
	json_decref(own);
	struct doc *d = &r->docs[r->ndocs++];
	d->ids_off = r->ids.len;
	d->nids = n;
	memcpy(ids_resize(&r->ids, r->ids.len + n) + d->ids_off, r->one.v, n * sizeof *r->one.v);
	d->key_off = r->strs.len;
	d->key_len = id_len;
	buf_add(&r->strs, id, id_len);
	d->meta_off = r->strs.len;
	d->meta_len = r->meta.len;
	buf_add(&r->strs, r->meta.data, r->meta.len);
	r->tokens += n;
	if (r->take && r->written + r->ndocs >= r->take)
		r->done = true;
	if (r->ndocs == r->group || r->done)
		embed_run_flush(r);
}
