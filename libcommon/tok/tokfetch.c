/* tokfetch.c - tokenizer files from the tiktoken and Hub caches, fetched
 * into them when missing (see tokfetch.h). */
#define _GNU_SOURCE
#include "tok/tokfetch.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/io.h"
#include "hub/hfcache.h"
#include "hub/hfhub.h"
#include "net/http.h"

#define DEFAULT_ENDPOINT "https://huggingface.co"

static char *join(const char *dir, const char *name)
{
	struct buf b = {0};
	buf_printf(&b, "%s/%s", dir, name);
	buf_addc(&b, '\0');
	return b.data;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *tokfetch_tiktoken_dir(void)
{
	/* tiktoken's load.py: the variable counts when it is set at all (set
	 * empty, it turns the cache off), and otherwise the cache sits in
	 * Python's tempfile.gettempdir(). */
	const char *v = getenv("TIKTOKEN_CACHE_DIR");
	if (!v)
		v = getenv("DATA_GYM_CACHE_DIR");
	if (v)
		return xstrdup(v);
	static const char *const tmpvars[] = {"TMPDIR", "TEMP", "TMP"};
	const char *tmp = "/tmp";
	for (size_t i = 0; i < sizeof tmpvars / sizeof *tmpvars; i++) {
		const char *t = getenv(tmpvars[i]);
		if (t && *t && is_dir(t)) {
			tmp = t;
			break;
		}
	}
	return join(tmp, "data-gym-cache");
}

static void to_hex(const unsigned char *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

char *tokfetch_tiktoken_path(const char *dir, const struct tokreg_file *f)
{
	/* tiktoken names a cached file by the SHA-1 of the URL it came from:
	 * the real URL, whatever host the tests download from. */
	struct buf url = {0};
	buf_printf(&url, "%s%s", TOKREG_BASE_URL, f->path);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char key[2 * EVP_MAX_MD_SIZE + 1];
	if (!EVP_Digest(url.data, url.len, md, &n, EVP_sha1(), NULL))
		die(STATUS_FAIL, "SHA-1: libcrypto failed");
	buf_free(&url);
	to_hex(md, n, key);
	return join(dir, key);
}

/* ---- sha256 of what is read or written ---- */

struct sha256 {
	EVP_MD_CTX *ctx;
};

static void sha256_init(struct sha256 *s)
{
	s->ctx = EVP_MD_CTX_new();
	if (!s->ctx || !EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL))
		die(STATUS_FAIL, "SHA-256: libcrypto failed");
}

static void sha256_update(struct sha256 *s, const void *p, size_t n)
{
	if (!EVP_DigestUpdate(s->ctx, p, n))
		die(STATUS_FAIL, "SHA-256: libcrypto failed");
}

/* The hex digest into out (65 bytes); frees s. */
static void sha256_final(struct sha256 *s, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (!EVP_DigestFinal_ex(s->ctx, md, &n) || n != 32)
		die(STATUS_FAIL, "SHA-256: libcrypto failed");
	EVP_MD_CTX_free(s->ctx);
	s->ctx = NULL;
	to_hex(md, n, out);
}

/* The sha256 of a file into out: 0; 1 when there is no such file; -1 with
 * a message when it cannot be read. */
static int file_sha256(const char *path, char out[65], char *err, size_t errn)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 1 : errorf(err, errn, "%s: %s", path, strerror(errno));
	struct sha256 s;
	sha256_init(&s);
	char buf[1 << 16];
	ssize_t n;
	while ((n = read_full(fd, buf, sizeof buf)) > 0)
		sha256_update(&s, buf, (size_t)n);
	int e = errno;
	close(fd);
	sha256_final(&s, out);
	return n < 0 ? errorf(err, errn, "%s: %s", path, strerror(e)) : 0;
}

/* ---- tiktoken's files ---- */

static int write_fd(int fd, const char *name, const void *p, size_t n, char *err, size_t errn)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errorf(err, errn, "%s: %s", name, strerror(errno));
		c += w, n -= (size_t)w;
	}
	return 0;
}

/* The body of url into fd, its sha256 into hash.  http.h resumes a body
 * that breaks off and retries what fails, so one call is one download. */
static int download(struct http *h, const char *url, int fd, const char *name, char hash[65], char *err,
                    size_t errn)
{
	struct source src;
	if (http_open_stream(h, url, NULL, &src, err, errn) != 0)
		return -1;
	struct sha256 s;
	sha256_init(&s);
	char *buf = xmalloc(1 << 16);
	int rc = 0;
	for (;;) {
		ssize_t n = source_read(&src, buf, 1 << 16);
		if (n < 0) {
			rc = errorf(err, errn, "%s", source_error(&src));
			break;
		}
		if (n == 0)
			break;
		sha256_update(&s, buf, (size_t)n);
		if ((rc = write_fd(fd, name, buf, (size_t)n, err, errn)) != 0)
			break;
	}
	free(buf);
	source_close(&src);
	sha256_final(&s, hash);
	return rc;
}

static int mkdir_p(const char *dir, char *err, size_t errn)
{
	char *p = xstrdup(dir);
	int rc = 0;
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST) {
			rc = errorf(err, errn, "%s: %s", p, strerror(errno));
			break;
		}
		if (!c)
			break;
		*s = c;
	}
	free(p);
	return rc;
}

/* One file of e: the cached copy if intact, else a download checked
 * against the pinned hash, renamed into place (or, with the cache off,
 * left in a temporary file).  Offline: 1 when not cached, 2 (with a
 * message) when the cached file is not the pinned one. */
static int tiktoken_file(const struct tokreg_encoding *e, const struct tokreg_file *f, const char *dir,
                         const struct tokfetch_opts *o, struct http **h, char **out, char *err, size_t errn)
{
	char hash[65];
	char *path = *dir ? tokfetch_tiktoken_path(dir, f) : NULL;
	if (path) {
		int rc = file_sha256(path, hash, err, errn);
		if (rc < 0) {
			free(path);
			return -1;
		}
		if (rc == 0 && strcmp(hash, f->sha256) == 0) {
			*out = path;
			return 0;
		}
		if (rc == 0 && o->offline) {
			errorf(err, errn, "%s: offline, and the cached %s (%s) has sha256 %s, not the %s tiktoken pins: "
			       "run tok-bpe fetch %s where there is network", e->name, f->path, path, hash, f->sha256,
			       e->name);
			free(path);
			return 2;
		}
		if (rc == 0) /* as tiktoken does: a cached file that does not match is fetched again */
			unlink(path);
	}
	if (o->offline) {
		err[0] = '\0';
		free(path);
		return 1;
	}
	const char *base = getenv("SLUICE_TIKTOKEN_BASE_URL");
	struct buf url = {0};
	buf_printf(&url, "%s%s", base && *base ? base : TOKREG_BASE_URL, f->path);
	buf_addc(&url, '\0');
	if (!*h) {
		*h = http_new(NULL); /* no token: these files are public */
	}
	struct atomic_file a = {.fd = -1};
	char *tmp = NULL;
	int fd;
	if (path) {
		if (mkdir_p(dir, err, errn) != 0) {
			buf_free(&url);
			free(path);
			return -1;
		}
		if (atomic_open(&a, path) != 0) {
			errorf(err, errn, "%s: %s", path, strerror(errno));
			buf_free(&url);
			free(path);
			return -1;
		}
		fd = a.fd;
	} else {
		const char *t = getenv("TMPDIR");
		struct buf tb = {0};
		buf_printf(&tb, "%s/sluice-tiktoken-XXXXXX", t && *t ? t : "/tmp");
		buf_addc(&tb, '\0');
		tmp = tb.data;
		fd = mkostemp(tmp, O_CLOEXEC);
		if (fd < 0) {
			errorf(err, errn, "%s: %s", tmp, strerror(errno));
			buf_free(&url);
			free(tmp);
			return -1;
		}
	}
	int rc = download(*h, url.data, fd, path ? a.tmp : tmp, hash, err, errn);
	if (rc == 0 && strcmp(hash, f->sha256) != 0)
		rc = errorf(err, errn, "%s: GET %s: sha256 %s, not the %s tiktoken pins (a corrupt download, or the file "
		            "changed): refused, nothing cached", e->name, url.data, hash, f->sha256);
	if (path) {
		if (rc == 0 && atomic_commit(&a) != 0)
			rc = errorf(err, errn, "%s: %s", path, strerror(errno));
		else if (rc != 0)
			atomic_abort(&a);
		free(a.path);
		free(a.tmp);
		*out = path;
	} else {
		close(fd);
		if (rc != 0)
			unlink(tmp);
		*out = tmp;
	}
	if (rc != 0) {
		free(*out);
		*out = NULL;
	}
	buf_free(&url);
	return rc;
}

int tokfetch_tiktoken(const struct tokreg_encoding *e, const struct tokfetch_opts *o, char *paths[2],
                      bool *temporary, char *err, size_t errn)
{
	char *dir = tokfetch_tiktoken_dir();
	struct http *h = NULL;
	int rc = 0;
	paths[0] = paths[1] = NULL;
	*temporary = !*dir;
	for (size_t i = 0; i < e->n_files && rc == 0; i++)
		rc = tiktoken_file(e, &e->files[i], dir, o, &h, &paths[i], err, errn);
	if (rc == 1) {
		struct buf want = {0};
		for (size_t i = 0; i < e->n_files; i++) {
			char *p = *dir ? tokfetch_tiktoken_path(dir, &e->files[i]) : xstrdup("(the cache is off)");
			buf_printf(&want, "%s%s", i ? " and " : "", p);
			free(p);
		}
		buf_addc(&want, '\0');
		errorf(err, errn, "%s: offline, and tiktoken's cache lacks %s: run tok-bpe fetch %s where there is "
		       "network (with the same TIKTOKEN_CACHE_DIR), or drop --offline and HF_HUB_OFFLINE", e->name,
		       want.data, e->name);
		buf_free(&want);
	}
	if (rc != 0) {
		for (int i = 0; i < 2; i++) {
			if (paths[i] && *temporary)
				unlink(paths[i]);
			free(paths[i]);
			paths[i] = NULL;
		}
	}
	if (h)
		http_free(h);
	free(dir);
	return rc;
}

/* ---- Hub models ---- */

int tokfetch_parse_model(const char *spec, char **repo, char **revision)
{
	const char *at = strchr(spec, '@');
	char *r = at ? xstrndup(spec, (size_t)(at - spec)) : xstrdup(spec);
	if (!hfcache_valid_repo(r) || (at && (!at[1] || !hfcache_valid_revision(at + 1)))) {
		free(r);
		return -1;
	}
	*repo = r;
	*revision = at ? xstrdup(at + 1) : NULL;
	return 0;
}

/* The two ways a model repo holds a byte-level BPE, as transformers looks
 * for them: the fast tokenizer's file, else GPT-2's pair. */
static const char *const file_sets[2][2] = {{"tokenizer.json", NULL}, {"vocab.json", "merges.txt"}};

static bool is_commit(const char *rev) { return strlen(rev) == 40 && strspn(rev, "0123456789abcdef") == 40; }

/* The set's snapshot files at commit, if all are cached. */
static bool cached_set(struct hfcache *c, const char *commit, const char *const set[2], char *paths[2])
{
	char err[256];
	paths[0] = paths[1] = NULL;
	for (int i = 0; i < 2 && set[i]; i++) {
		if (hfcache_snapshot_file(c, commit, set[i], &paths[i], err, sizeof err) != 0) {
			free(paths[0]);
			paths[0] = NULL;
			return false;
		}
	}
	return true;
}

struct hub {
	const char *repo, *revision, *endpoint;
	struct hfcache *cache;
	struct http *http;
};

static void url_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || strchr("-._~", c))
			buf_addc(b, (char)c);
		else
			buf_printf(b, "%%%02X", c);
	}
}

static char *resolve_url(const struct hub *h, const char *rev, const char *file)
{
	struct buf b = {0};
	buf_printf(&b, "%s/%s/resolve/", h->endpoint, h->repo);
	url_escape(&b, rev);
	buf_printf(&b, "/%s", file);
	buf_addc(&b, '\0');
	return b.data;
}

/* One line for a Hub answer that is not the file, saying what to do. */
static int status_error(const struct hub *h, long status, const char *code, char *err, size_t errn)
{
	code = code ? code : "";
	if (status == 401 && strcmp(code, "GatedRepo") == 0)
		return errorf(err, errn, "%s: 401 Unauthorized (gated): accept its conditions on %s/%s, then set HF_TOKEN "
		              "to a token of that account (or run huggingface-cli login)", h->repo, h->endpoint, h->repo);
	if (status == 401 && strcmp(code, "RepoNotFound") == 0)
		return errorf(err, errn, "%s: 401 Unauthorized: no such model, or a private one: set HF_TOKEN to a token "
		              "with read access to it (or run huggingface-cli login)", h->repo);
	if (status == 401)
		return errorf(err, errn, "%s: 401 Unauthorized: the token was refused: check HF_TOKEN (or $HF_HOME/token), "
		              "or log in again with huggingface-cli login", h->repo);
	if (status == 403)
		return errorf(err, errn, "%s: 403 Forbidden: the token has no access to it: accept its conditions on "
		              "%s/%s, or use a token with read access", h->repo, h->endpoint, h->repo);
	if (status == 404 && strcmp(code, "RevisionNotFound") == 0)
		return errorf(err, errn, "%s: 404 Not Found: no revision '%s' (a branch, tag or commit of the model)",
		              h->repo, h->revision);
	if (status == 404)
		return errorf(err, errn, "%s: 404 Not Found: no such model on %s (check the name; a private one needs "
		              "HF_TOKEN)", h->repo, h->endpoint);
	return errorf(err, errn, "%s: the Hub answered %ld", h->repo, status);
}

/* One file of the repo into the cache: its snapshot path into *out.  1
 * when the repo has no such file (404 EntryNotFound). */
static int hub_file(struct hub *h, const char *file, char *commit, size_t ncommit, char **out, char *err,
                    size_t errn)
{
	char *url = resolve_url(h, *commit ? commit : h->revision, file);
	struct http_response resp = {0};
	int rc = http_head(h->http, url, &resp, err, errn);
	free(url);
	if (rc == 1 && resp.status == 404 && resp.error_code && strcmp(resp.error_code, "EntryNotFound") == 0)
		rc = 1;
	else if (rc == 1)
		rc = status_error(h, resp.status, resp.error_code, err, errn);
	if (rc != 0) {
		http_response_free(&resp);
		return rc;
	}
	if (!*commit) {
		if (!resp.repo_commit || !hfcache_valid_revision(resp.repo_commit)) {
			http_response_free(&resp);
			return errorf(err, errn, "%s: %s: the Hub gave no commit (X-Repo-Commit)", h->repo, file);
		}
		snprintf(commit, ncommit, "%s", resp.repo_commit);
		if (strcmp(h->revision, commit) != 0 && hfcache_write_ref(h->cache, h->revision, commit, err, errn) != 0) {
			http_response_free(&resp);
			return -1;
		}
	}
	if (!resp.etag || !hfcache_valid_etag(resp.etag)) {
		http_response_free(&resp);
		return errorf(err, errn, "%s: %s: the Hub gave no usable ETag", h->repo, file);
	}
	if (hfcache_snapshot_file(h->cache, commit, file, out, err, errn) == 0) {
		http_response_free(&resp);
		return 0;
	}
	uint64_t have = 0, size = resp.linked_size ? resp.linked_size : UINT64_MAX;
	struct hfcache_blob *b = hfcache_blob_begin(h->cache, resp.etag, &have, err, errn);
	if (!b) {
		http_response_free(&resp);
		return -1;
	}
	rc = 0;
	if (have != UINT64_MAX) {
		/* The rest of the file, after what an interrupted run left in
		 * the .incomplete blob: the stream is read from 0 (http.h resumes
		 * it across drops) and its first bytes skipped; tokenizer files
		 * are a few MiB. */
		url = resolve_url(h, commit, file);
		struct source src;
		rc = http_open_stream(h->http, url, resp.etag, &src, err, errn);
		free(url);
		if (rc == 0) {
			char *buf = xmalloc(1 << 16);
			uint64_t at = 0;
			for (;;) {
				ssize_t n = source_read(&src, buf, 1 << 16);
				if (n < 0) {
					rc = errorf(err, errn, "%s: %s: %s", h->repo, file, source_error(&src));
					break;
				}
				if (n == 0)
					break;
				size_t skip = at >= have ? 0 : have - at < (uint64_t)n ? (size_t)(have - at) : (size_t)n;
				at += (uint64_t)n;
				if (skip < (size_t)n &&
				    (rc = hfcache_blob_write(b, buf + skip, (size_t)n - skip, err, errn)) != 0)
					break;
			}
			free(buf);
			source_close(&src);
		}
	}
	if (rc == 0)
		rc = hfcache_blob_commit(b, size, commit, file, err, errn);
	else
		hfcache_blob_abort(b);
	http_response_free(&resp);
	if (rc != 0)
		return -1;
	return hfcache_snapshot_file(h->cache, commit, file, out, err, errn) == 0 ? 0 : -1;
}

int tokfetch_hub(const char *repo, const char *revision, const struct tokfetch_opts *o, char *paths[2],
                 char *err, size_t errn)
{
	struct hub h = {.repo = repo, .revision = revision ? revision : "main"};
	paths[0] = paths[1] = NULL;
	char *root = hfcache_root();
	h.cache = hfcache_open_model(root, repo, err, errn);
	free(root);
	if (!h.cache)
		return -1;
	char commit[128] = "";
	int rc = -1;
	if (!o->refresh || o->offline) {
		int r = hfcache_read_ref(h.cache, h.revision, commit, sizeof commit, err, errn);
		if (r == 1 && is_commit(h.revision))
			snprintf(commit, sizeof commit, "%s", h.revision);
		else if (r != 0)
			commit[0] = '\0';
		for (int s = 0; s < 2 && *commit; s++)
			if (cached_set(h.cache, commit, file_sets[s], paths)) {
				hfcache_close(h.cache);
				return 0;
			}
		commit[0] = '\0';
	}
	if (o->offline) {
		rc = errorf(err, errn, "%s: offline, and the Hub cache (%s) has no tokenizer.json, nor vocab.json and "
		            "merges.txt, of it at %s: run tok-bpe fetch %s%s%s where there is network (with the same "
		            "HF_HUB_CACHE), or drop --offline and HF_HUB_OFFLINE", repo, hfcache_dir(h.cache), h.revision,
		            repo, revision ? "@" : "", revision ? revision : "");
		hfcache_close(h.cache);
		return rc;
	}
	const char *ep = getenv("HF_ENDPOINT");
	struct buf epb = {0};
	buf_adds(&epb, ep && *ep ? ep : DEFAULT_ENDPOINT);
	while (epb.len && epb.data[epb.len - 1] == '/')
		epb.len--;
	buf_addc(&epb, '\0');
	h.endpoint = epb.data;
	char host[256];
	char *token = hfhub_find_token(NULL);
	if (http_url_host(h.endpoint, host, sizeof host) != 0) {
		errorf(err, errn, "HF_ENDPOINT '%s' is not an http(s) URL", h.endpoint);
	} else {
		/* the token goes to the Hub's host only, never where it redirects */
		struct http_opts ho = {.auth_host = host, .token = token, .retries = -1};
		h.http = http_new(&ho);
		for (int s = 0; s < 2; s++) {
			rc = hub_file(&h, file_sets[s][0], commit, sizeof commit, &paths[0], err, errn);
			if (rc == 0 && file_sets[s][1])
				rc = hub_file(&h, file_sets[s][1], commit, sizeof commit, &paths[1], err, errn);
			if (rc != 1)
				break;
			free(paths[0]);
			paths[0] = NULL;
		}
		if (rc == 1)
			rc = errorf(err, errn, "%s: neither tokenizer.json nor vocab.json and merges.txt at %s: not a "
			            "byte-level BPE model", repo, h.revision);
		http_free(h.http);
	}
	if (rc != 0) {
		free(paths[0]);
		free(paths[1]);
		paths[0] = paths[1] = NULL;
	}
	free(token);
	buf_free(&epb);
	hfcache_close(h.cache);
	return rc;
}

int tokfetch_name(const char *name, const struct tokfetch_opts *o, char *paths[2], char *err, size_t errn)
{
	paths[0] = paths[1] = NULL;
	const struct tokreg_encoding *e = tokreg_find(name);
	if (e) {
		char *dir = tokfetch_tiktoken_dir();
		bool off = !*dir;
		free(dir);
		if (off)
			return errorf(err, errn, "%s: TIKTOKEN_CACHE_DIR is set empty, which turns tiktoken's cache off: "
			              "nothing to fill", name);
		bool temporary;
		return tokfetch_tiktoken(e, o, paths, &temporary, err, errn) == 0 ? 0 : -1;
	}
	char *repo, *revision;
	if (!strchr(name, '/') || tokfetch_parse_model(name, &repo, &revision) != 0) {
		struct buf names = {0};
		for (size_t i = 0; i < tokreg_count(); i++)
			buf_printf(&names, "%s%s", i ? ", " : "", tokreg_at(i)->name);
		buf_addc(&names, '\0');
		errorf(err, errn, "%s: neither a tiktoken encoding (%s) nor a Hub model id (ORG/NAME[@REVISION])", name,
		       names.data);
		buf_free(&names);
		return -1;
	}
	struct tokfetch_opts ho = *o;
	ho.refresh = true;
	int rc = tokfetch_hub(repo, revision, &ho, paths, err, errn);
	free(repo);
	free(revision);
	return rc;
}

/* tok-bpe fetch: each name's files into the caches, their paths on
 * stdout, one a line; a name that fails does not stop the others. */
int tokfetch_print_names(const struct tokfetch_opts *o, int n, char **names)
{
	int status = 0;
	struct outbuf out;
	outbuf_init(&out, 1, "<stdout>", 4096);
	for (int i = 0; i < n; i++) {
		char *paths[2], err[1024];
		if (tokfetch_name(names[i], o, paths, err, sizeof err) != 0) {
			warn("%s", err);
			status = STATUS_FAIL;
			continue;
		}
		for (int k = 0; k < 2; k++) {
			if (!paths[k])
				continue;
			outbuf_write(&out, paths[k], strlen(paths[k]));
			outbuf_putc(&out, '\n');
			free(paths[k]);
		}
	}
	outbuf_free(&out);
	return status;
}
