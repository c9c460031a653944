/* buckets.h - rec-dedup's second stage: from the signature files of all
 * shards (in shard order), the buckets of a range of bands that hold more
 * than one record, each a candidate group of copies.
 *
 * Records are numbered across the shards in order (shard 0's first is 0).
 * A band's bucket is its key (sig_band_count: the LSH bands, then the
 * exact key); contaminated records are left out, as they go anyway.
 * Each band's (key, record) pairs are sorted with base/extsort.h, one
 * band at a time, so the stage's memory is what --mem allows, whatever
 * the corpus.
 *
 * A bucket file: a header of BKT_HEADER_WORDS little-endian words (magic
 * "SLDDBKT1", version, the signature files' fingerprint, their record
 * count, the first band and one past the last, the number of groups and
 * of members), then one word per member: its record number, with
 * BKT_FIRST set on the first (lowest) member of each group.  Groups come
 * in (band, key) order, members in record order. */
#ifndef SLUICE_BUCKETS_H
#define SLUICE_BUCKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/io.h"
#include "dedup/sigfile.h"

#define BKT_HEADER_WORDS 8
#define BKT_FIRST (UINT64_C(1) << 63)

/* Writes the bucket file of bands [band_lo, band_hi) of the signature
 * files to fd (named name), sorting up to `threads` bands at once in mem
 * bytes between them; the file does not depend on threads.  Dies on an
 * I/O error. */
void buckets_run(const struct sig_file *sigs, int nsig, int band_lo, int band_hi, size_t mem, int threads,
                 const char *tmpdir, int fd, const char *name);

struct bkt_reader {
	char *name;
	int fd;
	uint64_t fingerprint, records, groups, members;
	int band_lo, band_hi;
	uint64_t read;
	uint64_t *buf;
	size_t len, pos;
};
/* Opens a bucket file; 0, or with err set -1 when it is not one, -2 when
 * it cannot be opened or read (an I/O error).  The reader reads fd from
 * its start and owns it. */
int bkt_open(struct bkt_reader *r, const char *path, char *err, size_t errn);
int bkt_open_fd(struct bkt_reader *r, int fd, const char *name, char *err, size_t errn);
/* Whether path starts like a bucket file. */
bool bkt_is_bucket_file(const char *path);
/* The next member word; 0 at the end, -1 with err set when the file is
 * damaged (a record number past the count, a group without its first, a
 * file shorter or longer than its header says), -2 with err set when it
 * cannot be read (an I/O error, not the file's fault). */
int bkt_next(struct bkt_reader *r, uint64_t *member, char *err, size_t errn);
void bkt_close(struct bkt_reader *r);

#endif
