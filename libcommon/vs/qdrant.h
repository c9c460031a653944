/* qdrant.h - the Qdrant driver: a collection of a Qdrant server used as a
 * vector store through its REST API (http.h), for vsclient.h.
 *
 * qdrant://HOST:PORT/COLLECTION speaks http, qdrants:// https; the
 * QDRANT_API_KEY environment variable, when set, goes in the api-key
 * header.  Writes use wait=true, so a write that returned is applied.
 *
 * Ids: Qdrant takes unsigned integers and UUIDs only.  An id that is the
 * decimal text of an integer below 2^63 without leading zeros is sent as
 * that integer; a UUID (lower-case, hyphenated) as itself; any other id
 * as the UUIDv5 of its text (namespace: the URL namespace of RFC 4122
 * applied to "sluice:" followed by the id), with the original kept in the
 * payload under "__sluice_id__", which results read back and hide (a
 * caller's metadata may not use that key).  An empty payload reads back
 * as no metadata.
 *
 * Qdrant does not say how many points a delete removed: the driver counts
 * them just before (exact if no other writer is at work).  A snapshot is
 * made on the server, downloaded, and deleted there; a restore uploads the
 * file (multipart), which works with a server on another machine, and
 * makes a new collection: it refuses one that exists.
 *
 * This driver was checked against Qdrant's OpenAPI specification (a
 * loopback server that validates every request and response, tests/
 * helpers/qdrantserver.py), not against a live Qdrant. */
#ifndef SLUICE_QDRANT_H
#define SLUICE_QDRANT_H

#include <stddef.h>
#include <stdint.h>

#include "vs/backend.h"
#include "vs/vdist.h"
#include "vs/vstore.h"

struct qdrant;

/* 1 if where is a qdrant:// or qdrants:// name. */
int qdrant_is_url(const char *where);

/* Opens the collection; with o->create and o->dim a missing collection is
 * created (distance Cosine, Dot or Euclid from o->metric; HNSW m and
 * ef_construct from o).  NULL with a message. */
struct qdrant *qdrant_open(const char *url, const struct vsclient_opts *o, char *err, size_t errn);
void qdrant_close(struct qdrant *q);
uint32_t qdrant_dim(const struct qdrant *q);
enum vmetric qdrant_metric(const struct qdrant *q);
/* The payload key the driver keeps a point's own id under, when Qdrant
 * could not take it as the point's id. */
#define QDRANT_ID_KEY "__sluice_id__"
/* Whether a point's metadata (a JSON object's text) has QDRANT_ID_KEY at
 * its top level: such a point cannot be stored. */
int qdrant_meta_has_own_key(const char *meta, size_t len);

int qdrant_upsert(struct qdrant *q, const struct vstore_point *pts, size_t n, char *err, size_t errn);
int qdrant_delete(struct qdrant *q, const char *const *ids, const size_t *lens, size_t n, size_t *deleted,
                  char *err, size_t errn);
int qdrant_delete_filter(struct qdrant *q, const char *filter, size_t *deleted, char *err, size_t errn);
int qdrant_snapshot(struct qdrant *q, const char *path, char *err, size_t errn);
int qdrant_restore(const char *url, const char *snapshot, const struct vsclient_opts *o, char *err, size_t errn);
int64_t qdrant_count(struct qdrant *q, char *err, size_t errn);
int qdrant_search(struct qdrant *q, const float *queries, size_t nq, const struct vsclient_query *qq,
                  vsclient_fn fn, void *ctx, char *err, size_t errn);
int qdrant_get(struct qdrant *q, const char *const *ids, size_t n, int with_vector, vsclient_fn fn, void *ctx,
               size_t *missing, char *err, size_t errn);
int qdrant_scan(struct qdrant *q, const char *filter, uint64_t limit, int with_vector, vsclient_fn fn, void *ctx,
                char *err, size_t errn);
char *qdrant_stats(struct qdrant *q, char *err, size_t errn);

#endif
