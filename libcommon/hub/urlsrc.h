/* urlsrc.h - data files named by URL, for hf-stream's sources: s3://
 * objects (net/s3.h: one object, or a glob listed from the bucket) and
 * plain http(s):// files, with brace patterns ({000..099}, {a,b}) in
 * either.  Parquet is read by byte ranges with the Hub's prefetch
 * (remotepq.h) wherever the server serves ranges; an https:// server that
 * does not (no "Accept-Ranges: bytes") has the file fetched whole into a
 * temporary file first, since parquet is read from its end.  The other
 * formats are streamed.  Retries, resume and Retry-After are http.h's. */
#ifndef SLUICE_URLSRC_H
#define SLUICE_URLSRC_H

#include <stddef.h>
#include <stdint.h>

#include "base/source.h"
#include "formats/parquet.h"
#include "net/http.h"

struct urlsrc_opts {
	double timeout; /* http.h's; 0: its default */
	int retries;    /* -1: http.h's default */
	int no_sign;    /* S3 requests unsigned (a public bucket) */
};

struct urlsrc;

struct urlsrc *urlsrc_new(const struct urlsrc_opts *o);
void urlsrc_free(struct urlsrc *u);

/* Whether a source operand is a URL this module reads. */
int urlsrc_is_url(const char *name);

struct urlsrc_file {
	char *url;
	uint64_t size; /* 0 when the server did not say */
	char *etag;    /* or NULL */
};
void urlsrc_files_free(struct urlsrc_file *f, size_t n);

/* The files a URL operand names, in order: its braces expanded, then each
 * s3:// name's glob listed (key order); an http(s) name is checked with
 * HEAD.  0 with *out and *n, or -1 with a one-line message. */
int urlsrc_expand(struct urlsrc *u, const char *operand, struct urlsrc_file **out, size_t *n, char *err,
                  size_t errn);

/* rows_options' hooks (ctx is the struct urlsrc; path the URL). */
int urlsrc_open_random(void *ctx, const char *path, struct pq_source *out, char *err, size_t errn);
int urlsrc_open_stream(void *ctx, const char *path, struct source *out, char *err, size_t errn);

/* The requests made so far (the prefetch threads' once their files are
 * closed); 0 when no URL was opened. */
int urlsrc_stats(const struct urlsrc *u, struct http_stats *out);

#endif
