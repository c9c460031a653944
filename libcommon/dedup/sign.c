/* sign.c - rec-dedup's first stage (sign.h).
 *
 * The reading thread batches records into chunks; an ordered pool signs
 * them on the worker threads, and the reading thread writes each finished
 * chunk's entries in input order, so -j N writes the bytes -j 1 writes. */
#include "dedup/sign.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/jsonw.h"
#include "base/ordpool.h"
#include "dedup/records.h"

/* Records are signed in chunks of about this much text (see recfilter.c). */
#define CHUNK_BYTES (1u << 18)
#define CHUNK_RECORDS 4096
/* How many records ahead signed_record.ahead points: about as many cache
 * misses as a core keeps in flight. */
#define LOOKAHEAD 8

struct item {
	int type;
	size_t key_off, key_len, payload_off, payload_len;
	const char *input;
	uint64_t at;
	size_t set_off, set_len; /* in the chunk's sets */
	uint64_t hash;           /* for the input's digest (records.h) */
};

struct chunk {
	struct buf data;
	struct item *items;
	size_t n, cap;
	uint64_t *entries; /* n * E words */
	size_t entries_cap;
	uint64_t *sets;
	size_t sets_len, sets_cap;
	size_t bad; /* the first record that could not be signed, or n */
	char why[256];
};

/* One worker's scratch, alone on its cache lines (see sign_records). */
struct signer {
	_Alignas(64) const struct sign_opts *o;
	char *norm;
	size_t norm_cap;
	uint64_t *shingles;
	size_t shingles_cap;
	uint64_t *sig;
	struct buf value; /* a --by field's JSON text */
};

static void normalize_into(struct signer *s, const char *text, size_t len, size_t *out_len)
{
	size_t need = normalize_bound(len);
	if (need > s->norm_cap) {
		s->norm_cap = need + need / 2;
		s->norm = xrealloc(s->norm, s->norm_cap);
	}
	*out_len = normalize(s->o->p.mode, text, len, s->norm);
}

static void exact_key(const char *p, size_t len, uint64_t *entry)
{
	XXH128_hash_t h = XXH3_128bits(p, len);
	entry[0] = h.high64;
	entry[1] = h.low64;
}

/* The exact key of --by's field: a string normalised as texts are, any
 * other value (null for a missing field) as its JSON text. */
static void by_key(struct signer *s, json_t *row, uint64_t *entry)
{
	json_t *v = row ? json_object_get(row, s->o->by) : NULL;
	if (json_is_string(v)) {
		size_t n;
		normalize_into(s, json_string_value(v), json_string_length(v), &n);
		exact_key(s->norm, n, entry);
		return;
	}
	buf_clear(&s->value);
	if (v)
		jsonw_value(&s->value, v);
	else
		buf_adds(&s->value, "null");
	exact_key(s->value.data, s->value.len, entry);
}

static void push_set(struct chunk *c, const uint64_t *h, size_t n)
{
	if (c->sets_len + n > c->sets_cap) {
		c->sets_cap = (c->sets_len + n) * 2;
		c->sets = xrealloc(c->sets, c->sets_cap * sizeof *c->sets);
	}
	memcpy(c->sets + c->sets_len, h, n * sizeof *h);
	c->sets_len += n;
}

static int sign_one(struct signer *s, struct chunk *c, struct item *it, uint64_t *entry)
{
	const struct sign_opts *o = s->o;
	const char *text;
	size_t text_len, norm_len;
	json_t *row;
	it->hash = dedup_record_hash(it->type, it->key_len ? c->data.data + it->key_off : "", it->key_len,
	                             it->payload_len ? c->data.data + it->payload_off : "", it->payload_len);
	if (dedup_record_text(it->type, c->data.data + it->payload_off, it->payload_len, o->field, &text, &text_len,
	                      &row, c->why, sizeof c->why) < 0)
		return -1;
	normalize_into(s, text, text_len, &norm_len);
	int64_t eval = o->eval ? decontam_match(o->eval, s->norm, norm_len) : -1;
	entry[2] = eval < 0 ? SIG_CLEAN : (uint64_t)eval;
	it->set_off = c->sets_len;
	it->set_len = 0;
	if (o->p.near) {
		memset(entry + SIG_ENTRY_HEAD, 0, (size_t)o->p.bands * sizeof *entry);
		if (eval < 0) {
			size_t n = minhash_shingles(o->p.ngram, s->norm, norm_len, &s->shingles, &s->shingles_cap);
			minhash_signature(o->minhash, s->shingles, n, s->sig);
			minhash_band_keys(o->minhash, s->sig, entry + SIG_ENTRY_HEAD);
			if (o->p.sets) {
				it->set_len = minhash_set(s->shingles, n);
				push_set(c, s->shingles, it->set_len);
			}
		}
	}
	/* Last: by_key reuses the normalisation buffer. */
	if (o->by)
		by_key(s, row, entry);
	else
		exact_key(s->norm, norm_len, entry);
	json_decref(row);
	return 0;
}

static void sign_chunk(void *arg, void *state)
{
	struct chunk *c = arg;
	struct signer *s = state;
	size_t words = sig_entry_words(&s->o->p);
	if (c->n * words > c->entries_cap) {
		c->entries_cap = c->n * words;
		c->entries = xrealloc(c->entries, c->entries_cap * sizeof *c->entries);
	}
	c->sets_len = 0;
	c->bad = c->n;
	for (size_t i = 0; i < c->n; i++) {
		if (sign_one(s, c, &c->items[i], c->entries + i * words) < 0) {
			c->bad = i;
			return;
		}
	}
}

static void chunk_add(struct chunk *c, const struct rec_frame *f, const char *input)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		c->items = xrealloc(c->items, c->cap * sizeof *c->items);
	}
	struct item *it = &c->items[c->n++];
	*it = (struct item){.type = f->type, .input = input, .at = f->offset};
	it->key_off = c->data.len;
	it->key_len = f->key ? f->key_len : 0;
	buf_add(&c->data, f->key, it->key_len);
	it->payload_off = c->data.len;
	it->payload_len = f->payload_len;
	buf_add(&c->data, f->payload, f->payload_len);
}

static void chunk_free(struct chunk *c)
{
	if (!c)
		return;
	buf_free(&c->data);
	free(c->items);
	free(c->entries);
	free(c->sets);
	free(c);
}

/* Writes a signed chunk's entries in order; dies at one that could not be
 * signed, after those before it. */
static void emit_chunk(const struct sign_opts *o, struct chunk *c, struct dedup_input *in, sign_each each,
                       void *arg, uint64_t *count)
{
	size_t words = sig_entry_words(&o->p);
	for (size_t i = 0; i < c->bad; i++) {
		const struct item *it = &c->items[i];
		dedup_input_add_hash(in, it->hash);
		struct signed_record r = {
			.entry = c->entries + i * words,
			.type = it->type,
			/* (Empty pieces point at "": the buffers may be NULL.) */
			.key = it->key_len ? c->data.data + it->key_off : "",
			.key_len = it->key_len,
			.payload = it->payload_len ? c->data.data + it->payload_off : "",
			.payload_len = it->payload_len,
			.set = it->set_len ? c->sets + it->set_off : NULL,
			.nset = it->set_len,
			.input_header = in->header,
			.kind = in->kind,
			.ahead = i + LOOKAHEAD < c->bad ? c->entries + (i + LOOKAHEAD) * words : NULL,
		};
		each(arg, &r);
	}
	*count += c->bad;
	if (c->bad < c->n) {
		const struct item *it = &c->items[c->bad];
		die_at(STATUS_MALFORMED, it->input, it->at, "record %" PRIu64 ": %s", *count + 1, c->why);
	}
	buf_clear(&c->data);
	c->n = 0;
}

uint64_t sign_records(const struct sign_opts *o, int n, const int *fds, char **names, struct progress *progress,
                      sign_each each, void *arg, uint64_t *digest)
{
	int threads = o->threads > 0 ? o->threads : 1;
	/* Each thread's scratch on cache lines of its own: the signature is
	 * rewritten for every shingle, and a line it shared with another
	 * thread's would bounce between their cores (it made signing on two
	 * threads spend half as much time again as on one). */
	struct signer *signers = xmalloc_aligned((size_t)threads * sizeof *signers);
	memset(signers, 0, (size_t)threads * sizeof *signers);
	void **states = xcalloc((size_t)threads, sizeof *states);
	for (int i = 0; i < threads; i++) {
		signers[i].o = o;
		if (o->p.near)
			signers[i].sig = xmalloc_aligned((size_t)o->p.bands * (size_t)o->p.rows * sizeof *signers[i].sig);
		states[i] = &signers[i];
	}
	struct ordpool *pool = ordpool_new(threads, (size_t)threads * 4, sign_chunk, states);
	struct chunk *c = xcalloc(1, sizeof *c);
	struct dedup_input in;
	dedup_input_init(&in, n, fds, names, progress);
	dedup_input_hash_elsewhere(&in);
	dedup_input_cut(&in, o->records);
	struct rec_frame f;
	const char *name;
	uint64_t count = 0;
	for (;;) {
		int more = dedup_input_next(&in, &f, &name);
		if (more)
			chunk_add(c, &f, name);
		if (c->n && (!more || c->data.len >= CHUNK_BYTES || c->n >= CHUNK_RECORDS)) {
			struct chunk *done = ordpool_submit(pool, c);
			c = done ? done : xcalloc(1, sizeof *c);
			if (done)
				emit_chunk(o, done, &in, each, arg, &count);
		}
		if (!more)
			break;
	}
	struct chunk *done;
	while ((done = ordpool_drain(pool))) {
		emit_chunk(o, done, &in, each, arg, &count);
		chunk_free(done);
	}
	chunk_free(c);
	ordpool_free(pool);
	*digest = dedup_input_digest(&in);
	dedup_input_close(&in);
	for (int i = 0; i < threads; i++) {
		free(signers[i].norm);
		free(signers[i].shingles);
		free(signers[i].sig);
		buf_free(&signers[i].value);
	}
	free(signers);
	free(states);
	return count;
}

static void add_to_sig(void *arg, const struct signed_record *r)
{
	sig_writer_add(arg, r->entry, r->key, r->key_len, r->set, r->nset);
}

uint64_t sign_inputs(const struct sign_opts *o, int n, const int *fds, char **names, int fd_out,
                     const char *out_name, struct progress *progress)
{
	struct sig_writer *w = sig_writer_new(fd_out, out_name, &o->p, o->tmpdir);
	uint64_t digest;
	uint64_t count = sign_records(o, n, fds, names, progress, add_to_sig, w, &digest);
	sig_writer_finish(w, digest);
	return count;
}
