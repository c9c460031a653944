/* shardorder.h - the order in which a reader visits a list of shards, as
 * webdataset's shard stages do: epochs over the list, each shuffled anew
 * when asked (the same seed and epoch give the same order on every
 * machine, so that ranks agree), split by rank (--shard I/N: positions
 * I, I+N, ... of the epoch's order, so ranks are disjoint and together
 * cover the list), or resampled: shards drawn with replacement, forever,
 * from the rank's share of the list. */
#ifndef SLUICE_SHARDORDER_H
#define SLUICE_SHARDORDER_H

#include <stddef.h>
#include <stdint.h>

#include "base/rng.h"

struct shard_order {
	size_t n;               /* shards in the list */
	uint32_t rank, nranks;  /* 0 and 1 for the whole list */
	int shuffle, resampled;
	uint64_t seed;
	uint64_t epochs;        /* epochs to give (not for resampled) */

	uint64_t epoch;         /* the one being given */
	int started;
	size_t *order;          /* this epoch's shards for this rank */
	size_t norder, pos;
	struct rng rng;         /* resampled draws */
};

void shard_order_init(struct shard_order *o, size_t n, uint32_t rank, uint32_t nranks, int shuffle,
                      int resampled, uint64_t seed, uint64_t epochs);
/* Shards this rank reads in one epoch (its share of the list). */
size_t shard_order_share(const struct shard_order *o);
/* 1 with the next shard's index (and its epoch, if not NULL), or 0 when
 * every epoch has been given. */
int shard_order_next(struct shard_order *o, size_t *index, uint64_t *epoch);
void shard_order_free(struct shard_order *o);

/* A seed for one purpose and epoch derived from the user's seed, so that
 * the shard shuffle, the sample shuffle and each epoch draw unrelated
 * streams from one --seed. */
uint64_t shard_order_seed(uint64_t seed, uint64_t purpose, uint64_t epoch);

#endif
