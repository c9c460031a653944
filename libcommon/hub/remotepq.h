/* remotepq.h - a parquet file (formats/parquet.h) read over HTTP byte
 * ranges of one URL, for the files of a Hub dataset and those named by
 * an https:// or s3:// URL.  The parquet reader's hints of what it reads
 * next (the column chunks of this row group and the next) are fetched
 * ahead by a thread of the source's own, several ranges at a time and
 * merged into few large requests, while the reader decodes what came
 * before; so a remote file reads about as fast as the link allows. */
#ifndef SLUICE_REMOTEPQ_H
#define SLUICE_REMOTEPQ_H

#include <stdint.h>

#include "formats/parquet.h"
#include "net/http.h"

/* Opens url (size bytes; messages call it name) as *out.  Reads that
 * were not fetched ahead go through reader, the caller's handle, which
 * must outlive the source; the prefetch thread uses fetcher, which the
 * source owns and frees when closed, adding its counts to *sink. */
void remotepq_open(struct pq_source *out, struct http *reader, struct http *fetcher, const char *url, uint64_t size,
                   const char *name, struct http_stats *sink);

#endif
