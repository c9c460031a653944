/* vsquery.h - answering a vector store's queries as vs-query prints them:
 * query vectors (vector records, or JSON lines {"id", "vector"}) read in
 * batches, each batch one search, every hit a JSON line {"query", "rank",
 * "id", "metadata", "score"}; points by id or by filter as their JSON
 * objects; the store's statistics and integrity check.  The output is JSON
 * lines on stdout, or json records keyed by the query (or the point's id).
 * Errors end the program: 1 for the store's, 2 for a bad filter, 8 for a
 * bad query. */
#ifndef SLUICE_VSQUERY_H
#define SLUICE_VSQUERY_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/cli.h"
#include "base/io.h"
#include "base/progress.h"
#include "rec/rec.h"
#include "vs/vsclient.h"

/* The exit status of a --id that is not there. */
#define VSQUERY_NOT_FOUND 4

struct vsquery {
	struct vsclient *store;
	struct vsclient_query q;
	size_t batch;  /* queries a search */
	int records;   /* json records out, not JSON lines */
	int timing;    /* time each query (vsquery_timings) */
	/* the rest is the session's own */
	size_t n;
	float *vecs;
	struct buf qids;
	size_t *qid_offs;
	struct outbuf out;
	struct rec_writer *w;
	struct buf line;
	struct progress progress;
	uint64_t printed;
	const char *where; /* the store, as given */
	double opened; /* seconds vsquery_open took */
	double *times; /* seconds per query, when timing */
	size_t ntimes, cap_times;
};

/* Opens the store at where (vsclient_open). */
void vsquery_open(struct vsquery *qr, const char *where, const struct vsclient_opts *o);
/* Starts the output on stdout: with records, a stream header naming the
 * command line. */
void vsquery_begin(struct vsquery *qr, int argc, char **argv);
/* Answers the queries of paths[n] (record files or JSON lines; "-" stdin). */
void vsquery_search(struct vsquery *qr, char **paths, int n, enum cli_progress progress);
/* The points with these ids; VSQUERY_NOT_FOUND (said on stderr) when some
 * are not there, else 0. */
int vsquery_get(struct vsquery *qr, const char **ids, size_t n);
/* The points filter (Qdrant filter JSON, NULL: all) matches, at most limit. */
void vsquery_scan(struct vsquery *qr, const char *filter, uint64_t limit);
void vsquery_stats(struct vsquery *qr);
void vsquery_verify(struct vsquery *qr);
/* With timing: the open and the queries' mean and quantiles on stderr. */
void vsquery_timings(struct vsquery *qr);
/* Ends the output and closes the store. */
void vsquery_close(struct vsquery *qr);

#endif
