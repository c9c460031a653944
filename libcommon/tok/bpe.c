/* bpe.c - byte-level BPE model and piece encoder (see bpe.h). */
#include "tok/bpe.h"

#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <xxhash.h>

#include "base/buf.h"
#include "base/die.h"

void ids_push(struct ids *a, uint32_t id)
{
	if (a->len == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->v = xrealloc(a->v, a->cap * sizeof *a->v);
	}
	a->v[a->len++] = id;
}

uint32_t *ids_resize(struct ids *a, size_t n)
{
	if (n > a->cap || !a->v) { /* never NULL, even for none: memcpy wants a pointer */
		a->cap = n > 2 * a->cap ? n : 2 * a->cap;
		if (!a->cap)
			a->cap = 64;
		a->v = xrealloc(a->v, a->cap * sizeof *a->v);
	}
	a->len = n;
	return a->v;
}

void ids_free(struct ids *a)
{
	free(a->v);
	a->v = NULL;
	a->len = a->cap = 0;
}

enum { KIND_NONE, KIND_ORDINARY, KIND_SPECIAL };

struct pair_slot {
	uint64_t key; /* left << 32 | right; PAIR_EMPTY when free */
	uint32_t rank, result;
};
#define PAIR_EMPTY UINT64_MAX

struct bpe {
	/* Per id: where its bytes are in blob, and what it is. */
	uint64_t *off;
	uint32_t *len;
	uint8_t *kind;
	size_t id_cap;
	uint32_t vocab_size; /* largest id + 1 */
	struct buf blob;
	size_t n_ordinary;

	/* bytes -> id, open addressing; a slot holds the high half of the
	 * bytes' hash above the id, so that a probe rarely touches the bytes
	 * themselves (MAP_FREE is free).  One table for ordinary tokens and
	 * one for specials. */
	uint64_t *tok_map, *spec_map;
	size_t tok_mask, spec_mask;

	uint32_t *specials; /* ids in the order added */
	size_t n_specials;
	bool special_first_byte[256];

	struct pair_slot *pairs;
	size_t pair_mask, n_pairs;

	uint32_t byte_id[256];
	bool whole_piece;
};

static uint64_t hash_bytes(const void *p, size_t n) { return XXH3_64bits(p, n); }

static size_t pair_hash(uint64_t key)
{
	key ^= key >> 29;
	key *= 0xbf58476d1ce4e5b9ull;
	key ^= key >> 32;
	return (size_t)key;
}

static uint64_t *map_alloc(size_t cap)
{
	uint64_t *map = xmalloc(cap * sizeof *map);
	memset(map, 0xff, cap * sizeof *map);
	return map;
}

struct bpe *bpe_new(void)
{
	struct bpe *m = xcalloc(1, sizeof *m);
	m->tok_mask = 1023;
	m->tok_map = map_alloc(m->tok_mask + 1);
	m->spec_mask = 15;
	m->spec_map = map_alloc(m->spec_mask + 1);
	m->pair_mask = 1023;
	m->pairs = xmalloc((m->pair_mask + 1) * sizeof *m->pairs);
	for (size_t i = 0; i <= m->pair_mask; i++)
		m->pairs[i].key = PAIR_EMPTY;
	for (int b = 0; b < 256; b++)
		m->byte_id[b] = BPE_NO_ID;
	return m;
}

void bpe_free(struct bpe *m)
{
	if (!m)
		return;
	free(m->off);
	free(m->len);
	free(m->kind);
	buf_free(&m->blob);
	free(m->tok_map);
	free(m->spec_map);
	free(m->specials);
	free(m->pairs);
	free(m);
}

static const uint8_t *bytes_of(const struct bpe *m, uint32_t id)
{
	return (const uint8_t *)m->blob.data + m->off[id];
}

/* Slot of bytes in a map: where its id is, or the free slot it would take. */
#define MAP_FREE UINT64_MAX
static inline uint32_t slot_id(uint64_t e) { return (uint32_t)e; }
static inline uint64_t slot_entry(uint64_t h, uint32_t id) { return (h >> 32) << 32 | id; }

static size_t map_slot(const struct bpe *m, const uint64_t *map, size_t mask,
                       const void *bytes, size_t n, uint64_t h)
{
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		uint64_t e = map[i];
		if (e == MAP_FREE)
			return i;
		uint32_t id = slot_id(e);
		if (e >> 32 == h >> 32 && m->len[id] == n && memcmp(bytes_of(m, id), bytes, n) == 0)
			return i;
	}
}

static void map_grow(struct bpe *m, uint64_t **map, size_t *mask)
{
	size_t old = *mask + 1, cap = old * 2;
	uint64_t *fresh = map_alloc(cap);
	for (size_t i = 0; i < old; i++) {
		uint64_t e = (*map)[i];
		if (e == MAP_FREE)
			continue;
		uint32_t id = slot_id(e);
		uint64_t h = hash_bytes(bytes_of(m, id), m->len[id]);
		size_t j = (size_t)h & (cap - 1);
		while (fresh[j] != MAP_FREE)
			j = (j + 1) & (cap - 1);
		fresh[j] = e;
	}
	free(*map);
	*map = fresh;
	*mask = cap - 1;
}

static int add_id(struct bpe *m, const void *bytes, size_t n, uint32_t id, int kind)
{
	if (id == BPE_NO_ID || n == 0 || n > UINT32_MAX)
		return -1;
	if (id >= m->id_cap) {
		size_t cap = m->id_cap ? m->id_cap : 1024;
		while (cap <= id)
			cap *= 2;
		m->off = xrealloc(m->off, cap * sizeof *m->off);
		m->len = xrealloc(m->len, cap * sizeof *m->len);
		m->kind = xrealloc(m->kind, cap);
		memset(m->kind + m->id_cap, KIND_NONE, cap - m->id_cap);
		m->id_cap = cap;
	}
	if (m->kind[id] != KIND_NONE)
		return -1;
	uint64_t **map = kind == KIND_SPECIAL ? &m->spec_map : &m->tok_map;
	size_t *mask = kind == KIND_SPECIAL ? &m->spec_mask : &m->tok_mask;
	uint64_t h = hash_bytes(bytes, n);
	size_t slot = map_slot(m, *map, *mask, bytes, n, h);
	if ((*map)[slot] != MAP_FREE)
		return -1;
	m->off[id] = m->blob.len;
	m->len[id] = (uint32_t)n;
	m->kind[id] = (uint8_t)kind;
	buf_add(&m->blob, bytes, n);
	(*map)[slot] = slot_entry(h, id);
	if (id >= m->vocab_size)
		m->vocab_size = id + 1;
	size_t count = kind == KIND_SPECIAL ? m->n_specials + 1 : ++m->n_ordinary;
	if (count * 2 > *mask + 1)
		map_grow(m, map, mask);
	return 0;
}

int bpe_add_token(struct bpe *m, const void *bytes, size_t len, uint32_t id)
{
	if (add_id(m, bytes, len, id, KIND_ORDINARY) < 0)
		return -1;
	if (len == 1)
		m->byte_id[*(const uint8_t *)bytes] = id;
	return 0;
}

int bpe_add_special(struct bpe *m, const char *text, size_t len, uint32_t id)
{
	if (add_id(m, text, len, id, KIND_SPECIAL) < 0)
		return -1;
	m->specials = xrealloc(m->specials, (m->n_specials + 1) * sizeof *m->specials);
	m->specials[m->n_specials++] = id;
	m->special_first_byte[(uint8_t)text[0]] = true;
	return 0;
}

static struct pair_slot *pair_find(const struct bpe *m, uint64_t key)
{
	for (size_t i = pair_hash(key) & m->pair_mask;; i = (i + 1) & m->pair_mask)
		if (m->pairs[i].key == key || m->pairs[i].key == PAIR_EMPTY)
			return &m->pairs[i];
}

int bpe_add_merge(struct bpe *m, uint32_t left, uint32_t right, uint32_t rank, uint32_t result)
{
	uint64_t key = (uint64_t)left << 32 | right;
	if (key == PAIR_EMPTY)
		return -1;
	struct pair_slot *s = pair_find(m, key);
	if (s->key == key)
		return -1;
	*s = (struct pair_slot){key, rank, result};
	if (++m->n_pairs * 2 > m->pair_mask + 1) {
		size_t old = m->pair_mask + 1;
		struct pair_slot *prev = m->pairs;
		m->pair_mask = old * 2 - 1;
		m->pairs = xmalloc(old * 2 * sizeof *m->pairs);
		for (size_t i = 0; i < old * 2; i++)
			m->pairs[i].key = PAIR_EMPTY;
		for (size_t i = 0; i < old; i++)
			if (prev[i].key != PAIR_EMPTY)
				*pair_find(m, prev[i].key) = prev[i];
		free(prev);
	}
	return 0;
}

void bpe_derive_merges(struct bpe *m)
{
	for (uint32_t id = 0; id < m->vocab_size; id++) {
		if (m->kind[id] != KIND_ORDINARY || m->len[id] < 2)
			continue;
		const uint8_t *t = bytes_of(m, id);
		size_t n = m->len[id];
		for (size_t k = 1; k < n; k++) {
			uint32_t l = bpe_lookup(m, t, k), r = bpe_lookup(m, t + k, n - k);
			if (l != BPE_NO_ID && r != BPE_NO_ID)
				bpe_add_merge(m, l, r, id, id);
		}
	}
}

void bpe_set_whole_piece(struct bpe *m, bool on) { m->whole_piece = on; }

int bpe_finish(struct bpe *m, char *err, size_t errn)
{
	for (int b = 0; b < 256; b++)
		if (m->byte_id[b] == BPE_NO_ID)
			return errorf(err, errn, "the vocabulary has no token for the byte 0x%02x", b);
	for (size_t i = 0; i <= m->pair_mask; i++) {
		const struct pair_slot *s = &m->pairs[i];
		if (s->key == PAIR_EMPTY)
			continue;
		uint32_t l = (uint32_t)(s->key >> 32), r = (uint32_t)s->key;
		bool ok = l < m->vocab_size && r < m->vocab_size && s->result < m->vocab_size &&
		          m->kind[l] == KIND_ORDINARY && m->kind[r] == KIND_ORDINARY &&
		          m->kind[s->result] == KIND_ORDINARY &&
		          m->len[s->result] == (uint64_t)m->len[l] + m->len[r] &&
		          memcmp(bytes_of(m, s->result), bytes_of(m, l), m->len[l]) == 0 &&
		          memcmp(bytes_of(m, s->result) + m->len[l], bytes_of(m, r), m->len[r]) == 0;
		if (!ok)
			return errorf(err, errn, "the merge of tokens %u and %u does not give the token %u", l, r, s->result);
	}
	return 0;
}

uint32_t bpe_vocab_size(const struct bpe *m) { return m->vocab_size; }
size_t bpe_token_count(const struct bpe *m) { return m->n_ordinary; }

const uint8_t *bpe_token_bytes(const struct bpe *m, uint32_t id, size_t *len)
{
	if (id >= m->vocab_size || m->kind[id] == KIND_NONE)
		return NULL;
	*len = m->len[id];
	return bytes_of(m, id);
}

uint32_t bpe_lookup(const struct bpe *m, const void *bytes, size_t len)
{
	return slot_id(m->tok_map[map_slot(m, m->tok_map, m->tok_mask, bytes, len, hash_bytes(bytes, len))]);
}

uint32_t bpe_special_lookup(const struct bpe *m, const char *text, size_t len)
{
	return slot_id(m->spec_map[map_slot(m, m->spec_map, m->spec_mask, text, len, hash_bytes(text, len))]);
}

size_t bpe_special_count(const struct bpe *m) { return m->n_specials; }

const char *bpe_special_at(const struct bpe *m, size_t i, size_t *len, uint32_t *id)
{
	*id = m->specials[i];
	*len = m->len[*id];
	return (const char *)bytes_of(m, *id);
}

long bpe_find_special(const struct bpe *m, const char *text, size_t len, size_t pos,
                      const bool *allowed, size_t *index)
{
	if (m->n_specials == 0)
		return -1;
	for (size_t i = pos; i < len; i++) {
		if (!m->special_first_byte[(uint8_t)text[i]])
			continue;
		/* The longest special that starts here wins, as in tiktoken's
		 * regex of alternatives ordered by nothing in particular: none
		 * of the known sets has one special a prefix of another. */
		long best = -1;
		size_t best_len = 0;
		for (size_t s = 0; s < m->n_specials; s++) {
			uint32_t id = m->specials[s];
			size_t n = m->len[id];
			if ((allowed && !allowed[s]) || n > len - i || n <= best_len)
				continue;
			if (memcmp(text + i, bytes_of(m, id), n) == 0)
				best = (long)s, best_len = n;
		}
		if (best >= 0) {
			*index = (size_t)best;
			return (long)i;
		}
	}
	return -1;
}

uint64_t bpe_hash(const struct bpe *m)
{
	XXH3_state_t *st = XXH3_createState();
	if (!st)
		die(STATUS_FAIL, "out of memory");
	XXH3_64bits_reset(st);
	for (uint32_t id = 0; id < m->vocab_size; id++) {
		uint32_t head[3] = {id, m->kind[id], m->kind[id] ? m->len[id] : 0};
		XXH3_64bits_update(st, head, sizeof head);
		if (m->kind[id])
			XXH3_64bits_update(st, bytes_of(m, id), m->len[id]);
	}
	/* The merges in no particular order: a sum of their hashes, which
	 * the table's layout does not change. */
	uint64_t merges = 0;
	for (size_t i = 0; i <= m->pair_mask; i++)
		if (m->pairs[i].key != PAIR_EMPTY) {
			uint64_t rec[2] = {m->pairs[i].key, (uint64_t)m->pairs[i].rank << 32 | m->pairs[i].result};
			merges += XXH3_64bits(rec, sizeof rec);
		}
	XXH3_64bits_update(st, &merges, sizeof merges);
	uint8_t whole = m->whole_piece;
	XXH3_64bits_update(st, &whole, 1);
	uint64_t h = XXH3_64bits_digest(st);
	XXH3_freeState(st);
	return h;
}

/* ---- encoding ---- */

/* Pieces up to this long are cached per worker, with up to CACHE_IDS ids. */
#define CACHE_KEY 30
#define CACHE_IDS 8
#define CACHE_SLOTS (1u << 14)
/* Below this a quadratic scan for the best pair beats a heap. */
#define SMALL_PIECE 64

struct cache_entry {
	uint64_t hash;
	uint8_t len, nids;
	uint8_t key[CACHE_KEY];
	uint32_t ids[CACHE_IDS];
};

struct cand {
	uint32_t pos, left, right;
};

struct bucket {
	uint32_t rank, slot;
	struct cand *run; /* ascending pos, read from cursor */
	size_t run_len, run_cap, cursor;
	struct cand *late; /* min-heap by pos */
	size_t late_len, late_cap;
};

struct mergeq {
	struct bucket *b;
	size_t nb, b_cap;
	uint32_t *slots; /* rank hash -> bucket index + 1 (0 free) */
	size_t slot_mask;
	uint32_t *ranks; /* min-heap of non-empty buckets by rank */
	size_t nranks, ranks_cap;
};

struct bpe_worker {
	const struct bpe *m;
	struct cache_entry *cache;
	/* Scratch, grown to the longest piece seen. */
	size_t cap;
	uint32_t *sym, *rank, *result;
	int32_t *prev, *next;
	struct mergeq queue;
};

static void mergeq_free(struct mergeq *q)
{
	for (size_t i = 0; i < q->b_cap; i++) {
		free(q->b[i].run);
		free(q->b[i].late);
	}
	free(q->b);
	free(q->slots);
	free(q->ranks);
}

struct bpe_worker *bpe_worker_new(const struct bpe *m)
{
	struct bpe_worker *w = xcalloc(1, sizeof *w);
	w->m = m;
	w->cache = xcalloc(CACHE_SLOTS, sizeof *w->cache);
	return w;
}

void bpe_worker_free(struct bpe_worker *w)
{
	if (!w)
		return;
	free(w->cache);
	free(w->sym);
	free(w->rank);
	free(w->result);
	free(w->prev);
	free(w->next);
	mergeq_free(&w->queue);
	free(w);
}

static void reserve(struct bpe_worker *w, size_t n)
{
	if (n <= w->cap)
		return;
	size_t cap = w->cap ? w->cap : 256;
	while (cap < n)
		cap *= 2;
	w->sym = xrealloc(w->sym, cap * sizeof *w->sym);
	w->rank = xrealloc(w->rank, cap * sizeof *w->rank);
	w->result = xrealloc(w->result, cap * sizeof *w->result);
	w->prev = xrealloc(w->prev, cap * sizeof *w->prev);
	w->next = xrealloc(w->next, cap * sizeof *w->next);
	w->cap = cap;
}

static inline uint32_t pair_rank(const struct bpe *m, uint32_t l, uint32_t r, uint32_t *result)
{
	const struct pair_slot *s = pair_find(m, (uint64_t)l << 32 | r);
	if (s->key == PAIR_EMPTY)
		return UINT32_MAX;
	*result = s->result;
	return s->rank;
}

/* Short pieces: find the best pair by scanning, merge, repeat. */
static size_t merge_small(struct bpe_worker *w, const uint8_t *p, size_t n)
{
	const struct bpe *m = w->m;
	uint32_t *sym = w->sym, *rank = w->rank, *res = w->result;
	for (size_t i = 0; i < n; i++)
		sym[i] = m->byte_id[p[i]];
	for (size_t i = 0; i + 1 < n; i++)
		rank[i] = pair_rank(m, sym[i], sym[i + 1], &res[i]);
	size_t count = n;
	while (count > 1) {
		uint32_t best = UINT32_MAX;
		size_t at = 0;
		for (size_t i = 0; i + 1 < count; i++)
			if (rank[i] < best)
				best = rank[i], at = i;
		if (best == UINT32_MAX)
			break;
		sym[at] = res[at];
		/* Symbol at+1 and pair at go; pairs at-1 and at are new. */
		memmove(sym + at + 1, sym + at + 2, (count - at - 2) * sizeof *sym);
		memmove(rank + at, rank + at + 1, (count - at - 2) * sizeof *rank);
		memmove(res + at, res + at + 1, (count - at - 2) * sizeof *res);
		count--;
		if (at + 1 < count)
			rank[at] = pair_rank(m, sym[at], sym[at + 1], &res[at]);
		if (at > 0)
			rank[at - 1] = pair_rank(m, sym[at - 1], sym[at], &res[at - 1]);
	}
	return count;
}

/* Long pieces: the same merges in O(n log n) at worst, with the symbols in
 * a linked list and the candidate pairs in a queue by (rank, position).  A
 * popped pair is stale when either symbol has changed since it was queued;
 * a symbol only changes by growing, so equal ids mean an unchanged pair.
 *
 * The queue is a bucket per rank.  Merging the pairs of one rank, left to
 * right, never makes a pair of that same rank (it would be longer), so the
 * pairs of a rank mostly arrive in position order: a bucket keeps them in
 * an array read from a cursor, with a small heap for the few that arrive
 * out of order, and a heap over the ranks picks the lowest.  One run of a
 * character a megabyte long then costs array appends, not heap sifts. */
static void mergeq_reset(struct mergeq *q)
{
	for (size_t i = 0; i < q->nb; i++) {
		q->slots[q->b[i].slot] = 0;
		q->b[i].run_len = q->b[i].cursor = q->b[i].late_len = 0;
	}
	q->nb = q->nranks = 0;
}

static size_t rank_slot(const struct mergeq *q, uint32_t rank)
{
	size_t i = (size_t)(rank * 0x9E3779B1u) & q->slot_mask;
	while (q->slots[i] && q->b[q->slots[i] - 1].rank != rank)
		i = (i + 1) & q->slot_mask;
	return i;
}

static struct bucket *bucket_for(struct mergeq *q, uint32_t rank, uint32_t *index)
{
	if ((q->nb + 1) * 2 > q->slot_mask + 1 || !q->slots) {
		size_t cap = q->slots ? (q->slot_mask + 1) * 2 : 256;
		free(q->slots);
		q->slots = xcalloc(cap, sizeof *q->slots);
		q->slot_mask = cap - 1;
		for (size_t i = 0; i < q->nb; i++) {
			size_t s = rank_slot(q, q->b[i].rank);
			q->slots[s] = (uint32_t)i + 1;
			q->b[i].slot = (uint32_t)s;
		}
	}
	size_t s = rank_slot(q, rank);
	if (!q->slots[s]) {
		if (q->nb == q->b_cap) {
			size_t cap = q->b_cap ? q->b_cap * 2 : 64;
			q->b = xrealloc(q->b, cap * sizeof *q->b);
			memset(q->b + q->b_cap, 0, (cap - q->b_cap) * sizeof *q->b);
			q->b_cap = cap;
		}
		struct bucket *nb = &q->b[q->nb];
		nb->rank = rank;
		nb->slot = (uint32_t)s;
		q->slots[s] = (uint32_t)++q->nb;
	}
	*index = q->slots[s] - 1;
	return &q->b[*index];
}

static bool bucket_empty(const struct bucket *b) { return b->cursor == b->run_len && b->late_len == 0; }

static void ranks_push(struct mergeq *q, uint32_t index)
{
	if (q->nranks == q->ranks_cap) {
		q->ranks_cap = q->ranks_cap ? q->ranks_cap * 2 : 64;
		q->ranks = xrealloc(q->ranks, q->ranks_cap * sizeof *q->ranks);
	}
	size_t i = q->nranks++;
	uint32_t rank = q->b[index].rank;
	while (i > 0 && q->b[q->ranks[(i - 1) / 2]].rank > rank) {
		q->ranks[i] = q->ranks[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	q->ranks[i] = index;
}

static void ranks_pop(struct mergeq *q)
{
	uint32_t last = q->ranks[--q->nranks];
	size_t i = 0, n = q->nranks;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && q->b[q->ranks[c + 1]].rank < q->b[q->ranks[c]].rank)
			c++;
		if (q->b[q->ranks[c]].rank >= q->b[last].rank)
			break;
		q->ranks[i] = q->ranks[c];
		i = c;
	}
	if (n)
		q->ranks[i] = last;
}

static void mergeq_push(struct mergeq *q, uint32_t rank, struct cand c)
{
	uint32_t index;
	struct bucket *b = bucket_for(q, rank, &index);
	if (bucket_empty(b)) {
		b->run_len = b->cursor = 0;
		ranks_push(q, index);
	}
	if (b->run_len == b->cursor || c.pos > b->run[b->run_len - 1].pos) {
		if (b->run_len == b->run_cap) {
			b->run_cap = b->run_cap ? b->run_cap * 2 : 16;
			b->run = xrealloc(b->run, b->run_cap * sizeof *b->run);
		}
		b->run[b->run_len++] = c;
		return;
	}
	if (b->late_len == b->late_cap) {
		b->late_cap = b->late_cap ? b->late_cap * 2 : 16;
		b->late = xrealloc(b->late, b->late_cap * sizeof *b->late);
	}
	size_t i = b->late_len++;
	while (i > 0 && b->late[(i - 1) / 2].pos > c.pos) {
		b->late[i] = b->late[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	b->late[i] = c;
}

/* The lowest (rank, position) candidate; the queue must not be empty. */
static struct cand mergeq_pop(struct mergeq *q)
{
	struct bucket *b = &q->b[q->ranks[0]];
	struct cand out;
	if (b->late_len == 0 || (b->cursor < b->run_len && b->run[b->cursor].pos < b->late[0].pos)) {
		out = b->run[b->cursor++];
	} else {
		out = b->late[0];
		struct cand last = b->late[--b->late_len];
		size_t i = 0, n = b->late_len;
		for (;;) {
			size_t c = 2 * i + 1;
			if (c >= n)
				break;
			if (c + 1 < n && b->late[c + 1].pos < b->late[c].pos)
				c++;
			if (b->late[c].pos >= last.pos)
				break;
			b->late[i] = b->late[c];
			i = c;
		}
		if (n)
			b->late[i] = last;
	}
	if (bucket_empty(b))
		ranks_pop(q);
	return out;
}

static void queue_pair(struct bpe_worker *w, int32_t i)
{
	int32_t j = w->next[i];
	if (j < 0)
		return;
	uint32_t result;
	uint32_t r = pair_rank(w->m, w->sym[i], w->sym[j], &result);
	if (r != UINT32_MAX)
		mergeq_push(&w->queue, r, (struct cand){(uint32_t)i, w->sym[i], w->sym[j]});
}

static void merge_long(struct bpe_worker *w, const uint8_t *p, size_t n, struct ids *out)
{
	const struct bpe *m = w->m;
	for (size_t i = 0; i < n; i++) {
		w->sym[i] = m->byte_id[p[i]];
		w->prev[i] = (int32_t)i - 1;
		w->next[i] = i + 1 < n ? (int32_t)i + 1 : -1;
	}
	mergeq_reset(&w->queue);
	for (size_t i = 0; i + 1 < n; i++)
		queue_pair(w, (int32_t)i);
	while (w->queue.nranks) {
		struct cand c = mergeq_pop(&w->queue);
		int32_t i = (int32_t)c.pos, j = w->next[i];
		if (w->sym[i] != c.left || j < 0 || w->sym[j] != c.right)
			continue; /* stale, or i itself was merged away */
		uint32_t result = BPE_NO_ID;
		pair_rank(m, c.left, c.right, &result);
		w->sym[i] = result;
		w->next[i] = w->next[j];
		if (w->next[j] >= 0)
			w->prev[w->next[j]] = i;
		w->sym[j] = BPE_NO_ID; /* j is gone: no candidate may match it again */
		if (w->prev[i] >= 0)
			queue_pair(w, w->prev[i]);
		queue_pair(w, i);
	}
	for (int32_t i = 0; i >= 0; i = w->next[i])
		ids_push(out, w->sym[i]);
}

void bpe_encode_piece(struct bpe_worker *w, const uint8_t *piece, size_t n, struct ids *out)
{
	const struct bpe *m = w->m;
	if (n == 1) {
		ids_push(out, m->byte_id[piece[0]]);
		return;
	}
	uint64_t h = 0;
	struct cache_entry *e = NULL;
	if (n <= CACHE_KEY) {
		h = hash_bytes(piece, n);
		e = &w->cache[h & (CACHE_SLOTS - 1)];
		if (e->hash == h && e->len == n && memcmp(e->key, piece, n) == 0) {
			for (size_t i = 0; i < e->nids; i++)
				ids_push(out, e->ids[i]);
			return;
		}
	}
	size_t start = out->len;
	uint32_t whole = BPE_NO_ID;
	if (m->whole_piece) {
		if (!e)
			h = hash_bytes(piece, n);
		whole = slot_id(m->tok_map[map_slot(m, m->tok_map, m->tok_mask, piece, n, h)]);
	}
	reserve(w, n);
	if (whole != BPE_NO_ID) {
		ids_push(out, whole);
	} else if (n <= SMALL_PIECE) {
		size_t count = merge_small(w, piece, n);
		for (size_t i = 0; i < count; i++)
			ids_push(out, w->sym[i]);
	} else {
		merge_long(w, piece, n, out);
	}
	size_t nids = out->len - start;
	if (e && nids <= CACHE_IDS) {
		e->hash = h;
		e->len = (uint8_t)n;
		e->nids = (uint8_t)nids;
		memcpy(e->key, piece, n);
		memcpy(e->ids, out->v + start, nids * sizeof *out->v);
	}
}
