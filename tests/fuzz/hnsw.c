/* tests/fuzz/hnsw.c - libFuzzer target for HNSW index files (hnsw.h): any
 * bytes as an index file.  The read-only open checks only the header and
 * the size, so the searches are what must hold out against damage: a few
 * of them (several k and ef, with and without an allowed bitmap, after a
 * deletion) run on whatever opens, and every answer must name a node that
 * exists and qualifies; then hnsw_verify walks it all.
 * The writable open checks everything, so what it accepts must verify, and
 * still verify after an insertion.  Most inputs get their checksum put
 * right first (the odd-sized ones keep theirs), or the fuzzer would rarely
 * get past it to the checks of the graph itself. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "vs/hnsw.h"

static char path[64];

static void remove_file(void) { unlink(path); }

/* One search; aborts on an answer that breaks the contract. */
static void search_once(struct hnsw *h, struct hnsw_scratch *s, const float *q, size_t k, size_t ef,
                        const uint64_t *allowed)
{
	struct hnsw_hit hits[32];
	size_t n = hnsw_search(h, s, q, k, ef, allowed, hits);
	if (n > k)
		abort();
	for (size_t i = 0; i < n; i++) {
		uint32_t node = hits[i].node;
		if (node >= hnsw_count(h) || hnsw_is_deleted(h, node))
			abort();
		if (allowed && !((allowed[node >> 6] >> (node & 63)) & 1))
			abort();
	}
}

static void search_it(struct hnsw *h)
{
	uint32_t dim = hnsw_get_params(h)->dim;
	size_t count = hnsw_count(h);
	float *q = calloc(dim, sizeof *q);
	uint64_t *allowed = calloc((count + 63) / 64 + 1, sizeof *allowed);
	if (!q || !allowed)
		abort();
	for (uint32_t i = 0; i < dim; i++)
		q[i] = (float)(i % 7) - 3.0f;
	for (size_t i = 0; i < count; i += 3)
		allowed[i >> 6] |= (uint64_t)1 << (i & 63);
	struct hnsw_scratch *s = hnsw_scratch_new(h);
	search_once(h, s, q, 5, 16, NULL);
	search_once(h, s, q, 1, 1, NULL);
	search_once(h, s, q, 32, 64, allowed);
	if (count)
		memcpy(q, hnsw_vector(h, (uint32_t)(count / 2)), dim * sizeof *q);
	search_once(h, s, q, 10, 32, NULL);
	hnsw_scratch_free(s);
	free(allowed);
	free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!path[0]) {
		snprintf(path, sizeof path, "/tmp/fuzz-hnsw-%ld", (long)getpid());
		atexit(remove_file);
	}
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (size >= 128 && size % 2 == 0) {
		memset(copy + 120, 0, 8);
		uint64_t sum = XXH3_64bits(copy, size);
		memcpy(copy + 120, &sum, 8);
	}
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(copy, 1, size, f) != size || fclose(f) != 0)
		abort();
	free(copy);

	char err[512];
	struct hnsw *h = hnsw_open(path, 0, err, sizeof err);
	if (h) {
		search_it(h);
		int sound = hnsw_verify(h, err, sizeof err) == 0;
		if (hnsw_count(h)) {
			hnsw_delete(h, 0); /* copies the marks out of the mapping */
			search_it(h);
		}
		hnsw_free(h);
		h = hnsw_open(path, 1, err, sizeof err);
		/* The writable open checks what hnsw_verify checks. */
		if ((h != NULL) != sound)
			abort();
	}
	if (h) {
		if (hnsw_verify(h, err, sizeof err) != 0)
			abort();
		uint32_t dim = hnsw_get_params(h)->dim;
		float *v = calloc((size_t)dim * 2, sizeof *v);
		if (!v)
			abort();
		v[0] = 1.0f;
		hnsw_add(h, v, 2, 1);
		search_it(h);
		if (hnsw_verify(h, err, sizeof err) != 0)
			abort();
		free(v);
		hnsw_free(h);
	}
	return 0;
}
