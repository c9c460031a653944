/* vsclient.c - see vsclient.h */
#include "vs/vsclient.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/jsonw.h"
#include "vs/qdrant.h"
#include "vs/vfilter.h"

struct vsclient {
	struct vstore *store; /* one of the two */
	struct qdrant *qdrant;
	/* The last filter compiled, kept so that a run of query batches with
	 * one --filter reuses it, and the store its bitmap of matches. */
	char *filter_text;
	struct vfilter *filter;
};

struct vsclient *vsclient_open(const char *where, const struct vsclient_opts *o, int *locked, char *err,
                               size_t errn)
{
	*locked = 0;
	struct vsclient *c = xcalloc(1, sizeof *c);
	if (qdrant_is_url(where)) {
		c->qdrant = qdrant_open(where, o, err, errn);
	} else {
		struct vstore_opts so = {o->dim,    o->metric, o->m,        o->ef_construction, o->sync,
		                         o->threads, o->create, o->writable, o->create_dim};
		c->store = vstore_open(where, &so, err, errn);
		*locked = !c->store && strstr(err, "another writer") != NULL;
	}
	if (!c->store && !c->qdrant) {
		free(c);
		return NULL;
	}
	return c;
}

void vsclient_close(struct vsclient *c)
{
	if (!c)
		return;
	vstore_close(c->store);
	qdrant_close(c->qdrant);
	vfilter_free(c->filter);
	free(c->filter_text);
	free(c);
}

int vsclient_is_qdrant(const struct vsclient *c) { return c->qdrant != NULL; }
uint32_t vsclient_dim(const struct vsclient *c) { return c->store ? vstore_dim(c->store) : qdrant_dim(c->qdrant); }
enum vmetric vsclient_metric(const struct vsclient *c)
{
	return c->store ? vstore_metric(c->store) : qdrant_metric(c->qdrant);
}

const char *vsclient_check(const struct vsclient *c, const struct vstore_point *p, char *why, size_t whyn)
{
	if (c->store)
		return vstore_check(c->store, p, why, whyn);
	/* The same rules as the embedded store, so a batch fails here, whole,
	 * rather than half way through at the server. */
	if (p->id_len == 0)
		return "an empty id";
	uint32_t dim = qdrant_dim(c->qdrant);
	double norm = 0;
	for (uint32_t i = 0; i < dim; i++) {
		if (p->vec[i] != p->vec[i] || p->vec[i] - p->vec[i] != 0) {
			snprintf(why, whyn, "%s at index %u of the vector", p->vec[i] != p->vec[i] ? "NaN" : "Inf", i);
			return why;
		}
		norm += (double)p->vec[i] * p->vec[i];
	}
	if (qdrant_metric(c->qdrant) == VMETRIC_COSINE && !(norm > 0))
		return "a zero vector has no direction (metric cosine)";
	if (p->meta_len) {
		json_t *j = json_loadb(p->meta, p->meta_len, 0, NULL);
		int ok = j && json_is_object(j);
		json_decref(j);
		if (!ok)
			return "metadata is not a JSON object";
		if (qdrant_meta_has_own_key(p->meta, p->meta_len))
			return "the metadata key " QDRANT_ID_KEY " is the driver's own";
	}
	return NULL;
}

int vsclient_upsert(struct vsclient *c, const struct vstore_point *pts, size_t n, char *err, size_t errn)
{
	return c->store ? vstore_upsert(c->store, pts, n, err, errn) : qdrant_upsert(c->qdrant, pts, n, err, errn);
}

int vsclient_delete(struct vsclient *c, const char *const *ids, const size_t *lens, size_t n, size_t *deleted,
                    char *err, size_t errn)
{
	return c->store ? vstore_delete(c->store, ids, lens, n, deleted, err, errn)
	                : qdrant_delete(c->qdrant, ids, lens, n, deleted, err, errn);
}

static struct vfilter *compile(const char *filter, char *err, size_t errn)
{
	char why[512];
	struct vfilter *f = vfilter_parse(filter, strlen(filter), why, sizeof why);
	if (!f)
		errorf(err, errn, "filter: %s", why);
	return f;
}

/* A filter the embedded store would refuse is refused for Qdrant too, the
 * same way (exit 2 from the programs), before anything is sent. */
static int valid_filter(const char *filter, char *err, size_t errn)
{
	if (!filter)
		return 0;
	struct vfilter *f = compile(filter, err, errn);
	if (!f)
		return -1;
	vfilter_free(f);
	return 0;
}

int vsclient_delete_filter(struct vsclient *c, const char *filter, size_t *deleted, char *err, size_t errn)
{
	if (c->qdrant)
		return valid_filter(filter, err, errn) ? -1 : qdrant_delete_filter(c->qdrant, filter, deleted, err, errn);
	struct vfilter *f = compile(filter, err, errn);
	if (!f)
		return -1;
	int rc = vstore_delete_filter(c->store, f, deleted, err, errn);
	vfilter_free(f);
	return rc;
}

int vsclient_flush(struct vsclient *c, char *err, size_t errn)
{
	return c->store ? vstore_checkpoint(c->store, err, errn) : 0;
}

static int embedded_only(const struct vsclient *c, const char *what, char *err, size_t errn)
{
	if (c->store)
		return 0;
	return errorf(err, errn, "%s is for the embedded store; Qdrant optimizes its collections itself", what);
}

int vsclient_compact(struct vsclient *c, char *err, size_t errn)
{
	return embedded_only(c, "--compact", err, errn) ? -1 : vstore_compact(c->store, err, errn);
}

int vsclient_rebuild_index(struct vsclient *c, char *err, size_t errn)
{
	return embedded_only(c, "--rebuild-index", err, errn) ? -1 : vstore_rebuild_index(c->store, err, errn);
}

int vsclient_snapshot(struct vsclient *c, const char *path, char *err, size_t errn)
{
	return c->store ? vstore_snapshot(c->store, path, err, errn) : qdrant_snapshot(c->qdrant, path, err, errn);
}

int vsclient_restore(const char *where, const char *snapshot, const struct vsclient_opts *o, char *err,
                     size_t errn)
{
	return qdrant_is_url(where) ? qdrant_restore(where, snapshot, o, err, errn)
	                            : vstore_restore(snapshot, where, err, errn);
}

int64_t vsclient_count(struct vsclient *c, char *err, size_t errn)
{
	return c->store ? (int64_t)vstore_count(c->store) : qdrant_count(c->qdrant, err, errn);
}

static void fill_point(const struct vstore *s, uint32_t slot, float score, int with_vector,
                       struct vsclient_point *p)
{
	struct vstore_point vp;
	vstore_point_at(s, slot, &vp);
	*p = (struct vsclient_point){vp.id, vp.id_len, score, vp.meta, vp.meta_len, with_vector ? vp.vec : NULL};
}

int vsclient_search(struct vsclient *c, const float *queries, size_t nq, const struct vsclient_query *q,
                    vsclient_fn fn, void *ctx, char *err, size_t errn)
{
	if (c->qdrant)
		return valid_filter(q->filter, err, errn) ? -1 : qdrant_search(c->qdrant, queries, nq, q, fn, ctx, err, errn);
	struct vfilter *f = NULL;
	if (q->filter) {
		if (!c->filter_text || strcmp(c->filter_text, q->filter) != 0) {
			vstore_forget_filter(c->store);
			vfilter_free(c->filter);
			free(c->filter_text);
			c->filter_text = NULL;
			if (!(c->filter = compile(q->filter, err, errn)))
				return -1;
			c->filter_text = xstrdup(q->filter);
		}
		f = c->filter;
	}
	struct vstore_query sq = {q->k, q->ef, f, q->exact};
	struct vstore_hit *hits = xmalloc((nq * q->k + 1) * sizeof *hits);
	size_t *counts = xmalloc((nq + 1) * sizeof *counts);
	int rc = vstore_search(c->store, queries, nq, &sq, hits, counts, err, errn);
	for (size_t i = 0; rc == 0 && i < nq; i++)
		for (size_t r = 0; r < counts[i]; r++) {
			struct vsclient_point p;
			fill_point(c->store, hits[i * q->k + r].slot, hits[i * q->k + r].score, q->with_vector, &p);
			if (fn(ctx, i, r, &p)) {
				i = nq;
				break;
			}
		}
	free(hits);
	free(counts);
	return rc;
}

int vsclient_get(struct vsclient *c, const char *const *ids, size_t n, int with_vector, vsclient_fn fn, void *ctx,
                 size_t *missing, char *err, size_t errn)
{
	if (c->qdrant)
		return qdrant_get(c->qdrant, ids, n, with_vector, fn, ctx, missing, err, errn);
	*missing = 0;
	for (size_t i = 0; i < n; i++) {
		long slot = vstore_slot_of(c->store, ids[i], strlen(ids[i]));
		if (slot < 0) {
			(*missing)++;
			continue;
		}
		struct vsclient_point p;
		fill_point(c->store, (uint32_t)slot, 0, with_vector, &p);
		if (fn(ctx, i, 0, &p))
			break;
	}
	return 0;
}

struct scan_ctx {
	const struct vstore *s;
	vsclient_fn fn;
	void *ctx;
	uint64_t limit, seen;
	int with_vector;
};

static int scan_one(void *ctx, uint32_t slot)
{
	struct scan_ctx *sc = ctx;
	struct vsclient_point p;
	fill_point(sc->s, slot, 0, sc->with_vector, &p);
	return sc->fn(sc->ctx, 0, (size_t)sc->seen, &p) || ++sc->seen >= sc->limit;
}

int vsclient_scan(struct vsclient *c, const char *filter, uint64_t limit, int with_vector, vsclient_fn fn,
                  void *ctx, char *err, size_t errn)
{
	if (c->qdrant)
		return valid_filter(filter, err, errn) ? -1
		                                        : qdrant_scan(c->qdrant, filter, limit, with_vector, fn, ctx, err, errn);
	if (limit == 0)
		return 0;
	struct vfilter *f = NULL;
	if (filter && !(f = compile(filter, err, errn)))
		return -1;
	struct scan_ctx sc = {c->store, fn, ctx, limit, 0, with_vector};
	vstore_scan(c->store, f, scan_one, &sc);
	vfilter_free(f);
	return 0;
}

int vsclient_verify(struct vsclient *c, char *err, size_t errn)
{
	return embedded_only(c, "--verify", err, errn) ? -1 : vstore_verify(c->store, err, errn);
}

char *vsclient_stats(struct vsclient *c, char *err, size_t errn)
{
	if (c->qdrant)
		return qdrant_stats(c->qdrant, err, errn);
	struct vstore_stats st;
	vstore_stats(c->store, &st);
	json_t *o = json_pack("{s:s,s:i,s:s,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "backend", "embedded", "dim",
	                      (int)st.dim, "metric", vstore_metric_name(st.metric), "m", (int)st.m, "ef_construction",
	                      (int)st.ef_construction, "generation", (json_int_t)st.generation, "points",
	                      (json_int_t)st.points, "slots", (json_int_t)st.slots, "dead", (json_int_t)st.dead,
	                      "segments", (json_int_t)st.segments, "pending", (json_int_t)st.pending, "indexed",
	                      (json_int_t)st.indexed, "bytes", (json_int_t)st.bytes);
	struct buf b = {0};
	jsonw_value(&b, o);
	json_decref(o);
	buf_addc(&b, '\0');
	return b.data;
}
