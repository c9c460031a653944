/* vsclient.h - a vector store as vs-upsert and vs-query use it, whichever
 * kind it is: the embedded store in a directory (vstore.h), or a Qdrant
 * collection over its REST API (qdrant.h), named
 * qdrant://HOST:PORT/COLLECTION (or qdrants:// for https).  The programs
 * hold no logic of either; the same test suite runs against both.
 *
 * Filters are Qdrant filter JSON text: the embedded store compiles it
 * (vfilter.h), the Qdrant driver sends it.  Points come back through a
 * callback with their strings valid during the call. */
#ifndef SLUICE_VSCLIENT_H
#define SLUICE_VSCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "vs/backend.h"
#include "vs/vdist.h"
#include "vs/vstore.h"

struct vsclient;

/* "DIR" or "qdrant://HOST:PORT/COLLECTION" / "qdrants://...".  NULL with
 * a message; *locked set when the embedded store has another writer. */
struct vsclient *vsclient_open(const char *where, const struct vsclient_opts *o, int *locked, char *err,
                               size_t errn);
void vsclient_close(struct vsclient *c);
int vsclient_is_qdrant(const struct vsclient *c);
uint32_t vsclient_dim(const struct vsclient *c);
enum vmetric vsclient_metric(const struct vsclient *c);

/* Checks one point as a write of it would: NULL, or why not. */
const char *vsclient_check(const struct vsclient *c, const struct vstore_point *p, char *why, size_t whyn);
/* One batch, all or nothing; durable when this returns 0. */
int vsclient_upsert(struct vsclient *c, const struct vstore_point *pts, size_t n, char *err, size_t errn);
int vsclient_delete(struct vsclient *c, const char *const *ids, const size_t *lens, size_t n, size_t *deleted,
                    char *err, size_t errn);
/* filter: Qdrant filter JSON text. */
int vsclient_delete_filter(struct vsclient *c, const char *filter, size_t *deleted, char *err, size_t errn);
/* Writes pending work out (the embedded store's checkpoint; no-op for Qdrant). */
int vsclient_flush(struct vsclient *c, char *err, size_t errn);
int vsclient_compact(struct vsclient *c, char *err, size_t errn);
int vsclient_rebuild_index(struct vsclient *c, char *err, size_t errn);
int vsclient_snapshot(struct vsclient *c, const char *path, char *err, size_t errn);
/* Makes the store at where from a snapshot file (a new one). */
int vsclient_restore(const char *where, const char *snapshot, const struct vsclient_opts *o, char *err,
                     size_t errn);
/* Live points; -1 with a message on failure. */
int64_t vsclient_count(struct vsclient *c, char *err, size_t errn);

/* nq queries (nq x dim floats); fn gets each query's hits best first. */
int vsclient_search(struct vsclient *c, const float *queries, size_t nq, const struct vsclient_query *q,
                    vsclient_fn fn, void *ctx, char *err, size_t errn);
/* The points with these ids (those absent are skipped; *missing counts
 * them), in the order asked. */
int vsclient_get(struct vsclient *c, const char *const *ids, size_t n, int with_vector, vsclient_fn fn, void *ctx,
                 size_t *missing, char *err, size_t errn);
/* Points the filter matches (all with NULL), at most limit. */
int vsclient_scan(struct vsclient *c, const char *filter, uint64_t limit, int with_vector, vsclient_fn fn,
                  void *ctx, char *err, size_t errn);
/* The embedded store's full integrity check (vstore_verify). */
int vsclient_verify(struct vsclient *c, char *err, size_t errn);
/* Statistics as a JSON object's text into a malloc'd string. */
char *vsclient_stats(struct vsclient *c, char *err, size_t errn);

#endif
