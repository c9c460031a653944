/* clusters.c - rec-dedup's third stage (clusters.h). */
#include "dedup/clusters.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/extsort.h"
#include "base/jsonw.h"
#include "dedup/buckets.h"
#include "dedup/minhash.h"
#include "rec/header.h"

#define CONTAMINATED (UINT64_C(1) << 63)

/* Where the drop rows go: record numbers in increasing order, routed to
 * their shard's list. */
struct emitter {
	const struct sig_file *sigs;
	int nsig;
	struct rec_writer **drops;
	int shard;
	uint64_t base; /* the first record number of shard */
	uint64_t *first; /* each shard's first record number, and the total */
	struct clusters_counts *counts, *per_shard;
	struct buf row;
};

/* The shard and local number of record r. */
static int shard_of(const struct emitter *e, uint64_t r, uint64_t *local)
{
	int lo = 0, hi = e->nsig - 1;
	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;
		if (e->first[mid] <= r)
			lo = mid;
		else
			hi = mid - 1;
	}
	*local = r - e->first[lo];
	return lo;
}

/* A drop row for record r: a copy of `of` (with its similarity, or NaN),
 * or with CONTAMINATED set in `of` contaminated by the rest of it. */
static void emit(struct emitter *e, uint64_t r, uint64_t of, double jaccard)
{
	uint64_t local;
	int s = shard_of(e, r, &local);
	struct buf *b = &e->row;
	if (of & CONTAMINATED) {
		drop_row_contaminated(b, local, of & ~CONTAMINATED);
		e->counts->contaminated++;
		e->per_shard[s].contaminated++;
	} else {
		uint64_t of_local;
		int of_shard = shard_of(e, of, &of_local);
		size_t key_len;
		const char *key = sig_key(&e->sigs[of_shard], of_local, &key_len);
		drop_row_duplicate(b, local, of, key, key_len, jaccard);
		e->counts->duplicates++;
		e->per_shard[s].duplicates++;
	}
	rec_write(e->drops[s], REC_JSON, REC_DT_NONE, NULL, 0, b->data, b->len);
}

void drop_row_duplicate(struct buf *b, uint64_t index, uint64_t of, const char *key, size_t key_len, double jaccard)
{
	buf_clear(b);
	buf_adds(b, "{\"index\":");
	jsonw_uint(b, index);
	buf_adds(b, ",\"duplicate_of\":");
	jsonw_uint(b, of);
	if (key_len) {
		buf_adds(b, ",\"duplicate_of_key\":");
		jsonw_string(b, key, key_len);
	}
	if (!isnan(jaccard)) {
		buf_adds(b, ",\"jaccard\":");
		jsonw_double(b, jaccard);
	}
	buf_addc(b, '}');
}

void drop_row_contaminated(struct buf *b, uint64_t index, uint64_t eval)
{
	buf_clear(b);
	buf_adds(b, "{\"index\":");
	jsonw_uint(b, index);
	buf_adds(b, ",\"contaminated_by\":");
	jsonw_uint(b, eval);
	buf_addc(b, '}');
}

static uint64_t contamination(const struct emitter *e, uint64_t r)
{
	/* Without decontamination every record is clean (sign writes
	 * SIG_CLEAN, and the files agree on it): no need to read a word of
	 * every entry, a pass over the whole signature file that took a third
	 * of this stage. */
	if (!e->sigs[0].p.decontam_ngram)
		return SIG_CLEAN;
	uint64_t local;
	int s = shard_of(e, r, &local);
	return sig_entry(&e->sigs[s], local)[2];
}

/* ---- the bucket files ---- */

struct bkt_set {
	struct bkt_reader *r;
	int n;
};

/* Checks that the bucket files they cover every band once, for these
 * signature files. */
static void check_buckets(struct bkt_set *set, const struct sig_file *sigs, int nsig, uint64_t records)
{
	int bands = sig_band_count(&sigs[0].p);
	int *owner = xcalloc((size_t)bands, sizeof *owner);
	uint64_t fingerprint = sig_fingerprint(sigs, nsig);
	for (int i = 0; i < set->n; i++) {
		struct bkt_reader *r = &set->r[i];
		const char *path = r->name;
		if (r->fingerprint != fingerprint || r->records != records)
			die(STATUS_USAGE, "%s: made from other signature files than those given (or in another order)",
			    path);
		if (r->band_hi > bands)
			die(STATUS_USAGE, "%s: bands up to %d, but the signature files have %d", path, r->band_hi - 1,
			    bands - 1);
		for (int b = r->band_lo; b < r->band_hi; b++) {
			if (owner[b])
				die(STATUS_USAGE, "%s: band %d is also in %s", path, b, set->r[owner[b] - 1].name);
			owner[b] = i + 1;
		}
	}
	for (int b = 0; b < bands; b++)
		if (!owner[b])
			die(STATUS_USAGE, "band %d is in none of the bucket files (each band needs `rec-dedup buckets`)", b);
	free(owner);
}

static int next_member(struct bkt_reader *r, uint64_t *m)
{
	char err[512];
	int rc = bkt_next(r, m, err, sizeof err);
	if (rc < 0)
		die(rc == -2 ? STATUS_FAIL : STATUS_MALFORMED, "%s", err);
	return rc;
}

/* ---- exact keys: groups are disjoint, and sorting finds the copies ---- */

static void exact_clusters(const struct clusters_opts *o, struct bkt_set *set, struct emitter *e, uint64_t records)
{
	char err[512];
	struct extsort *sorter = extsort_new(2, o->mem, o->tmpdir, err, sizeof err);
	if (!sorter)
		die(STATUS_FAIL, "%s", err);
	for (uint64_t r = 0; r < records; r++) {
		uint64_t c = contamination(e, r);
		if (c != SIG_CLEAN && extsort_add(sorter, (uint64_t[]){r, c | CONTAMINATED}, err, sizeof err) < 0)
			die(STATUS_FAIL, "%s", err);
	}
	for (int i = 0; i < set->n; i++) {
		uint64_t m, first = 0;
		while (next_member(&set->r[i], &m) > 0) {
			if (m & BKT_FIRST) {
				first = m & ~BKT_FIRST;
				continue;
			}
			if (extsort_add(sorter, (uint64_t[]){m, first}, err, sizeof err) < 0)
				die(STATUS_FAIL, "%s", err);
		}
	}
	if (extsort_finish(sorter, err, sizeof err) < 0)
		die(STATUS_FAIL, "%s", err);
	const uint64_t *row;
	while ((row = extsort_next(sorter, err, sizeof err)))
		emit(e, row[0], row[1], NAN);
	if (err[0])
		die(STATUS_FAIL, "%s", err);
	extsort_free(sorter);
}

/* ---- near, without verification: union-find ---- */

static uint64_t find(uint64_t *parent, uint64_t x)
{
	while (parent[x] != x) {
		parent[x] = parent[parent[x]]; /* path halving */
		x = parent[x];
	}
	return x;
}

/* Joins the clusters of a and b under the lower root, so each cluster's
 * root is its first record. */
static void join(uint64_t *parent, uint64_t a, uint64_t b)
{
	a = find(parent, a);
	b = find(parent, b);
	if (a < b)
		parent[b] = a;
	else if (b < a)
		parent[a] = b;
}

/* Bucket members read ahead of the union-find (see below). */
#define UF_AHEAD 16

static void union_find_clusters(struct bkt_set *set, struct emitter *e, uint64_t records)
{
	uint64_t *parent = xmalloc((records ? records : 1) * sizeof *parent);
	for (uint64_t r = 0; r < records; r++)
		parent[r] = r;
	for (int i = 0; i < set->n; i++) {
		/* The groups jump all over the records, so each member's parent
		 * is a cache miss (nine tenths of this loop's time): members are
		 * read UF_AHEAD ahead of their turn and their slots fetched. */
		uint64_t ahead[UF_AHEAD], m, first = 0;
		size_t n = 0, at = 0;
		bool more = true;
		while (n < UF_AHEAD && (more = next_member(&set->r[i], &m) > 0)) {
			ahead[n++] = m;
			__builtin_prefetch(&parent[m & ~BKT_FIRST]);
		}
		while (n > 0) {
			uint64_t cur = ahead[at];
			/* While more come the ring stays full, so the newest
			 * member goes in the slot just read. */
			if (more && (more = next_member(&set->r[i], &m) > 0)) {
				ahead[at] = m;
				__builtin_prefetch(&parent[m & ~BKT_FIRST]);
			} else {
				n--;
			}
			at = (at + 1) % UF_AHEAD;
			if (cur & BKT_FIRST)
				first = cur & ~BKT_FIRST;
			else
				join(parent, first, cur);
		}
	}
	for (uint64_t r = 0; r < records; r++) {
		uint64_t c = contamination(e, r);
		if (c != SIG_CLEAN) {
			emit(e, r, c | CONTAMINATED, NAN);
			continue;
		}
		uint64_t root = find(parent, r);
		if (root != r)
			emit(e, r, root, NAN);
	}
	free(parent);
}

/* ---- near, verified: each record against the kept records it shares a
 * bucket with ---- */

struct kept_list {
	uint64_t *r;
	size_t n, cap;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static const uint64_t *set_of(const struct emitter *e, uint64_t r, size_t *n)
{
	uint64_t local;
	int s = shard_of(e, r, &local);
	return sig_set(&e->sigs[s], local, n);
}

static void verified_clusters(const struct clusters_opts *o, struct bkt_set *set, struct emitter *e,
                              uint64_t records)
{
	char err[512];
	for (int s = 0; s < e->nsig; s++)
		if (!e->sigs[s].p.sets)
			die(STATUS_USAGE, "%s: made without shingle sets (verification needs `rec-dedup sign --verify-jaccard`)",
			    e->sigs[s].name);
	/* (record, group) pairs, sorted by record; a record's groups are added
	 * in group order. */
	struct extsort *sorter = extsort_new(2, o->mem, o->tmpdir, err, sizeof err);
	if (!sorter)
		die(STATUS_FAIL, "%s", err);
	extsort_set_ordered_tail(sorter, 1);
	uint64_t groups = 0;
	for (int i = 0; i < set->n; i++) {
		uint64_t m;
		while (next_member(&set->r[i], &m) > 0) {
			if (m & BKT_FIRST)
				groups++;
			if (extsort_add(sorter, (uint64_t[]){m & ~BKT_FIRST, groups - 1}, err, sizeof err) < 0)
				die(STATUS_FAIL, "%s", err);
		}
	}
	if (extsort_finish(sorter, err, sizeof err) < 0)
		die(STATUS_FAIL, "%s", err);
	struct kept_list *kept = xcalloc(groups ? groups : 1, sizeof *kept);
	uint64_t *mine = NULL, *cands = NULL;
	size_t mine_cap = 0, cands_cap = 0;
	const uint64_t *row = extsort_next(sorter, err, sizeof err);
	for (uint64_t r = 0; r < records; r++) {
		uint64_t c = contamination(e, r);
		if (c != SIG_CLEAN) {
			emit(e, r, c | CONTAMINATED, NAN);
			continue;
		}
		/* r's groups, and the records kept in them so far. */
		size_t nmine = 0, ncands = 0;
		for (; row && row[0] == r; row = extsort_next(sorter, err, sizeof err)) {
			if (nmine == mine_cap) {
				mine_cap = mine_cap ? 2 * mine_cap : 64;
				mine = xrealloc(mine, mine_cap * sizeof *mine);
			}
			const struct kept_list *k = &kept[row[1]];
			if (ncands + k->n > cands_cap) {
				cands_cap = 2 * (ncands + k->n);
				cands = xrealloc(cands, cands_cap * sizeof *cands);
			}
			if (k->n)
				memcpy(cands + ncands, k->r, k->n * sizeof *cands);
			ncands += k->n;
			mine[nmine++] = row[1];
		}
		if (!row && err[0])
			die(STATUS_FAIL, "%s", err);
		if (!nmine)
			continue;
		if (ncands)
			qsort(cands, ncands, sizeof *cands, cmp_u64);
		size_t nset;
		const uint64_t *my_set = set_of(e, r, &nset);
		bool dropped = false;
		for (size_t i = 0; i < ncands && !dropped; i++) {
			if (i > 0 && cands[i] == cands[i - 1])
				continue;
			size_t nother;
			const uint64_t *other = set_of(e, cands[i], &nother);
			double j = minhash_jaccard(my_set, nset, other, nother);
			if (j >= o->verify) {
				emit(e, r, cands[i], j);
				dropped = true;
			}
		}
		if (dropped)
			continue;
		for (size_t i = 0; i < nmine; i++) {
			struct kept_list *k = &kept[mine[i]];
			if (k->n == k->cap) {
				k->cap = k->cap ? 2 * k->cap : 2;
				k->r = xrealloc(k->r, k->cap * sizeof *k->r);
			}
			k->r[k->n++] = r;
		}
	}
	for (uint64_t g = 0; g < groups; g++)
		free(kept[g].r);
	free(kept);
	free(mine);
	free(cands);
	extsort_free(sorter);
}

/* ---- the drop lists ---- */

static void write_headers(const struct clusters_opts *o, const struct emitter *e)
{
	char fp[32];
	snprintf(fp, sizeof fp, "%016" PRIx64, sig_fingerprint(e->sigs, e->nsig));
	for (int s = 0; s < e->nsig; s++) {
		json_t *h = header_new(NULL, "json", o->argc, o->argv);
		char digest[32];
		snprintf(digest, sizeof digest, "%016" PRIx64, e->sigs[s].digest);
		json_object_set_new(h, "drop_list", json_pack("{s:s,s:I,s:I,s:s,s:s}", "shard", e->sigs[s].name,
		                                              "shard_number", (json_int_t)s, "records",
		                                              (json_int_t)e->sigs[s].n, "digest", digest,
		                                              "fingerprint", fp));
		header_write(e->drops[s], h);
		json_decref(h);
	}
}

static void write_trailers(const struct emitter *e)
{
	for (int s = 0; s < e->nsig; s++) {
		const struct clusters_counts *c = &e->per_shard[s];
		char t[256];
		int n = snprintf(t, sizeof t, "{\"records\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"duplicates\":%" PRIu64
		                 ",\"contaminated\":%" PRIu64 "}",
		                 e->sigs[s].n, c->duplicates + c->contaminated, c->duplicates, c->contaminated);
		rec_write_trailer(e->drops[s], t, (size_t)n);
		rec_write_end(e->drops[s]);
	}
}

void clusters_run(const struct clusters_opts *o, const struct sig_file *sigs, int nsig, struct bkt_reader *bkts,
                  int nbkt, struct rec_writer **drops, struct clusters_counts *counts)
{
	char err[512];
	if (sig_check_same(sigs, nsig, err, sizeof err) < 0)
		die(STATUS_USAGE, "%s", err);
	memset(counts, 0, sizeof *counts);
	struct emitter e = {.sigs = sigs, .nsig = nsig, .drops = drops, .counts = counts};
	e.first = xcalloc((size_t)nsig + 1, sizeof *e.first);
	e.per_shard = xcalloc((size_t)nsig, sizeof *e.per_shard);
	for (int s = 0; s < nsig; s++)
		e.first[s + 1] = e.first[s] + sigs[s].n;
	uint64_t records = e.first[nsig];
	counts->records = records;
	struct bkt_set set = {bkts, nbkt};
	check_buckets(&set, sigs, nsig, records);
	write_headers(o, &e);
	if (!sigs[0].p.near)
		exact_clusters(o, &set, &e, records);
	else if (o->verify > 0)
		verified_clusters(o, &set, &e, records);
	else
		union_find_clusters(&set, &e, records);
	write_trailers(&e);
	free(e.first);
	free(e.per_shard);
	buf_free(&e.row);
}
