/* vsupsert.h - writing points into a vector store as vs-upsert does:
 * vector records or JSON lines {"id", "vector", "metadata"} (ids alone,
 * or plain lines of ids, when deleting) gathered into batches, each batch
 * written all or nothing and then, with ack, its ids printed on stdout;
 * deletion by filter; the administration of a store (compact, rebuild
 * the index, snapshot).  A store created without a dimension takes the
 * first point's.  Errors end the program: VSUPSERT_LOCKED when another
 * writer holds the store, 8 for a bad point, 2 for a bad filter, else 1. */
#ifndef SLUICE_VSUPSERT_H
#define SLUICE_VSUPSERT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/cli.h"
#include "base/io.h"
#include "base/progress.h"
#include "vs/vsclient.h"

/* Exit status for a store another writer holds: a cron wrapper can tell
 * "try later" from a real failure. */
#define VSUPSERT_LOCKED 3

struct vsupsert {
	struct vsclient *store; /* NULL until the first point when --dim is not given */
	struct vsclient_opts open_opts;
	const char *dir;
	size_t batch;
	int ack, deleting, quiet;
	/* the rest is the session's own */
	struct vstore_point *pts;
	struct buf ids, metas; /* the batch's strings, back to back */
	float *vecs;
	size_t n, dim;
	size_t *id_offs, *meta_offs;
	struct outbuf out;
	struct progress progress;
	uint64_t written, deleted;
};

/* Opens (or creates) the store; dim is what to create it with when no
 * --dim was given (0: none known, so only an existing store opens). */
void vsupsert_open(struct vsupsert *u, size_t dim);
/* Compacts the store, or rebuilds its index, or snapshots it to snapshot. */
void vsupsert_admin(struct vsupsert *u, int compact, int rebuild, const char *snapshot);
/* Deletes the points that filter (Qdrant filter JSON) matches. */
void vsupsert_delete_filter(struct vsupsert *u, const char *filter);
/* Writes (or deletes) the points of paths[n] ("-": stdin; none: stdin). */
void vsupsert_read(struct vsupsert *u, char **paths, int n, enum cli_progress progress);
/* Folds what was written into the store and says what it holds now
 * (unless quiet); closes it. */
void vsupsert_finish(struct vsupsert *u);

#endif
