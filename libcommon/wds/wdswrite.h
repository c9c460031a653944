/* wdswrite.h - writing WebDataset tar shards: each record becomes a sample
 * (tar members KEY.PART, written in part-name order), shards are cut by
 * sample count and tar size and each is renamed into place only when
 * complete, and a wids shard index lists them.  Headers carry no time,
 * owner or umask, so the same records always give the same bytes, the
 * compressed shards (gzip without its timestamp, zstd) included. */
#ifndef SLUICE_WDSWRITE_H
#define SLUICE_WDSWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "base/progress.h"

struct atomic_file;
struct rec_frame;

enum wds_compress { WDS_NONE, WDS_GZIP, WDS_ZSTD };
enum wds_keys { WDS_KEYS_RECORD, WDS_KEYS_INDEX };

/* A shard name: prefix, the shard number (zero-padded to width when
 * zero_pad), suffix.  Never handed to printf, so a '%' cannot go astray. */
struct wds_pattern {
	char *prefix, *suffix;
	int width, zero_pad;
};

/* Parses PATTERN: one %d or %0Nd directive and no other '%', or none, in
 * which case -%06d is put before a .tar/.tar.gz/.tgz/.tar.zst extension,
 * or -%06d.tar is appended.  A compressed extension picks *compress (a
 * conflicting explicit choice, compress_given, is an error); otherwise .gz
 * or .zst is appended for a compressed *compress.  Returns NULL, or a
 * usage error message (a constant string). */
const char *wds_pattern_parse(const char *arg, int compress_given, enum wds_compress *compress,
                              struct wds_pattern *p);
void wds_pattern_free(struct wds_pattern *p);
char *wds_pattern_name(const struct wds_pattern *p, uint64_t n); /* malloc'd */
/* The default index path: the prefix without trailing '-', '_' or '.',
 * plus .json (index.json when that leaves no file name).  malloc'd. */
char *wds_pattern_index(const struct wds_pattern *p);

/* Why a record key cannot be a webdataset sample key, or NULL if it can. */
const char *wds_key_problem(const char *key, size_t len);
/* Why a part name cannot be a member name extension, or NULL. */
const char *wds_part_problem(const char *name, size_t len);
/* Whether libarchive takes this compression level for c. */
int wds_level_ok(enum wds_compress c, int level);

struct wds_write_opts {
	const struct wds_pattern *pattern;
	uint64_t start;            /* number of the first shard */
	uint64_t maxcount, maxsize; /* both at least 1 */
	enum wds_compress compress;
	int level;                 /* -1: the filter's default */
	enum wds_keys keys;
	const char *index;         /* NULL: write no index */
	/* Where shards and the index are written; atomic_guard'ed, so they
	 * must live until the program ends. */
	struct atomic_file *shard_file, *index_file;
};

struct wds_stats {
	uint64_t samples, shards, bytes; /* bytes: of the shard files */
};

struct wds_writer;

struct wds_writer *wds_writer_new(const struct wds_write_opts *o);
/* Adds the sample a data frame makes (header and end frames are
 * ignored).  Returns NULL, or a one-line reason (valid until the next call)
 * why the frame cannot become a sample: the caller reports it where the
 * frame is.  I/O errors end the program (status 1); the shard being
 * written is then removed. */
const char *wds_write_frame(struct wds_writer *w, const struct rec_frame *f);
/* Commits the last shard and writes the index. */
/* Every record of the stream at path ("-": stdin) through wds_write_frame;
 * progress counts them.  A record that cannot be written ends the program
 * (STATUS_MALFORMED, where it is). */
void wds_write_input(struct wds_writer *w, const char *path, struct progress *progress);
void wds_writer_finish(struct wds_writer *w, struct wds_stats *st);
void wds_writer_free(struct wds_writer *w);

#endif
