/* vstore.h - the embedded vector store: a directory that keeps points (a
 * text id, a vector, a JSON metadata object) durably and answers nearest-
 * neighbour queries, exactly or through an HNSW index.
 *
 *   manifest.json         what the store is made of now, swapped atomically
 *                         (temp + fsync + rename): dim, metric, index
 *                         parameters, the segments, the index, the log
 *   seg-NNNNNN.vs         immutable segments (vseg.h), one per checkpoint
 *   hnsw-NNNNNN.idx       the HNSW index over the segments' points (hnsw.h)
 *   wal-NNNNNN.log        the write-ahead log since the last checkpoint
 *   lock                  held (flock) by the one writer
 *
 * Every point version has a slot: the segments' points in order, then the
 * log's.  A later slot of an id, or a delete, makes the earlier one dead;
 * a dead slot is never returned.  A batch is acknowledged once its log
 * entry is written (and fsynced, unless asked not to): a writer killed at
 * any moment loses no acknowledged batch, and the store still opens.  A
 * checkpoint folds the log into a new segment and adds its points to the
 * index; compaction rewrites the live points into one segment and builds
 * the index anew.  Readers open the manifest's files and replay the log;
 * they need no lock, see whole batches only, and keep the files they
 * opened even when a checkpoint replaces them.
 *
 * Ids are text (an integer id is its decimal text).  With the cosine
 * metric vectors are stored at unit length, as Qdrant stores them, and
 * scores are cosine similarities; dot gives dot products; l2 gives
 * Euclidean distances (smaller is nearer). */
#ifndef SLUICE_VSTORE_H
#define SLUICE_VSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "vs/vdist.h"

struct vfilter;

struct vstore_opts {
	uint32_t dim;     /* creating: required; opening: 0, or what the store must have */
	int metric;       /* -1: the store's (cosine when creating) */
	uint32_t m, ef_construction; /* creating only; 0: 16 and 200 */
	int sync;         /* fsync each batch before acknowledging it */
	int threads;      /* for building the index; <= 0: 1 */
	int create;       /* make the store if the directory has none */
	int writable;     /* take the writer lock */
	uint32_t create_dim; /* creating with dim 0: this one (the first point's) */
};

struct vstore;

/* 0, or -1 with a one-line message ("DIR: locked by another writer",
 * "DIR: manifest.json: unknown store version 7"). */
struct vstore *vstore_open(const char *dir, const struct vstore_opts *o, char *err, size_t errn);
/* Closes; a writer's log is left for the next open to replay (call
 * vstore_checkpoint first to fold it in). */
void vstore_close(struct vstore *s);

uint32_t vstore_dim(const struct vstore *s);
enum vmetric vstore_metric(const struct vstore *s);
const char *vstore_metric_name(enum vmetric m);
int vstore_metric_from_name(const char *name); /* -1 if unknown */

struct vstore_point {
	const char *id;
	size_t id_len;
	const float *vec;
	const char *meta; /* a JSON object's text; meta_len 0: none */
	size_t meta_len;
};

/* Checks a point the way vstore_upsert does: NULL if it can be stored,
 * else why not ("vector has 3 values, the store has dim 4", "NaN at 7",
 * "metadata is not a JSON object"). */
const char *vstore_check(const struct vstore *s, const struct vstore_point *p, char *why, size_t whyn);

/* One batch, all or nothing: every point is checked first, and nothing is
 * written if one fails (-1, with "point N: why").  Then one log entry,
 * fsynced per opts.sync: when this returns 0 the batch is durable. */
int vstore_upsert(struct vstore *s, const struct vstore_point *pts, size_t n, char *err, size_t errn);
/* Deletes ids (those not present are no error); *deleted gets how many were. */
int vstore_delete(struct vstore *s, const char *const *ids, const size_t *lens, size_t n, size_t *deleted,
                  char *err, size_t errn);
int vstore_delete_filter(struct vstore *s, const struct vfilter *f, size_t *deleted, char *err, size_t errn);

/* Folds the log into a segment and the index (no-op when the log is
 * empty); compaction rewrites everything live and rebuilds the index;
 * rebuild_index builds the index anew over the segments. */
int vstore_checkpoint(struct vstore *s, char *err, size_t errn);
int vstore_compact(struct vstore *s, char *err, size_t errn);
int vstore_rebuild_index(struct vstore *s, char *err, size_t errn);
/* Points in the log, not yet in a segment. */
size_t vstore_pending(const struct vstore *s);

/* ---- reading ---- */

size_t vstore_count(const struct vstore *s); /* live points */
/* The live point with this id: 1 and *out (valid until the next write),
 * or 0. */
int vstore_get(struct vstore *s, const char *id, size_t len, struct vstore_point *out);

/* The slot of the live point with this id, or -1. */
long vstore_slot_of(struct vstore *s, const char *id, size_t len);

struct vstore_hit {
	uint32_t slot;
	float score; /* cosine similarity, dot product or Euclidean distance */
};
/* The point in a slot a search returned. */
void vstore_point_at(const struct vstore *s, uint32_t slot, struct vstore_point *out);

struct vstore_query {
	size_t k;
	size_t ef;                    /* 0: max(k, 64) */
	const struct vfilter *filter; /* NULL: all points */
	int exact;                    /* scan everything instead of the index */
};
/* The k best points for each of nq query vectors (nq x dim floats), best
 * first: hits[q * k ...], counts[q] of them.  Exact scans score a block
 * of points at a time for all queries together (vdist_many); indexed
 * searches run one query at a time.  Every score is the vdist.h kernel of
 * the (query, point) pair, the same bits whatever the batch, the point's
 * slot, the path (exact, index, sparse) and the CPU; equal scores are
 * ordered by id.  A selective filter (few
 * points match) is answered exactly over the matching points, so recall
 * does not collapse.  Returns 0, or -1 with a message (a payload that
 * is not JSON, say). */
int vstore_search(struct vstore *s, const float *queries, size_t nq, const struct vstore_query *q,
                  struct vstore_hit *hits, size_t *counts, char *err, size_t errn);
/* Searches keep the set of points a filter matches while the store does
 * not change, keyed by the filter's address: call this before a filter is
 * freed, since another may be given the same address. */
void vstore_forget_filter(struct vstore *s);
/* Every live point the filter matches, in slot order, to fn (stop: fn
 * returns non-zero).  Returns how many were visited. */
size_t vstore_scan(struct vstore *s, const struct vfilter *f, int (*fn)(void *ctx, uint32_t slot), void *ctx);

/* Reads every byte the checksums cover: the segments' vectors and the
 * index's links (what opening leaves alone).  0, or -1 with what is
 * damaged. */
int vstore_verify(struct vstore *s, char *err, size_t errn);

struct vstore_stats {
	uint32_t dim;
	enum vmetric metric;
	uint32_t m, ef_construction;
	uint64_t generation, points, slots, dead, segments, pending, indexed, bytes;
};
void vstore_stats(const struct vstore *s, struct vstore_stats *st);

/* A snapshot of the store (checkpointed first) as one file, a tar of its
 * files written atomically; restore makes a new store from one in dir,
 * which must not exist or be empty, and checks it opens. */
int vstore_snapshot(struct vstore *s, const char *path, char *err, size_t errn);
int vstore_restore(const char *snapshot, const char *dir, char *err, size_t errn);

#endif
