/* hnsw.h - approximate nearest-neighbour search over a Hierarchical
 * Navigable Small World graph (Malkov & Yashunin, 2016), the index under
 * the vector store: built in memory, saved to one file, and served from a
 * read-only memory mapping of that file without loading it.
 *
 * Nodes are numbered 0, 1, 2, ... in the order they are added; the caller
 * maps its own ids onto them.  Layer 0 keeps each node's vector and its
 * links in one fixed-size, cache-aligned block, so that a step of a search
 * touches one place in memory; the sparse upper layers live apart.
 *
 * Distances: smaller is nearer, -dot for VMETRIC_DOT (and VMETRIC_COSINE,
 * whose vectors the caller normalises to unit length first) and squared
 * Euclidean distance for VMETRIC_L2.
 *
 * Threads: searches are safe from any number of threads at once, each with
 * its own scratch; hnsw_add, hnsw_delete and hnsw_free must not overlap
 * anything else on the same index. */
#ifndef SLUICE_HNSW_H
#define SLUICE_HNSW_H

#include <stddef.h>
#include <stdint.h>

#include "vs/vdist.h"

struct hnsw_params {
	uint32_t dim;
	enum vmetric metric;
	uint32_t M;               /* links per node on upper layers; 2*M on layer 0 (16 is typical) */
	uint32_t ef_construction; /* candidate list while inserting (200 is typical) */
	uint64_t seed;            /* node levels are drawn from it */
};

struct hnsw;

/* A new, empty index (dies on parameters out of range: dim 1..65536, M
 * 2..256, ef_construction up to 65536).  capacity_hint: nodes to make room
 * for up front (0 is fine). */
struct hnsw *hnsw_new(const struct hnsw_params *p, size_t capacity_hint);
void hnsw_free(struct hnsw *h);

/* Adds n vectors (n x dim floats, copied), numbered from hnsw_count(h) on.
 * threads > 1 inserts in parallel, and the graph then depends on timing;
 * with threads == 1 it depends only on the seed and the data.  Dies if h
 * was opened read-only. */
void hnsw_add(struct hnsw *h, const float *vectors, size_t n, int threads);

/* Marks a node deleted: no search returns it again, but searches still pass
 * through it, so the graph stays connected.  Works on a read-only mapping
 * too (the marks are kept in memory, and saved by hnsw_save). */
void hnsw_delete(struct hnsw *h, uint32_t node);
int hnsw_is_deleted(const struct hnsw *h, uint32_t node);

size_t hnsw_count(const struct hnsw *h);
size_t hnsw_deleted_count(const struct hnsw *h);
const struct hnsw_params *hnsw_get_params(const struct hnsw *h);
/* The stored vector of a node (valid until the next hnsw_add or hnsw_free). */
const float *hnsw_vector(const struct hnsw *h, uint32_t node);

struct hnsw_hit {
	uint32_t node;
	float dist; /* smaller is nearer: -dot for DOT and COSINE, squared L2 for L2 */
};

/* Per-thread search state (visited marks, candidate heaps), reusable for
 * any number of searches on h, also after h grows. */
struct hnsw_scratch;
struct hnsw_scratch *hnsw_scratch_new(const struct hnsw *h);
void hnsw_scratch_free(struct hnsw_scratch *s);

/* The k nearest nodes to query (best first) among those not deleted and,
 * when allowed is not NULL, whose bit is set in allowed (bit i of word
 * i / 64 for node i, a bitmap over all hnsw_count(h) nodes), searching
 * with a candidate list of max(ef, k).  Returns how many were found, fewer
 * than k only if fewer nodes qualify or the graph does not reach them.
 * Disallowed and deleted nodes are traversed but never returned, and the
 * search goes on until it holds max(ef, k) qualifying nodes, so recall
 * holds when few nodes qualify, at the price of a longer walk. */
size_t hnsw_search(const struct hnsw *h, struct hnsw_scratch *s, const float *query, size_t k,
                   size_t ef, const uint64_t *allowed, struct hnsw_hit *out);

/* Writes h to path atomically (a temporary file, fsync, rename): a
 * versioned header (magic, parameters, counts, an xxh3 checksum of the
 * whole file) and the graph.  Returns 0, or -1 with a one-line reason in
 * err. */
int hnsw_save(const struct hnsw *h, const char *path, char *err, size_t errn);

/* Opens a saved index, or gives NULL and a one-line reason in err.
 *
 * Read-only (writable == 0): the file is mapped and searches read it in
 * place, paging in what they touch, so the open costs the same whatever
 * the size of the file.  It checks the header only: the magic, the
 * format version, the parameters in range, the counts and the entry
 * point in range, and the file size against the size of every section
 * that the counts imply.  A truncated, foreign, other-version or
 * wrong-sized file is refused; the checksum and the links are not read.
 * The searches check what they read instead: a link to no node, a list
 * longer than its capacity, an upper list that the node's level or the
 * file does not hold are skipped, so a file damaged inside gives poorer
 * or fewer answers, never a read out of bounds or a crash.  Call
 * hnsw_verify for the full check.
 *
 * Writable: the file is checked as hnsw_verify does, then copied into
 * memory, where hnsw_add can grow it; damage anywhere refuses it. */
struct hnsw *hnsw_open(const char *path, int writable, char *err, size_t errn);

/* The full integrity check, reading everything (O(file size)): for an
 * index opened read-only, the xxh3 checksum of the whole file; for any
 * index, that every node's level is at most the top level and its upper
 * lists lie where the levels put them, that the entry point is on the top
 * level, that no list holds more links than its capacity and every link
 * names an existing node that has the level, and that the deletion marks
 * match their count.  Returns 0, or -1 with a one-line reason (without
 * the path) in err. */
int hnsw_verify(const struct hnsw *h, char *err, size_t errn);

#endif
