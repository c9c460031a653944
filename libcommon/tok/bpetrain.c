/* bpetrain.c - byte-level BPE training (see bpetrain.h). */
#define _GNU_SOURCE /* memmem */
#include "tok/bpetrain.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "base/die.h"
#include "base/jsonw.h"
#include "tok/bpe.h"
#include "tok/bytelevel.h"
#include "tok/pretok.h"

/* ---- counting: unique pieces and how often each occurs ---- */

struct piece_slot {
	uint64_t hash, count;
	uint64_t off; /* bytes in blob */
	uint32_t len;
	bool used;
};

struct piece_counts {
	struct piece_slot *slots;
	size_t mask, n;
	struct buf blob;
};

struct piece_counts *piece_counts_new(void)
{
	struct piece_counts *c = xcalloc(1, sizeof *c);
	c->mask = 1023;
	c->slots = xcalloc(c->mask + 1, sizeof *c->slots);
	return c;
}

void piece_counts_free(struct piece_counts *c)
{
	if (!c)
		return;
	free(c->slots);
	buf_free(&c->blob);
	free(c);
}

size_t piece_counts_unique(const struct piece_counts *c) { return c->n; }

size_t piece_counts_bytes(const struct piece_counts *c)
{
	return sizeof *c + (c->mask + 1) * sizeof *c->slots + c->blob.cap;
}

void piece_counts_clear(struct piece_counts *c)
{
	free(c->slots);
	buf_free(&c->blob);
	c->mask = 1023;
	c->n = 0;
	c->slots = xcalloc(c->mask + 1, sizeof *c->slots);
}

static void grow_counts(struct piece_counts *c)
{
	size_t cap = (c->mask + 1) * 2;
	struct piece_slot *fresh = xcalloc(cap, sizeof *fresh);
	for (size_t i = 0; i <= c->mask; i++) {
		if (!c->slots[i].used)
			continue;
		size_t j = (size_t)c->slots[i].hash & (cap - 1);
		while (fresh[j].used)
			j = (j + 1) & (cap - 1);
		fresh[j] = c->slots[i];
	}
	free(c->slots);
	c->slots = fresh;
	c->mask = cap - 1;
}

static void add_hashed(struct piece_counts *c, const uint8_t *p, size_t n, uint64_t h, uint64_t count)
{
	size_t i = (size_t)h & c->mask;
	for (;; i = (i + 1) & c->mask) {
		struct piece_slot *s = &c->slots[i];
		if (!s->used)
			break;
		if (s->hash == h && s->len == n && memcmp(c->blob.data + s->off, p, n) == 0) {
			s->count += count;
			return;
		}
	}
	c->slots[i] = (struct piece_slot){h, count, c->blob.len, (uint32_t)n, true};
	buf_add(&c->blob, p, n);
	if (++c->n * 2 > c->mask + 1)
		grow_counts(c);
}

void piece_counts_add(struct piece_counts *c, const uint8_t *piece, size_t n, uint64_t count)
{
	add_hashed(c, piece, n, XXH3_64bits(piece, n), count);
}

void piece_counts_merge(struct piece_counts *into, const struct piece_counts *from)
{
	for (size_t i = 0; i <= from->mask; i++) {
		const struct piece_slot *s = &from->slots[i];
		if (s->used)
			add_hashed(into, (const uint8_t *)from->blob.data + s->off, s->len, s->hash, s->count);
	}
}

void piece_counts_each(const struct piece_counts *c,
                       void (*fn)(void *arg, const uint8_t *piece, size_t n, uint64_t count), void *arg)
{
	for (size_t i = 0; i <= c->mask; i++)
		if (c->slots[i].used)
			fn(arg, (const uint8_t *)c->blob.data + c->slots[i].off, c->slots[i].len, c->slots[i].count);
}

static void count_segment(struct piece_counts *c, const struct pretok *pt, struct pretok_scratch *sc,
                          const uint8_t *s, size_t n)
{
	size_t start, end;
	for (size_t pos = 0; pos < n && (end = pretok_next(pt, sc, s, n, pos, &start)); pos = end)
		piece_counts_add(c, s + start, end - start, 1);
}

void piece_counts_text(struct piece_counts *c, const struct pretok *pt, struct pretok_scratch *sc,
                       const char *const *specials, size_t n_specials, const char *text, size_t len)
{
	size_t seg = 0;
	for (;;) {
		/* The earliest special from here on; the text before it is one
		 * segment, and the special itself is not counted. */
		const char *hit = NULL;
		size_t hit_len = 0;
		for (size_t k = 0; k < n_specials; k++) {
			size_t slen = strlen(specials[k]);
			const char *h = slen ? memmem(text + seg, len - seg, specials[k], slen) : NULL;
			if (h && (!hit || h < hit || (h == hit && slen > hit_len)))
				hit = h, hit_len = slen;
		}
		size_t end = hit ? (size_t)(hit - text) : len;
		count_segment(c, pt, sc, (const uint8_t *)text + seg, end - seg);
		if (!hit)
			break;
		seg = end + hit_len;
	}
}

/* ---- training ---- */

/* A unique piece as a sequence of symbol ids, shrinking as pairs merge. */
struct word {
	uint64_t count;
	size_t off; /* in the symbol array */
	uint32_t len;
	uint32_t visited; /* the merge step that last touched it */
};

struct pair {
	uint64_t key; /* left << 32 | right */
	int64_t count;
	uint32_t *words; /* where it occurs (may list words it has left) */
	uint32_t nwords, cap;
	uint32_t touched; /* merge step + 1 that last added words to it */
};

struct queued {
	int64_t count;
	uint64_t key;
};

struct trainer {
	const struct bpe_train_opts *opts;
	struct bpe_trained *out;
	struct word *words;
	size_t nwords;
	uint32_t *sym;
	struct pair *pairs;
	size_t npairs, pairs_cap;
	uint32_t *pair_index; /* hash of key -> pair index + 1 */
	size_t index_mask;
	struct queued *heap;
	size_t nheap, heap_cap;
	uint32_t *touched_list;
	size_t ntouched, touched_cap;
	/* bytes -> id of every token so far, to reuse the id of a token that
	 * a second pair spells again (as BpeTrainer does) */
	uint32_t *tok_index;
	size_t tok_mask;
};

static size_t key_hash(uint64_t key)
{
	key ^= key >> 31;
	key *= 0x9E3779B97F4A7C15ull;
	return (size_t)(key >> 17);
}

static void index_grow(struct trainer *t)
{
	size_t cap = t->pair_index ? (t->index_mask + 1) * 2 : 4096;
	free(t->pair_index);
	t->pair_index = xcalloc(cap, sizeof *t->pair_index);
	t->index_mask = cap - 1;
	for (size_t p = 0; p < t->npairs; p++) {
		size_t i = key_hash(t->pairs[p].key) & t->index_mask;
		while (t->pair_index[i])
			i = (i + 1) & t->index_mask;
		t->pair_index[i] = (uint32_t)p + 1;
	}
}

static struct pair *pair_get(struct trainer *t, uint32_t left, uint32_t right)
{
	uint64_t key = (uint64_t)left << 32 | right;
	size_t i = key_hash(key) & t->index_mask;
	for (; t->pair_index[i]; i = (i + 1) & t->index_mask)
		if (t->pairs[t->pair_index[i] - 1].key == key)
			return &t->pairs[t->pair_index[i] - 1];
	if (t->npairs == t->pairs_cap) {
		t->pairs_cap = t->pairs_cap ? t->pairs_cap * 2 : 4096;
		t->pairs = xrealloc(t->pairs, t->pairs_cap * sizeof *t->pairs);
	}
	struct pair *p = &t->pairs[t->npairs++];
	*p = (struct pair){.key = key};
	t->pair_index[i] = (uint32_t)t->npairs;
	if (t->npairs * 2 > t->index_mask + 1)
		index_grow(t);
	return p;
}

static void pair_add_word(struct pair *p, uint32_t w)
{
	if (p->nwords && p->words[p->nwords - 1] == w)
		return;
	if (p->nwords == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 4;
		p->words = xrealloc(p->words, p->cap * sizeof *p->words);
	}
	p->words[p->nwords++] = w;
}

/* Max-heap: higher count first, then the smaller (left, right). */
static bool above(const struct queued *a, const struct queued *b)
{
	return a->count > b->count || (a->count == b->count && a->key < b->key);
}

static void heap_push(struct trainer *t, struct queued q)
{
	if (t->nheap == t->heap_cap) {
		t->heap_cap = t->heap_cap ? t->heap_cap * 2 : 4096;
		t->heap = xrealloc(t->heap, t->heap_cap * sizeof *t->heap);
	}
	size_t i = t->nheap++;
	while (i > 0 && above(&q, &t->heap[(i - 1) / 2])) {
		t->heap[i] = t->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	t->heap[i] = q;
}

static struct queued heap_pop(struct trainer *t)
{
	struct queued top = t->heap[0], last = t->heap[--t->nheap];
	size_t i = 0, n = t->nheap;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && above(&t->heap[c + 1], &t->heap[c]))
			c++;
		if (!above(&t->heap[c], &last))
			break;
		t->heap[i] = t->heap[c];
		i = c;
	}
	if (n)
		t->heap[i] = last;
	return top;
}

static const uint8_t *tok_bytes(const struct bpe_trained *o, uint32_t id) { return (const uint8_t *)o->blob.data + o->off[id]; }

static uint32_t *tok_slot(struct trainer *t, const uint8_t *bytes, size_t n)
{
	size_t i = (size_t)XXH3_64bits(bytes, n) & t->tok_mask;
	for (;; i = (i + 1) & t->tok_mask) {
		uint32_t id = t->tok_index[i];
		if (id == BPE_NO_ID || (t->out->len[id] == n && memcmp(tok_bytes(t->out, id), bytes, n) == 0))
			return &t->tok_index[i];
	}
}

static void tok_index_grow(struct trainer *t)
{
	size_t cap = t->tok_index ? (t->tok_mask + 1) * 2 : 1024;
	free(t->tok_index);
	t->tok_index = xmalloc(cap * sizeof *t->tok_index);
	memset(t->tok_index, 0xff, cap * sizeof *t->tok_index);
	t->tok_mask = cap - 1;
	for (uint32_t id = (uint32_t)t->out->n_specials; id < t->out->n_ids; id++)
		*tok_slot(t, tok_bytes(t->out, id), t->out->len[id]) = id;
}

static uint32_t add_token(struct trainer *t, const void *bytes, size_t n)
{
	struct bpe_trained *o = t->out;
	o->off = xrealloc(o->off, (o->n_ids + 1) * sizeof *o->off);
	o->len = xrealloc(o->len, (o->n_ids + 1) * sizeof *o->len);
	o->off[o->n_ids] = o->blob.len;
	o->len[o->n_ids] = (uint32_t)n;
	buf_add(&o->blob, bytes, n);
	return o->n_ids++;
}

static void count_change(struct trainer *t, uint32_t left, uint32_t right, int64_t delta, uint32_t w, uint32_t step)
{
	struct pair *p = pair_get(t, left, right);
	p->count += delta;
	if (delta > 0) {
		pair_add_word(p, w);
		if (p->touched != step + 1) {
			p->touched = step + 1;
			if (t->ntouched == t->touched_cap) {
				t->touched_cap = t->touched_cap ? t->touched_cap * 2 : 256;
				t->touched_list = xrealloc(t->touched_list, t->touched_cap * sizeof *t->touched_list);
			}
			t->touched_list[t->ntouched++] = (uint32_t)(p - t->pairs);
		}
	}
}

static bool fits(const struct trainer *t, uint32_t a, uint32_t b)
{
	size_t max = t->opts->max_token_length;
	return !max || (size_t)t->out->len[a] + t->out->len[b] <= max;
}

/* Replaces every left,right in word w by result, left to right, and
 * records how the counts of the neighbouring pairs change. */
static void merge_word(struct trainer *t, uint32_t w, uint32_t left, uint32_t right, uint32_t result, uint32_t step)
{
	struct word *wd = &t->words[w];
	uint32_t *s = t->sym + wd->off;
	int64_t c = (int64_t)wd->count;
	size_t n = wd->len;
	for (size_t i = 0; i + 1 < n; i++) {
		if (s[i] != left || s[i + 1] != right)
			continue;
		if (i > 0) {
			count_change(t, s[i - 1], left, -c, w, step);
			if (fits(t, s[i - 1], result))
				count_change(t, s[i - 1], result, c, w, step);
		}
		s[i] = result;
		memmove(s + i + 1, s + i + 2, (n - i - 2) * sizeof *s);
		n--;
		if (i + 1 < n) {
			count_change(t, right, s[i + 1], -c, w, step);
			if (fits(t, result, s[i + 1]))
				count_change(t, result, s[i + 1], c, w, step);
		}
	}
	wd->len = (uint32_t)n;
}

void bpe_train(const struct piece_counts *counts, const struct bpe_train_opts *opts, struct bpe_trained *out,
               void (*progress)(void *arg, uint32_t size), void *progress_arg)
{
	memset(out, 0, sizeof *out);
	struct trainer t = {.opts = opts, .out = out};
	for (size_t i = 0; i < opts->n_specials; i++)
		add_token(&t, opts->specials[i], strlen(opts->specials[i]));
	out->n_specials = opts->n_specials;
	/* The bytes in the order of the characters that spell them. */
	struct bytelevel bl;
	bytelevel_init(&bl);
	uint32_t byte_id[256];
	for (uint32_t cp = 0; cp < 512; cp++)
		if (bl.cp_to_byte[cp] >= 0) {
			uint8_t b = (uint8_t)bl.cp_to_byte[cp];
			byte_id[b] = add_token(&t, &b, 1);
		}
	tok_index_grow(&t);
	if (opts->bytes_only) {
		free(t.tok_index);
		return;
	}

	/* Words, from the unique pieces, in a fixed order (by their place in
	 * the hash table, which depends only on the pieces). */
	size_t total = 0;
	for (size_t i = 0; i <= counts->mask; i++)
		if (counts->slots[i].used)
			total += counts->slots[i].len;
	t.sym = xmalloc((total + 1) * sizeof *t.sym);
	t.words = xmalloc((counts->n + 1) * sizeof *t.words);
	size_t at = 0;
	for (size_t i = 0; i <= counts->mask; i++) {
		const struct piece_slot *s = &counts->slots[i];
		if (!s->used)
			continue;
		const uint8_t *p = (const uint8_t *)counts->blob.data + s->off;
		t.words[t.nwords++] = (struct word){s->count, at, s->len, 0};
		for (uint32_t k = 0; k < s->len; k++)
			t.sym[at++] = byte_id[p[k]];
	}
	index_grow(&t);
	for (size_t w = 0; w < t.nwords; w++) {
		const uint32_t *s = t.sym + t.words[w].off;
		for (uint32_t k = 0; k + 1 < t.words[w].len; k++) {
			if (!fits(&t, s[k], s[k + 1]))
				continue;
			struct pair *p = pair_get(&t, s[k], s[k + 1]);
			p->count += (int64_t)t.words[w].count;
			pair_add_word(p, (uint32_t)w);
		}
	}
	for (size_t p = 0; p < t.npairs; p++)
		if (t.pairs[p].count > 0)
			heap_push(&t, (struct queued){t.pairs[p].count, t.pairs[p].key});

	uint64_t min_count = opts->min_frequency > 1 ? opts->min_frequency : 1;
	struct buf joined = {0};
	uint32_t step = 0;
	size_t vocab = out->n_ids;
	while (vocab < opts->vocab_size && t.nheap) {
		struct queued top = heap_pop(&t);
		struct pair *p = pair_get(&t, (uint32_t)(top.key >> 32), (uint32_t)top.key);
		if (top.count != p->count) { /* counts fell since it was queued */
			if (p->count > 0)
				heap_push(&t, (struct queued){p->count, p->key});
			continue;
		}
		if ((uint64_t)top.count < min_count)
			break;
		uint32_t left = (uint32_t)(top.key >> 32), right = (uint32_t)top.key;
		buf_clear(&joined);
		buf_add(&joined, tok_bytes(out, left), out->len[left]);
		buf_add(&joined, tok_bytes(out, right), out->len[right]);
		uint32_t *slot = tok_slot(&t, (const uint8_t *)joined.data, joined.len);
		uint32_t result = *slot;
		if (result == BPE_NO_ID) {
			result = *slot = add_token(&t, joined.data, joined.len);
			vocab++;
			if ((out->n_ids - out->n_specials) * 2 > t.tok_mask + 1)
				tok_index_grow(&t);
		}
		out->merges = xrealloc(out->merges, (out->n_merges + 1) * sizeof *out->merges);
		out->merges[out->n_merges++] = (struct bpe_merge){left, right, result};
		/* The words this pair occurs in; merging may grow the pair table,
		 * so the list is read through the index, not a pointer. */
		size_t pi = (size_t)(p - t.pairs);
		p->count = 0;
		t.ntouched = 0;
		for (uint32_t k = 0; k < t.pairs[pi].nwords; k++) {
			uint32_t w = t.pairs[pi].words[k];
			if (t.words[w].visited == step + 1)
				continue;
			t.words[w].visited = step + 1;
			merge_word(&t, w, left, right, result, step);
		}
		free(t.pairs[pi].words);
		t.pairs[pi].words = NULL;
		t.pairs[pi].nwords = t.pairs[pi].cap = 0;
		for (size_t k = 0; k < t.ntouched; k++) {
			struct pair *q = &t.pairs[t.touched_list[k]];
			if (q->count > 0)
				heap_push(&t, (struct queued){q->count, q->key});
		}
		step++;
		if (progress)
			progress(progress_arg, (uint32_t)vocab);
	}
	buf_free(&joined);
	for (size_t p = 0; p < t.npairs; p++)
		free(t.pairs[p].words);
	free(t.pairs);
	free(t.pair_index);
	free(t.heap);
	free(t.touched_list);
	free(t.words);
	free(t.sym);
	free(t.tok_index);
}

void bpe_trained_free(struct bpe_trained *t)
{
	free(t->off);
	free(t->len);
	buf_free(&t->blob);
	free(t->merges);
	memset(t, 0, sizeof *t);
}

struct bpe *bpe_trained_model(const struct bpe_trained *t)
{
	struct bpe *m = bpe_new();
	for (uint32_t id = 0; id < t->n_ids; id++) {
		const uint8_t *b = tok_bytes(t, id);
		if (id < t->n_specials)
			bpe_add_special(m, (const char *)b, t->len[id], id);
		else
			bpe_add_token(m, b, t->len[id], id);
	}
	for (size_t i = 0; i < t->n_merges; i++)
		bpe_add_merge(m, t->merges[i].left, t->merges[i].right, (uint32_t)i, t->merges[i].result);
	return m;
}

static void json_token(const struct bytelevel *bl, const struct bpe_trained *t, uint32_t id, struct buf *scratch,
                       struct buf *out)
{
	buf_clear(scratch);
	bytelevel_encode(bl, tok_bytes(t, id), t->len[id], scratch);
	jsonw_string(out, scratch->data, scratch->len);
}

void bpe_trained_json(const struct bpe_trained *t, const char *pattern, struct buf *out)
{
	struct bytelevel bl;
	bytelevel_init(&bl);
	struct buf s = {0};
	buf_adds(out, "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[");
	for (uint32_t id = 0; id < t->n_specials; id++) {
		buf_printf(out, "%s{\"id\":%u,\"content\":", id ? "," : "", id);
		jsonw_string(out, (const char *)tok_bytes(t, id), t->len[id]);
		buf_adds(out, ",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,"
		              "\"special\":true}");
	}
	buf_adds(out, "],\"normalizer\":null,\"pre_tokenizer\":");
	if (strcmp(pattern, PRETOK_PATTERN_GPT2) == 0) {
		buf_adds(out, "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,\"use_regex\":true}");
	} else {
		buf_adds(out, "{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":{\"Regex\":");
		jsonw_string(out, pattern, strlen(pattern));
		buf_adds(out, "},\"behavior\":\"Isolated\",\"invert\":false},{\"type\":\"ByteLevel\","
		              "\"add_prefix_space\":false,\"trim_offsets\":true,\"use_regex\":false}]}");
	}
	buf_adds(out, ",\"post_processor\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":false,"
	              "\"use_regex\":false},\"decoder\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,"
	              "\"trim_offsets\":true,\"use_regex\":false},\"model\":{\"type\":\"BPE\",\"dropout\":null,"
	              "\"unk_token\":null,\"continuing_subword_prefix\":null,\"end_of_word_suffix\":null,"
	              "\"fuse_unk\":false,\"byte_fallback\":false,\"ignore_merges\":false,\"vocab\":{");
	for (uint32_t id = (uint32_t)t->n_specials; id < t->n_ids; id++) {
		if (id > t->n_specials)
			buf_addc(out, ',');
		json_token(&bl, t, id, &s, out);
		buf_printf(out, ":%u", id);
	}
	for (uint32_t id = 0; id < t->n_specials; id++) { /* HF lists the specials in the vocab too */
		buf_adds(out, ",");
		jsonw_string(out, (const char *)tok_bytes(t, id), t->len[id]);
		buf_printf(out, ":%u", id);
	}
	buf_adds(out, "},\"merges\":[");
	for (size_t i = 0; i < t->n_merges; i++) {
		buf_adds(out, i ? ",[" : "[");
		json_token(&bl, t, t->merges[i].left, &s, out);
		buf_addc(out, ',');
		json_token(&bl, t, t->merges[i].right, &s, out);
		buf_addc(out, ']');
	}
	buf_adds(out, "]}}\n");
	buf_free(&s);
}

void bpe_trained_tiktoken(const struct bpe_trained *t, struct buf *out)
{
	for (uint32_t id = (uint32_t)t->n_specials; id < t->n_ids; id++) {
		base64_encode(out, tok_bytes(t, id), t->len[id]);
		buf_printf(out, " %u\n", id);
	}
}
