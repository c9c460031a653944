/* shardorder.c - see shardorder.h */
#include "wds/shardorder.h"

#include <stdlib.h>

#include "base/die.h"

uint64_t shard_order_seed(uint64_t seed, uint64_t purpose, uint64_t epoch)
{
	/* One splitmix64 step over a mix of the three: rng_seed then spreads
	 * it further, so nearby inputs give unrelated streams. */
	uint64_t z = seed ^ (purpose * 0xD1B54A32D192ED03ull) ^ (epoch * 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

enum { PURPOSE_SHARD_SHUFFLE = 1, PURPOSE_RESAMPLE = 2 };

size_t shard_order_share(const struct shard_order *o)
{
	if (o->rank >= o->n)
		return 0;
	return (o->n - o->rank + o->nranks - 1) / o->nranks;
}

void shard_order_init(struct shard_order *o, size_t n, uint32_t rank, uint32_t nranks, int shuffle,
                      int resampled, uint64_t seed, uint64_t epochs)
{
	*o = (struct shard_order){.n = n, .rank = rank, .nranks = nranks ? nranks : 1,
	                          .shuffle = shuffle, .resampled = resampled, .seed = seed,
	                          .epochs = epochs};
	size_t share = shard_order_share(o);
	o->order = xmalloc((share ? share : 1) * sizeof *o->order);
	o->norder = o->pos = 0;
	if (resampled) {
		/* The rank's share of the unshuffled list, drawn from forever. */
		for (size_t i = o->rank; i < n; i += o->nranks)
			o->order[o->norder++] = i;
		rng_seed(&o->rng, shard_order_seed(seed, PURPOSE_RESAMPLE, rank));
	}
}

static void fill_epoch(struct shard_order *o)
{
	size_t *all = xmalloc((o->n ? o->n : 1) * sizeof *all);
	for (size_t i = 0; i < o->n; i++)
		all[i] = i;
	if (o->shuffle) {
		struct rng r;
		rng_seed(&r, shard_order_seed(o->seed, PURPOSE_SHARD_SHUFFLE, o->epoch));
		rng_shuffle(&r, all, o->n, sizeof *all);
	}
	o->norder = o->pos = 0;
	for (size_t i = o->rank; i < o->n; i += o->nranks)
		o->order[o->norder++] = all[i];
	free(all);
}

int shard_order_next(struct shard_order *o, size_t *index, uint64_t *epoch)
{
	if (o->resampled) {
		if (o->norder == 0)
			return 0;
		*index = o->order[rng_below(&o->rng, o->norder)];
		if (epoch)
			*epoch = 0;
		return 1;
	}
	while (o->pos == o->norder) {
		uint64_t next = o->started ? o->epoch + 1 : 0;
		if (next >= o->epochs)
			return 0;
		o->epoch = next;
		o->started = 1;
		fill_epoch(o);
		if (o->norder == 0)
			return 0;
	}
	*index = o->order[o->pos++];
	if (epoch)
		*epoch = o->epoch;
	return 1;
}

void shard_order_free(struct shard_order *o)
{
	free(o->order);
	o->order = NULL;
}
