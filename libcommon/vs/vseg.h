/* vseg.h - the vector store's immutable segments: the points of one
 * checkpoint (ids, unit or raw vectors, metadata) and the ids it deleted
 * from the segments before it, in one file written once, atomically, and
 * then only memory-mapped.
 *
 *   0    "SLVSEG01"
 *   8    u32 version (1), u32 dim
 *   16   u64 points, u64 deletes
 *   32   u64 offsets of: vectors, ids, metadata, deleted ids
 *   64   u64 xxh3 of the string tables (ids onwards to the end)
 *   72   u64 xxh3 of the vectors
 *   80   u64 xxh3 of bytes 0..79, then zeros up to 128
 *   128  the vectors, points x dim f32 (128-aligned, used in place)
 *        then three string tables, each (count + 1) u64 offsets (relative
 *        to the table's end) and the bytes: ids, metadata, deleted ids
 *
 * Opening checks the header's and the tables' checksums and every offset,
 * so a damaged segment is refused with a reason, never read out of bounds;
 * the vectors, the bulk of the file, are only mapped (damaged floats are
 * wrong answers, not unsafe reads), and vseg_verify checks them. */
#ifndef SLUICE_VSEG_H
#define SLUICE_VSEG_H

#include <stddef.h>
#include <stdint.h>

struct vseg;

/* The points to write: n of them, with ids[i]/id_lens[i], metas[i]/
 * meta_lens[i] (length 0: none) and vectors n x dim; and the deleted ids. */
struct vseg_data {
	uint32_t dim;
	size_t n;
	const char *const *ids;
	const size_t *id_lens;
	const char *const *metas;
	const size_t *meta_lens;
	const float *vectors;
	size_t ndel;
	const char *const *del_ids;
	const size_t *del_lens;
};

/* Writes path atomically (temporary file, fsync, rename, directory fsync).
 * 0, or -1 with a message. */
int vseg_write(const char *path, const struct vseg_data *d, char *err, size_t errn);

struct vseg *vseg_open(const char *path, uint32_t dim, char *err, size_t errn);
void vseg_close(struct vseg *s);

size_t vseg_count(const struct vseg *s);
size_t vseg_deleted_count(const struct vseg *s);
const float *vseg_vectors(const struct vseg *s); /* count x dim, 128-aligned */
const char *vseg_id(const struct vseg *s, size_t i, size_t *len);
const char *vseg_meta(const struct vseg *s, size_t i, size_t *len); /* len 0: none */
const char *vseg_deleted_id(const struct vseg *s, size_t i, size_t *len);
uint64_t vseg_file_size(const struct vseg *s);
/* 0 if the vectors match their checksum, else -1. */
int vseg_verify(const struct vseg *s);

/* The dead-slot file of a generation: which of the segments' slots hold a
 * point deleted or replaced since, so that a reader knows what is live
 * without building the id map from every id of every segment.
 *
 *   0    "SLVSDEAD"
 *   8    u64 slots, u64 dead (the number of bits set)
 *   24   the bitmap, (slots + 63) / 64 u64 words: bit i of word w is slot 64w + i
 *   end  u64 xxh3 of everything before it
 *
 * Written atomically like a segment; bits at or past `slots` of the given
 * bitmap are left out.  0, or -1 with a message. */
int vseg_dead_write(const char *path, const uint64_t *bits, uint32_t slots, char *err, size_t errn);
/* Reads one written for exactly `slots` slots: a malloc'd bitmap of
 * (slots + 63) / 64 words, *ndead its bits set; NULL with a message (errno
 * ENOENT when the file is gone) when it cannot be read or is damaged. */
uint64_t *vseg_dead_read(const char *path, uint32_t slots, size_t *ndead, char *err, size_t errn);

#endif
