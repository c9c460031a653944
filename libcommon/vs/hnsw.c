/* hnsw.c - the HNSW graph: insertion (serial or parallel), search with
 * deletion marks and allowed-node bitmaps, and a file format served from
 * a read-only mapping (see hnsw.h).
 *
 * Memory layout.  Layer 0, which every search walks and where nearly all
 * distance computations happen, is one array of fixed-size blocks, one per
 * node: the vector first (64-byte aligned, so no load of it straddles a
 * cache line needlessly), then the link count and up to M0 = 2*M links.
 * Reading a node's links and its neighbours' vectors thus touches few,
 * predictable cache lines, which the search prefetches.  A node on upper
 * layers 1..L has L lists of (count, M links) in one pool, in node order;
 * upper_at[node] is where its lists start (a prefix sum of the levels).
 *
 * The file is those same arrays after a 128-byte header, each section
 * 64-byte aligned, upper_at included, so that opening read-only maps the
 * file and points into it: nothing is read, computed or allocated per
 * node.  Nothing in the mapping is trusted either: searches check each
 * link, level and list offset they read (list_of), one compare per link,
 * so a damaged file gives poor answers, never a read out of bounds, and
 * hnsw_verify is the walk of the whole file for those who want it.  The
 * deletion marks stay in the mapping until the first hnsw_delete copies
 * them.  Visited marks are 16-bit epochs per node in each scratch, bumped per
 * search instead of cleared.  Parallel insertion takes a spin lock per
 * node around any read or write of that node's links (one lock held at a
 * time, so no lock order to keep) and a mutex for the entry point. */
#include "vs/hnsw.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "base/die.h"
#include "base/io.h"
#include "base/parfor.h"
#include "base/rng.h"

/* Levels above this are never drawn (with M = 2 the chance of one is about
 * 1e-10 per node), so a file claiming one is corrupt. */
#define MAX_LEVEL 31
#define HEADER_SIZE 128
#define FORMAT_VERSION 2
static const char MAGIC[8] = {'\x89', 'S', 'L', 'H', 'N', 'S', 'W', '\n'};

struct cand {
	float dist;
	uint32_t node;
};

struct hnsw {
	struct hnsw_params p;
	uint32_t M0;      /* layer-0 link capacity: 2*M */
	size_t block;     /* bytes per layer-0 block, a multiple of 64 */
	size_t links_off; /* offset of the link count in a block */
	vdist_fn kernel;
	float sign; /* -1 for dot products, so that smaller is nearer */

	size_t count, cap;
	unsigned char *blocks;
	uint8_t *levels;
	uint64_t *upper_at;
	uint32_t *upper;
	size_t upper_len, upper_cap;
	uint64_t *deleted; /* cap/64 words or more; in the mapping while deleted_mapped */
	size_t ndeleted;
	int deleted_mapped;
	uint32_t entry;
	int max_level; /* -1 while empty */
	struct rng rng;
	double level_mult;

	void *map; /* the file, when opened read-only */
	size_t map_len;

	pthread_mutex_t entry_lock;
	atomic_uchar *locks; /* per node, while inserting in parallel */
	int locking;
};

struct hnsw_scratch {
	uint16_t *visited;
	size_t vcap;
	uint16_t epoch;
	struct cand *cand; /* min-heap: nodes still to expand */
	size_t ncand, cand_cap;
	struct cand *res; /* max-heap: the best qualifying nodes so far */
	size_t nres, res_cap;
	uint32_t *fresh; /* unvisited neighbours of the node being expanded */
	uint32_t *links; /* a copy of a list read under its lock */
	struct cand *sel;
	size_t sel_cap;
};

/* ---- small helpers ---- */

static inline const float *vec_of(const struct hnsw *h, uint32_t i)
{
	return (const float *)(const void *)(h->blocks + (size_t)i * h->block);
}

static inline uint32_t *links0(const struct hnsw *h, uint32_t i)
{
	return (uint32_t *)(void *)(h->blocks + (size_t)i * h->block + h->links_off);
}

/* For writing a list: only in memory we built or checked ourselves. */
static inline uint32_t *links_at(const struct hnsw *h, uint32_t i, int level)
{
	if (level == 0)
		return links0(h, i);
	return h->upper + h->upper_at[i] + (size_t)(level - 1) * (h->p.M + 1);
}

/* For reading a list, of any node i < count: its links, and in *n how
 * many to read.  A mapped file is not checked on open, so here a count
 * above the list's capacity is cut down to it, and an upper list that the
 * node's level or the pool does not hold reads as empty; the links
 * themselves are checked against the node count by the callers. */
static inline const uint32_t *list_of(const struct hnsw *h, uint32_t i, int level, uint32_t *n)
{
	static const uint32_t none[1];
	if (level == 0) {
		const uint32_t *ll = links0(h, i);
		*n = ll[0] < h->M0 ? ll[0] : h->M0;
		return ll + 1;
	}
	size_t len = (size_t)h->p.M + 1, at = h->upper_at[i];
	if (h->levels[i] < level || at > h->upper_len || h->upper_len - at < (size_t)level * len) {
		*n = 0;
		return none;
	}
	const uint32_t *ll = h->upper + at + (size_t)(level - 1) * len;
	*n = ll[0] < h->p.M ? ll[0] : h->p.M;
	return ll + 1;
}

static inline float dist_to(const struct hnsw *h, const float *q, uint32_t i)
{
	return h->sign * h->kernel(q, vec_of(h, i), h->p.dim);
}

static inline void prefetch_vec(const struct hnsw *h, uint32_t i)
{
	const char *p = (const char *)vec_of(h, i);
	size_t bytes = (size_t)h->p.dim * sizeof(float);
	if (bytes > 512)
		bytes = 512; /* the hardware prefetcher carries on from there */
	for (size_t o = 0; o < bytes; o += 64)
		__builtin_prefetch(p + o, 0, 3);
}

static inline void lock_node(struct hnsw *h, uint32_t i)
{
	if (!h->locking)
		return;
	while (atomic_exchange_explicit(&h->locks[i], 1, memory_order_acquire))
		while (atomic_load_explicit(&h->locks[i], memory_order_relaxed)) {
#if defined(__x86_64__) || defined(__i386__)
			__builtin_ia32_pause();
#endif
		}
}

static inline void unlock_node(struct hnsw *h, uint32_t i)
{
	if (h->locking)
		atomic_store_explicit(&h->locks[i], 0, memory_order_release);
}

static inline int bit_set(const uint64_t *bits, uint32_t i) { return (int)((bits[i >> 6] >> (i & 63)) & 1); }

static inline void minheap_push(struct cand *hp, size_t *n, struct cand c)
{
	size_t i = (*n)++;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (hp[up].dist <= c.dist)
			break;
		hp[i] = hp[up];
		i = up;
	}
	hp[i] = c;
}

static inline void minheap_pop(struct cand *hp, size_t *n)
{
	struct cand last = hp[--*n];
	size_t i = 0, m = *n;
	for (;;) {
		size_t l = 2 * i + 1;
		if (l >= m)
			break;
		size_t c = (l + 1 < m && hp[l + 1].dist < hp[l].dist) ? l + 1 : l;
		if (hp[c].dist >= last.dist)
			break;
		hp[i] = hp[c];
		i = c;
	}
	hp[i] = last;
}

static inline void maxheap_push(struct cand *hp, size_t *n, struct cand c)
{
	size_t i = (*n)++;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (hp[up].dist >= c.dist)
			break;
		hp[i] = hp[up];
		i = up;
	}
	hp[i] = c;
}

static inline void maxheap_pop(struct cand *hp, size_t *n)
{
	struct cand last = hp[--*n];
	size_t i = 0, m = *n;
	for (;;) {
		size_t l = 2 * i + 1;
		if (l >= m)
			break;
		size_t c = (l + 1 < m && hp[l + 1].dist > hp[l].dist) ? l + 1 : l;
		if (hp[c].dist <= last.dist)
			break;
		hp[i] = hp[c];
		i = c;
	}
	hp[i] = last;
}

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

static size_t upper_list_len(const struct hnsw *h) { return (size_t)h->p.M + 1; }

/* ---- construction of the struct ---- */

static void check_params(const struct hnsw_params *p)
{
	if (p->dim < 1 || p->dim > 65536)
		die(STATUS_FAIL, "hnsw: dimension %u out of range (1..65536)", p->dim);
	if (p->M < 2 || p->M > 256)
		die(STATUS_FAIL, "hnsw: M = %u out of range (2..256)", p->M);
	if (p->ef_construction > 65536)
		die(STATUS_FAIL, "hnsw: ef_construction = %u out of range (1..65536)", p->ef_construction);
	if (p->metric != VMETRIC_COSINE && p->metric != VMETRIC_DOT && p->metric != VMETRIC_L2)
		die(STATUS_FAIL, "hnsw: unknown metric %d", (int)p->metric);
}

/* Everything that follows from the parameters alone. */
static struct hnsw *shell_new(const struct hnsw_params *p)
{
	struct hnsw *h = xcalloc(1, sizeof *h);
	h->p = *p;
	if (h->p.ef_construction < 1)
		h->p.ef_construction = 1;
	h->M0 = 2 * p->M;
	h->links_off = (size_t)p->dim * sizeof(float);
	h->block = align64(h->links_off + (1 + (size_t)h->M0) * sizeof(uint32_t));
	h->kernel = vdist_kernel(p->metric);
	h->sign = p->metric == VMETRIC_L2 ? 1.0f : -1.0f;
	h->level_mult = 1.0 / log((double)p->M);
	h->max_level = -1;
	pthread_mutex_init(&h->entry_lock, NULL);
	return h;
}

struct hnsw *hnsw_new(const struct hnsw_params *p, size_t capacity_hint)
{
	check_params(p);
	struct hnsw *h = shell_new(p);
	rng_seed(&h->rng, p->seed);
	if (capacity_hint) {
		h->cap = capacity_hint;
		h->blocks = xmalloc_aligned(h->cap * h->block);
		h->levels = xmalloc(h->cap);
		h->upper_at = xmalloc(h->cap * sizeof *h->upper_at);
		h->deleted = xcalloc((h->cap + 63) / 64, sizeof *h->deleted);
	}
	return h;
}

void hnsw_free(struct hnsw *h)
{
	if (!h)
		return;
	if (h->map) {
		munmap(h->map, h->map_len);
	} else {
		free(h->blocks);
		free(h->levels);
		free(h->upper);
		free(h->upper_at);
	}
	if (!h->deleted_mapped)
		free(h->deleted);
	free(h->locks);
	pthread_mutex_destroy(&h->entry_lock);
	free(h);
}

/* Room for need nodes in every per-node array (never while mapped). */
static void reserve_nodes(struct hnsw *h, size_t need)
{
	if (need <= h->cap)
		return;
	size_t cap = h->cap * 2 > need ? h->cap * 2 : need;
	if (cap < 64)
		cap = 64;
	unsigned char *blocks = xmalloc_aligned(cap * h->block);
	if (h->count)
		memcpy(blocks, h->blocks, h->count * h->block);
	free(h->blocks);
	h->blocks = blocks;
	h->levels = xrealloc(h->levels, cap);
	h->upper_at = xrealloc(h->upper_at, cap * sizeof *h->upper_at);
	size_t oldw = (h->cap + 63) / 64, neww = (cap + 63) / 64;
	h->deleted = xrealloc(h->deleted, neww * sizeof *h->deleted);
	memset(h->deleted + oldw, 0, (neww - oldw) * sizeof *h->deleted);
	h->cap = cap;
}

static void reserve_upper(struct hnsw *h, size_t need)
{
	if (need <= h->upper_cap)
		return;
	size_t cap = h->upper_cap * 2 > need ? h->upper_cap * 2 : need;
	h->upper = xrealloc(h->upper, cap * sizeof *h->upper);
	h->upper_cap = cap;
}

static int draw_level(struct hnsw *h)
{
	/* u in (0, 1]: 53 random bits, never zero. */
	double u = (double)((rng_next(&h->rng) >> 11) + 1) * 0x1p-53;
	double l = -log(u) * h->level_mult;
	return l >= MAX_LEVEL ? MAX_LEVEL : (int)l;
}

/* ---- scratch ---- */

struct hnsw_scratch *hnsw_scratch_new(const struct hnsw *h)
{
	struct hnsw_scratch *s = xcalloc(1, sizeof *s);
	s->fresh = xmalloc(((size_t)h->M0 + 1) * sizeof *s->fresh);
	s->links = xmalloc(((size_t)h->M0 + 1) * sizeof *s->links);
	return s;
}

void hnsw_scratch_free(struct hnsw_scratch *s)
{
	if (!s)
		return;
	free(s->visited);
	free(s->cand);
	free(s->res);
	free(s->fresh);
	free(s->links);
	free(s->sel);
	free(s);
}

/* Sizes s for a search of h with a result list of ef, and starts a new
 * visit epoch. */
static void scratch_begin(struct hnsw_scratch *s, const struct hnsw *h, size_t ef)
{
	if (s->vcap < h->count) {
		free(s->visited);
		s->vcap = h->cap > h->count ? h->cap : h->count;
		s->visited = xcalloc(s->vcap, sizeof *s->visited);
		s->epoch = 0;
	}
	if (++s->epoch == 0) {
		memset(s->visited, 0, s->vcap * sizeof *s->visited);
		s->epoch = 1;
	}
	if (s->res_cap < ef + 1) {
		s->res_cap = ef + 1;
		s->res = xrealloc(s->res, s->res_cap * sizeof *s->res);
	}
	if (s->cand_cap < ef + h->M0 + 1) {
		s->cand_cap = ef + h->M0 + 1;
		s->cand = xrealloc(s->cand, s->cand_cap * sizeof *s->cand);
	}
	s->ncand = s->nres = 0;
}

static inline void cand_push(struct hnsw_scratch *s, struct cand c)
{
	if (s->ncand == s->cand_cap) {
		s->cand_cap *= 2;
		s->cand = xrealloc(s->cand, s->cand_cap * sizeof *s->cand);
	}
	minheap_push(s->cand, &s->ncand, c);
}

/* ---- search ---- */

/* Greedy descent on one upper layer: moves *ep to a local minimum. */
static void greedy(struct hnsw *h, struct hnsw_scratch *s, const float *q, uint32_t *ep, float *epd,
                   int level)
{
	for (int changed = 1; changed;) {
		changed = 0;
		uint32_t cur = *ep, n;
		lock_node(h, cur);
		const uint32_t *ll = list_of(h, cur, level, &n);
		memcpy(s->links, ll, n * sizeof *ll);
		unlock_node(h, cur);
		for (uint32_t j = 0; j < n; j++) {
			uint32_t u = s->links[j];
			if (u >= h->count)
				continue; /* a damaged file */
			float d = dist_to(h, q, u);
			if (d < *epd) {
				*epd = d;
				*ep = u;
				changed = 1;
			}
		}
	}
}

/* The beam search of one layer from ep: leaves the best ef qualifying
 * nodes in s->res (a max-heap).  A node qualifies when it is not marked in
 * deleted and, with allowed, is marked there; every node is walked
 * through all the same.  The walk stops when the nearest unexpanded node is
 * farther than the ef-th qualifying one, so with few qualifying nodes it
 * goes on until it has found ef of them (or run out of graph). */
static inline __attribute__((always_inline)) void
search_layer_impl(struct hnsw *h, struct hnsw_scratch *s, const float *q, uint32_t ep, float epd,
                  size_t ef, int level, const uint64_t *allowed, const uint64_t *deleted, int copy)
{
	uint16_t *visited = s->visited;
	uint16_t epoch = s->epoch;
	size_t count = h->count;
	visited[ep] = epoch;
	cand_push(s, (struct cand){epd, ep});
	if ((!deleted || !bit_set(deleted, ep)) && (!allowed || bit_set(allowed, ep)))
		maxheap_push(s->res, &s->nres, (struct cand){epd, ep});
	float worst = s->nres ? s->res[0].dist : INFINITY;
	while (s->ncand) {
		struct cand c = s->cand[0];
		if (s->nres >= ef && c.dist > worst)
			break;
		minheap_pop(s->cand, &s->ncand);

		const uint32_t *ll;
		uint32_t n;
		if (copy) {
			lock_node(h, c.node);
			const uint32_t *src = list_of(h, c.node, level, &n);
			memcpy(s->links, src, n * sizeof *src);
			unlock_node(h, c.node);
			ll = s->links;
		} else {
			ll = list_of(h, c.node, level, &n);
		}
		/* First the neighbours not yet seen, with their vectors
		 * prefetched, then their distances: the loads overlap.  A
		 * link past the last node (a damaged file) is passed over. */
		uint32_t nf = 0;
		for (uint32_t j = 0; j < n; j++) {
			uint32_t u = ll[j];
			if (u < count && visited[u] != epoch) {
				visited[u] = epoch;
				s->fresh[nf++] = u;
				prefetch_vec(h, u);
			}
		}
		for (uint32_t j = 0; j < nf; j++) {
			uint32_t u = s->fresh[j];
			float d = dist_to(h, q, u);
			if (s->nres < ef || d < worst) {
				cand_push(s, (struct cand){d, u});
				if ((!deleted || !bit_set(deleted, u)) && (!allowed || bit_set(allowed, u))) {
					maxheap_push(s->res, &s->nres, (struct cand){d, u});
					if (s->nres > ef)
						maxheap_pop(s->res, &s->nres);
					worst = s->res[0].dist;
				}
			}
		}
	}
}

/* Queries: nothing writes the graph meanwhile, so links are read in place. */
static void search_layer_read(struct hnsw *h, struct hnsw_scratch *s, const float *q, uint32_t ep,
                              float epd, size_t ef, const uint64_t *allowed, const uint64_t *deleted)
{
	search_layer_impl(h, s, q, ep, epd, ef, 0, allowed, deleted, 0);
}

/* Insertion: other threads may be rewriting the lists being read. */
static void search_layer_build(struct hnsw *h, struct hnsw_scratch *s, const float *q, uint32_t ep,
                               float epd, size_t ef, int level)
{
	search_layer_impl(h, s, q, ep, epd, ef, level, NULL, NULL, 1);
}

size_t hnsw_search(const struct hnsw *hc, struct hnsw_scratch *s, const float *query, size_t k,
                   size_t ef, const uint64_t *allowed, struct hnsw_hit *out)
{
	/* Searching writes nothing in h; the cast lets it share the
	 * insertion code, whose locks are off outside hnsw_add. */
	struct hnsw *h = (struct hnsw *)hc;
	if (h->count == 0 || h->max_level < 0 || k == 0)
		return 0;
	if (ef < k)
		ef = k;
	uint32_t ep = h->entry;
	float epd = dist_to(h, query, ep);
	scratch_begin(s, h, ef);
	for (int l = h->max_level; l > 0; l--)
		greedy(h, s, query, &ep, &epd, l);
	search_layer_read(h, s, query, ep, epd, ef, allowed, h->ndeleted ? h->deleted : NULL);
	while (s->nres > k)
		maxheap_pop(s->res, &s->nres);
	size_t found = s->nres;
	for (size_t i = found; i-- > 0;) {
		out[i].node = s->res[0].node;
		out[i].dist = s->res[0].dist;
		maxheap_pop(s->res, &s->nres);
	}
	return found;
}

/* ---- insertion ---- */

static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->dist != y->dist)
		return x->dist < y->dist ? -1 : 1;
	return x->node < y->node ? -1 : x->node > y->node;
}

/* The neighbour-selection heuristic (the paper's algorithm 4): going
 * through the candidates nearest first, keep one only if it is nearer to
 * the base than to every one kept so far, so that links spread out in
 * different directions instead of all pointing into one cluster.  c is
 * sorted by distance to the base; the kept ones are moved to its front
 * and counted.  Fewer than max candidates are all kept. */
static size_t select_neighbours(const struct hnsw *h, struct cand *c, size_t n, size_t max)
{
	if (n <= max)
		return n;
	size_t kept = 0;
	for (size_t i = 0; i < n && kept < max; i++) {
		const float *v = vec_of(h, c[i].node);
		int good = 1;
		for (size_t j = 0; j < kept; j++)
			if (dist_to(h, v, c[j].node) < c[i].dist) {
				good = 0;
				break;
			}
		if (good)
			c[kept++] = c[i];
	}
	return kept;
}

static void sel_fit(struct hnsw_scratch *s, size_t n)
{
	if (s->sel_cap < n) {
		s->sel_cap = n;
		s->sel = xrealloc(s->sel, n * sizeof *s->sel);
	}
}

/* Adds node to the list of nb on level; a full list is re-chosen with the
 * heuristic among its members and the newcomer. */
static void link_back(struct hnsw *h, struct hnsw_scratch *s, uint32_t nb, uint32_t node, int level)
{
	size_t cap = level ? h->p.M : h->M0;
	lock_node(h, nb);
	uint32_t *ll = links_at(h, nb, level);
	uint32_t n = ll[0];
	for (uint32_t j = 0; j < n; j++)
		if (ll[1 + j] == node) {
			unlock_node(h, nb);
			return;
		}
	if (n < cap) {
		ll[1 + n] = node;
		ll[0] = n + 1;
	} else {
		sel_fit(s, cap + 1);
		const float *v = vec_of(h, nb);
		for (uint32_t j = 0; j < n; j++)
			s->sel[j] = (struct cand){dist_to(h, v, ll[1 + j]), ll[1 + j]};
		s->sel[n] = (struct cand){dist_to(h, v, node), node};
		qsort(s->sel, n + 1, sizeof *s->sel, cmp_cand);
		size_t kept = select_neighbours(h, s->sel, n + 1, cap);
		for (size_t j = 0; j < kept; j++)
			ll[1 + j] = s->sel[j].node;
		ll[0] = (uint32_t)kept;
	}
	unlock_node(h, nb);
}

static void insert(struct hnsw *h, struct hnsw_scratch *s, uint32_t node)
{
	int level = h->levels[node];
	const float *q = vec_of(h, node);

	pthread_mutex_lock(&h->entry_lock);
	int top = h->max_level;
	uint32_t ep = h->entry;
	if (top < 0) {
		h->entry = node;
		h->max_level = level;
		pthread_mutex_unlock(&h->entry_lock);
		return;
	}
	/* A node that raises the top of the graph keeps the lock until it is
	 * linked in, so that no one enters through it half-built (rare: one
	 * node in M^levels). */
	int raises = level > top;
	if (!raises)
		pthread_mutex_unlock(&h->entry_lock);

	float epd = dist_to(h, q, ep);
	for (int l = top; l > level; l--)
		greedy(h, s, q, &ep, &epd, l);
	for (int l = level < top ? level : top; l >= 0; l--) {
		scratch_begin(s, h, h->p.ef_construction);
		search_layer_build(h, s, q, ep, epd, h->p.ef_construction, l);
		sel_fit(s, s->nres);
		size_t n = 0;
		while (s->nres) {
			if (s->res[0].node != node)
				s->sel[n++] = s->res[0];
			maxheap_pop(s->res, &s->nres);
		}
		qsort(s->sel, n, sizeof *s->sel, cmp_cand);
		if (n == 0)
			continue;
		ep = s->sel[0].node;
		epd = s->sel[0].dist;
		size_t kept = select_neighbours(h, s->sel, n, h->p.M);
		lock_node(h, node);
		uint32_t *ll = links_at(h, node, l);
		for (size_t j = 0; j < kept; j++)
			ll[1 + j] = s->sel[j].node;
		ll[0] = (uint32_t)kept;
		unlock_node(h, node);
		/* sel is reused by link_back: take the kept ones out first. */
		uint32_t chosen[256];
		for (size_t j = 0; j < kept; j++)
			chosen[j] = s->sel[j].node;
		for (size_t j = 0; j < kept; j++)
			link_back(h, s, chosen[j], node, l);
	}
	if (raises) {
		h->entry = node;
		h->max_level = level;
		pthread_mutex_unlock(&h->entry_lock);
	}
}

struct add_job {
	struct hnsw *h;
	size_t end;
	atomic_size_t next;
};

/* Each worker takes the next node to insert from a shared counter, so
 * that nodes go in roughly in order whatever their cost. */
static void add_worker(void *arg, size_t lo, size_t hi, int tid)
{
	struct add_job *job = arg;
	struct hnsw_scratch *s = hnsw_scratch_new(job->h);
	for (;;) {
		size_t i = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
		if (i >= job->end)
			break;
		insert(job->h, s, (uint32_t)i);
	}
	hnsw_scratch_free(s);
}

void hnsw_add(struct hnsw *h, const float *vectors, size_t n, int threads)
{
	if (h->map)
		die(STATUS_FAIL, "hnsw: cannot add to an index opened read-only");
	if (n == 0)
		return;
	if (h->count + n > UINT32_MAX - 1)
		die(STATUS_FAIL, "hnsw: too many nodes (at most %u)", UINT32_MAX - 1);
	size_t first = h->count;
	reserve_nodes(h, first + n);
	/* Everything that does not depend on the graph is laid out before
	 * any thread starts, so that nothing is reallocated under them: the
	 * vectors, the levels (drawn in node order, hence deterministic), and
	 * the upper-layer lists. */
	size_t upper_need = h->upper_len;
	for (size_t i = 0; i < n; i++) {
		size_t node = first + i;
		unsigned char *b = h->blocks + node * h->block;
		memset(b, 0, h->block);
		memcpy(b, vectors + i * h->p.dim, (size_t)h->p.dim * sizeof(float));
		int level = draw_level(h);
		h->levels[node] = (uint8_t)level;
		h->upper_at[node] = upper_need;
		upper_need += (size_t)level * upper_list_len(h);
	}
	if (upper_need > h->upper_len) {
		reserve_upper(h, upper_need);
		memset(h->upper + h->upper_len, 0, (upper_need - h->upper_len) * sizeof *h->upper);
		h->upper_len = upper_need;
	}
	h->count = first + n;

	if (threads <= 1 || n < 2) {
		struct hnsw_scratch *s = hnsw_scratch_new(h);
		for (size_t i = first; i < first + n; i++)
			insert(h, s, (uint32_t)i);
		hnsw_scratch_free(s);
		return;
	}
	free(h->locks);
	h->locks = xcalloc(h->count, sizeof *h->locks);
	h->locking = 1;
	struct add_job job = {.h = h, .end = first + n};
	atomic_init(&job.next, first);
	struct parfor *pool = parfor_new(threads);
	parfor_run(pool, (size_t)threads, add_worker, &job);
	parfor_free(pool);
	h->locking = 0;
	free(h->locks);
	h->locks = NULL;
}

/* ---- small accessors ---- */

void hnsw_delete(struct hnsw *h, uint32_t node)
{
	if (node >= h->count || hnsw_is_deleted(h, node))
		return;
	if (h->deleted_mapped) {
		size_t words = (h->count + 63) / 64;
		uint64_t *own = xmalloc(words * sizeof *own);
		memcpy(own, h->deleted, words * sizeof *own);
		h->deleted = own;
		h->deleted_mapped = 0;
	}
	h->deleted[node >> 6] |= (uint64_t)1 << (node & 63);
	h->ndeleted++;
}

/* As the searches see it: they skip the marks while none are counted, so
 * a damaged file whose count and marks disagree is read the same way by
 * both. */
int hnsw_is_deleted(const struct hnsw *h, uint32_t node)
{
	return node < h->count && h->ndeleted && bit_set(h->deleted, node);
}
size_t hnsw_count(const struct hnsw *h) { return h->count; }
size_t hnsw_deleted_count(const struct hnsw *h) { return h->ndeleted; }
const struct hnsw_params *hnsw_get_params(const struct hnsw *h) { return &h->p; }
const float *hnsw_vector(const struct hnsw *h, uint32_t node) { return vec_of(h, node); }
/* ---- the file ---- */

/* Where each section lies in a file of count nodes: all of it follows from
 * the header's counts, so the file size alone checks the lot. */
struct layout {
	size_t blocks, levels, upper_at, upper, deleted, end;
};

static struct layout layout_of(size_t count, size_t block, size_t upper_len)
{
	struct layout L;
	L.blocks = HEADER_SIZE;
	L.levels = L.blocks + count * block;
	L.upper_at = align64(L.levels + count);
	L.upper = align64(L.upper_at + count * sizeof(uint64_t));
	L.deleted = align64(L.upper + upper_len * sizeof(uint32_t));
	L.end = L.deleted + (count + 63) / 64 * sizeof(uint64_t);
	return L;
}

static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}
static uint64_t get64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* Header fields, at fixed offsets (little-endian, as the machine writes). */
enum {
	H_MAGIC = 0, H_VERSION = 8, H_HSIZE = 12, H_DIM = 16, H_METRIC = 20, H_M = 24, H_EFC = 28,
	H_BLOCK = 32, H_ENTRY = 36, H_MAXLEVEL = 40, H_SEED = 48, H_COUNT = 56, H_UPPER = 64,
	H_RNG = 72, H_NDELETED = 104, H_CHECKSUM = 120
};

/* The sections of a file, in order, with the zero padding between them. */
struct piece {
	const void *p;
	size_t n;
};

static size_t pieces_of(const struct hnsw *h, const struct layout *L, const unsigned char *zeros,
                        struct piece *out)
{
	size_t np = 0, at = L->blocks;
#define PIECE(ptr, len, start)                                                                     \
	do {                                                                                       \
		out[np++] = (struct piece){zeros, (start)-at};                                     \
		out[np++] = (struct piece){(ptr), (len)};                                          \
		at = (start) + (len);                                                              \
	} while (0)
	PIECE(h->blocks, h->count * h->block, L->blocks);
	PIECE(h->levels, h->count, L->levels);
	PIECE(h->upper_at, h->count * sizeof(uint64_t), L->upper_at);
	PIECE(h->upper, h->upper_len * sizeof(uint32_t), L->upper);
	PIECE(h->deleted, (h->count + 63) / 64 * sizeof(uint64_t), L->deleted);
#undef PIECE
	return np;
}

static int write_full(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n > (1u << 30) ? (1u << 30) : n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int hnsw_save(const struct hnsw *h, const char *path, char *err, size_t errn)
{
	unsigned char head[HEADER_SIZE] = {0};
	memcpy(head + H_MAGIC, MAGIC, sizeof MAGIC);
	put32(head + H_VERSION, FORMAT_VERSION);
	put32(head + H_HSIZE, HEADER_SIZE);
	put32(head + H_DIM, h->p.dim);
	put32(head + H_METRIC, (uint32_t)h->p.metric);
	put32(head + H_M, h->p.M);
	put32(head + H_EFC, h->p.ef_construction);
	put32(head + H_BLOCK, (uint32_t)h->block);
	put32(head + H_ENTRY, h->entry);
	put32(head + H_MAXLEVEL, (uint32_t)h->max_level);
	put64(head + H_SEED, h->p.seed);
	put64(head + H_COUNT, h->count);
	put64(head + H_UPPER, h->upper_len);
	for (int i = 0; i < 4; i++)
		put64(head + H_RNG + 8 * i, h->rng.s[i]);
	put64(head + H_NDELETED, h->ndeleted);

	static const unsigned char zeros[64];
	struct layout L = layout_of(h->count, h->block, h->upper_len);
	struct piece pieces[10];
	size_t np = pieces_of(h, &L, zeros, pieces);
	XXH3_state_t *st = XXH3_createState();
	if (!st)
		die(STATUS_FAIL, "out of memory");
	XXH3_64bits_reset(st);
	XXH3_64bits_update(st, head, HEADER_SIZE);
	for (size_t i = 0; i < np; i++)
		XXH3_64bits_update(st, pieces[i].p, pieces[i].n);
	put64(head + H_CHECKSUM, XXH3_64bits_digest(st));
	XXH3_freeState(st);

	struct atomic_file af;
	if (atomic_open(&af, path) != 0) {
		errorf(err, errn, "%s: cannot create: %s", path, strerror(errno));
		return -1;
	}
	int bad = write_full(af.fd, head, HEADER_SIZE);
	for (size_t i = 0; i < np && !bad; i++)
		bad = write_full(af.fd, pieces[i].p, pieces[i].n);
	if (bad) {
		int e = errno;
		atomic_abort(&af);
		errorf(err, errn, "%s: write error: %s", path, strerror(e));
		return -1;
	}
	if (atomic_commit(&af) != 0) {
		errorf(err, errn, "%s: cannot write: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The xxh3 of a whole file, its own checksum field read as zero. */
static uint64_t file_checksum(const unsigned char *base, size_t size)
{
	unsigned char head[HEADER_SIZE];
	memcpy(head, base, HEADER_SIZE);
	put64(head + H_CHECKSUM, 0);
	XXH3_state_t *st = XXH3_createState();
	if (!st)
		die(STATUS_FAIL, "out of memory");
	XXH3_64bits_reset(st);
	XXH3_64bits_update(st, head, HEADER_SIZE);
	XXH3_64bits_update(st, base + HEADER_SIZE, size - HEADER_SIZE);
	uint64_t sum = XXH3_64bits_digest(st);
	XXH3_freeState(st);
	return sum;
}

int hnsw_verify(const struct hnsw *h, char *err, size_t errn)
{
	if (h->map && file_checksum(h->map, h->map_len) != get64((const unsigned char *)h->map + H_CHECKSUM)) {
		errorf(err, errn, "checksum mismatch: the file is corrupt");
		return -1;
	}
	size_t at = 0, len = upper_list_len(h);
	for (size_t i = 0; i < h->count; i++) {
		if (h->levels[i] > h->max_level) {
			errorf(err, errn, "node %zu has level %u, above the top level %d", i, h->levels[i],
			     h->max_level);
			return -1;
		}
		if (h->upper_at[i] != at) {
			errorf(err, errn, "node %zu's upper layers start at %llu, not at %zu", i,
			     (unsigned long long)h->upper_at[i], at);
			return -1;
		}
		at += (size_t)h->levels[i] * len;
	}
	if (at != h->upper_len) {
		errorf(err, errn, "the upper layers hold %zu links, the levels need %zu", h->upper_len, at);
		return -1;
	}
	if (h->count && h->levels[h->entry] != h->max_level) {
		errorf(err, errn, "the entry point is not on the top level");
		return -1;
	}
	for (size_t i = 0; i < h->count; i++) {
		for (int l = 0; l <= h->levels[i]; l++) {
			const uint32_t *ll = links_at(h, (uint32_t)i, l);
			uint32_t cap = l ? h->p.M : h->M0;
			if (ll[0] > cap) {
				errorf(err, errn, "node %zu has %u links on level %d, more than %u", i, ll[0], l,
				     cap);
				return -1;
			}
			for (uint32_t j = 1; j <= ll[0]; j++)
				if (ll[j] >= h->count || h->levels[ll[j]] < l) {
					errorf(err, errn, "node %zu links to %u on level %d, which is not there", i,
					     ll[j], l);
					return -1;
				}
		}
	}
	size_t words = (h->count + 63) / 64, marked = 0;
	for (size_t i = 0; i < words; i++)
		marked += (size_t)__builtin_popcountll(h->deleted[i]);
	if ((h->count & 63) && h->deleted[words - 1] >> (h->count & 63)) {
		errorf(err, errn, "deletion marks past the last node");
		return -1;
	}
	if (marked != h->ndeleted) {
		errorf(err, errn, "%zu nodes marked deleted, the header says %zu", marked, h->ndeleted);
		return -1;
	}
	return 0;
}

struct hnsw *hnsw_open(const char *path, int writable, char *err, size_t errn)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		errorf(err, errn, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat sb;
	if (fstat(fd, &sb) != 0) {
		errorf(err, errn, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	size_t size = (size_t)sb.st_size;
	if (!S_ISREG(sb.st_mode) || size < HEADER_SIZE) {
		errorf(err, errn, "%s: not an HNSW index (%s)", path,
		     S_ISREG(sb.st_mode) ? "shorter than its header" : "not a regular file");
		close(fd);
		return NULL;
	}
	unsigned char *base = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	int map_errno = errno;
	close(fd);
	if (base == MAP_FAILED) {
		errorf(err, errn, "%s: cannot map: %s", path, strerror(map_errno));
		return NULL;
	}
	const unsigned char *hd = base;
	struct hnsw *h = NULL;
	if (memcmp(hd + H_MAGIC, MAGIC, sizeof MAGIC) != 0) {
		errorf(err, errn, "%s: not an HNSW index (bad magic)", path);
		goto bad;
	}
	uint32_t version = get32(hd + H_VERSION);
	if (version != FORMAT_VERSION || get32(hd + H_HSIZE) != HEADER_SIZE) {
		errorf(err, errn, "%s: unsupported HNSW index version %u (this build reads %d)", path,
		     version, FORMAT_VERSION);
		goto bad;
	}
	struct hnsw_params p = {
		.dim = get32(hd + H_DIM),
		.metric = (enum vmetric)get32(hd + H_METRIC),
		.M = get32(hd + H_M),
		.ef_construction = get32(hd + H_EFC),
		.seed = get64(hd + H_SEED),
	};
	uint32_t metric = get32(hd + H_METRIC);
	if (p.dim < 1 || p.dim > 65536 || p.M < 2 || p.M > 256 || metric > VMETRIC_L2 ||
	    p.ef_construction > 65536) {
		errorf(err, errn, "%s: corrupt header (dim %u, M %u, metric %u, ef_construction %u)", path,
		     p.dim, p.M, metric, p.ef_construction);
		goto bad;
	}
	h = shell_new(&p);
	uint64_t count = get64(hd + H_COUNT), upper_len = get64(hd + H_UPPER);
	uint64_t ndeleted = get64(hd + H_NDELETED);
	int32_t max_level = (int32_t)get32(hd + H_MAXLEVEL);
	h->entry = get32(hd + H_ENTRY);
	/* These bounds keep every size below in range of size_t, and every
	 * node the search starts from inside the file. */
	if (get32(hd + H_BLOCK) != h->block || count >= UINT32_MAX ||
	    upper_len > count * MAX_LEVEL * upper_list_len(h) || max_level > MAX_LEVEL ||
	    ndeleted > count ||
	    (count == 0 ? max_level != -1 : (max_level < 0 || h->entry >= count))) {
		errorf(err, errn, "%s: corrupt header (counts or entry point out of range)", path);
		goto bad;
	}
	h->count = h->cap = (size_t)count;
	h->upper_len = h->upper_cap = (size_t)upper_len;
	h->max_level = max_level;
	h->ndeleted = (size_t)ndeleted;
	for (int i = 0; i < 4; i++)
		h->rng.s[i] = get64(hd + H_RNG + 8 * i);
	struct layout L = layout_of(h->count, h->block, h->upper_len);
	if (size < L.end) {
		errorf(err, errn, "%s: truncated: %zu bytes, the header promises %zu", path, size, L.end);
		goto bad;
	}
	if (size > L.end) {
		errorf(err, errn, "%s: %zu bytes of junk after the index", path, size - L.end);
		goto bad;
	}
	/* Nothing more is read now: the searches page in what they touch. */
	h->map = base;
	h->map_len = size;
	h->blocks = base + L.blocks;
	h->levels = base + L.levels;
	h->upper_at = (uint64_t *)(void *)(base + L.upper_at);
	h->upper = (uint32_t *)(void *)(base + L.upper);
	h->deleted = (uint64_t *)(void *)(base + L.deleted);
	h->deleted_mapped = 1;
	if (!writable)
		return h;

	/* A copy that will grow is checked through and through first. */
	char why[256];
	if (hnsw_verify(h, why, sizeof why) != 0) {
		errorf(err, errn, "%s: %s", path, why);
		goto bad;
	}
	h->map = NULL;
	h->cap = h->count ? h->count : 1;
	h->blocks = xmalloc_aligned(h->cap * h->block);
	memcpy(h->blocks, base + L.blocks, h->count * h->block);
	h->levels = xmalloc(h->cap);
	memcpy(h->levels, base + L.levels, h->count);
	h->upper_at = xmalloc(h->cap * sizeof *h->upper_at);
	memcpy(h->upper_at, base + L.upper_at, h->count * sizeof *h->upper_at);
	h->upper = xmalloc((h->upper_len ? h->upper_len : 1) * sizeof *h->upper);
	memcpy(h->upper, base + L.upper, h->upper_len * sizeof *h->upper);
	h->upper_cap = h->upper_len ? h->upper_len : 1;
	size_t words = (h->cap + 63) / 64;
	h->deleted = xcalloc(words, sizeof *h->deleted);
	memcpy(h->deleted, base + L.deleted, (h->count + 63) / 64 * sizeof *h->deleted);
	h->deleted_mapped = 0;
	munmap(base, size);
	return h;
bad:
	munmap(base, size);
	if (h) {
		/* Nothing of it is ours but the struct. */
		pthread_mutex_destroy(&h->entry_lock);
		free(h);
	}
	return NULL;
}
