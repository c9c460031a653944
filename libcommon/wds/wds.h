/* wds.h - a WebDataset shard read as samples, with webdataset's grouping
 * rules: a tar stream (plain, or gzip, zstd, bzip2, xz or lz4 compressed,
 * known by its bytes; read through libarchive) whose members are grouped
 * into samples by key.
 *
 *   key        the member's path up to the first dot of its base name,
 *              directories included ("a/b/c.d.txt" -> "a/b/c")
 *   extension  the rest of the base name, lower-cased (ASCII): "d.txt";
 *              it names the part
 *   samples    consecutive members with the same key; a key that comes
 *              back later starts a new sample, as in webdataset
 *   skipped    entries that are not regular files, base names without a
 *              dot or starting with one (hidden files), and names whose
 *              first component is __*__ (webdataset's meta files)
 *
 * A second member with the same extension in one sample is an error.
 * Errors come in two kinds, so a caller can drop what was lost and go on:
 * a bad sample (a duplicate extension, a sample over the size limit) is
 * dropped and reading goes on within the shard; a bad shard (corrupt or
 * truncated tar, a failing source) ends it, and the sample in progress is
 * lost with it.  Offsets are of the uncompressed tar stream: a member's
 * header, where there is one. */
#ifndef SLUICE_WDS_H
#define SLUICE_WDS_H

#include <stddef.h>
#include <stdint.h>

#include "base/source.h"

struct wds_part {
	const char *ext; /* NUL-terminated */
	size_t ext_len;
	const unsigned char *data;
	size_t len;
	/* The part laid out as in a sample record's payload (sluice-rec(5)):
	 * its 8-byte head, name and data, each padded to 8 bytes. */
	const unsigned char *layout;
	size_t layout_len;
	const char *member; /* its name in the tar, NUL-terminated */
	uint64_t offset;    /* of its header */
};

struct wds_sample {
	const char *key; /* NUL-terminated */
	size_t key_len;
	uint64_t offset; /* of its first member's header */
	size_t nparts;
	const struct wds_part *parts; /* in member order */
	/* Every part's layout back to back: a sample payload after its head. */
	const unsigned char *layout;
	size_t layout_len;
};

struct wds_opts {
	/* Extensions whose data is read; others are only seen (for the
	 * duplicate check) and skipped.  NULL: all. */
	const char *const *want;
	size_t nwant;
	/* The most bytes one sample's layout may take (0: no limit). */
	uint64_t max_sample;
};

enum wds_status {
	WDS_END = 0,
	WDS_SAMPLE = 1,
	WDS_BAD_SAMPLE = -1,
	WDS_BAD_SHARD = -2,
};

struct wds_shard;

/* Takes src (it is closed with the shard, or at once on failure); name is
 * for messages.  o may be NULL.  Never fails: a shard that cannot be read
 * fails at its first wds_next. */
struct wds_shard *wds_open(struct source src, const char *name, const struct wds_opts *o);
/* The next sample into *out, valid until the next call: WDS_SAMPLE,
 * WDS_END, or an error with "NAME:OFFSET: member M: what" in err and
 * *lost set to the samples it cost (0 or 1).  After WDS_BAD_SHARD or
 * WDS_END, every call returns WDS_END. */
int wds_next(struct wds_shard *s, struct wds_sample *out, char *err, size_t errn, int *lost);
/* Tar bytes read so far (uncompressed), and input bytes (compressed). */
uint64_t wds_tar_bytes(const struct wds_shard *s);
uint64_t wds_raw_bytes(const struct wds_shard *s);
void wds_close(struct wds_shard *s);

/* webdataset's split of a member name: 1 with key and extension lengths
 * (the extension starts at name + key_len + 1), 0 when the member is
 * skipped (no dot in the base name, a hidden file, a __*__ name). */
int wds_split_name(const char *name, size_t *key_len, size_t *ext_len);

#endif
