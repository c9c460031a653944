/* hfhub.c - a Hub dataset repository: resolution, listing, opening files. */
#define _GNU_SOURCE
#include "hub/hfhub.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/io.h"
#include "hub/hfcache.h"
#include "hub/remotepq.h"
#include "net/http.h"

#define DEFAULT_ENDPOINT "https://huggingface.co"

struct hfhub {
	char *endpoint, *repo, *revision, *commit;
	struct hfhub_opts o;
	struct http *http; /* NULL offline */
	char auth_host[256];
	struct http_stats prefetched; /* of the prefetch threads' handles, closed */
	struct hfcache *cache;
	struct ds_file *files;
	size_t nfiles;
	bool listed;
};

/* ---- names ---- */

char *hfhub_find_token(const char *env_name)
{
	const char *names[] = {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"};
	if (env_name) {
		const char *v = getenv(env_name);
		return v && *v ? xstrdup(v) : NULL;
	}
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		const char *v = getenv(names[i]);
		if (v && *v)
			return xstrdup(v);
	}
	struct buf path = {0};
	const char *home = getenv("HF_HOME");
	if (home && *home)
		buf_printf(&path, "%s/token", home);
	else
		buf_printf(&path, "%s/.cache/huggingface/token", getenv("HOME") ? getenv("HOME") : "");
	buf_addc(&path, 0);
	char *tok = NULL;
	FILE *f = fopen(path.data, "r");
	if (f) {
		char line[4096];
		if (fgets(line, sizeof line, f)) {
			size_t n = strlen(line);
			while (n && isspace((unsigned char)line[n - 1]))
				line[--n] = 0;
			if (n)
				tok = xstrdup(line);
		}
		fclose(f);
	}
	buf_free(&path);
	return tok;
}

bool hfhub_env_offline(void)
{
	const char *v = getenv("HF_HUB_OFFLINE");
	return v && *v && strcmp(v, "0") != 0 && strcasecmp(v, "false") != 0;
}

void hfhub_ref_free(struct hfhub_ref *r)
{
	free(r->repo);
	free(r->revision);
	free(r->config);
	free(r->split);
	free(r->path);
	memset(r, 0, sizeof *r);
}

static char *dup_n(const char *s, size_t n) { return xstrndup(s, n); }

int hfhub_parse_ref(const char *arg, struct hfhub_ref *out, char *err, size_t errn)
{
	memset(out, 0, sizeof *out);
	static const char prefix[] = "hf://datasets/";
	if (strncmp(arg, prefix, sizeof prefix - 1) == 0) {
		const char *p = arg + sizeof prefix - 1;
		const char *slash = strchr(p, '/');
		if (!slash)
			return errorf(err, errn, "%s: not hf://datasets/ORG/NAME[@REVISION][/PATH]", arg);
		const char *end = slash + 1 + strcspn(slash + 1, "@/");
		out->repo = dup_n(p, (size_t)(end - p));
		if (*end == '@') {
			/* a revision may hold '/' (refs/convert/parquet) only
			 * URL-encoded, as huggingface_hub's HfFileSystem has it */
			const char *rev = end + 1, *rend = rev + strcspn(rev, "/");
			struct buf b = {0};
			for (const char *q = rev; q < rend; q++) {
				if (q[0] == '%' && q + 2 < rend + 0 + 1 && isxdigit((unsigned char)q[1]) &&
				    isxdigit((unsigned char)q[2])) {
					char hex[3] = {q[1], q[2], 0};
					buf_addc(&b, (char)strtol(hex, NULL, 16));
					q += 2;
				} else {
					buf_addc(&b, *q);
				}
			}
			buf_addc(&b, 0);
			out->revision = xstrdup(b.data);
			buf_free(&b);
			end = rend;
		}
		if (*end == '/' && end[1])
			out->path = xstrdup(end + 1);
	} else {
		/* ORG/NAME[:CONFIG[:SPLIT]]: exactly one '/', before any ':' */
		const char *colon = strchr(arg, ':');
		size_t rlen = colon ? (size_t)(colon - arg) : strlen(arg);
		const char *slash = memchr(arg, '/', rlen);
		if (!slash || memchr(slash + 1, '/', rlen - (size_t)(slash + 1 - arg)))
			return -1;
		out->repo = dup_n(arg, rlen);
		if (colon) {
			const char *c2 = strchr(colon + 1, ':');
			out->config = c2 ? dup_n(colon + 1, (size_t)(c2 - colon - 1)) : xstrdup(colon + 1);
			if (c2)
				out->split = xstrdup(c2 + 1);
			if (!*out->config) {
				free(out->config);
				out->config = NULL;
			}
		}
	}
	if (!hfcache_valid_repo(out->repo)) {
		errorf(err, errn, "%s: '%s' is not a dataset id (ORG/NAME)", arg, out->repo);
		hfhub_ref_free(out);
		return -1;
	}
	if (out->revision && !hfcache_valid_revision(out->revision)) {
		errorf(err, errn, "%s: '%s' is not a revision", arg, out->revision);
		hfhub_ref_free(out);
		return -1;
	}
	return 0;
}

/* Percent-encoding of a path for a URL: '/' kept unless all is set. */
static void url_escape(struct buf *b, const char *s, bool all)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || strchr("-._~", c) || (c == '/' && !all))
			buf_addc(b, (char)c);
		else
			buf_printf(b, "%%%02X", c);
	}
}

/* ---- opening ---- */

static char *api_url(const struct hfhub *h, const char *fmt_tail)
{
	struct buf b = {0};
	buf_printf(&b, "%s/api/datasets/%s%s", h->endpoint, h->repo, fmt_tail);
	buf_addc(&b, 0);
	return b.data;
}

static char *resolve_url(const struct hfhub *h, const char *path)
{
	struct buf b = {0};
	buf_printf(&b, "%s/datasets/%s/resolve/", h->endpoint, h->repo);
	url_escape(&b, h->commit, true);
	buf_addc(&b, '/');
	url_escape(&b, path, false);
	buf_addc(&b, 0);
	return b.data;
}

/* The Hub's error JSON's message, if the body is one. */
static void hub_message(const struct buf *body, char *out, size_t n)
{
	out[0] = 0;
	json_t *j = body->len ? json_loadb(body->data, body->len, 0, NULL) : NULL;
	const char *m = json_string_value(json_object_get(j, "error"));
	if (m)
		snprintf(out, n, " (%s)", m);
	json_decref(j);
}

/* One line for a failed API call, saying what to do about it; code is the
 * Hub's X-Error-Code, when it sent one. */
static void status_error(const struct hfhub *h, long status, const char *code, const struct buf *body, char *err,
                         size_t errn)
{
	char msg[512];
	hub_message(body, msg, sizeof msg);
	code = code ? code : "";
	if (status == 401 && strcmp(code, "GatedRepo") == 0)
		errorf(err, errn, "%s: 401 Unauthorized (gated)%s: accept its conditions on %s/datasets/%s, then set "
		       "HF_TOKEN to a token of that account (or run huggingface-cli login)",
		       h->repo, msg, h->endpoint, h->repo);
	else if (status == 401 && strcmp(code, "RepoNotFound") == 0)
		errorf(err, errn, "%s: 401 Unauthorized%s: no such dataset, or a private one: set HF_TOKEN to a "
		       "token with read access to it (or run huggingface-cli login)", h->repo, msg);
	else if (status == 401)
		errorf(err, errn, "%s: 401 Unauthorized%s: the token was refused: check HF_TOKEN (or "
		       "$HF_HOME/token), or log in again with huggingface-cli login", h->repo, msg);
	else if (status == 403)
		errorf(err, errn, "%s: 403 Forbidden%s: the token has no access to it: accept its conditions on "
		       "%s/datasets/%s, or use a token with read access", h->repo, msg, h->endpoint, h->repo);
	else if (status == 404 && strcmp(code, "RevisionNotFound") == 0)
		errorf(err, errn, "%s: 404 Not Found%s: no revision '%s' (a branch, tag or commit of the dataset)",
		       h->repo, msg, h->revision);
	else if (status == 404)
		errorf(err, errn, "%s: 404 Not Found%s: no such dataset%s on %s (check the name; a private one "
		       "needs HF_TOKEN)", h->repo, msg, h->revision ? " or revision" : "", h->endpoint);
	else
		errorf(err, errn, "%s: the Hub answered %ld%s", h->repo, status, msg);
}

struct hfhub *hfhub_open(const struct hfhub_opts *o, const char *repo, const char *revision, char *err,
                         size_t errn)
{
	struct hfhub *h = xcalloc(1, sizeof *h);
	h->o = *o;
	const char *ep = o->endpoint ? o->endpoint : getenv("HF_ENDPOINT");
	h->endpoint = xstrdup(ep && *ep ? ep : DEFAULT_ENDPOINT);
	size_t el = strlen(h->endpoint);
	while (el && h->endpoint[el - 1] == '/')
		h->endpoint[--el] = 0;
	h->repo = xstrdup(repo);
	h->revision = xstrdup(revision ? revision : "main");
	char *root = o->cache_root ? xstrdup(o->cache_root) : hfcache_root();
	h->cache = hfcache_open(root, repo, err, errn);
	free(root);
	if (!h->cache || !hfcache_valid_revision(h->revision)) {
		if (h->cache)
			errorf(err, errn, "%s: '%s' is not a revision", repo, h->revision);
		hfhub_close(h);
		return NULL;
	}
	char commit[128];
	if (o->offline) {
		int rc = hfcache_read_ref(h->cache, h->revision, commit, sizeof commit, err, errn);
		if (rc == 1) {
			/* a commit hash names its snapshot directly */
			size_t n = strlen(h->revision);
			bool hex = n == 40 && strspn(h->revision, "0123456789abcdef") == 40;
			if (!hex) {
				errorf(err, errn, "%s: offline, and the cache (%s) has no ref '%s': run once online first",
				       repo, hfcache_dir(h->cache), h->revision);
				hfhub_close(h);
				return NULL;
			}
			snprintf(commit, sizeof commit, "%s", h->revision);
		} else if (rc < 0) {
			hfhub_close(h);
			return NULL;
		}
		h->commit = xstrdup(commit);
		return h;
	}
	char *host = h->auth_host;
	struct http_opts ho = {.token = o->token, .timeout = o->timeout, .retries = o->retries};
	if (http_url_host(h->endpoint, host, sizeof h->auth_host) != 0) {
		errorf(err, errn, "HF_ENDPOINT '%s' is not an http(s) URL", h->endpoint);
		hfhub_close(h);
		return NULL;
	}
	ho.auth_host = host;
	h->http = http_new(&ho);
	struct buf tail = {0}, body = {0};
	buf_adds(&tail, "/revision/");
	url_escape(&tail, h->revision, true);
	buf_addc(&tail, 0);
	char *url = api_url(h, tail.data);
	buf_free(&tail);
	struct http_response resp = {0};
	int rc = http_get(h->http, url, &body, &resp, err, errn);
	free(url);
	if (rc == 1)
		status_error(h, resp.status, resp.error_code, &body, err, errn);
	http_response_free(&resp);
	if (rc != 0) {
		buf_free(&body);
		hfhub_close(h);
		return NULL;
	}
	json_t *j = json_loadb(body.data, body.len, 0, NULL);
	const char *sha = json_string_value(json_object_get(j, "sha"));
	if (!sha || !hfcache_valid_revision(sha)) {
		errorf(err, errn, "%s: the Hub's dataset info has no commit sha", repo);
		json_decref(j);
		buf_free(&body);
		hfhub_close(h);
		return NULL;
	}
	h->commit = xstrdup(sha);
	json_decref(j);
	buf_free(&body);
	if (strcmp(h->revision, h->commit) != 0 &&
	    hfcache_write_ref(h->cache, h->revision, h->commit, err, errn) != 0) {
		hfhub_close(h);
		return NULL;
	}
	return h;
}

void hfhub_close(struct hfhub *h)
{
	if (!h)
		return;
	if (h->http)
		http_free(h->http);
	if (h->cache)
		hfcache_close(h->cache);
	ds_files_free(h->files, h->nfiles);
	free(h->endpoint);
	free(h->repo);
	free(h->revision);
	free(h->commit);
	free(h);
}

const char *hfhub_repo(const struct hfhub *h) { return h->repo; }
const char *hfhub_commit(const struct hfhub *h) { return h->commit; }
int hfhub_stats(const struct hfhub *h, struct http_stats *out)
{
	if (!h->http)
		return -1;
	*out = *http_stats(h->http);
	out->requests += h->prefetched.requests;
	out->retries += h->prefetched.retries;
	out->resumes += h->prefetched.resumes;
	out->bytes += h->prefetched.bytes;
	return 0;
}

/* ---- listing ---- */

static int cmp_files(const void *a, const void *b)
{
	return strcmp(((const struct ds_file *)a)->path, ((const struct ds_file *)b)->path);
}

static void add_file(struct hfhub *h, size_t *cap, const char *path, uint64_t size)
{
	if (h->nfiles == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		h->files = xrealloc(h->files, *cap * sizeof *h->files);
	}
	h->files[h->nfiles++] = (struct ds_file){xstrdup(path), size};
}

int hfhub_files(struct hfhub *h, const struct ds_file **files, size_t *n, char *err, size_t errn)
{
	if (h->listed) {
		*files = h->files, *n = h->nfiles;
		return 0;
	}
	size_t cap = 0;
	if (!h->http) {
		char **paths;
		uint64_t *sizes;
		size_t k;
		int rc = hfcache_snapshot_list(h->cache, h->commit, &paths, &sizes, &k, err, errn);
		if (rc == 1)
			return errorf(err, errn, "%s: offline, and the cache has no snapshot %s", h->repo, h->commit);
		if (rc < 0)
			return -1;
		for (size_t i = 0; i < k; i++) {
			add_file(h, &cap, paths[i], sizes[i]);
			free(paths[i]);
		}
		free(paths);
		free(sizes);
	} else {
		struct buf tail = {0};
		buf_adds(&tail, "/tree/");
		url_escape(&tail, h->commit, true);
		buf_adds(&tail, "?recursive=true&expand=false");
		buf_addc(&tail, 0);
		char *url = api_url(h, tail.data);
		buf_free(&tail);
		struct buf body = {0};
		while (url) {
			struct http_response resp = {0};
			buf_clear(&body);
			int rc = http_get(h->http, url, &body, &resp, err, errn);
			free(url);
			url = NULL;
			if (rc != 0) {
				if (rc == 1)
					status_error(h, resp.status, resp.error_code, &body, err, errn);
				http_response_free(&resp);
				buf_free(&body);
				return -1;
			}
			json_t *j = json_loadb(body.data, body.len, 0, NULL);
			if (!json_is_array(j)) {
				errorf(err, errn, "%s: the Hub's file tree is not a JSON list", h->repo);
				json_decref(j);
				http_response_free(&resp);
				buf_free(&body);
				return -1;
			}
			size_t i;
			json_t *e;
			json_array_foreach(j, i, e) {
				const char *type = json_string_value(json_object_get(e, "type"));
				const char *path = json_string_value(json_object_get(e, "path"));
				json_t *size = json_object_get(e, "size");
				if (!type || strcmp(type, "file") != 0)
					continue;
				if (!path || !hfcache_valid_path(path) || !json_is_integer(size) ||
				    json_integer_value(size) < 0) {
					errorf(err, errn, "%s: the Hub's file tree has a bad entry%s%s", h->repo,
					       path ? ": " : "", path ? path : "");
					json_decref(j);
					http_response_free(&resp);
					buf_free(&body);
					return -1;
				}
				add_file(h, &cap, path, (uint64_t)json_integer_value(size));
			}
			json_decref(j);
			if (resp.next_link)
				url = xstrdup(resp.next_link);
			http_response_free(&resp);
		}
		buf_free(&body);
	}
	if (h->nfiles)
		qsort(h->files, h->nfiles, sizeof *h->files, cmp_files);
	h->listed = true;
	*files = h->files, *n = h->nfiles;
	return 0;
}

/* ---- files ---- */

/* Downloads path whole into the cache (resuming a .incomplete), or finds
 * it there; the snapshot path (malloc'd) into *local.  0; 1 when the repo
 * has no such file; -1 on error. */
static int fetch_to_cache(struct hfhub *h, const char *path, char **local, char *err, size_t errn)
{
	int rc = hfcache_snapshot_file(h->cache, h->commit, path, local, err, errn);
	if (rc <= 0)
		return rc;
	if (!h->http)
		return errorf(err, errn, "%s: offline, and %s@%s is not in the cache (%s)", h->repo, path, h->commit,
		              hfcache_dir(h->cache));
	char *url = resolve_url(h, path);
	struct http_response resp = {0};
	rc = http_head(h->http, url, &resp, err, errn);
	if (rc != 0) {
		if (rc == 1 && resp.status == 404)
			rc = 1;
		else if (rc == 1)
			rc = errorf(err, errn, "%s: %s: the Hub answered %ld", h->repo, path, resp.status);
		http_response_free(&resp);
		free(url);
		return rc;
	}
	if (!resp.etag || !hfcache_valid_etag(resp.etag)) {
		errorf(err, errn, "%s: %s: the Hub gave no usable ETag", h->repo, path);
		http_response_free(&resp);
		free(url);
		return -1;
	}
	uint64_t have = 0, size = resp.linked_size;
	struct hfcache_blob *b = hfcache_blob_begin(h->cache, resp.etag, &have, err, errn);
	if (!b) {
		http_response_free(&resp);
		free(url);
		return -1;
	}
	if (have == UINT64_MAX) {
		/* another process (or run) finished it: link it, under the lock */
		rc = hfcache_blob_commit(b, size, h->commit, path, err, errn);
	} else {
		/* the rest in 8 MiB ranges, four at a time, of the final URL */
		const char *from = resp.final_url ? resp.final_url : url;
		enum { CHUNK = 8 << 20, BATCH = 4 };
		char *space = xmalloc((size_t)CHUNK * BATCH);
		rc = 0;
		while (have < size && rc == 0) {
			struct http_range r[BATCH];
			size_t k = 0;
			for (uint64_t at = have; k < BATCH && at < size; k++, at += CHUNK)
				r[k] = (struct http_range){at, (size_t)(size - at < CHUNK ? size - at : CHUNK),
				                           space + k * CHUNK};
			rc = http_read_ranges(h->http, from, r, k, BATCH, err, errn);
			for (size_t i = 0; i < k && rc == 0; i++) {
				rc = hfcache_blob_write(b, r[i].buf, r[i].len, err, errn);
				have += r[i].len;
			}
		}
		free(space);
		if (rc == 0)
			rc = hfcache_blob_commit(b, size, h->commit, path, err, errn);
		else
			hfcache_blob_abort(b);
	}
	http_response_free(&resp);
	free(url);
	if (rc != 0)
		return -1;
	return hfcache_snapshot_file(h->cache, h->commit, path, local, err, errn) == 0 ? 0 : -1;
}

int hfhub_read_file(struct hfhub *h, const char *path, char **data, size_t *len, char *err, size_t errn)
{
	/* the listing says whether there is such a file, without a request */
	const struct ds_file *files;
	size_t n;
	if (hfhub_files(h, &files, &n, err, errn) != 0)
		return -1;
	struct ds_file key = {(char *)path, 0};
	if (!bsearch(&key, files, n, sizeof *files, cmp_files))
		return 1;
	char *local;
	int rc = fetch_to_cache(h, path, &local, err, errn);
	if (rc != 0)
		return rc;
	*data = io_read_file(local, len);
	free(local);
	if (!*data)
		return errorf(err, errn, "%s: %s", path, strerror(errno));
	return 0;
}

/* ---- the parquet export ---- */

int hfhub_parquet_export(struct hfhub *h, const char *config, const char *split, struct hfhub **export,
                         struct ds_file **files, size_t *n, char *err, size_t errn)
{
	*export = NULL, *files = NULL, *n = 0;
	size_t expect = 0;
	if (h->http) {
		/* the API says which files the export has (and that the config
		 * and split exist); the tree of refs/convert/parquet has them */
		struct buf tail = {0}, body = {0};
		buf_adds(&tail, "/parquet/");
		url_escape(&tail, config, true);
		buf_addc(&tail, '/');
		url_escape(&tail, split, true);
		buf_addc(&tail, 0);
		char *url = api_url(h, tail.data);
		buf_free(&tail);
		struct http_response resp = {0};
		int rc = http_get(h->http, url, &body, &resp, err, errn);
		free(url);
		if (rc == 1 && resp.status == 404)
			errorf(err, errn, "%s: no parquet export of config '%s', split '%s' (the Hub has not converted "
			       "this dataset, or has no such config or split)", h->repo, config, split);
		else if (rc == 1)
			status_error(h, resp.status, resp.error_code, &body, err, errn);
		http_response_free(&resp);
		if (rc != 0) {
			buf_free(&body);
			return -1;
		}
		json_t *j = json_loadb(body.data, body.len, 0, NULL);
		buf_free(&body);
		if (!json_is_array(j) || !json_array_size(j)) {
			errorf(err, errn, "%s: the Hub's parquet export of %s/%s lists no files", h->repo, config, split);
			json_decref(j);
			return -1;
		}
		expect = json_array_size(j);
		json_decref(j);
	}
	struct hfhub_opts o = h->o;
	struct hfhub *x = hfhub_open(&o, h->repo, "refs/convert/parquet", err, errn);
	if (!x)
		return -1;
	const struct ds_file *all;
	size_t nall;
	if (hfhub_files(x, &all, &nall, err, errn) != 0) {
		hfhub_close(x);
		return -1;
	}
	struct buf dir = {0};
	buf_printf(&dir, "%s/%s/", config, split);
	for (size_t i = 0; i < nall; i++) {
		if (strncmp(all[i].path, dir.data, dir.len) != 0 || ds_path_format(all[i].path) != DS_FMT_PARQUET)
			continue;
		*files = xrealloc(*files, (*n + 1) * sizeof **files);
		(*files)[(*n)++] = (struct ds_file){xstrdup(all[i].path), all[i].size};
	}
	buf_free(&dir);
	if (!*n || (expect && *n != expect)) {
		errorf(err, errn, "%s: the parquet export (refs/convert/parquet) holds %zu files under %s/%s/, the "
		       "Hub's listing %zu", h->repo, *n, config, split, expect);
		ds_files_free(*files, *n);
		*files = NULL, *n = 0;
		hfhub_close(x);
		return -1;
	}
	*export = x;
	return 0;
}

void hfhub_pairs_free(char **configs, char **splits, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(configs[i]);
		free(splits[i]);
	}
	free(configs);
	free(splits);
}

static void add_pair(char ***configs, char ***splits, size_t *n, const char *config, size_t clen, const char *split,
                     size_t slen)
{
	*configs = xrealloc(*configs, (*n + 1) * sizeof **configs);
	*splits = xrealloc(*splits, (*n + 1) * sizeof **splits);
	(*configs)[*n] = xstrndup(config, clen);
	(*splits)[(*n)++] = xstrndup(split, slen);
}

/* Offline, the index is what the cached snapshot of refs/convert/parquet
 * holds: each CONFIG/SPLIT/ folder of parquet files, in path order. */
static int cached_parquet_index(struct hfhub *h, char ***configs, char ***splits, size_t *n, char *err,
                                size_t errn)
{
	char why[512];
	struct hfhub *x = hfhub_open(&h->o, h->repo, "refs/convert/parquet", why, sizeof why);
	const struct ds_file *all = NULL;
	size_t nall = 0;
	if (x && hfhub_files(x, &all, &nall, why, sizeof why) != 0)
		nall = 0;
	for (size_t i = 0; i < nall; i++) {
		const char *p = all[i].path, *a = strchr(p, '/'), *b = a ? strchr(a + 1, '/') : NULL;
		if (!b || a == p || b == a + 1 || strchr(b + 1, '/') || ds_path_format(p) != DS_FMT_PARQUET)
			continue;
		size_t cl = (size_t)(a - p), sl = (size_t)(b - a - 1);
		if (*n && strlen((*configs)[*n - 1]) == cl && strncmp((*configs)[*n - 1], p, cl) == 0 &&
		    strlen((*splits)[*n - 1]) == sl && strncmp((*splits)[*n - 1], a + 1, sl) == 0)
			continue;
		add_pair(configs, splits, n, p, cl, a + 1, sl);
	}
	hfhub_close(x);
	if (*n)
		return 0;
	errorf(err, errn, "%s: offline, and the cache holds no parquet export of it", h->repo);
	return 1;
}

int hfhub_parquet_index(struct hfhub *h, char ***configs, char ***splits, size_t *n, char *err, size_t errn)
{
	*configs = NULL, *splits = NULL, *n = 0;
	if (!h->http)
		return cached_parquet_index(h, configs, splits, n, err, errn);
	char *url = api_url(h, "/parquet");
	struct buf body = {0};
	struct http_response resp = {0};
	int rc = http_get(h->http, url, &body, &resp, err, errn);
	free(url);
	bool none = rc == 1 && resp.status == 404;
	if (none)
		errorf(err, errn, "%s: the Hub has no parquet export of this dataset", h->repo);
	else if (rc == 1)
		status_error(h, resp.status, resp.error_code, &body, err, errn);
	http_response_free(&resp);
	json_t *j = rc == 0 ? json_loadb(body.data, body.len, 0, NULL) : NULL;
	buf_free(&body);
	if (rc != 0)
		return none ? 1 : -1;
	if (!json_is_object(j)) {
		errorf(err, errn, "%s: the Hub's parquet export index is not a JSON object", h->repo);
		json_decref(j);
		return -1;
	}
	const char *config;
	json_t *per;
	json_object_foreach(j, config, per) {
		const char *split;
		json_t *urls;
		json_object_foreach(per, split, urls)
			add_pair(configs, splits, n, config, strlen(config), split, strlen(split));
	}
	json_decref(j);
	return 0;
}

/* ---- data files ---- */

/* The cached copy of a data file (downloaded first with --download):
 * its path into *local, 0; 1 when it is to be read remotely; -1 when it
 * cannot be had. */
static int cached_copy(struct hfhub *h, const char *path, char **local, char *err, size_t errn)
{
	if (h->o.download || !h->http) {
		int rc = fetch_to_cache(h, path, local, err, errn);
		if (rc == 1)
			errorf(err, errn, "%s: no file %s at %s", h->repo, path, h->commit);
		return rc == 0 ? 0 : -1;
	}
	return hfcache_snapshot_file(h->cache, h->commit, path, local, err, errn);
}

int hfhub_open_random(struct hfhub *h, const char *path, struct pq_source *out, char *err, size_t errn)
{
	char *local = NULL;
	int rc = cached_copy(h, path, &local, err, errn);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		rc = pq_open_path_as(out, local, path, err, errn);
		free(local);
		return rc;
	}
	char *url = resolve_url(h, path);
	struct http_response resp = {0};
	rc = http_head(h->http, url, &resp, err, errn);
	if (rc != 0) {
		if (rc == 1)
			errorf(err, errn, "%s: %s: the Hub answered %ld", h->repo, path, resp.status);
		http_response_free(&resp);
		free(url);
		return -1;
	}
	struct http_opts fo = {.token = h->o.token, .auth_host = h->auth_host, .timeout = h->o.timeout,
	                       .retries = h->o.retries};
	remotepq_open(out, h->http, http_new(&fo), resp.final_url ? resp.final_url : url, resp.linked_size, path,
	              &h->prefetched);
	http_response_free(&resp);
	free(url);
	return 0;
}

int hfhub_open_stream(struct hfhub *h, const char *path, struct source *out, char *err, size_t errn)
{
	char *local = NULL;
	int rc = cached_copy(h, path, &local, err, errn);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		rc = source_open(out, local);
		if (rc != 0)
			errorf(err, errn, "%s: %s", local, strerror(errno));
		free(local);
		return rc;
	}
	char *url = resolve_url(h, path);
	rc = http_open_stream(h->http, url, NULL, out, err, errn);
	free(url);
	return rc;
}
