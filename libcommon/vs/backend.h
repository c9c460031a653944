/* backend.h - what vsclient.h hands a store behind it and gets back,
 * shared by the client and the Qdrant driver (qdrant.h) so that neither
 * includes the other: the options a store is opened with, a query, and
 * the points that come back through a callback. */
#ifndef SLUICE_BACKEND_H
#define SLUICE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

struct vsclient_opts {
	uint32_t dim;      /* creating: required; else 0 or what the store must have */
	int metric;        /* -1: the store's */
	uint32_t m, ef_construction;
	int sync, threads, create, writable;
	double timeout;    /* HTTP (Qdrant): seconds without progress; <= 0: 30 */
	int retries;       /* HTTP: < 0 the default */
	uint32_t create_dim; /* creating with dim 0: this one (the first point's) */
};

/* A point handed to a callback: strings valid during the call. */
struct vsclient_point {
	const char *id;
	size_t id_len;
	float score;      /* searches only */
	const char *meta; /* JSON object text; meta_len 0: none */
	size_t meta_len;
	const float *vec; /* when asked for, else NULL */
};
/* Return non-zero to stop. */
typedef int (*vsclient_fn)(void *ctx, size_t query, size_t rank, const struct vsclient_point *p);

struct vsclient_query {
	size_t k, ef;
	const char *filter; /* NULL: none */
	int exact, with_vector;
};

#endif
