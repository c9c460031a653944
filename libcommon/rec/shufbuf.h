/* shufbuf.h - a shuffle buffer over records, as in datasets'
 * IterableDataset.shuffle and webdataset's shuffle: fill a buffer of
 * `capacity` items, then for each new item emit a uniformly chosen one
 * and put the new one in its place; drain in random order at the end.
 * Items are (key, payload) byte strings copied in, so sources may reuse
 * their buffers. */
#ifndef SLUICE_SHUFBUF_H
#define SLUICE_SHUFBUF_H

#include <stddef.h>
#include <stdint.h>

#include "base/rng.h"

struct shuf_item {
	char *key; /* NULL when none */
	size_t key_len;
	char *payload;
	size_t payload_len;
};

struct shufbuf {
	struct shuf_item *items;
	size_t n, capacity;
	struct rng rng;
	struct shuf_item out; /* the item last handed out; freed on the next call */
	size_t initial;       /* webdataset's start (0: fill to capacity first) */
	int want_second;      /* growing: the next push is a step's second item */
};

void shufbuf_init(struct shufbuf *s, size_t capacity, uint64_t seed);
/* webdataset's shuffle(bufsize, initial): items come out once `initial`
 * are held, and while the buffer is under capacity each step takes two
 * items in for one out, so it still fills; a chosen item's place is taken
 * by the last one.  Call right after shufbuf_init; 0 < initial. */
void shufbuf_set_initial(struct shufbuf *s, size_t initial);
/* Adds an item; returns the item to emit now, or NULL while filling. */
const struct shuf_item *shufbuf_push(struct shufbuf *s, const char *key, size_t key_len,
                                     const char *payload, size_t payload_len);
/* After the last push: the remaining items one by one, then NULL. */
const struct shuf_item *shufbuf_drain(struct shufbuf *s);
void shufbuf_free(struct shufbuf *s);

#endif
