/* embedrun.c - lm-embed's documents gathered, embedded and written
 * (embedrun.h). */
#include "model/embedrun.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/die.h"
#include "base/jsonw.h"
#include "base/utf8.h"
#include "formats/jsonid.h"
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

/* ---- documents from the input ---- */

static void need_tokenizer(const struct embed_run *r, const char *what, const char *name, uint64_t offset)
{
	if (!r->have_tok)
		die_at(STATUS_USAGE, name, offset, "%s needs the model's tokenizer: give -t TOKENIZER", what);
}

static void encode(struct embed_run *r, const char *text, size_t len, const char *name, uint64_t offset)
{
	size_t bad;
	char err[256];
	r->one.len = 0;
	if (tok_encode(r->mt.enc, &r->mt.ordinary, text, len, &r->one, &bad, err, sizeof err) < 0)
		die_at(STATUS_MALFORMED, name, offset + bad, "%s", err);
}

/* The document's id: its key, else its number. */
static void default_id(struct embed_run *r, const struct rec_frame *f, uint64_t ordinal)
{
	buf_clear(&r->id);
	if (f->key_len)
		buf_add(&r->id, f->key, f->key_len);
	else
		buf_printf(&r->id, "%" PRIu64, ordinal);
}

static void text_doc(struct embed_run *r, const struct rec_frame *f, uint64_t ordinal, const char *name, uint64_t at)
{
	need_tokenizer(r, "a text record", name, f->offset);
	encode(r, (const char *)f->payload, f->payload_len, name, at);
	default_id(r, f, ordinal);
	embed_run_add(r, r->id.data, r->id.len, NULL, (const char *)f->payload, f->payload_len, name, f->offset);
}

static void tokens_doc(struct embed_run *r, const struct rec_frame *f, uint64_t ordinal, const char *name)
{
	size_t n = rec_tokens_count(f);
	r->one.len = 0;
	rec_tokens_copy(f, ids_resize(&r->one, n));
	default_id(r, f, ordinal);
	const char *text = NULL;
	size_t text_len = 0;
	if (r->keep_text >= 0 && r->have_tok) {
		/* decoded only as far as the tokenizer knows the ids: the range
		 * check in embed_run_add names the record otherwise */
		buf_clear(&r->scratch);
		buf_clear(&r->text);
		size_t bad = n;
		if (tok_decode_bytes(r->mt.tok.bpe, r->one.v, n, &r->scratch, &bad) < 0)
			r->scratch.len = 0;
		utf8_append_replacing(&r->text, (const unsigned char *)r->scratch.data, r->scratch.len);
		text = r->text.data ? r->text.data : "";
		text_len = r->text.len;
	}
	embed_run_add(r, r->id.data, r->id.len, NULL, text, text_len, name, f->offset);
}

/* A JSON row: the text from --text-field, the id from --id-field, and as
 * metadata its "metadata" object, else every other field. */
static void json_doc(struct embed_run *r, const struct rec_frame *f, uint64_t ordinal, const char *name)
{
	json_error_t jerr;
	json_t *row = json_loadb((const char *)f->payload, f->payload_len, JSON_ALLOW_NUL, &jerr);
	if (!row)
		die_at(STATUS_MALFORMED, name, f->offset, "not JSON: %s", jerr.text);
	if (!json_is_object(row))
		die_at(STATUS_MALFORMED, name, f->offset, "a JSON %s, not an object",
		       json_is_array(row) ? "array" : "value");
	const char *field = r->text_field ? r->text_field : "text";
	json_t *text = json_object_get(row, field);
	if (!text && !r->text_field && json_object_get(row, "content"))
		text = json_object_get(row, field = "content");
	if (!text)
		die_at(STATUS_MALFORMED, name, f->offset, "no \"%s\" field for the text (name it with --text-field)", field);
	if (!json_is_string(text) && !json_is_null(text))
		die_at(STATUS_MALFORMED, name, f->offset, "the \"%s\" field is not a string", field);
	const char *s = json_is_string(text) ? json_string_value(text) : "";
	size_t slen = json_is_string(text) ? json_string_length(text) : 0;
	need_tokenizer(r, "a JSON record", name, f->offset);
	encode(r, s, slen, name, f->offset);

	const char *id_field = r->id_field ? r->id_field : "id";
	json_t *id = json_object_get(row, id_field);
	if (id) {
		if (json_id_text(id, &r->id) != 0)
			die_at(STATUS_MALFORMED, name, f->offset,
			       "the \"%s\" field is neither a string nor a non-negative integer", id_field);
	} else {
		default_id(r, f, ordinal);
	}

	/* the row is ours to change: the metadata is its "metadata" object,
	 * else the row itself without the text and the id */
	json_incref(text); /* s lives in it */
	json_t *meta = json_object_get(row, "metadata");
	if (!json_is_object(meta)) {
		json_object_del(row, field);
		json_object_del(row, id_field);
		meta = json_object_size(row) ? row : NULL;
	}
	embed_run_add(r, r->id.data, r->id.len, meta, s, slen, name, f->offset);
	json_decref(text);
	json_decref(row);
}

static bool blank(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	return true;
}

void embed_run_input(struct embed_run *r, const char *path)
{
	struct rec_reader *in = rec_reader_open(path, REC_READ_LINES);
	if (!in)
		die(STATUS_FAIL, "%s:", path);
	const char *name = rec_reader_name(in);
	int json_lines = -1; /* plain lines: JSON when the first starts with '{' */
	uint64_t last = 0;
	struct rec_frame f;
	while (!r->done && rec_next_or_die(in, &f) > 0) {
		if (f.type == REC_HEADER) {
			const char *h = rec_reader_header(in);
			if (h && !r->input_header)
				r->input_header = xstrdup(h);
			continue;
		}
		if (f.type == REC_END)
			continue;
		bool lines = rec_reader_is_lines(in);
		if (lines && json_lines < 0)
			json_lines = f.payload_len && f.payload[0] == '{';
		if (lines && json_lines && blank(f.payload, f.payload_len))
			continue;
		uint64_t ordinal = r->ordinal++;
		/* where a text's bytes start, for the offset of a bad one */
		uint64_t at = lines ? f.offset : f.offset + REC_FRAME_HEAD + rec_pad8(f.key_len);
		if (f.type == REC_TEXT && lines && json_lines)
			json_doc(r, &f, ordinal, name);
		else if (f.type == REC_TEXT)
			text_doc(r, &f, ordinal, name, at);
		else if (f.type == REC_JSON)
			json_doc(r, &f, ordinal, name);
		else if (f.type == REC_TOKENS)
			tokens_doc(r, &f, ordinal, name);
		else
			die_at(STATUS_MALFORMED, name, f.offset, "a %s record: lm-embed reads text, JSON or token records",
			       rec_type_name(f.type));
		uint64_t now = rec_reader_offset(in);
		progress_add(&r->progress, now - last, 1);
		last = now;
	}
	rec_reader_close(in);
}

void embed_run_texts(struct embed_run *r, char **texts, int n)
{
	for (int i = 0; i < n && !r->done; i++) {
		struct rec_frame f = {.type = REC_TEXT, .payload = (const unsigned char *)texts[i],
		                      .payload_len = strlen(texts[i])};
		text_doc(r, &f, r->ordinal++, "--text", 0);
	}
}
