/* vstore.c - see vstore.h */
#define _GNU_SOURCE /* flock */
#include "vs/vstore.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/io.h"
#include "base/jsonw.h"
#include "vs/hnsw.h"
#include "vs/vfilter.h"
#include "vs/vseg.h"
#include "vs/vwal.h"

#define MANIFEST "manifest.json"
#define STORE_FORMAT "sluice-vstore"
#define STORE_VERSION 1
#define MAP_EMPTY UINT32_MAX
#define MAP_GONE (UINT32_MAX - 1)
#define MAX_ID 65535

/* ---- the id map: id text -> live slot, open addressing ---- */

struct idmap {
	uint32_t *slots; /* MAP_EMPTY, MAP_GONE or a slot */
	size_t cap, used, gone;
};

struct seg_ref {
	struct vseg *seg;
	char *name;
	uint32_t base;
};

/* The log's points since the last checkpoint: slots seg_slots + i. */
struct overlay {
	size_t n, cap;
	char **ids, **metas;
	size_t *id_lens, *meta_lens;
	float *vecs;
};

struct vstore {
	char *dir;
	uint32_t dim;
	enum vmetric metric;
	uint32_t m, efc;
	int sync, threads, writable, lock_fd;
	uint64_t gen;

	struct seg_ref *segs;
	size_t nsegs;
	uint32_t seg_slots;
	struct overlay ov;
	uint64_t *dead;
	size_t dead_words, ndead;
	/* The segments' dead slots come from the generation's dead-slot file
	 * (vseg.h) when it has one; the id map is then built only when
	 * something needs it (ensure_map). */
	char *dead_name;
	int dead_from_file;
	struct idmap map;

	struct hnsw *index;
	char *index_name;
	size_t indexed;
	struct hnsw_scratch *scratch;

	char *wal_name;
	struct vwal *wal;
	uint64_t wal_end;
	struct buf entry;
	/* Ids deleted since the last checkpoint: the next segment lists them,
	 * so that reopening deletes them from the segments before it. */
	char **win_del;
	size_t *win_del_lens, nwin_del;

	uint64_t version; /* bumped by every change, for the caches below */
	json_t **payloads;
	size_t npayloads;
	const struct vfilter *filter_of;
	uint64_t filter_version;
	uint64_t *allowed; /* live (and matching filter_of) slots */
	size_t allowed_words, nallowed;
	int allowed_all; /* every slot live and no filter: allowed not needed */
	float *qnorm;
	size_t qnorm_cap;
};

static uint32_t total_slots(const struct vstore *s) { return s->seg_slots + (uint32_t)s->ov.n; }

static const struct seg_ref *seg_of(const struct vstore *s, uint32_t slot)
{
	size_t lo = 0, hi = s->nsegs;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (s->segs[mid].base <= slot)
			lo = mid;
		else
			hi = mid;
	}
	return &s->segs[lo];
}

static const char *slot_id(const struct vstore *s, uint32_t slot, size_t *len)
{
	if (slot >= s->seg_slots) {
		size_t i = slot - s->seg_slots;
		*len = s->ov.id_lens[i];
		return s->ov.ids[i];
	}
	const struct seg_ref *r = seg_of(s, slot);
	return vseg_id(r->seg, slot - r->base, len);
}

static const char *slot_meta(const struct vstore *s, uint32_t slot, size_t *len)
{
	if (slot >= s->seg_slots) {
		size_t i = slot - s->seg_slots;
		*len = s->ov.meta_lens[i];
		return s->ov.metas[i];
	}
	const struct seg_ref *r = seg_of(s, slot);
	return vseg_meta(r->seg, slot - r->base, len);
}

static const float *slot_vec(const struct vstore *s, uint32_t slot)
{
	if (slot >= s->seg_slots)
		return s->ov.vecs + (size_t)(slot - s->seg_slots) * s->dim;
	const struct seg_ref *r = seg_of(s, slot);
	return vseg_vectors(r->seg) + (size_t)(slot - r->base) * s->dim;
}

static int is_dead(const struct vstore *s, uint32_t slot) { return (s->dead[slot / 64] >> (slot % 64)) & 1; }

static void grow_dead(struct vstore *s, size_t slots)
{
	size_t words = (slots + 63) / 64;
	if (words <= s->dead_words)
		return;
	size_t cap = s->dead_words ? s->dead_words : 16;
	while (cap < words)
		cap *= 2;
	s->dead = xrealloc(s->dead, cap * sizeof *s->dead);
	memset(s->dead + s->dead_words, 0, (cap - s->dead_words) * sizeof *s->dead);
	s->dead_words = cap;
}

static void mark_dead(struct vstore *s, uint32_t slot)
{
	if (!is_dead(s, slot)) {
		s->dead[slot / 64] |= 1ull << (slot % 64);
		s->ndead++;
	}
}

static uint64_t id_hash(const char *id, size_t len) { return XXH3_64bits(id, len); }

/* The map position holding id, or the first free one on its probe path
 * (*found tells which). */
static size_t map_probe(const struct vstore *s, const char *id, size_t len, int *found)
{
	const struct idmap *m = &s->map;
	size_t mask = m->cap - 1, at = (size_t)id_hash(id, len) & mask, free_at = SIZE_MAX;
	for (;;) {
		uint32_t v = m->slots[at];
		if (v == MAP_EMPTY) {
			*found = 0;
			return free_at != SIZE_MAX ? free_at : at;
		}
		if (v == MAP_GONE) {
			if (free_at == SIZE_MAX)
				free_at = at;
		} else {
			size_t l;
			const char *other = slot_id(s, v, &l);
			if (l == len && memcmp(other, id, len) == 0) {
				*found = 1;
				return at;
			}
		}
		at = (at + 1) & mask;
	}
}

static void map_rehash(struct vstore *s, size_t cap)
{
	uint32_t *old = s->map.slots;
	size_t old_cap = s->map.cap;
	s->map.slots = xmalloc(cap * sizeof *s->map.slots);
	for (size_t i = 0; i < cap; i++)
		s->map.slots[i] = MAP_EMPTY;
	s->map.cap = cap;
	s->map.used = s->map.gone = 0;
	for (size_t i = 0; i < old_cap; i++) {
		if (old[i] >= MAP_GONE)
			continue;
		size_t l;
		const char *id = slot_id(s, old[i], &l);
		int found;
		size_t at = map_probe(s, id, l, &found);
		s->map.slots[at] = old[i];
		s->map.used++;
	}
	free(old);
}

/* Points id at slot; the slot it held before, if any, dies. */
static void map_set(struct vstore *s, const char *id, size_t len, uint32_t slot)
{
	if ((s->map.used + s->map.gone + 1) * 10 >= s->map.cap * 7)
		map_rehash(s, s->map.used * 10 >= s->map.cap * 5 ? s->map.cap * 2 : s->map.cap);
	int found;
	size_t at = map_probe(s, id, len, &found);
	if (found) {
		mark_dead(s, s->map.slots[at]);
	} else {
		if (s->map.slots[at] == MAP_GONE)
			s->map.gone--;
		s->map.used++;
	}
	s->map.slots[at] = slot;
}

/* Removes id; 1 if it was there. */
static int map_remove(struct vstore *s, const char *id, size_t len)
{
	int found;
	size_t at = map_probe(s, id, len, &found);
	if (!found)
		return 0;
	mark_dead(s, s->map.slots[at]);
	s->map.slots[at] = MAP_GONE;
	s->map.used--;
	s->map.gone++;
	return 1;
}

static void ensure_map(struct vstore *s);

static long map_find(struct vstore *s, const char *id, size_t len)
{
	ensure_map(s);
	int found;
	size_t at = map_probe(s, id, len, &found);
	return found ? (long)s->map.slots[at] : -1;
}

/* ---- applying batches (from the log, or as they are written) ---- */

static void apply_upsert(struct vstore *s, const char *id, size_t id_len, const char *meta, size_t meta_len,
                         const void *vec)
{
	struct overlay *o = &s->ov;
	if (o->n == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 64;
		o->ids = xrealloc(o->ids, o->cap * sizeof *o->ids);
		o->metas = xrealloc(o->metas, o->cap * sizeof *o->metas);
		o->id_lens = xrealloc(o->id_lens, o->cap * sizeof *o->id_lens);
		o->meta_lens = xrealloc(o->meta_lens, o->cap * sizeof *o->meta_lens);
		o->vecs = xrealloc(o->vecs, o->cap * s->dim * sizeof *o->vecs);
	}
	o->ids[o->n] = xstrndup(id, id_len);
	o->id_lens[o->n] = id_len;
	o->metas[o->n] = meta_len ? xstrndup(meta, meta_len) : NULL;
	o->meta_lens[o->n] = meta_len;
	memcpy(o->vecs + o->n * s->dim, vec, (size_t)s->dim * sizeof(float));
	uint32_t slot = total_slots(s);
	o->n++;
	grow_dead(s, total_slots(s));
	map_set(s, id, id_len, slot);
	s->version++;
}

static int apply_delete(struct vstore *s, const char *id, size_t id_len)
{
	if (!map_remove(s, id, id_len))
		return 0;
	s->win_del = xrealloc(s->win_del, (s->nwin_del + 1) * sizeof *s->win_del);
	s->win_del_lens = xrealloc(s->win_del_lens, (s->nwin_del + 1) * sizeof *s->win_del_lens);
	s->win_del[s->nwin_del] = xstrndup(id, id_len);
	s->win_del_lens[s->nwin_del++] = id_len;
	s->version++;
	return 1;
}

static int apply_entry(void *ctx, int kind, uint32_t count, const unsigned char *p, size_t len, char *err,
                       size_t errn)
{
	struct vstore *s = ctx;
	size_t cursor = 0;
	struct vwal_rec r;
	(void)count;
	(void)err;
	(void)errn;
	ensure_map(s);
	while (vwal_entry_next(p, len, s->dim, &cursor, &r)) {
		if (kind == VWAL_UPSERT)
			apply_upsert(s, r.id, r.id_len, r.meta, r.meta_len, r.vec);
		else
			apply_delete(s, r.id, r.id_len);
	}
	return 0;
}

/* ---- files ---- */

static char *path_in(const struct vstore *s, const char *name)
{
	size_t n = strlen(s->dir) + strlen(name) + 2;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%s", s->dir, name);
	return p;
}

static char *gen_name(const char *prefix, uint64_t gen, const char *ext)
{
	char name[64];
	snprintf(name, sizeof name, "%s-%06llu.%s", prefix, (unsigned long long)gen, ext);
	return xstrdup(name);
}

const char *vstore_metric_name(enum vmetric m)
{
	return m == VMETRIC_DOT ? "dot" : m == VMETRIC_L2 ? "l2" : "cosine";
}

int vstore_metric_from_name(const char *name)
{
	if (strcmp(name, "cosine") == 0)
		return VMETRIC_COSINE;
	if (strcmp(name, "dot") == 0)
		return VMETRIC_DOT;
	if (strcmp(name, "l2") == 0)
		return VMETRIC_L2;
	return -1;
}

/* A file name the manifest may hold: a plain name, no path. */
static int plain_name(const char *n)
{
	return n && *n && *n != '.' && !strchr(n, '/') && strlen(n) < 64;
}

static int write_manifest(struct vstore *s, uint64_t gen, char **segs, size_t nsegs, const char *index,
                          size_t indexed, const char *dead, const char *wal, char *err, size_t errn)
{
	json_t *m = json_object();
	json_object_set_new(m, "format", json_string(STORE_FORMAT));
	json_object_set_new(m, "version", json_integer(STORE_VERSION));
	json_object_set_new(m, "dim", json_integer(s->dim));
	json_object_set_new(m, "metric", json_string(vstore_metric_name(s->metric)));
	json_object_set_new(m, "m", json_integer(s->m));
	json_object_set_new(m, "ef_construction", json_integer(s->efc));
	json_object_set_new(m, "generation", json_integer((json_int_t)gen));
	json_t *a = json_array();
	for (size_t i = 0; i < nsegs; i++)
		json_array_append_new(a, json_string(segs[i]));
	json_object_set_new(m, "segments", a);
	json_object_set_new(m, "index", index ? json_string(index) : json_null());
	json_object_set_new(m, "indexed", json_integer((json_int_t)indexed));
	json_object_set_new(m, "dead", dead ? json_string(dead) : json_null());
	json_object_set_new(m, "wal", json_string(wal));
	struct buf b = {0};
	jsonw_value(&b, m);
	buf_addc(&b, '\n');
	json_decref(m);
	char *path = path_in(s, MANIFEST);
	struct atomic_file f;
	int rc = -1;
	if (atomic_open(&f, path) != 0) {
		errorf(err, errn, "%s: %s", path, strerror(errno));
	} else {
		ssize_t put = write(f.fd, b.data, b.len);
		if (put != (ssize_t)b.len) {
			errorf(err, errn, "%s: write error: %s", path, put < 0 ? strerror(errno) : "short write");
			atomic_abort(&f);
		} else if ((rc = atomic_commit(&f)) != 0) {
			errorf(err, errn, "%s: %s", path, strerror(errno));
		}
	}
	free(path);
	buf_free(&b);
	return rc;
}

static void unload(struct vstore *s)
{
	for (size_t i = 0; i < s->nsegs; i++) {
		vseg_close(s->segs[i].seg);
		free(s->segs[i].name);
	}
	free(s->segs);
	s->segs = NULL;
	s->nsegs = 0;
	s->seg_slots = 0;
	for (size_t i = 0; i < s->ov.n; i++) {
		free(s->ov.ids[i]);
		free(s->ov.metas[i]);
	}
	free(s->ov.ids);
	free(s->ov.metas);
	free(s->ov.id_lens);
	free(s->ov.meta_lens);
	free(s->ov.vecs);
	memset(&s->ov, 0, sizeof s->ov);
	for (size_t i = 0; i < s->nwin_del; i++)
		free(s->win_del[i]);
	free(s->win_del);
	free(s->win_del_lens);
	s->win_del = NULL;
	s->win_del_lens = NULL;
	s->nwin_del = 0;
	free(s->dead);
	s->dead = NULL;
	s->dead_words = s->ndead = 0;
	free(s->map.slots);
	memset(&s->map, 0, sizeof s->map);
	free(s->dead_name);
	s->dead_name = NULL;
	s->dead_from_file = 0;
	hnsw_scratch_free(s->scratch);
	s->scratch = NULL;
	hnsw_free(s->index);
	s->index = NULL;
	free(s->index_name);
	s->index_name = NULL;
	s->indexed = 0;
	free(s->wal_name);
	s->wal_name = NULL;
	vwal_close(s->wal);
	s->wal = NULL;
	for (size_t i = 0; i < s->npayloads; i++)
		json_decref(s->payloads[i]);
	free(s->payloads);
	s->payloads = NULL;
	s->npayloads = 0;
	free(s->allowed);
	s->allowed = NULL;
	s->allowed_words = 0;
	s->filter_of = NULL;
	s->version++;
}

/* The id map from the segments, in order: each one's deletes, then its
 * points, so a later version of an id or a later delete wins.  It also
 * marks the dead slots, which a dead-slot file may already have marked
 * (mark_dead counts a slot once).  Only ever needed before the log's
 * points go in: they are applied through the map (apply_entry). */
static void build_map(struct vstore *s)
{
	size_t cap = 1024; /* sized once for every slot: no rehash */
	while (cap * 6 < (size_t)s->seg_slots * 10)
		cap *= 2;
	map_rehash(s, cap);
	for (size_t i = 0; i < s->nsegs; i++) {
		const struct seg_ref *r = &s->segs[i];
		for (size_t d = 0; d < vseg_deleted_count(r->seg); d++) {
			size_t l;
			const char *id = vseg_deleted_id(r->seg, d, &l);
			map_remove(s, id, l);
		}
		for (size_t j = 0; j < vseg_count(r->seg); j++) {
			size_t l;
			const char *id = vseg_id(r->seg, j, &l);
			map_set(s, id, l, r->base + (uint32_t)j);
		}
	}
}

static void ensure_map(struct vstore *s)
{
	if (s->map.slots)
		return;
	if (s->ov.n)
		die(STATUS_FAIL, "%s: internal error: the id map is needed after the log was applied", s->dir);
	build_map(s);
}

/* Reads the manifest and opens what it names.  1 on success, 0 when a
 * file it names is gone (a checkpoint replaced it: read it again), -1 on
 * error. */
static int load(struct vstore *s, const struct vstore_opts *o, char *err, size_t errn)
{
	char *mpath = path_in(s, MANIFEST);
	json_error_t je;
	json_t *m = json_load_file(mpath, 0, &je);
	int rc = -1;
	if (!m) {
		errorf(err, errn, "%s: %s", mpath, errno == ENOENT ? "no store here" : je.text);
		free(mpath);
		return -1;
	}
	const char *format = json_string_value(json_object_get(m, "format"));
	json_int_t version = json_integer_value(json_object_get(m, "version"));
	json_int_t dim = json_integer_value(json_object_get(m, "dim"));
	const char *metric = json_string_value(json_object_get(m, "metric"));
	json_t *segs = json_object_get(m, "segments");
	const char *index = json_string_value(json_object_get(m, "index"));
	const char *wal = json_string_value(json_object_get(m, "wal"));
	if (!format || strcmp(format, STORE_FORMAT) != 0) {
		errorf(err, errn, "%s: not a sluice vector store", mpath);
		goto out;
	}
	if (version != STORE_VERSION) {
		errorf(err, errn, "%s: unknown store version %lld (this sluice reads version %d)", mpath,
		       (long long)version, STORE_VERSION);
		goto out;
	}
	if (dim < 1 || dim > 65536 || !metric || vstore_metric_from_name(metric) < 0 || !json_is_array(segs) ||
	    !plain_name(wal) || (index && !plain_name(index))) {
		errorf(err, errn, "%s: damaged manifest", mpath);
		goto out;
	}
	s->dim = (uint32_t)dim;
	s->metric = (enum vmetric)vstore_metric_from_name(metric);
	s->m = (uint32_t)json_integer_value(json_object_get(m, "m"));
	s->efc = (uint32_t)json_integer_value(json_object_get(m, "ef_construction"));
	s->gen = (uint64_t)json_integer_value(json_object_get(m, "generation"));
	if (s->m < 2 || s->m > 256 || s->efc < 1) {
		errorf(err, errn, "%s: damaged manifest (index parameters)", mpath);
		goto out;
	}
	if (o->dim && o->dim != s->dim) {
		errorf(err, errn, "%s: the store has dim %u, not %u", s->dir, s->dim, o->dim);
		goto out;
	}
	if (o->metric >= 0 && (enum vmetric)o->metric != s->metric) {
		errorf(err, errn, "%s: the store's metric is %s, not %s", s->dir, vstore_metric_name(s->metric),
		       vstore_metric_name((enum vmetric)o->metric));
		goto out;
	}
	s->segs = xcalloc(json_array_size(segs) + 1, sizeof *s->segs);
	for (size_t i = 0; i < json_array_size(segs); i++) {
		const char *name = json_string_value(json_array_get(segs, i));
		if (!plain_name(name)) {
			errorf(err, errn, "%s: damaged manifest (segment names)", mpath);
			goto out;
		}
		char *p = path_in(s, name);
		struct vseg *g = vseg_open(p, s->dim, err, errn);
		int gone = !g && errno == ENOENT;
		free(p);
		if (!g) {
			rc = gone ? 0 : -1;
			goto out;
		}
		if ((uint64_t)s->seg_slots + vseg_count(g) >= MAP_GONE) {
			errorf(err, errn, "%s: over 4 billion points", s->dir);
			vseg_close(g);
			goto out;
		}
		struct seg_ref *r = &s->segs[s->nsegs++];
		r->seg = g;
		r->name = xstrdup(name);
		r->base = s->seg_slots;
		s->seg_slots += (uint32_t)vseg_count(g);
	}
	grow_dead(s, s->seg_slots);
	json_t *dead = json_object_get(m, "dead");
	if (json_is_string(dead)) {
		const char *name = json_string_value(dead);
		if (!plain_name(name)) {
			errorf(err, errn, "%s: damaged manifest (dead-slot file)", mpath);
			goto out;
		}
		char *p = path_in(s, name);
		size_t ndead;
		uint64_t *bits = vseg_dead_read(p, s->seg_slots, &ndead, err, errn);
		int gone = !bits && errno == ENOENT;
		free(p);
		if (!bits) {
			rc = gone ? 0 : -1;
			goto out;
		}
		memcpy(s->dead, bits, (s->seg_slots + 63) / 64 * sizeof *bits);
		free(bits);
		s->ndead = ndead;
		s->dead_name = xstrdup(name);
		s->dead_from_file = 1;
	} else if (json_is_null(dead)) {
		s->dead_from_file = 1; /* none dead */
	} else if (dead) {
		errorf(err, errn, "%s: damaged manifest (dead-slot file)", mpath);
		goto out;
	}
	/* A writer needs the map for every upsert and delete; so does a store
	 * from before dead-slot files, to learn which slots are dead. */
	if (s->writable || !s->dead_from_file)
		ensure_map(s);
	s->indexed = (size_t)json_integer_value(json_object_get(m, "indexed"));
	if (index) {
		char *p = path_in(s, index);
		s->index = hnsw_open(p, s->writable, err, errn);
		int gone = !s->index && access(p, F_OK) != 0;
		free(p);
		if (!s->index) {
			rc = gone ? 0 : -1;
			goto out;
		}
		const struct hnsw_params *hp = hnsw_get_params(s->index);
		if (hp->dim != s->dim || hnsw_count(s->index) != s->indexed || s->indexed > s->seg_slots) {
			errorf(err, errn, "%s: the index does not match the manifest", s->dir);
			goto out;
		}
		s->index_name = xstrdup(index);
		s->scratch = hnsw_scratch_new(s->index);
	} else {
		s->indexed = 0;
	}
	s->wal_name = xstrdup(wal);
	char *wpath = path_in(s, wal);
	uint64_t entries;
	int r = vwal_replay(wpath, s->dim, apply_entry, s, &s->wal_end, &entries, err, errn);
	if (r != 0) {
		rc = access(wpath, F_OK) != 0 ? 0 : -1;
		free(wpath);
		goto out;
	}
	if (s->writable) {
		s->wal = vwal_open_append(wpath, s->wal_end, err, errn);
		if (!s->wal) {
			free(wpath);
			goto out;
		}
	}
	free(wpath);
	rc = 1;
out:
	json_decref(m);
	free(mpath);
	if (rc != 1)
		unload(s);
	return rc;
}

/* Files of older generations a crash left behind. */
static void remove_strays(struct vstore *s)
{
	DIR *d = opendir(s->dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *n = e->d_name;
		int ours = strncmp(n, "seg-", 4) == 0 || strncmp(n, "hnsw-", 5) == 0 || strncmp(n, "wal-", 4) == 0 ||
		           strncmp(n, "dead-", 5) == 0 ||
		           strncmp(n, MANIFEST ".tmp.", strlen(MANIFEST) + 5) == 0;
		if (!ours)
			continue;
		int used = (s->wal_name && strcmp(n, s->wal_name) == 0) ||
		           (s->index_name && strcmp(n, s->index_name) == 0) ||
		           (s->dead_name && strcmp(n, s->dead_name) == 0);
		for (size_t i = 0; i < s->nsegs && !used; i++)
			used = strcmp(n, s->segs[i].name) == 0;
		if (!used) {
			char *p = path_in(s, n);
			unlink(p);
			free(p);
		}
	}
	closedir(d);
}

static int create_store(struct vstore *s, const struct vstore_opts *o, char *err, size_t errn)
{
	if (!o->dim && !o->create_dim)
		return errorf(err, errn, "%s: no store here yet, and no --dim to create one with", s->dir);
	s->dim = o->dim ? o->dim : o->create_dim;
	s->metric = o->metric >= 0 ? (enum vmetric)o->metric : VMETRIC_COSINE;
	s->m = o->m ? o->m : 16;
	s->efc = o->ef_construction ? o->ef_construction : 200;
	char *wal = gen_name("wal", 1, "log");
	char *wpath = path_in(s, wal);
	int rc = 0;
	unlink(wpath); /* a stray of a creation that died before its manifest */
	if (vwal_create(wpath, s->dim) != 0) {
		errorf(err, errn, "%s: %s", wpath, strerror(errno));
		rc = -1;
	} else {
		rc = write_manifest(s, 1, NULL, 0, NULL, 0, NULL, wal, err, errn);
	}
	free(wal);
	free(wpath);
	return rc;
}

struct vstore *vstore_open(const char *dir, const struct vstore_opts *o, char *err, size_t errn)
{
	struct vstore *s = xcalloc(1, sizeof *s);
	int made_dir = 0;
	s->dir = xstrdup(dir);
	s->lock_fd = -1;
	s->sync = o->sync;
	s->threads = o->threads > 0 ? o->threads : 1;
	s->writable = o->writable;
	if (o->writable) {
		char *mp0 = path_in(s, MANIFEST);
		int there = access(mp0, F_OK) == 0;
		free(mp0);
		if (!there && !o->create) {
			errorf(err, errn, "%s: no store here", dir);
			goto fail;
		}
		if (o->create && mkdir(dir, 0777) == 0)
			made_dir = 1;
		else if (o->create && errno != EEXIST) {
			errorf(err, errn, "%s: %s", dir, strerror(errno));
			goto fail;
		}
		char *lp = path_in(s, "lock");
		s->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		free(lp);
		if (s->lock_fd < 0) {
			errorf(err, errn, "%s: %s", dir, strerror(errno));
			goto fail;
		}
		if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
			errorf(err, errn, "%s: %s", dir,
			       errno == EWOULDBLOCK ? "another writer has the store (its lock is held)" : strerror(errno));
			goto fail;
		}
		char *mp = path_in(s, MANIFEST);
		int exists = access(mp, F_OK) == 0;
		free(mp);
		if (!exists && !o->create) {
			errorf(err, errn, "%s: no store here", dir);
			goto fail;
		}
		if (!exists && create_store(s, o, err, errn) != 0) {
			/* Leave no half-made store behind: a directory with a lock
			 * file and nothing else would say a store is there. */
			char *lock = path_in(s, "lock");
			unlink(lock);
			free(lock);
			if (made_dir)
				rmdir(dir);
			goto fail;
		}
	}
	/* A reader can lose a race with a checkpoint that removes the files it
	 * was about to open: it reads the new manifest and tries again. */
	for (int tries = 0;; tries++) {
		int r = load(s, o, err, errn);
		if (r == 1)
			break;
		if (r < 0 || tries == 20)
			goto fail;
		usleep(10000);
	}
	if (s->writable)
		remove_strays(s);
	return s;
fail:
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->dir);
	free(s);
	return NULL;
}

void vstore_close(struct vstore *s)
{
	if (!s)
		return;
	unload(s);
	free(s->qnorm);
	buf_free(&s->entry);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->dir);
	free(s);
}

uint32_t vstore_dim(const struct vstore *s) { return s->dim; }
enum vmetric vstore_metric(const struct vstore *s) { return s->metric; }
size_t vstore_count(const struct vstore *s) { return total_slots(s) - s->ndead; }
size_t vstore_pending(const struct vstore *s) { return s->ov.n; }

/* ---- writing ---- */

const char *vstore_check(const struct vstore *s, const struct vstore_point *p, char *why, size_t whyn)
{
	if (p->id_len == 0)
		return "an empty id";
	if (p->id_len > MAX_ID)
		return "an id over 65535 bytes";
	double norm = 0;
	for (uint32_t i = 0; i < s->dim; i++) {
		if (!isfinite(p->vec[i])) {
			snprintf(why, whyn, "%s at index %u of the vector", isnan(p->vec[i]) ? "NaN" : "Inf", i);
			return why;
		}
		norm += (double)p->vec[i] * p->vec[i];
	}
	if (s->metric == VMETRIC_COSINE && !(norm > 0))
		return "a zero vector has no direction (metric cosine)";
	if (p->meta_len) {
		json_error_t je;
		json_t *j = json_loadb(p->meta, p->meta_len, 0, &je);
		int ok = j && json_is_object(j);
		json_decref(j);
		if (!ok) {
			snprintf(why, whyn, "metadata is not a JSON object%s%s", j ? "" : ": ", j ? "" : je.text);
			return why;
		}
	}
	return NULL;
}

static void unit(const float *v, float *out, uint32_t dim)
{
	double n = 0;
	for (uint32_t i = 0; i < dim; i++)
		n += (double)v[i] * v[i];
	float inv = (float)(1.0 / sqrt(n));
	for (uint32_t i = 0; i < dim; i++)
		out[i] = v[i] * inv;
}

static int need_writer(const struct vstore *s, char *err, size_t errn)
{
	if (s->writable)
		return 0;
	return errorf(err, errn, "%s: opened for reading", s->dir);
}

/* Writes the batch in s->entry to the log and applies it. */
static int commit_entry(struct vstore *s, char *err, size_t errn)
{
	if (vwal_append(s->wal, s->entry.data, s->entry.len, s->sync, err, errn) != 0)
		return -1;
	s->wal_end = vwal_size(s->wal);
	int kind;
	uint32_t count;
	vwal_entry_head((const unsigned char *)s->entry.data, &kind, &count);
	return apply_entry(s, kind, count, (const unsigned char *)s->entry.data, s->entry.len, err, errn);
}

int vstore_upsert(struct vstore *s, const struct vstore_point *pts, size_t n, char *err, size_t errn)
{
	if (need_writer(s, err, errn))
		return -1;
	if (n == 0)
		return 0;
	char why[256];
	for (size_t i = 0; i < n; i++) {
		const char *bad = vstore_check(s, &pts[i], why, sizeof why);
		if (bad)
			return errorf(err, errn, "point %zu (id '%.*s'): %s", i + 1, (int)(pts[i].id_len > 64 ? 64 : pts[i].id_len),
			              pts[i].id, bad);
	}
	if (n > UINT32_MAX)
		return errorf(err, errn, "a batch of over 4 billion points");
	vwal_entry_begin(&s->entry, VWAL_UPSERT, (uint32_t)n);
	float *u = s->metric == VMETRIC_COSINE ? xmalloc((size_t)s->dim * sizeof *u) : NULL;
	for (size_t i = 0; i < n; i++) {
		const float *v = pts[i].vec;
		if (u) {
			unit(v, u, s->dim);
			v = u;
		}
		vwal_entry_upsert(&s->entry, pts[i].id, pts[i].id_len, pts[i].meta, pts[i].meta_len, v, s->dim);
	}
	free(u);
	return commit_entry(s, err, errn);
}

int vstore_delete(struct vstore *s, const char *const *ids, const size_t *lens, size_t n, size_t *deleted,
                  char *err, size_t errn)
{
	if (need_writer(s, err, errn))
		return -1;
	*deleted = 0;
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lens[i] == 0 || lens[i] > MAX_ID)
			return errorf(err, errn, "id %zu: %s", i + 1, lens[i] ? "over 65535 bytes" : "empty");
	size_t before = vstore_count(s);
	vwal_entry_begin(&s->entry, VWAL_DELETE, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		vwal_entry_delete(&s->entry, ids[i], lens[i]);
	if (commit_entry(s, err, errn) != 0)
		return -1;
	*deleted = before - vstore_count(s);
	return 0;
}

struct collect {
	const struct vstore *s;
	const char **ids;
	size_t *lens, n, cap;
};

static int collect_slot(void *ctx, uint32_t slot)
{
	struct collect *c = ctx;
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		c->ids = xrealloc(c->ids, c->cap * sizeof *c->ids);
		c->lens = xrealloc(c->lens, c->cap * sizeof *c->lens);
	}
	c->ids[c->n] = slot_id(c->s, slot, &c->lens[c->n]);
	c->n++;
	return 0;
}

int vstore_delete_filter(struct vstore *s, const struct vfilter *f, size_t *deleted, char *err, size_t errn)
{
	struct collect c = {s, NULL, NULL, 0, 0};
	vstore_scan(s, f, collect_slot, &c);
	/* The ids point into the store; copy them before the batch lands. */
	char **copies = xmalloc((c.n ? c.n : 1) * sizeof *copies);
	for (size_t i = 0; i < c.n; i++)
		copies[i] = xstrndup(c.ids[i], c.lens[i]);
	int rc = vstore_delete(s, (const char *const *)copies, c.lens, c.n, deleted, err, errn);
	for (size_t i = 0; i < c.n; i++)
		free(copies[i]);
	free(copies);
	free(c.ids);
	free(c.lens);
	return rc;
}

/* Adds segment slots [indexed, upto) to the index (made if missing). */
static void index_up_to(struct vstore *s, size_t upto)
{
	if (!s->index) {
		struct hnsw_params p = {s->dim, s->metric == VMETRIC_L2 ? VMETRIC_L2 : VMETRIC_DOT, s->m, s->efc, 1};
		s->index = hnsw_new(&p, upto);
		s->indexed = 0;
	}
	while (s->indexed < upto) {
		const struct seg_ref *r = seg_of(s, (uint32_t)s->indexed);
		size_t in_seg = vseg_count(r->seg) - (s->indexed - r->base);
		size_t n = upto - s->indexed < in_seg ? upto - s->indexed : in_seg;
		hnsw_add(s->index, slot_vec(s, (uint32_t)s->indexed), n, s->threads);
		s->indexed += n;
	}
}

/* Writes the index as of generation gen; its name into *name. */
static int save_index(struct vstore *s, uint64_t gen, char **name, char *err, size_t errn)
{
	*name = gen_name("hnsw", gen, "idx");
	char *p = path_in(s, *name);
	int rc = hnsw_save(s->index, p, err, errn);
	free(p);
	return rc;
}

static void remove_file(struct vstore *s, const char *name)
{
	if (!name)
		return;
	char *p = path_in(s, name);
	unlink(p);
	free(p);
}

/* Makes the next generation current: a new empty log, the manifest naming
 * segs, the index and the log.  Old files are removed by the caller.
 * Returns 0, -1 (the old generation stands: the caller removes the new
 * files), or ATOMIC_UNSYNCED (the new manifest is in place, but a crash
 * may bring back the old: the caller removes neither generation's files). */
static int next_generation(struct vstore *s, uint64_t gen, char **segs, size_t nsegs, const char *index,
                           size_t indexed, const char *dead, char **wal_out, char *err, size_t errn)
{
	char *wal = gen_name("wal", gen, "log");
	char *wpath = path_in(s, wal);
	unlink(wpath);
	if (vwal_create(wpath, s->dim) != 0) {
		errorf(err, errn, "%s: %s", wpath, strerror(errno));
		free(wpath);
		free(wal);
		return -1;
	}
	free(wpath);
	int rc = write_manifest(s, gen, segs, nsegs, index, indexed, dead, wal, err, errn);
	if (rc != 0) {
		free(wal);
		return rc;
	}
	*wal_out = wal;
	return 0;
}

/* The dead-slot file of generation gen: the segments' dead slots now,
 * then the new segment's, all live, up to `slots`.  *name NULL when no
 * slot is dead (the manifest then says so with null). */
static int write_dead_file(struct vstore *s, uint64_t gen, uint32_t slots, char **name, char *err, size_t errn)
{
	size_t words = ((size_t)slots + 63) / 64, any = 0;
	uint64_t *bits = xcalloc(words + 1, sizeof *bits);
	for (uint32_t w = 0; w < (s->seg_slots + 63) / 64; w++) {
		uint64_t v = s->dead[w];
		if (s->seg_slots % 64 && w == s->seg_slots / 64)
			v &= (1ull << (s->seg_slots % 64)) - 1; /* the log's slots follow */
		bits[w] = v;
		any |= v != 0;
	}
	*name = NULL;
	int rc = 0;
	if (any) {
		*name = gen_name("dead", gen, "bits");
		char *p = path_in(s, *name);
		rc = vseg_dead_write(p, bits, slots, err, errn);
		free(p);
		if (rc != 0) {
			free(*name);
			*name = NULL;
		}
	}
	free(bits);
	return rc;
}

int vstore_checkpoint(struct vstore *s, char *err, size_t errn)
{
	if (need_writer(s, err, errn))
		return -1;
	if (s->ov.n == 0 && s->nwin_del == 0)
		return 0;
	uint64_t gen = s->gen + 1;
	/* The log's live points, in order, become the new segment. */
	size_t n = 0;
	const char **ids = xmalloc((s->ov.n + 1) * sizeof *ids), **metas = xmalloc((s->ov.n + 1) * sizeof *metas);
	size_t *id_lens = xmalloc((s->ov.n + 1) * sizeof *id_lens), *meta_lens = xmalloc((s->ov.n + 1) * sizeof *meta_lens);
	float *vecs = xmalloc((s->ov.n + 1) * s->dim * sizeof *vecs);
	for (size_t i = 0; i < s->ov.n; i++) {
		if (is_dead(s, s->seg_slots + (uint32_t)i))
			continue;
		ids[n] = s->ov.ids[i];
		id_lens[n] = s->ov.id_lens[i];
		metas[n] = s->ov.metas[i];
		meta_lens[n] = s->ov.meta_lens[i];
		memcpy(vecs + n * s->dim, s->ov.vecs + i * s->dim, s->dim * sizeof *vecs);
		n++;
	}
	struct vseg_data d = {s->dim, n, ids, id_lens, metas, meta_lens, vecs,
	                      s->nwin_del, (const char *const *)s->win_del, s->win_del_lens};
	char *seg_name = gen_name("seg", gen, "vs");
	char *seg_path = path_in(s, seg_name);
	char *index_name = NULL, *wal_name = NULL, *dead_name = NULL;
	char **names = xmalloc((s->nsegs + 1) * sizeof *names);
	int rc = -1;
	if (vseg_write(seg_path, &d, err, errn) != 0)
		goto out;
	struct vseg *g = vseg_open(seg_path, s->dim, err, errn);
	if (!g)
		goto out;
	/* From here the new segment is part of the store in memory. */
	struct seg_ref r = {g, xstrdup(seg_name), s->seg_slots};
	index_up_to(s, s->seg_slots); /* older segments not indexed yet, if any */
	hnsw_add(s->index, vecs, n, s->threads);
	if (save_index(s, gen, &index_name, err, errn) != 0)
		goto out_seg;
	for (size_t i = 0; i < s->nsegs; i++)
		names[i] = s->segs[i].name;
	names[s->nsegs] = seg_name;
	if (write_dead_file(s, gen, s->seg_slots + (uint32_t)n, &dead_name, err, errn) != 0) {
		remove_file(s, index_name);
		goto out_seg;
	}
	int next = next_generation(s, gen, names, s->nsegs + 1, index_name, s->seg_slots + n, dead_name, &wal_name,
	                           err, errn);
	if (next == ATOMIC_UNSYNCED) {
		/* The manifest names the new files: they stay, and so do the
		 * old ones, as a crash may bring the old manifest back.  This
		 * store object is done; the next open reads what is there. */
		vseg_close(r.seg);
		free(r.name);
		goto out;
	}
	if (next != 0) {
		remove_file(s, index_name);
		if (dead_name)
			remove_file(s, dead_name);
		goto out_seg;
	}
	/* Committed: the new files are the store.  Now the memory follows. */
	remove_file(s, s->wal_name);
	remove_file(s, s->index_name);
	if (s->dead_name)
		remove_file(s, s->dead_name);
	free(s->dead_name);
	s->dead_name = dead_name;
	dead_name = NULL;
	uint32_t base = s->seg_slots;
	/* The map's entries for the log's slots move to the segment's: by
	 * value, since a position depends on the id alone. */
	uint32_t *moved = xmalloc((s->ov.n + 1) * sizeof *moved);
	for (size_t i = 0, j = 0; i < s->ov.n; i++)
		moved[i] = is_dead(s, base + (uint32_t)i) ? MAP_GONE : base + (uint32_t)j++;
	for (size_t at = 0; at < s->map.cap; at++)
		if (s->map.slots[at] < MAP_GONE && s->map.slots[at] >= base)
			s->map.slots[at] = moved[s->map.slots[at] - base];
	free(moved);
	for (size_t i = 0; i < s->ov.n; i++) {
		free(s->ov.ids[i]);
		free(s->ov.metas[i]);
	}
	for (uint32_t slot = base; slot < base + s->ov.n; slot++)
		if (is_dead(s, slot)) {
			s->dead[slot / 64] &= ~(1ull << (slot % 64));
			s->ndead--;
		}
	s->ov.n = 0;
	s->segs = xrealloc(s->segs, (s->nsegs + 1) * sizeof *s->segs);
	s->segs[s->nsegs++] = r;
	s->seg_slots += (uint32_t)n;
	for (size_t i = 0; i < s->nwin_del; i++)
		free(s->win_del[i]);
	s->nwin_del = 0;
	for (size_t i = base; i < s->npayloads; i++) {
		json_decref(s->payloads[i]);
		s->payloads[i] = NULL;
	}
	free(s->index_name);
	s->index_name = index_name;
	index_name = NULL;
	s->indexed = s->seg_slots;
	vwal_close(s->wal);
	free(s->wal_name);
	s->wal_name = wal_name;
	char *wpath = path_in(s, wal_name);
	s->wal = vwal_open_append(wpath, 16, err, errn);
	free(wpath);
	s->wal_end = 16;
	s->gen = gen;
	s->version++;
	if (!s->scratch)
		s->scratch = hnsw_scratch_new(s->index);
	rc = s->wal ? 0 : -1;
	goto out;
out_seg:
	vseg_close(r.seg);
	free(r.name);
	remove_file(s, seg_name);
out:
	free(index_name);
	free(dead_name);
	free(names);
	free(seg_name);
	free(seg_path);
	free(ids);
	free(metas);
	free(id_lens);
	free(meta_lens);
	free(vecs);
	return rc;
}

/* Rewrites the live points into one segment and builds a fresh index over
 * them. */
static int rewrite(struct vstore *s, char *err, size_t errn)
{
	uint64_t gen = s->gen + 1;
	size_t n = vstore_count(s), j = 0;
	const char **ids = xmalloc((n + 1) * sizeof *ids), **metas = xmalloc((n + 1) * sizeof *metas);
	size_t *id_lens = xmalloc((n + 1) * sizeof *id_lens), *meta_lens = xmalloc((n + 1) * sizeof *meta_lens);
	float *vecs = xmalloc((n + 1) * s->dim * sizeof *vecs);
	for (uint32_t slot = 0; slot < total_slots(s); slot++) {
		if (is_dead(s, slot))
			continue;
		ids[j] = slot_id(s, slot, &id_lens[j]);
		metas[j] = slot_meta(s, slot, &meta_lens[j]);
		memcpy(vecs + j * s->dim, slot_vec(s, slot), s->dim * sizeof *vecs);
		j++;
	}
	struct vseg_data d = {s->dim, j, ids, id_lens, metas, meta_lens, vecs, 0, NULL, NULL};
	char *seg_name = gen_name("seg", gen, "vs"), *seg_path = path_in(s, seg_name);
	char *index_name = NULL, *wal_name = NULL;
	int rc = -1;
	struct hnsw_params p = {s->dim, s->metric == VMETRIC_L2 ? VMETRIC_L2 : VMETRIC_DOT, s->m, s->efc, 1};
	struct hnsw *h = NULL;
	if (vseg_write(seg_path, &d, err, errn) != 0)
		goto out;
	h = hnsw_new(&p, j);
	hnsw_add(h, vecs, j, s->threads);
	index_name = gen_name("hnsw", gen, "idx");
	char *ipath = path_in(s, index_name);
	int saved = hnsw_save(h, ipath, err, errn);
	free(ipath);
	if (saved != 0) {
		remove_file(s, seg_name);
		goto out;
	}
	int next = next_generation(s, gen, &seg_name, 1, index_name, j, NULL, &wal_name, err, errn);
	if (next != 0) {
		/* As in vstore_checkpoint: after ATOMIC_UNSYNCED both generations stay. */
		if (next != ATOMIC_UNSYNCED) {
			remove_file(s, seg_name);
			remove_file(s, index_name);
		}
		goto out;
	}
	rc = 0;
out:
	hnsw_free(h);
	free(ids);
	free(metas);
	free(id_lens);
	free(meta_lens);
	free(vecs);
	free(seg_name);
	free(seg_path);
	free(index_name);
	free(wal_name);
	if (rc != 0)
		return -1;
	/* Reopen what the new manifest names; the old files go. */
	struct vstore_opts o = {.dim = s->dim, .metric = (int)s->metric};
	unload(s);
	if (load(s, &o, err, errn) != 1)
		return -1;
	remove_strays(s);
	return 0;
}

int vstore_compact(struct vstore *s, char *err, size_t errn)
{
	if (need_writer(s, err, errn))
		return -1;
	return rewrite(s, err, errn);
}

int vstore_rebuild_index(struct vstore *s, char *err, size_t errn)
{
	/* The index covers segment slots in order, dead ones included; a
	 * fresh one over the live points needs their slots renumbered, which
	 * is what compaction does. */
	return vstore_compact(s, err, errn);
}

/* ---- reading ---- */

long vstore_slot_of(struct vstore *s, const char *id, size_t len) { return map_find(s, id, len); }

int vstore_get(struct vstore *s, const char *id, size_t len, struct vstore_point *out)
{
	long slot = map_find(s, id, len);
	if (slot < 0)
		return 0;
	vstore_point_at(s, (uint32_t)slot, out);
	return 1;
}

void vstore_point_at(const struct vstore *s, uint32_t slot, struct vstore_point *out)
{
	out->id = slot_id(s, slot, &out->id_len);
	out->meta = slot_meta(s, slot, &out->meta_len);
	out->vec = slot_vec(s, slot);
}

static const json_t *payload_of(struct vstore *s, uint32_t slot)
{
	if (slot >= s->npayloads) {
		size_t n = total_slots(s);
		s->payloads = xrealloc(s->payloads, n * sizeof *s->payloads);
		memset(s->payloads + s->npayloads, 0, (n - s->npayloads) * sizeof *s->payloads);
		s->npayloads = n;
	}
	if (!s->payloads[slot]) {
		size_t len;
		const char *meta = slot_meta(s, slot, &len);
		if (!len)
			return NULL;
		/* Checked when written; a damaged one matches as no metadata. */
		s->payloads[slot] = json_loadb(meta, len, 0, NULL);
	}
	return s->payloads[slot];
}

static int matches(struct vstore *s, const struct vfilter *f, uint32_t slot)
{
	if (!f)
		return 1;
	size_t l;
	const char *id = slot_id(s, slot, &l);
	return vfilter_match(f, id, l, vfilter_needs_payload(f) ? payload_of(s, slot) : NULL);
}

size_t vstore_scan(struct vstore *s, const struct vfilter *f, int (*fn)(void *ctx, uint32_t slot), void *ctx)
{
	size_t seen = 0;
	const char *const *only;
	long nonly = f ? vfilter_only_ids(f, &only) : -1;
	if (nonly >= 0) { /* has_id: look the ids up, in slot order */
		uint32_t *slots = xmalloc(((size_t)nonly + 1) * sizeof *slots);
		size_t n = 0;
		for (long i = 0; i < nonly; i++) {
			long slot = map_find(s, only[i], strlen(only[i]));
			if (slot >= 0)
				slots[n++] = (uint32_t)slot;
		}
		for (size_t i = 1; i < n; i++) /* few ids: insertion sort */
			for (size_t j = i; j > 0 && slots[j - 1] > slots[j]; j--) {
				uint32_t t = slots[j];
				slots[j] = slots[j - 1];
				slots[j - 1] = t;
			}
		for (size_t i = 0; i < n; i++) {
			seen++;
			if (fn(ctx, slots[i]))
				break;
		}
		free(slots);
		return seen;
	}
	for (uint32_t slot = 0; slot < total_slots(s); slot++) {
		if (is_dead(s, slot) || !matches(s, f, slot))
			continue;
		seen++;
		if (fn(ctx, slot))
			break;
	}
	return seen;
}

void vstore_forget_filter(struct vstore *s) { s->filter_of = NULL; free(s->allowed); s->allowed = NULL; }

static int set_allowed(void *ctx, uint32_t slot)
{
	struct vstore *s = ctx;
	s->allowed[slot / 64] |= 1ull << (slot % 64);
	s->nallowed++;
	return 0;
}

/* The bitmap of live slots the filter matches, kept while nothing changes. */
static void compute_allowed(struct vstore *s, const struct vfilter *f)
{
	if (s->allowed && s->filter_of == f && s->filter_version == s->version)
		return;
	size_t words = (total_slots(s) + 63) / 64 + 1;
	free(s->allowed);
	s->allowed = xcalloc(words, sizeof *s->allowed);
	s->allowed_words = words;
	s->nallowed = 0;
	s->filter_of = f;
	s->filter_version = s->version;
	s->allowed_all = !f && s->ndead == 0;
	if (s->allowed_all) {
		s->nallowed = total_slots(s);
		return;
	}
	vstore_scan(s, f, set_allowed, s);
}

static int allowed(const struct vstore *s, uint32_t slot)
{
	return s->allowed_all || ((s->allowed[slot / 64] >> (slot % 64)) & 1);
}

/* Best-k keeping: a min-heap on "goodness" (larger is better), worst at
 * the root.  Equal scores are ordered by id (bytes, then length), so which
 * of several tied points make the k best, and in what order, depends on
 * the points alone: not on the order of the scan, nor on the slots that
 * writes and compaction give them. */
struct topk {
	const struct vstore *s;
	size_t k, n;
	float *good;
	uint32_t *slot;
};

/* Whether (ga, a) ranks below (gb, b). */
static int worse(const struct topk *t, float ga, uint32_t a, float gb, uint32_t b)
{
	if (ga != gb)
		return ga < gb;
	if (a == b)
		return 0;
	size_t la, lb;
	const char *ia = slot_id(t->s, a, &la), *ib = slot_id(t->s, b, &lb);
	int c = memcmp(ia, ib, la < lb ? la : lb);
	return c != 0 ? c > 0 : la > lb;
}

/* Restores the heap below i after its entry was replaced by (good, slot). */
static void sift_down(struct topk *t, size_t i, float good, uint32_t slot)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		float mg = good;
		uint32_t ms = slot;
		if (l < t->n && worse(t, t->good[l], t->slot[l], mg, ms))
			m = l, mg = t->good[l], ms = t->slot[l];
		if (r < t->n && worse(t, t->good[r], t->slot[r], mg, ms))
			m = r;
		if (m == i)
			break;
		t->good[i] = t->good[m];
		t->slot[i] = t->slot[m];
		i = m;
	}
	t->good[i] = good;
	t->slot[i] = slot;
}

static void topk_push(struct topk *t, float good, uint32_t slot)
{
	if (t->n < t->k) {
		size_t i = t->n++;
		while (i > 0) {
			size_t p = (i - 1) / 2;
			if (!worse(t, good, slot, t->good[p], t->slot[p]))
				break;
			t->good[i] = t->good[p];
			t->slot[i] = t->slot[p];
			i = p;
		}
		t->good[i] = good;
		t->slot[i] = slot;
		return;
	}
	if (!worse(t, t->good[0], t->slot[0], good, slot))
		return;
	sift_down(t, 0, good, slot);
}

/* Goodness of a raw kernel value: larger is nearer. */
static float goodness(enum vmetric m, float kernel) { return m == VMETRIC_L2 ? -kernel : kernel; }
static float score_of(enum vmetric m, float good) { return m == VMETRIC_L2 ? sqrtf(-good > 0 ? -good : 0) : good; }

#define SCAN_CHUNK 32

/* Whether any of a chunk's SCAN_CHUNK goodnesses reaches floor. */
static int chunk_reaches(const float *row, const float *bias, float sign, float floor)
{
	int hit = 0;
	for (int j = 0; j < SCAN_CHUNK; j++)
		hit |= sign * row[j] + bias[j] >= floor;
	return hit;
}

/* Exact search of nq queries (padded, vdist.h) over slots [lo, hi), a
 * contiguous run of vectors, in blocks: the kernel of every query and
 * point of a block (vdist_many: the same bits as the pairwise kernel of
 * the index and of exact_sparse, whatever the batch), then each query's
 * row scanned in order (the scores of one query lie together) against its
 * current k-th best. */
static void exact_run(struct vstore *s, const float *q, size_t nq, size_t qstride, uint32_t lo, uint32_t hi,
                      const float *vecs, struct topk *tops, float *scores, float *bias, float *pack, size_t block)
{
	uint32_t d = s->dim;
	vdist_many_fn many = vdist_many(s->metric);
	/* goodness = sign * kernel + bias: the dot itself, or minus the
	 * squared distance (a sign change and an addition of 0 or -inf, exact
	 * whichever way a compiler arranges them) */
	float sign = s->metric == VMETRIC_L2 ? -1 : 1;
	for (uint32_t b0 = lo; b0 < hi; b0 += (uint32_t)block) {
		uint32_t nb = hi - b0 < block ? hi - b0 : (uint32_t)block;
		const float *v = vecs + (size_t)(b0 - lo) * d;
		many(q, nq, qstride, v, nb, d, scores, nb, pack);
		/* bias[j]: -inf for a point not allowed, 0 otherwise */
		for (uint32_t j = 0; j < nb; j++)
			bias[j] = allowed(s, b0 + j) ? 0 : -INFINITY;
		for (size_t i = 0; i < nq; i++) {
			const float *row = scores + i * nb;
			struct topk *t = &tops[i];
			float floor = t->n == t->k ? t->good[0] : -INFINITY;
			for (uint32_t c = 0; c < nb; c += SCAN_CHUNK) {
				uint32_t end = nb - c < SCAN_CHUNK ? nb : c + SCAN_CHUNK;
				/* Once the k best are in, few chunks hold a point better
				 * than the k-th: a branch-free test of the whole chunk
				 * (vectorised) skips the rest. */
				if (end - c == SCAN_CHUNK && !chunk_reaches(row + c, bias + c, sign, floor))
					continue;
				for (uint32_t j = c; j < end; j++) {
					float good = sign * row[j] + bias[j];
					if (good < floor || bias[j] == -INFINITY)
						continue;
					topk_push(t, good, b0 + j);
					if (t->n == t->k)
						floor = t->good[0];
				}
			}
		}
	}
}

static void exact_all(struct vstore *s, const float *q, size_t nq, size_t qstride, struct topk *tops, uint32_t from)
{
	/* A block of scores for all queries, nq x block floats, about 1 MiB so
	 * that it stays in L2 between the kernel writing it and the scan
	 * reading it. */
	size_t block = (1u << 18) / (nq ? nq : 1);
	block = block < 256 ? 256 : block > 4096 ? 4096 : block / SCAN_CHUNK * SCAN_CHUNK;
	float *scores = xmalloc(nq * block * sizeof *scores), *bias = xmalloc(block * sizeof *bias);
	float *pack = xmalloc_aligned(vdist_pack_floats(s->dim) * sizeof *pack);
	for (size_t g = 0; g < s->nsegs; g++) {
		const struct seg_ref *r = &s->segs[g];
		uint32_t lo = r->base, hi = r->base + (uint32_t)vseg_count(r->seg);
		if (hi <= from)
			continue;
		uint32_t start = lo > from ? lo : from;
		exact_run(s, q, nq, qstride, start, hi, vseg_vectors(r->seg) + (size_t)(start - lo) * s->dim, tops,
		          scores, bias, pack, block);
	}
	if (s->ov.n) {
		uint32_t lo = s->seg_slots > from ? s->seg_slots : from;
		exact_run(s, q, nq, qstride, lo, total_slots(s), s->ov.vecs + (size_t)(lo - s->seg_slots) * s->dim,
		          tops, scores, bias, pack, block);
	}
	free(scores);
	free(bias);
	free(pack);
}

/* Exact search over the allowed slots only, one kernel call each: for a
 * selective filter. */
static void exact_sparse(struct vstore *s, const float *q, size_t nq, size_t qstride, struct topk *tops)
{
	vdist_fn k = vdist_kernel(s->metric);
	for (size_t w = 0; w < s->allowed_words; w++) {
		uint64_t bits = s->allowed[w];
		while (bits) {
			uint32_t slot = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
			bits &= bits - 1;
			if (slot >= total_slots(s))
				break;
			const float *v = slot_vec(s, slot);
			for (size_t i = 0; i < nq; i++)
				topk_push(&tops[i], goodness(s->metric, k(q + i * qstride, v, s->dim)), slot);
		}
	}
}

int vstore_search(struct vstore *s, const float *queries, size_t nq, const struct vstore_query *q,
                  struct vstore_hit *hits, size_t *counts, char *err, size_t errn)
{
	(void)err;
	(void)errn;
	size_t k = q->k, d = s->dim, dp = vdist_padded(d);
	if (nq == 0)
		return 0;
	if (k == 0) {
		memset(counts, 0, nq * sizeof *counts);
		return 0;
	}
	/* The queries, normalised for cosine, each padded with zeros to a
	 * multiple of VDIST_LANES floats as vdist_many reads them. */
	if (s->qnorm_cap < nq * dp) {
		s->qnorm_cap = nq * dp;
		s->qnorm = xrealloc(s->qnorm, s->qnorm_cap * sizeof *s->qnorm);
	}
	float *qv = s->qnorm;
	for (size_t i = 0; i < nq; i++) {
		if (s->metric == VMETRIC_COSINE)
			unit(queries + i * d, qv + i * dp, s->dim);
		else
			memcpy(qv + i * dp, queries + i * d, d * sizeof *qv);
		memset(qv + i * dp + d, 0, (dp - d) * sizeof *qv);
	}
	compute_allowed(s, q->filter);
	struct topk *tops = xcalloc(nq, sizeof *tops);
	float *good = xmalloc(nq * k * sizeof *good);
	uint32_t *slots = xmalloc(nq * k * sizeof *slots);
	for (size_t i = 0; i < nq; i++)
		tops[i] = (struct topk){s, k, 0, good + i * k, slots + i * k};
	size_t live = vstore_count(s);
	int selective = q->filter && s->nallowed <= (live / 16 > 4096 ? live / 16 : 4096);
	if (q->exact || !s->index || s->indexed == 0 || selective) {
		if (selective || (q->filter && q->exact && s->nallowed * 4 < live))
			exact_sparse(s, qv, nq, dp, tops);
		else
			exact_all(s, qv, nq, dp, tops, 0);
	} else {
		size_t ef = q->ef ? q->ef : (k > 64 ? k : 64);
		struct hnsw_hit *hh = xmalloc(k * sizeof *hh);
		const uint64_t *bits = s->allowed_all ? NULL : s->allowed;
		for (size_t i = 0; i < nq; i++) {
			size_t got = hnsw_search(s->index, s->scratch, qv + i * dp, k, ef, bits, hh);
			for (size_t j = 0; j < got; j++)
				topk_push(&tops[i], -hh[j].dist, hh[j].node); /* -dot, or -squared distance */
		}
		free(hh);
		if ((size_t)total_slots(s) > s->indexed) /* the log's points, and any not indexed */
			exact_all(s, qv, nq, dp, tops, (uint32_t)s->indexed);
	}
	for (size_t i = 0; i < nq; i++) {
		struct topk *t = &tops[i];
		size_t n = t->n;
		/* Pop the heap: worst first, so fill from the back. */
		while (t->n > 0) {
			size_t at = t->n - 1;
			hits[i * k + at] = (struct vstore_hit){t->slot[0], score_of(s->metric, t->good[0])};
			t->n--;
			sift_down(t, 0, t->good[at], t->slot[at]);
		}
		counts[i] = n;
	}
	free(tops);
	free(good);
	free(slots);
	return 0;
}

/* Rebuilds the segments' dead slots from their ids, in a scratch copy of
 * the store's state, and compares them with the dead-slot file's. */
static int verify_dead(struct vstore *s)
{
	char err[256];
	char *p = path_in(s, s->dead_name);
	size_t nfile;
	uint64_t *file = vseg_dead_read(p, s->seg_slots, &nfile, err, sizeof err);
	free(p);
	if (!file)
		return -1;
	struct vstore t = *s;
	memset(&t.map, 0, sizeof t.map);
	memset(&t.ov, 0, sizeof t.ov);
	t.dead = NULL;
	t.dead_words = t.ndead = 0;
	grow_dead(&t, t.seg_slots);
	build_map(&t);
	int rc = t.ndead == nfile && memcmp(t.dead, file, (t.seg_slots + 63) / 64 * sizeof *file) == 0 ? 0 : -1;
	free(t.map.slots);
	free(t.dead);
	free(file);
	return rc;
}

int vstore_verify(struct vstore *s, char *err, size_t errn)
{
	for (size_t i = 0; i < s->nsegs; i++)
		if (vseg_verify(s->segs[i].seg) != 0)
			return errorf(err, errn, "%s: %s: the vectors do not match their checksum (damaged)", s->dir,
			              s->segs[i].name);
	if (s->dead_name && verify_dead(s) != 0)
		return errorf(err, errn, "%s: %s: the dead slots it lists are not the segments' (damaged)", s->dir,
		              s->dead_name);
	char why[512];
	if (s->index && hnsw_verify(s->index, why, sizeof why) != 0)
		return errorf(err, errn, "%s: %s: %s", s->dir, s->index_name, why);
	return 0;
}

void vstore_stats(const struct vstore *s, struct vstore_stats *st)
{
	uint64_t bytes = 0;
	for (size_t i = 0; i < s->nsegs; i++)
		bytes += vseg_file_size(s->segs[i].seg);
	*st = (struct vstore_stats){s->dim, s->metric, s->m, s->efc, s->gen, vstore_count(s), total_slots(s),
	                            s->ndead, s->nsegs, s->ov.n, s->indexed, bytes + s->wal_end};
}

/* ---- snapshots: a tar of the store's files ---- */

static int add_file(struct archive *a, struct vstore *s, const char *name, char *err, size_t errn)
{
	char *p = path_in(s, name);
	size_t len;
	void *data = io_read_file(p, &len);
	if (!data) {
		errorf(err, errn, "%s: %s", p, strerror(errno));
		free(p);
		return -1;
	}
	free(p);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	int rc = 0;
	if (archive_write_header(a, e) != ARCHIVE_OK || archive_write_data(a, data, len) != (la_ssize_t)len) {
		errorf(err, errn, "snapshot: %s", archive_error_string(a));
		rc = -1;
	}
	archive_entry_free(e);
	free(data);
	return rc;
}

int vstore_snapshot(struct vstore *s, const char *path, char *err, size_t errn)
{
	if (vstore_checkpoint(s, err, errn) != 0)
		return -1;
	struct atomic_file f;
	if (atomic_open(&f, path) != 0)
		return errorf(err, errn, "%s: %s", path, strerror(errno));
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	int rc = -1;
	if (archive_write_open_fd(a, f.fd) != ARCHIVE_OK) {
		errorf(err, errn, "%s: %s", path, archive_error_string(a));
		goto out;
	}
	if (add_file(a, s, MANIFEST, err, errn) || add_file(a, s, s->wal_name, err, errn) ||
	    (s->index_name && add_file(a, s, s->index_name, err, errn)) ||
	    (s->dead_name && add_file(a, s, s->dead_name, err, errn)))
		goto out;
	for (size_t i = 0; i < s->nsegs; i++)
		if (add_file(a, s, s->segs[i].name, err, errn))
			goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		errorf(err, errn, "%s: %s", path, archive_error_string(a));
		goto out;
	}
	rc = 0;
out:
	archive_write_free(a);
	if (rc == 0 && atomic_commit(&f) != 0) {
		errorf(err, errn, "%s: %s", path, strerror(errno));
		rc = -1;
	} else if (rc != 0) {
		atomic_abort(&f);
	}
	return rc;
}

int vstore_restore(const char *snapshot, const char *dir, char *err, size_t errn)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		int empty = 1;
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				empty = 0;
		closedir(d);
		if (!empty)
			return errorf(err, errn, "%s: not empty (restore makes a new store)", dir);
	} else if (mkdir(dir, 0777) != 0)
		return errorf(err, errn, "%s: %s", dir, strerror(errno));
	struct archive *a = archive_read_new();
	archive_read_support_format_tar(a);
	int rc = -1;
	if (archive_read_open_filename(a, snapshot, 1 << 20) != ARCHIVE_OK) {
		errorf(err, errn, "%s: %s", snapshot, archive_error_string(a));
		goto out;
	}
	struct archive_entry *e;
	int r;
	char *buf = xmalloc(1 << 20);
	struct vstore tmp = {.dir = (char *)dir};
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		if (!plain_name(name) || archive_entry_filetype(e) != AE_IFREG) {
			errorf(err, errn, "%s: '%s' is not a file of a store", snapshot, name ? name : "");
			free(buf);
			goto out;
		}
		char *p = path_in(&tmp, name);
		int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0) {
			errorf(err, errn, "%s: %s", p, strerror(errno));
			free(p);
			free(buf);
			goto out;
		}
		la_ssize_t n;
		int bad = 0;
		while ((n = archive_read_data(a, buf, 1 << 20)) > 0)
			if (write(fd, buf, (size_t)n) != n)
				bad = 1;
		if (n < 0 || bad || fsync(fd) != 0) {
			errorf(err, errn, "%s: %s", p, n < 0 ? archive_error_string(a) : strerror(errno));
			close(fd);
			free(p);
			free(buf);
			goto out;
		}
		close(fd);
		free(p);
	}
	free(buf);
	if (r != ARCHIVE_EOF) {
		errorf(err, errn, "%s: %s", snapshot, archive_error_string(a));
		goto out;
	}
	struct vstore_opts o = {.metric = -1};
	struct vstore *s = vstore_open(dir, &o, err, errn);
	if (!s)
		goto out;
	vstore_close(s);
	rc = 0;
out:
	archive_read_free(a);
	return rc;
}
