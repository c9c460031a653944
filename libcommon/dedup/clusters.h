/* clusters.h - rec-dedup's third stage: from the signature files of all
 * shards (in shard order) and the bucket files of all bands, which records
 * each shard drops, and why.
 *
 * A contaminated record is dropped, naming its evaluation record.  Of the
 * rest:
 *  - exact keys: in each group of equal keys the first record is kept
 *    and the others name it (sorted with base/extsort.h, so memory stays
 *    within --mem however many records there are);
 *  - near, without verification: records sharing a bucket are joined by
 *    union-find, and each cluster keeps its first record; the others name
 *    it (a word of memory per record);
 *  - near, with verification at T: records are taken in order, and one is
 *    dropped when a record kept before it, sharing one of its buckets, has
 *    a true Jaccard similarity of at least T with it (of those, the first);
 *    it names that record and the similarity.  So no record is dropped as
 *    the copy of a record it is less than T similar to.
 *
 * Each shard's drop list is a record stream of JSON rows in record order:
 * {"index": i, "duplicate_of": N, "duplicate_of_key": K, "jaccard": J} or
 * {"index": i, "contaminated_by": E}, where i counts within the shard, N
 * across all shards, K is the kept record's key (left out when it has
 * none), J only with verification, E the evaluation record's number.  Its
 * header says which shard it is for ("drop_list": shard name, records,
 * the digest of its records, fingerprint), and its trailer counts what it drops. */
#ifndef SLUICE_CLUSTERS_H
#define SLUICE_CLUSTERS_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "dedup/buckets.h"
#include "dedup/sigfile.h"
#include "rec/rec.h"

struct clusters_opts {
	double verify; /* the Jaccard threshold; 0: no verification */
	size_t mem;
	const char *tmpdir;
	int argc; /* the command line, for the drop lists' lineage */
	char **argv;
};

/* A drop row's JSON text into b (cleared first): record `index` as a copy
 * of record `of` (with its key, and its similarity unless NaN), or as
 * contaminated by evaluation record `eval`. */
void drop_row_duplicate(struct buf *b, uint64_t index, uint64_t of, const char *key, size_t key_len, double jaccard);
void drop_row_contaminated(struct buf *b, uint64_t index, uint64_t eval);

struct clusters_counts {
	uint64_t records, duplicates, contaminated;
};

/* Writes shard i's drop list to drops[i]; dies on files that do not fit
 * together (other signature files, bands missing or twice) or damaged. */
void clusters_run(const struct clusters_opts *o, const struct sig_file *sigs, int nsig, struct bkt_reader *bkts,
                  int nbkt, struct rec_writer **drops, struct clusters_counts *counts);

#endif
