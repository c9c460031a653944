/* vwal.h - the vector store's write-ahead log: batches of upserts and
 * deletes appended as checksummed entries, each one fsynced (or not, as
 * asked) before its batch is acknowledged, and replayed on open.
 *
 * An entry is all or nothing: a writer killed half way through leaves a
 * torn last entry, whose length or checksum does not hold, and replay
 * stops before it, so a reader never sees half a batch.  The writer cuts
 * such a tail off before it appends again.
 *
 *   file   "SLVWAL01", u32 version 1, u32 dim
 *   entry  u32 magic 0x45574C53 ("SLWE"), u32 payload length,
 *          u64 xxh3 of the payload, the payload:
 *          u8 kind (1 upsert, 2 delete), 3 zero bytes, u32 count, then
 *          count records: u32 id length, the id, and for an upsert u32
 *          metadata length, the metadata (JSON object text), dim f32s.
 * Integers are little-endian. */
#ifndef SLUICE_VWAL_H
#define SLUICE_VWAL_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

enum { VWAL_UPSERT = 1, VWAL_DELETE = 2 };

/* One record of an entry, pointing into the entry's payload. */
struct vwal_rec {
	const char *id;
	size_t id_len;
	const char *meta; /* upserts only; meta_len 0: none */
	size_t meta_len;
	const unsigned char *vec; /* upserts only: dim little-endian f32s, unaligned */
};

/* Building an entry's payload. */
void vwal_entry_begin(struct buf *b, int kind, uint32_t count);
void vwal_entry_upsert(struct buf *b, const char *id, size_t id_len, const char *meta, size_t meta_len,
                       const float *vec, uint32_t dim);
void vwal_entry_delete(struct buf *b, const char *id, size_t id_len);

/* Walks a payload: kind and count, then records by cursor (starting at 0);
 * 0 when done.  Payloads are checked by vwal_replay before they are handed
 * out, so these never fail on them. */
void vwal_entry_head(const unsigned char *p, int *kind, uint32_t *count);
int vwal_entry_next(const unsigned char *p, size_t len, uint32_t dim, size_t *cursor, struct vwal_rec *out);

/* Creates path (failing if it exists) with the file header, fsynced.
 * Returns 0 or -1 with errno set. */
int vwal_create(const char *path, uint32_t dim);

/* Replays path: calls apply for each whole, valid entry in order.  A torn
 * or corrupt tail ends the replay quietly; *valid_end gets the offset
 * where it stopped (the file's size when it is whole).  Returns 0, or -1
 * with a message when the file cannot be read or is not a log of this
 * dim (a missing file is an error too).  apply returns 0, or -1 to stop
 * with its own message in err. */
typedef int (*vwal_apply_fn)(void *ctx, int kind, uint32_t count, const unsigned char *payload,
                             size_t len, char *err, size_t errn);
int vwal_replay(const char *path, uint32_t dim, vwal_apply_fn apply, void *ctx, uint64_t *valid_end,
                uint64_t *entries, char *err, size_t errn);

/* The writer's side: the log opened for appending at valid_end (anything
 * after it is cut off first). */
struct vwal;
struct vwal *vwal_open_append(const char *path, uint64_t valid_end, char *err, size_t errn);
/* Appends one entry; with sync, fsyncs before returning.  0, or -1 with a
 * message (the log is then unusable: the caller stops). */
int vwal_append(struct vwal *w, const void *payload, size_t len, int sync, char *err, size_t errn);
int vwal_sync(struct vwal *w, char *err, size_t errn);
uint64_t vwal_size(const struct vwal *w);
void vwal_close(struct vwal *w);

#endif
