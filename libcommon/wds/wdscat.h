/* wdscat.h - WebDataset shards to sluice records, as wds-cat writes them:
 * each sample's parts selected (--key: extensions, a;b alternatives where
 * the first present wins), then written as a text record (one part), a
 * sample record (several, or every part and __url__), or a JSON row
 * (__key__, __url__, the .json part's members, the other parts under
 * their extensions); optionally through a shuffle buffer.  A bad shard or
 * sample ends the program under WDS_ON_ERROR_FAIL, else it is counted
 * (and reported under WDS_ON_ERROR_WARN) and reading goes on; the counts
 * end the stream as its trailer. */
#ifndef SLUICE_WDSCAT_H
#define SLUICE_WDSCAT_H

#include <stddef.h>
#include <stdint.h>

#include "base/progress.h"
#include "base/shard.h"
#include "net/http.h"
#include "rec/rec.h"

enum wds_output { WDS_OUT_SAMPLE, WDS_OUT_TEXT, WDS_OUT_JSON };
enum wds_on_error { WDS_ON_ERROR_FAIL, WDS_ON_ERROR_WARN, WDS_ON_ERROR_SKIP };
enum wds_decode { WDS_DECODE_AUTO, WDS_DECODE_TEXT, WDS_DECODE_BYTES };

/* One --key element: its alternatives, the first present wins. */
struct wds_key_choice {
	char **alts;
	size_t nalts;
};

struct wds_cat_opts {
	struct wds_key_choice *keys; /* NULL: every part */
	size_t nkeys;
	char **want; /* every alternative, for wds_opts */
	size_t nwant;
	enum wds_output output;
	enum wds_decode decode;
	enum wds_on_error on_error;
	int taking;    /* stop after take samples */
	uint64_t take;
	uint64_t shuffle_buf, shuffle_initial; /* shuffle_buf 0: no shuffle */
	uint64_t seed; /* the shuffle's (shard_order_seed's stream 3) */
	/* Only this part of the samples, counted in the order they are read,
	 * before the shuffle buffer: how --shard cuts fewer shards than
	 * parts.  Zeroed: every sample. */
	struct shard samples;
	int verbose;   /* wds_cat_summary even without losses, with HTTP's counts */
	struct http_opts http_opts;
	int no_sign; /* s3:// shards read without credentials (--no-sign) */
};

/* --key's EXTS into o->keys and o->want (lower-cased).  0, or -1 with the
 * usage message in err. */
int wds_cat_parse_keys(struct wds_cat_opts *o, const char *arg, char *err, size_t errn);
void wds_cat_opts_free(struct wds_cat_opts *o);

struct wds_cat;

/* Writing to w (after the caller's header), counting into progress. */
struct wds_cat *wds_cat_new(const struct wds_cat_opts *o, struct rec_writer *w, struct progress *progress);
/* Reads one shard (a path, URL, pipe:COMMAND or -) into records, until
 * its end or until wds_cat_done. */
void wds_cat_read_shard(struct wds_cat *c, const char *url);
/* Whether take samples are written. */
int wds_cat_done(const struct wds_cat *c);
/* Drains the shuffle buffer and writes the trailer (not the stream's end). */
void wds_cat_finish(struct wds_cat *c);
/* On stderr, when samples were lost or verbose: samples, shards, bytes,
 * losses, HTTP requests. */
void wds_cat_summary(const struct wds_cat *c);
void wds_cat_free(struct wds_cat *c);

#endif
