/* urlsrc.c - see urlsrc.h. */
#include "hub/urlsrc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/braces.h"
#include "base/die.h"
#include "hub/remotepq.h"
#include "net/localcopy.h"
#include "net/s3.h"

/* What expanding a name learnt of its object (a listing's size, a HEAD's
 * size and ranges), so that opening it needs no second HEAD: one
 * request fewer per object, which is most of the cost of opening many
 * small ones. */
struct known {
	char *name;
	uint64_t size;
	int ranges;      /* the server serves byte ranges (S3 always does) */
};

struct urlsrc {
	struct urlsrc_opts o;
	struct s3 *s3;     /* made at the first s3:// name */
	struct http *http; /* for http(s):// names */
	struct http_stats prefetched; /* of the prefetch threads' handles, closed */
	int used;
	struct known *known; /* sorted by name when `sorted` */
	size_t nknown, known_cap;
	int sorted;
};

struct urlsrc *urlsrc_new(const struct urlsrc_opts *o)
{
	struct urlsrc *u = xcalloc(1, sizeof *u);
	if (o)
		u->o = *o;
	else
		u->o.retries = -1;
	return u;
}

void urlsrc_free(struct urlsrc *u)
{
	if (!u)
		return;
	s3_free(u->s3);
	http_free(u->http);
	for (size_t i = 0; i < u->nknown; i++)
		free(u->known[i].name);
	free(u->known);
	free(u);
}

static void remember(struct urlsrc *u, const char *name, uint64_t size, int ranges)
{
	if (u->nknown == u->known_cap) {
		u->known_cap = u->known_cap ? 2 * u->known_cap : 16;
		u->known = xrealloc(u->known, u->known_cap * sizeof *u->known);
	}
	u->known[u->nknown++] = (struct known){xstrdup(name), size, ranges};
	u->sorted = 0;
}

static int compare_known(const void *a, const void *b)
{
	return strcmp(((const struct known *)a)->name, ((const struct known *)b)->name);
}

/* What expansion learnt of name, or NULL.  (A name expanded twice is
 * found once, with either answer: both are of the same object.) */
static const struct known *recall(struct urlsrc *u, const char *name)
{
	if (!u->nknown)
		return NULL;
	if (!u->sorted) {
		qsort(u->known, u->nknown, sizeof *u->known, compare_known);
		u->sorted = 1;
	}
	struct known key = {.name = (char *)name};
	return bsearch(&key, u->known, u->nknown, sizeof *u->known, compare_known);
}

static int is_http(const char *name)
{
	return strncmp(name, "http://", 7) == 0 || strncmp(name, "https://", 8) == 0;
}

int urlsrc_is_url(const char *name) { return s3_is_url(name) || is_http(name); }

void urlsrc_files_free(struct urlsrc_file *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].url);
		free(f[i].etag);
	}
	free(f);
}

static int get_s3(struct urlsrc *u, char *err, size_t errn)
{
	if (u->s3)
		return 0;
	struct s3_opts so = {.no_sign = u->o.no_sign, .timeout = u->o.timeout, .retries = u->o.retries};
	u->s3 = s3_new(&so, err, errn);
	return u->s3 ? 0 : -1;
}

static struct http *get_http(struct urlsrc *u)
{
	if (!u->http) {
		struct http_opts ho = {.timeout = u->o.timeout, .retries = u->o.retries};
		u->http = http_new(&ho);
	}
	return u->http;
}

static void push(struct urlsrc_file **out, size_t *n, size_t *cap, char *url, uint64_t size, const char *etag)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		*out = xrealloc(*out, *cap * sizeof **out);
	}
	(*out)[(*n)++] = (struct urlsrc_file){url, size, etag ? xstrdup(etag) : NULL};
}

/* One name without braces into the list. */
static int expand_one(struct urlsrc *u, const char *name, struct urlsrc_file **out, size_t *n, size_t *cap, char *err,
                      size_t errn)
{
	u->used = 1;
	if (s3_is_url(name)) {
		if (get_s3(u, err, errn) != 0)
			return -1;
		char *bucket, *key;
		if (s3_split(name, &bucket, &key, err, errn) != 0)
			return -1;
		struct s3_object *objs;
		size_t k;
		int rc = s3_expand(u->s3, name, &objs, &k, err, errn);
		for (size_t i = 0; rc == 0 && i < k; i++) {
			size_t len = strlen(bucket) + strlen(objs[i].key) + 8;
			char *url = xmalloc(len);
			snprintf(url, len, "s3://%s/%s", bucket, objs[i].key);
			remember(u, url, objs[i].size, 1);
			push(out, n, cap, url, objs[i].size, objs[i].etag);
		}
		if (rc == 0)
			s3_objects_free(objs, k);
		free(bucket);
		free(key);
		return rc;
	}
	struct http_response resp = {0};
	char why[1024];
	int rc = http_head(get_http(u), name, &resp, why, sizeof why);
	if (rc == 0) {
		/* Not an answer that came by a redirect: its target may be a
		 * presigned URL that expires before a long run opens the file,
		 * so the open asks again and follows a fresh one. */
		if (!resp.final_url || strcmp(resp.final_url, name) == 0)
			remember(u, name, resp.linked_size, resp.accept_ranges);
		push(out, n, cap, xstrdup(name), resp.linked_size, resp.etag);
	} else
		errorf(err, errn, "%s", why);
	http_response_free(&resp);
	return rc == 0 ? 0 : -1;
}

int urlsrc_expand(struct urlsrc *u, const char *operand, struct urlsrc_file **out, size_t *n, char *err, size_t errn)
{
	char **names;
	size_t k;
	if (braces_expand(operand, &names, &k, err, errn) != 0)
		return -1;
	struct urlsrc_file *files = NULL;
	size_t nf = 0, cap = 0;
	int rc = 0;
	for (size_t i = 0; i < k && rc == 0; i++)
		rc = expand_one(u, names[i], &files, &nf, &cap, err, errn);
	braces_free(names, k);
	if (rc) {
		urlsrc_files_free(files, nf);
		return -1;
	}
	*out = files;
	*n = nf;
	return 0;
}

/* The handle and the http(s) URL a name is read through; *fetcher a new
 * handle of the same kind for a prefetch thread, when fetcher is given. */
static int locate(struct urlsrc *u, const char *name, struct http **h, char **url, struct http **fetcher, char *err,
                  size_t errn)
{
	if (!s3_is_url(name)) {
		*h = get_http(u);
		*url = xstrdup(name);
		if (fetcher) {
			struct http_opts ho = {.timeout = u->o.timeout, .retries = u->o.retries};
			*fetcher = http_new(&ho);
		}
		return 0;
	}
	if (get_s3(u, err, errn) != 0)
		return -1;
	char *bucket, *key;
	if (s3_split(name, &bucket, &key, err, errn) != 0)
		return -1;
	*h = s3_http(u->s3, bucket);
	*url = s3_object_url(u->s3, bucket, key);
	if (fetcher)
		*fetcher = s3_http_new(u->s3, bucket);
	free(bucket);
	free(key);
	return 0;
}

/* A whole file fetched into an unlinked temporary file, opened as parquet
 * there (for a server that serves no ranges). */
static int open_downloaded(struct urlsrc *u, const char *name, struct pq_source *out, char *err, size_t errn)
{
	struct s3_opts so = {.no_sign = u->o.no_sign, .timeout = u->o.timeout, .retries = u->o.retries};
	int fd = localcopy_fetch(name, &so, err, errn);
	if (fd < 0)
		return -1;
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	int rc = pq_open_path_as(out, path, name, err, errn);
	close(fd); /* the parquet source holds its own descriptor of the file */
	return rc;
}

/* Parquet read by ranges from url (size bytes), through path's handle. */
static int open_ranges(struct urlsrc *u, const char *path, const char *url, uint64_t size, struct pq_source *out,
                       char *err, size_t errn)
{
	struct http *h, *fetcher;
	char *own;
	if (locate(u, path, &h, &own, &fetcher, err, errn) != 0)
		return -1;
	remotepq_open(out, h, fetcher, url ? url : own, size, path, &u->prefetched);
	free(own);
	return 0;
}

int urlsrc_open_random(void *ctx, const char *path, struct pq_source *out, char *err, size_t errn)
{
	struct urlsrc *u = ctx;
	const struct known *k = recall(u, path);
	if (k)
		return k->ranges ? open_ranges(u, path, NULL, k->size, out, err, errn)
		                 : open_downloaded(u, path, out, err, errn);
	struct http *h;
	char *url;
	if (locate(u, path, &h, &url, NULL, err, errn) != 0)
		return -1;
	struct http_response resp = {0};
	char why[1024];
	int rc = http_head(h, url, &resp, why, sizeof why);
	if (rc != 0) {
		if (s3_is_url(path) && rc == 1) {
			char *bucket, *key;
			if (s3_split(path, &bucket, &key, why, sizeof why) == 0) {
				s3_error_message(u->s3, bucket, key, resp.status, NULL, &resp, err, errn);
				free(bucket);
				free(key);
			}
		} else
			errorf(err, errn, "%s", why);
		http_response_free(&resp);
		free(url);
		return -1;
	}
	/* S3 always serves ranges; a plain server says so, or gets the file
	 * read whole. */
	if (!s3_is_url(path) && !resp.accept_ranges) {
		http_response_free(&resp);
		free(url);
		return open_downloaded(u, path, out, err, errn);
	}
	free(url);
	rc = open_ranges(u, path, resp.final_url, resp.linked_size, out, err, errn);
	http_response_free(&resp);
	return rc;
}

int urlsrc_open_stream(void *ctx, const char *path, struct source *out, char *err, size_t errn)
{
	struct urlsrc *u = ctx;
	if (s3_is_url(path))
		return get_s3(u, err, errn) == 0 ? s3_open_stream(u->s3, path, out, err, errn) : -1;
	char why[1024];
	if (http_open_stream(get_http(u), path, NULL, out, why, sizeof why) != 0)
		return errorf(err, errn, "%s", why);
	return 0;
}

int urlsrc_stats(const struct urlsrc *u, struct http_stats *out)
{
	if (!u->used)
		return 0;
	*out = u->prefetched;
	if (u->s3) {
		struct http_stats st;
		s3_stats(u->s3, &st);
		out->requests += st.requests, out->retries += st.retries, out->resumes += st.resumes, out->bytes += st.bytes;
	}
	if (u->http) {
		const struct http_stats *st = http_stats(u->http);
		out->requests += st->requests, out->retries += st->retries, out->resumes += st->resumes,
			out->bytes += st->bytes;
	}
	return 1;
}
