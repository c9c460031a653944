/* sign.c - rec-dedup's first stage (sign.h).
 *
 * Each of the -j threads (the caller one of them) takes turns reading a
 * chunk of records, signs it, and hands it to the output in input order:
 * the thread whose chunk is next writes it, and any later ones already
 * signed, so -j N writes the bytes -j 1 writes.  A chunk is read, signed
 * and written by the thread that owns it, so its records and entries stay
 * in that core's cache; when one thread read for workers that signed, each
 * record crossed between cores twice, and signing on two threads took a
 * fifth more CPU than on one. */
#include "dedup/sign.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/jsonw.h"
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
	uint64_t seq; /* its place in the input, in chunks */
	bool free;    /* its owner may read into it */
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

static void sign_chunk(struct chunk *c, struct signer *s)
{
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
	buf_free(&c->data);
	free(c->items);
	free(c->entries);
	free(c->sets);
}

/* Chunks a thread owns: while one waits for its turn to be written, the
 * thread reads and signs the next. */
#define CHUNKS_PER_THREAD 3

/* The threads' shared state.  The input is read by one thread at a time
 * (in_lock); the output is written by one thread at a time (out_lock), in
 * chunk order. */
struct signing {
	const struct sign_opts *o;
	sign_each each;
	void *arg;
	pthread_mutex_t in_lock;
	struct dedup_input *in;
	bool in_done;
	uint64_t next_seq;
	pthread_mutex_t out_lock;
	pthread_cond_t written; /* a chunk was written, and freed */
	struct chunk **waiting; /* signed chunks by seq % nwaiting, until written */
	size_t nwaiting;
	uint64_t next_write;
	uint64_t count;
};

struct signing_thread {
	struct signing *g;
	struct signer *signer;
	struct chunk chunks[CHUNKS_PER_THREAD];
	pthread_t thread;
};

/* Writes a signed chunk's entries in order; dies at one that could not be
 * signed, after those before it (out_lock held). */
static void write_chunk(struct signing *g, struct chunk *c)
{
	size_t words = sig_entry_words(&g->o->p);
	struct dedup_input *in = g->in;
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
		g->each(g->arg, &r);
	}
	g->count += c->bad;
	if (c->bad < c->n) {
		const struct item *it = &c->items[c->bad];
		die_at(STATUS_MALFORMED, it->input, it->at, "record %" PRIu64 ": %s", g->count + 1, c->why);
	}
}

/* One of the thread's chunks to read into, waiting for one to be written
 * if all are signed and waiting their turn. */
static struct chunk *free_chunk(struct signing_thread *t)
{
	struct signing *g = t->g;
	pthread_mutex_lock(&g->out_lock);
	for (;;) {
		for (int i = 0; i < CHUNKS_PER_THREAD; i++)
			if (t->chunks[i].free) {
				t->chunks[i].free = false;
				pthread_mutex_unlock(&g->out_lock);
				return &t->chunks[i];
			}
		pthread_cond_wait(&g->written, &g->out_lock);
	}
}

/* Reads the next chunk of the input into c; false at the end. */
static bool read_chunk(struct signing *g, struct chunk *c)
{
	buf_clear(&c->data);
	c->n = 0;
	pthread_mutex_lock(&g->in_lock);
	struct rec_frame f;
	const char *name;
	while (!g->in_done && c->data.len < CHUNK_BYTES && c->n < CHUNK_RECORDS) {
		if (dedup_input_next(g->in, &f, &name))
			chunk_add(c, &f, name);
		else
			g->in_done = true;
	}
	if (c->n)
		c->seq = g->next_seq++;
	pthread_mutex_unlock(&g->in_lock);
	return c->n > 0;
}

/* Queues a signed chunk, and writes every chunk whose turn has come. */
static void hand_in(struct signing *g, struct chunk *c)
{
	pthread_mutex_lock(&g->out_lock);
	g->waiting[c->seq % g->nwaiting] = c;
	struct chunk *next;
	while ((next = g->waiting[g->next_write % g->nwaiting]) && next->seq == g->next_write) {
		g->waiting[g->next_write % g->nwaiting] = NULL;
		write_chunk(g, next);
		next->free = true;
		g->next_write++;
	}
	pthread_cond_broadcast(&g->written);
	pthread_mutex_unlock(&g->out_lock);
}

static void *sign_thread(void *arg)
{
	struct signing_thread *t = arg;
	for (;;) {
		struct chunk *c = free_chunk(t);
		if (!read_chunk(t->g, c)) {
			c->free = true; /* (no one else looks at it now) */
			return NULL;
		}
		sign_chunk(c, t->signer);
		hand_in(t->g, c);
	}
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
	struct dedup_input in;
	dedup_input_init(&in, n, fds, names, progress);
	dedup_input_hash_elsewhere(&in);
	dedup_input_cut(&in, o->records);
	/* A thread's chunks are at most CHUNKS_PER_THREAD apart in the input
	 * from the next to be written, so this many slots never collide. */
	struct signing g = {.o = o, .each = each, .arg = arg, .in = &in,
	                    .nwaiting = (size_t)threads * CHUNKS_PER_THREAD};
	g.waiting = xcalloc(g.nwaiting, sizeof *g.waiting);
	if (pthread_mutex_init(&g.in_lock, NULL) || pthread_mutex_init(&g.out_lock, NULL) ||
	    pthread_cond_init(&g.written, NULL))
		die(STATUS_FAIL, "cannot create a lock");
	struct signing_thread *ts = xcalloc((size_t)threads, sizeof *ts);
	for (int i = 0; i < threads; i++) {
		signers[i].o = o;
		if (o->p.near)
			signers[i].sig = xmalloc_aligned((size_t)o->p.bands * (size_t)o->p.rows * sizeof *signers[i].sig);
		ts[i].g = &g;
		ts[i].signer = &signers[i];
		for (int k = 0; k < CHUNKS_PER_THREAD; k++)
			ts[i].chunks[k].free = true;
	}
	/* The caller is the last thread. */
	for (int i = 0; i < threads - 1; i++)
		if (pthread_create(&ts[i].thread, NULL, sign_thread, &ts[i]) != 0)
			die(STATUS_FAIL, "cannot start a thread");
	sign_thread(&ts[threads - 1]);
	for (int i = 0; i < threads - 1; i++)
		pthread_join(ts[i].thread, NULL);
	*digest = dedup_input_digest(&in);
	dedup_input_close(&in);
	for (int i = 0; i < threads; i++) {
		for (int k = 0; k < CHUNKS_PER_THREAD; k++)
			chunk_free(&ts[i].chunks[k]);
		free(signers[i].norm);
		free(signers[i].shingles);
		free(signers[i].sig);
		buf_free(&signers[i].value);
	}
	pthread_mutex_destroy(&g.in_lock);
	pthread_mutex_destroy(&g.out_lock);
	pthread_cond_destroy(&g.written);
	free(g.waiting);
	free(ts);
	free(signers);
	return g.count;
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
