/* shufbuf.c - see shufbuf.h */
#include "rec/shufbuf.h"

#include <stdlib.h>
#include <string.h>

#include "base/die.h"

void shufbuf_init(struct shufbuf *s, size_t capacity, uint64_t seed)
{
	memset(s, 0, sizeof *s);
	s->capacity = capacity ? capacity : 1;
	s->items = xcalloc(s->capacity, sizeof *s->items);
	rng_seed(&s->rng, seed);
}

static void item_free(struct shuf_item *it)
{
	free(it->key);
	free(it->payload);
	memset(it, 0, sizeof *it);
}

static struct shuf_item item_copy(const char *key, size_t key_len, const char *payload,
                                  size_t payload_len)
{
	struct shuf_item it = {NULL, key_len, xmalloc(payload_len ? payload_len : 1), payload_len};
	if (key) {
		it.key = xmalloc(key_len ? key_len : 1);
		if (key_len)
			memcpy(it.key, key, key_len);
	}
	if (payload_len)
		memcpy(it.payload, payload, payload_len);
	return it;
}

void shufbuf_set_initial(struct shufbuf *s, size_t initial)
{
	s->initial = initial < s->capacity ? initial : s->capacity;
}

/* Takes a uniformly chosen item out, the last one filling its place. */
static const struct shuf_item *pick(struct shufbuf *s)
{
	size_t i = (size_t)rng_below(&s->rng, s->n);
	s->out = s->items[i];
	s->items[i] = s->items[--s->n];
	return &s->out;
}

const struct shuf_item *shufbuf_push(struct shufbuf *s, const char *key, size_t key_len,
                                     const char *payload, size_t payload_len)
{
	item_free(&s->out);
	struct shuf_item it = item_copy(key, key_len, payload, payload_len);
	if (s->initial) {
		s->items[s->n++] = it;
		if (s->want_second)
			s->want_second = 0;
		else if (s->n < s->capacity) {
			s->want_second = 1;
			return NULL;
		}
		return s->n >= s->initial ? pick(s) : NULL;
	}
	if (s->n < s->capacity) {
		s->items[s->n++] = it;
		return NULL;
	}
	size_t i = (size_t)rng_below(&s->rng, s->n);
	s->out = s->items[i];
	s->items[i] = it;
	return &s->out;
}

const struct shuf_item *shufbuf_drain(struct shufbuf *s)
{
	item_free(&s->out);
	if (s->n == 0)
		return NULL;
	return pick(s);
}

void shufbuf_free(struct shufbuf *s)
{
	item_free(&s->out);
	for (size_t i = 0; i < s->n; i++)
		item_free(&s->items[i]);
	free(s->items);
	s->items = NULL;
	s->n = 0;
}
