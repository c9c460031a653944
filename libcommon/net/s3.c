/* s3.c - see s3.h. */
#define _GNU_SOURCE
#include "net/s3.h"

#include <ctype.h>
#include <errno.h>
#include <expat.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/die.h"

#define DEFAULT_REGION "us-east-1"
#define MAX_LIST_PAGES 1000000 /* a listing that never ends is the server's loop, not a bucket */

enum addressing { ADDR_AUTO, ADDR_PATH, ADDR_VIRTUAL };

struct bucket_handle {
	char *bucket;
	struct http *http;
};

struct s3 {
	char *key_id, *secret, *session_token; /* NULL key_id: unsigned */
	char *region;
	char *scheme;   /* "https" or "http" */
	char *hostport; /* the endpoint's host[:port] */
	int aws_endpoint;
	enum addressing addressing;
	double timeout;
	int retries;
	char *sigv4; /* "aws:amz:REGION:s3" */
	struct bucket_handle *handles;
	size_t nhandles;
};

/* ---- configuration ---- */

static char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? xstrdup(v) : NULL;
}

static void set_owned(char **dst, char *v)
{
	free(*dst);
	*dst = v;
}

/* Overwrites and frees a credential. */
static void secret_free(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

/* The values of one profile in an AWS ini file, as the CLI reads them:
 * "[NAME]" sections (the config file's "[profile NAME]", and its
 * "[default]"), "key = value" lines, and a nested block ("s3 =" then
 * indented lines) whose keys are read as "s3.key". */
struct profile {
	int found;
	char *key_id, *secret, *session_token, *region, *endpoint, *addressing;
};

static void profile_free(struct profile *p)
{
	free(p->key_id);
	secret_free(p->secret);
	secret_free(p->session_token);
	free(p->region);
	free(p->endpoint);
	free(p->addressing);
	memset(p, 0, sizeof *p);
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

/* Reads profile name from path into *p (values already there are kept:
 * the credentials file is read first and wins).  A file that does not
 * exist is no error; one that cannot be read is. */
static int read_profile(const char *path, const char *name, int config_file, struct profile *p, char *err,
                        size_t errn)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return errno == ENOENT || errno == ENOTDIR ? 0 : errorf(err, errn, "%s: %s", path, strerror(errno));
	char want[512];
	if (config_file && strcmp(name, "default") != 0)
		snprintf(want, sizeof want, "profile %s", name);
	else
		snprintf(want, sizeof want, "%s", name);
	char *line = NULL, nested[64] = "";
	size_t cap = 0;
	int in = 0;
	while (getline(&line, &cap, f) > 0) {
		int indented = line[0] == ' ' || line[0] == '\t';
		char *s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *end = strrchr(s, ']');
			if (end)
				*end = 0;
			char *sec = trim(s + 1);
			/* "[profile default]" is read as "[default]" too */
			in = strcmp(sec, want) == 0 || (config_file && strcmp(name, "default") == 0 &&
			                                strcmp(sec, "profile default") == 0);
			p->found |= in;
			nested[0] = 0;
			continue;
		}
		if (!in)
			continue;
		char *eq = strchr(s, '=');
		if (!eq)
			continue;
		*eq = 0;
		char *k = trim(s), *v = trim(eq + 1);
		if (!indented)
			nested[0] = 0;
		if (!*v && !indented) { /* "s3 =" opens a nested block */
			snprintf(nested, sizeof nested, "%s", k);
			continue;
		}
		char full[160];
		snprintf(full, sizeof full, "%s%s%s", indented && nested[0] ? nested : "", indented && nested[0] ? "." : "",
		         k);
		char **dst = NULL;
		if (strcmp(full, "aws_access_key_id") == 0)
			dst = &p->key_id;
		else if (strcmp(full, "aws_secret_access_key") == 0)
			dst = &p->secret;
		else if (strcmp(full, "aws_session_token") == 0)
			dst = &p->session_token;
		else if (strcmp(full, "region") == 0)
			dst = &p->region;
		else if (strcmp(full, "endpoint_url") == 0 || strcmp(full, "s3.endpoint_url") == 0)
			dst = &p->endpoint;
		else if (strcmp(full, "s3.addressing_style") == 0)
			dst = &p->addressing;
		if (dst && !*dst && *v)
			*dst = xstrdup(v);
	}
	free(line);
	int bad = ferror(f);
	fclose(f);
	return bad ? errorf(err, errn, "%s: read error", path) : 0;
}

/* ~/.aws/NAME, or NULL without a HOME. */
static char *home_file(const char *name)
{
	const char *home = getenv("HOME");
	if (!home || !*home)
		return NULL;
	size_t n = strlen(home) + strlen(name) + 8;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/.aws/%s", home, name);
	return p;
}

static int load_profile(struct profile *p, char *err, size_t errn)
{
	const char *named = getenv("AWS_PROFILE");
	const char *name = named && *named ? named : "default";
	char *cred = env_nonempty("AWS_SHARED_CREDENTIALS_FILE"), *conf = env_nonempty("AWS_CONFIG_FILE");
	if (!cred)
		cred = home_file("credentials");
	if (!conf)
		conf = home_file("config");
	int rc = 0;
	if (cred)
		rc = read_profile(cred, name, 0, p, err, errn);
	if (rc == 0 && conf)
		rc = read_profile(conf, name, 1, p, err, errn);
	if (rc == 0 && named && *named && !p->found)
		rc = errorf(err, errn, "AWS_PROFILE=%s: no such profile in %s or %s", name, cred ? cred : "~/.aws/credentials",
		            conf ? conf : "~/.aws/config");
	free(cred);
	free(conf);
	return rc;
}

static int truthy(const char *v)
{
	return v && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcasecmp(v, "yes") == 0);
}

/* The endpoint URL into scheme and host[:port]; a path other than "/" is
 * refused, since the bucket and key are what make the path. */
static int set_endpoint(struct s3 *s, const char *url, const char *from, char *err, size_t errn)
{
	const char *rest;
	if (strncasecmp(url, "https://", 8) == 0)
		s->scheme = xstrdup("https"), rest = url + 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		s->scheme = xstrdup("http"), rest = url + 7;
	else
		return errorf(err, errn, "%s=%s: not an http:// or https:// URL", from, url);
	size_t hl = strcspn(rest, "/?#");
	if (!hl || (rest[hl] && strcmp(rest + hl, "/") != 0))
		return errorf(err, errn, "%s=%s: the endpoint is a scheme and a host[:port], without a path", from, url);
	s->hostport = xstrndup(rest, hl);
	return 0;
}

struct s3 *s3_new(const struct s3_opts *o, char *err, size_t errn)
{
	struct s3_opts def = {.retries = -1};
	if (!o)
		o = &def;
	struct s3 *s = xcalloc(1, sizeof *s);
	s->timeout = o->timeout;
	s->retries = o->retries;
	struct profile p = {0};
	int no_sign = o->no_sign || truthy(getenv("AWS_NO_SIGN_REQUEST"));
	if (load_profile(&p, err, errn) != 0)
		goto fail;
	if (!no_sign) {
		char *id = env_nonempty("AWS_ACCESS_KEY_ID"), *secret = env_nonempty("AWS_SECRET_ACCESS_KEY");
		if (id || secret) {
			if (!id || !secret) {
				free(id);
				secret_free(secret);
				errorf(err, errn, "%s is set but %s is not: set both, or neither to use a profile",
				       id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
				       id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
				goto fail;
			}
			s->key_id = id, s->secret = secret;
			s->session_token = env_nonempty("AWS_SESSION_TOKEN");
		} else if (p.key_id && p.secret) {
			s->key_id = xstrdup(p.key_id), s->secret = xstrdup(p.secret);
			s->session_token = p.session_token ? xstrdup(p.session_token) : NULL;
		}
	}
	s->region = env_nonempty("AWS_REGION");
	if (!s->region)
		s->region = env_nonempty("AWS_DEFAULT_REGION");
	if (!s->region)
		s->region = xstrdup(p.region ? p.region : DEFAULT_REGION);
	char *ep = env_nonempty("AWS_ENDPOINT_URL_S3");
	const char *from = "AWS_ENDPOINT_URL_S3";
	if (!ep)
		ep = env_nonempty("AWS_ENDPOINT_URL"), from = "AWS_ENDPOINT_URL";
	if (!ep && p.endpoint)
		ep = xstrdup(p.endpoint), from = "endpoint_url";
	if (ep) {
		int rc = set_endpoint(s, ep, from, err, errn);
		free(ep);
		if (rc)
			goto fail;
	} else {
		s->scheme = xstrdup("https");
		size_t n = strlen(s->region) + 32;
		s->hostport = xmalloc(n);
		snprintf(s->hostport, n, "s3.%s.amazonaws.com", s->region);
		s->aws_endpoint = 1;
	}
	const char *style = getenv("SLUICE_S3_ADDRESSING_STYLE");
	if (!style || !*style)
		style = p.addressing;
	if (!style || !*style || strcmp(style, "auto") == 0)
		s->addressing = ADDR_AUTO;
	else if (strcmp(style, "path") == 0)
		s->addressing = ADDR_PATH;
	else if (strcmp(style, "virtual") == 0)
		s->addressing = ADDR_VIRTUAL;
	else {
		errorf(err, errn, "addressing style %s: use path, virtual or auto", style);
		goto fail;
	}
	size_t n = strlen(s->region) + 32;
	s->sigv4 = xmalloc(n);
	snprintf(s->sigv4, n, "aws:amz:%s:s3", s->region);
	profile_free(&p);
	return s;
fail:
	profile_free(&p);
	s3_free(s);
	return NULL;
}

void s3_free(struct s3 *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nhandles; i++) {
		free(s->handles[i].bucket);
		http_free(s->handles[i].http);
	}
	free(s->handles);
	free(s->key_id);
	secret_free(s->secret);
	secret_free(s->session_token);
	free(s->region);
	free(s->scheme);
	free(s->hostport);
	free(s->sigv4);
	free(s);
}

int s3_signed(const struct s3 *s) { return s->key_id != NULL; }

/* ---- names ---- */

int s3_is_url(const char *name) { return strncmp(name, "s3://", 5) == 0; }

/* S3's rules for a bucket's name (the general-purpose buckets'). */
static int bucket_name_ok(const char *b, size_t n)
{
	if (n < 3 || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)b[i]) || isdigit((unsigned char)b[i]) || b[i] == '.' || b[i] == '-'))
			return 0;
	return isalnum((unsigned char)b[0]) && isalnum((unsigned char)b[n - 1]);
}

int s3_split(const char *url, char **bucket, char **key, char *err, size_t errn)
{
	if (!s3_is_url(url))
		return errorf(err, errn, "%s: not an s3:// URL", url);
	const char *b = url + 5;
	size_t bl = strcspn(b, "/");
	if (!bl)
		return errorf(err, errn, "%s: no bucket: an S3 URL is s3://BUCKET/KEY", url);
	if (!bucket_name_ok(b, bl))
		return errorf(err, errn, "%s: \"%.*s\" is not a bucket name (3 to 63 of a-z, 0-9, '.' and '-')", url, (int)bl,
		              b);
	*bucket = xstrndup(b, bl);
	*key = xstrdup(b[bl] ? b + bl + 1 : "");
	return 0;
}

/* Whether a bucket can be a host name's first label (virtual-hosted
 * addressing): no dots, which would break the TLS certificate's match. */
static int bucket_is_label(const char *b) { return !strchr(b, '.'); }

static int virtual_hosted(const struct s3 *s, const char *bucket)
{
	if (s->addressing == ADDR_PATH)
		return 0;
	if (s->addressing == ADDR_VIRTUAL)
		return 1;
	return s->aws_endpoint && bucket_is_label(bucket);
}

/* Percent-encodes s into out, as SigV4's canonical form wants it: every
 * byte but the unreserved ones (and '/', when keep_slash). */
static void uri_encode(struct buf *out, const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~' || (keep_slash && *p == '/'))
			buf_addc(out, (char)*p);
		else {
			buf_addc(out, '%');
			buf_addc(out, hex[*p >> 4]);
			buf_addc(out, hex[*p & 15]);
		}
	}
}

/* scheme://host/ for bucket: BUCKET.HOST/ or HOST/BUCKET/ */
static void bucket_base(const struct s3 *s, const char *bucket, struct buf *out)
{
	if (virtual_hosted(s, bucket))
		buf_printf(out, "%s://%s.%s/", s->scheme, bucket, s->hostport);
	else
		buf_printf(out, "%s://%s/%s/", s->scheme, s->hostport, bucket);
}

char *s3_object_url(const struct s3 *s, const char *bucket, const char *key)
{
	struct buf u = {0};
	bucket_base(s, bucket, &u);
	uri_encode(&u, key, 1);
	buf_addc(&u, 0);
	return u.data;
}

struct http *s3_http_new(const struct s3 *s, const char *bucket)
{
	char host[512];
	if (virtual_hosted(s, bucket))
		snprintf(host, sizeof host, "%s.%s", bucket, s->hostport);
	else
		snprintf(host, sizeof host, "%s", s->hostport);
	struct http_opts o = {.auth_host = host, .timeout = s->timeout, .retries = s->retries};
	if (s->key_id) {
		o.aws_sigv4 = s->sigv4;
		o.aws_key = s->key_id;
		o.aws_secret = s->secret;
		o.aws_session_token = s->session_token;
	}
	return http_new(&o);
}

struct http *s3_http(struct s3 *s, const char *bucket)
{
	for (size_t i = 0; i < s->nhandles; i++)
		if (strcmp(s->handles[i].bucket, bucket) == 0)
			return s->handles[i].http;
	s->handles = xrealloc(s->handles, (s->nhandles + 1) * sizeof *s->handles);
	s->handles[s->nhandles] = (struct bucket_handle){xstrdup(bucket), s3_http_new(s, bucket)};
	return s->handles[s->nhandles++].http;
}

void s3_stats(const struct s3 *s, struct http_stats *out)
{
	*out = (struct http_stats){0};
	for (size_t i = 0; i < s->nhandles; i++) {
		const struct http_stats *st = http_stats(s->handles[i].http);
		out->requests += st->requests;
		out->retries += st->retries;
		out->resumes += st->resumes;
		out->bytes += st->bytes;
	}
}

/* ---- XML answers ---- */

/* The text of the elements an answer is read for: an S3 error's Code,
 * Message, Region and Endpoint; a listing's Contents (Key, Size, ETag),
 * IsTruncated and NextContinuationToken. */
struct xml_read {
	int depth;
	int in_contents;
	struct buf text;
	/* error */
	char *code, *message, *region;
	/* listing */
	struct s3_object *objs;
	size_t nobjs, cap;
	int truncated;
	char *next_token;
	struct s3_object cur;
	int too_big;
};

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct xml_read *x = ud;
	(void)attrs;
	x->depth++;
	buf_clear(&x->text);
	if (x->depth == 2 && strcmp(name, "Contents") == 0) {
		x->in_contents = 1;
		x->cur = (struct s3_object){0};
	}
}

static char *text_dup(const struct buf *t) { return xstrndup(t->data ? t->data : "", t->len); }

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct xml_read *x = ud;
	if (x->in_contents && x->depth == 3) {
		if (strcmp(name, "Key") == 0)
			set_owned(&x->cur.key, text_dup(&x->text));
		else if (strcmp(name, "Size") == 0) {
			char *t = text_dup(&x->text);
			x->cur.size = strtoull(t, NULL, 10);
			free(t);
		} else if (strcmp(name, "ETag") == 0) {
			char *t = text_dup(&x->text), *v = t;
			size_t n = strlen(v);
			if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
				v[n - 1] = 0, v++;
			set_owned(&x->cur.etag, xstrdup(v));
			free(t);
		}
	} else if (x->in_contents && x->depth == 2 && strcmp(name, "Contents") == 0) {
		x->in_contents = 0;
		if (x->cur.key) {
			if (x->nobjs == x->cap) {
				x->cap = x->cap ? 2 * x->cap : 64;
				x->objs = xrealloc(x->objs, x->cap * sizeof *x->objs);
			}
			x->objs[x->nobjs++] = x->cur;
		} else
			free(x->cur.etag);
		x->cur = (struct s3_object){0};
	} else if (x->depth == 2) {
		if (strcmp(name, "Code") == 0)
			set_owned(&x->code, text_dup(&x->text));
		else if (strcmp(name, "Message") == 0)
			set_owned(&x->message, text_dup(&x->text));
		else if (strcmp(name, "Region") == 0)
			set_owned(&x->region, text_dup(&x->text));
		else if (strcmp(name, "IsTruncated") == 0)
			x->truncated = x->text.len == 4 && memcmp(x->text.data, "true", 4) == 0;
		else if (strcmp(name, "NextContinuationToken") == 0)
			set_owned(&x->next_token, text_dup(&x->text));
	}
	buf_clear(&x->text);
	x->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct xml_read *x = ud;
	if (x->text.len + (size_t)len > 1 << 20) { /* no field of an answer is a megabyte */
		x->too_big = 1;
		return;
	}
	buf_add(&x->text, s, (size_t)len);
}

static void xml_read_free(struct xml_read *x)
{
	free(x->code);
	free(x->message);
	free(x->region);
	free(x->next_token);
	free(x->cur.key);
	free(x->cur.etag);
	s3_objects_free(x->objs, x->nobjs);
	buf_free(&x->text);
	memset(x, 0, sizeof *x);
}

/* Parses body into x: 0, or -1 (not XML, or a field too large). */
static int xml_parse(const struct buf *body, struct xml_read *x)
{
	XML_Parser p = XML_ParserCreate("UTF-8");
	if (!p)
		die(STATUS_FAIL, "out of memory");
	XML_SetUserData(p, x);
	XML_SetElementHandler(p, on_start, on_end);
	XML_SetCharacterDataHandler(p, on_text);
	int ok = XML_Parse(p, body->data ? body->data : "", (int)body->len, 1) == XML_STATUS_OK && !x->too_big;
	XML_ParserFree(p);
	return ok ? 0 : -1;
}

int s3_parse_list_page(const char *xml, size_t len, struct s3_list_page *page)
{
	struct buf body = {.data = (char *)xml, .len = len};
	struct xml_read x = {0};
	*page = (struct s3_list_page){0};
	int rc = len > (64u << 20) ? -1 : xml_parse(&body, &x);
	if (rc == 0 && x.code)
		rc = -1; /* an <Error> is no listing */
	if (rc == 0) {
		page->objects = x.objs, page->n = x.nobjs, page->truncated = x.truncated;
		page->next_token = x.next_token;
		x.objs = NULL, x.nobjs = 0, x.next_token = NULL;
	}
	xml_read_free(&x);
	return rc;
}

void s3_objects_free(struct s3_object *o, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(o[i].key);
		free(o[i].etag);
	}
	free(o);
}

/* ---- errors ---- */

void s3_error_message(const struct s3 *s, const char *bucket, const char *key, long status, const struct buf *body,
                      const struct http_response *resp, char *err, size_t errn)
{
	struct xml_read x = {0};
	if (body && body->len && body->len < (16u << 20))
		xml_parse(body, &x);
	const char *code = x.code;
	char where[1024];
	snprintf(where, sizeof where, "s3://%s%s%s", bucket, key && *key ? "/" : "", key ? key : "");
	const char *region = x.region ? x.region : resp ? resp->bucket_region : NULL;
	/* A HEAD's answer has no body: its status says what the code would. */
	if (!code && status == 404)
		code = key && *key ? "NoSuchKey" : "NoSuchBucket";
	if (!code && status == 403)
		code = "AccessDenied";
	if (region && strcmp(region, s->region) != 0 &&
	    (status == 301 || status == 400 || (code && (strcmp(code, "AuthorizationHeaderMalformed") == 0 ||
	                                                strcmp(code, "PermanentRedirect") == 0))))
		errorf(err, errn, "%s: the bucket is in %s, not %s: set AWS_REGION=%s (%ld %s)", where, region, s->region,
		       region, status, code ? code : "PermanentRedirect");
	else if (status == 301)
		errorf(err, errn, "%s: the bucket is in another region than %s: set AWS_REGION to its region (301 %s)",
		       where, s->region, code ? code : "PermanentRedirect");
	else if (code && strcmp(code, "NoSuchKey") == 0)
		errorf(err, errn, "%s: no such key (%ld NoSuchKey)", where, status);
	else if (code && strcmp(code, "NoSuchBucket") == 0)
		errorf(err, errn, "%s: no such bucket (%ld NoSuchBucket)", where, status);
	else if (code && strcmp(code, "InvalidAccessKeyId") == 0)
		errorf(err, errn, "%s: the store does not know the access key id (%ld InvalidAccessKeyId): check "
		       "AWS_ACCESS_KEY_ID or the profile's aws_access_key_id", where, status);
	else if (code && strcmp(code, "SignatureDoesNotMatch") == 0)
		errorf(err, errn, "%s: the request's signature does not match (%ld SignatureDoesNotMatch): check the "
		       "secret key (AWS_SECRET_ACCESS_KEY or the profile's aws_secret_access_key)", where, status);
	else if (code && (strcmp(code, "ExpiredToken") == 0 || strcmp(code, "InvalidToken") == 0))
		errorf(err, errn, "%s: the session token is expired or not valid (%ld %s): renew AWS_SESSION_TOKEN", where,
		       status, code);
	else if (code && strcmp(code, "AccessDenied") == 0 && !s->key_id)
		errorf(err, errn, "%s: access denied (%ld AccessDenied) to a request without credentials: set "
		       "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE", where, status);
	else if (code && strcmp(code, "AccessDenied") == 0)
		errorf(err, errn, "%s: access denied (%ld AccessDenied) to the key %s", where, status, s->key_id);
	else if (code)
		errorf(err, errn, "%s: %ld %s%s%s", where, status, code, x.message ? ": " : "", x.message ? x.message : "");
	else
		errorf(err, errn, "%s: the store answered %ld", where, status);
	xml_read_free(&x);
}

/* ---- requests ---- */

/* GET of one ListObjectsV2 page: keys under prefix, after token's page
 * (NULL: the first), at most max_keys (0: the store's page).  As
 * http_get.  The query's parameters are in the canonical order (by name)
 * and encoding, so that the URL is its own canonical form for SigV4. */
static int list_get(struct s3 *s, const char *bucket, const char *prefix, const char *token, int max_keys,
                    struct buf *body, struct http_response *resp, char *why, size_t whyn)
{
	struct buf u = {0};
	bucket_base(s, bucket, &u);
	buf_addc(&u, '?');
	if (token) {
		buf_adds(&u, "continuation-token=");
		uri_encode(&u, token, 0);
		buf_addc(&u, '&');
	}
	buf_adds(&u, "list-type=2&");
	if (max_keys > 0)
		buf_printf(&u, "max-keys=%d&", max_keys);
	buf_adds(&u, "prefix=");
	uri_encode(&u, prefix, 0);
	buf_addc(&u, 0);
	int rc = http_get(s3_http(s, bucket), u.data, body, resp, why, whyn);
	buf_free(&u);
	return rc;
}

/* A HEAD's answer has no body to say which error it is: a listing of the
 * key asks the same bucket with the same credentials, and its XML says
 * NoSuchBucket, SignatureDoesNotMatch, InvalidAccessKeyId or the region.
 * A listing that succeeds leaves the HEAD's status to speak (404: no such
 * key; 403: this key may list but not read). */
static void explain_head(struct s3 *s, const char *bucket, const char *key, struct http_response *head, char *err,
                         size_t errn)
{
	struct buf body = {0};
	struct http_response resp = {0};
	char why[1024];
	int rc = list_get(s, bucket, key, NULL, 1, &body, &resp, why, sizeof why);
	if (rc == 1)
		s3_error_message(s, bucket, resp.status == 404 ? "" : key, resp.status, &body, &resp, err, errn);
	else
		s3_error_message(s, bucket, key, head->status, NULL, head, err, errn);
	http_response_free(&resp);
	buf_free(&body);
}

int s3_stat(struct s3 *s, const char *bucket, const char *key, uint64_t *size, char **etag, char *err, size_t errn)
{
	char *url = s3_object_url(s, bucket, key);
	struct http_response resp = {0};
	char why[1024];
	int rc = http_head(s3_http(s, bucket), url, &resp, why, sizeof why);
	free(url);
	if (rc == 0) {
		*size = resp.linked_size;
		if (etag)
			*etag = resp.etag ? xstrdup(resp.etag) : NULL;
	} else if (rc == 1)
		explain_head(s, bucket, key, &resp, err, errn);
	else
		errorf(err, errn, "s3://%s/%s: %s", bucket, key, why);
	http_response_free(&resp);
	return rc == 0 ? 0 : -1;
}

int s3_open_stream(struct s3 *s, const char *url, struct source *out, char *err, size_t errn)
{
	char *bucket, *key;
	if (s3_split(url, &bucket, &key, err, errn) != 0)
		return -1;
	char *http_url = s3_object_url(s, bucket, key), why[1024];
	int rc = http_open_stream(s3_http(s, bucket), http_url, NULL, out, why, sizeof why) == 0 ? 0 : -1;
	uint64_t size;
	/* http's line names the http URL and the status; a HEAD that fails
	 * too says why in S3's words, one that passes leaves http's line */
	if (rc != 0 && s3_stat(s, bucket, key, &size, NULL, err, errn) == 0)
		errorf(err, errn, "%s: %s", url, why);
	free(http_url);
	free(bucket);
	free(key);
	return rc;
}

int s3_list(struct s3 *s, const char *bucket, const char *prefix, struct s3_object **out, size_t *n, char *err,
            size_t errn)
{
	struct s3_object *all = NULL;
	size_t nall = 0, cap = 0;
	char *token = NULL;
	int rc = 0;
	for (int page = 0; rc == 0; page++) {
		if (page == MAX_LIST_PAGES) {
			rc = errorf(err, errn, "s3://%s/%s: the listing did not end after %d pages", bucket, prefix, page);
			break;
		}
		struct buf body = {0};
		struct http_response resp = {0};
		char why[1024];
		int got = list_get(s, bucket, prefix, token, 0, &body, &resp, why, sizeof why);
		struct s3_list_page pg = {0};
		if (got == 1)
			s3_error_message(s, bucket, prefix, resp.status, &body, &resp, err, errn), rc = -1;
		else if (got < 0)
			rc = errorf(err, errn, "s3://%s/%s: %s", bucket, prefix, why);
		else if (s3_parse_list_page(body.data, body.len, &pg) != 0)
			rc = errorf(err, errn, "s3://%s/%s: the listing's answer is not the XML of ListObjectsV2", bucket, prefix);
		else {
			for (size_t i = 0; i < pg.n; i++) {
				if (nall == cap) {
					cap = cap ? 2 * cap : 256;
					all = xrealloc(all, cap * sizeof *all);
				}
				all[nall++] = pg.objects[i];
			}
			free(pg.objects);
			free(token);
			token = pg.truncated ? pg.next_token : NULL;
			if (pg.truncated && !token)
				rc = errorf(err, errn, "s3://%s/%s: a truncated listing without a continuation token", bucket,
				            prefix);
			else if (!pg.truncated)
				free(pg.next_token);
		}
		http_response_free(&resp);
		buf_free(&body);
		if (rc || !token)
			break;
	}
	free(token);
	if (rc) {
		s3_objects_free(all, nall);
		return -1;
	}
	*out = all;
	*n = nall;
	return 0;
}

/* ---- globs ---- */

static int has_wildcard(const char *s) { return strpbrk(s, "*?[") != NULL; }

/* A bracket class at p ("[...]", "[!...]", ranges) against c: the
 * length of the class with *hit set, or 0 when p does not close. */
static size_t match_class(const char *p, unsigned char c, int *hit)
{
	size_t i = 1;
	int neg = p[i] == '!' || p[i] == '^';
	if (neg)
		i++;
	int in = 0, first = 1;
	for (; p[i] && (first || p[i] != ']'); first = 0) {
		unsigned char lo = (unsigned char)p[i], hi = lo;
		if (p[i + 1] == '-' && p[i + 2] && p[i + 2] != ']') {
			hi = (unsigned char)p[i + 2];
			i += 3;
		} else
			i++;
		in |= c >= lo && c <= hi;
	}
	if (p[i] != ']')
		return 0;
	*hit = in != neg;
	return i + 1;
}

/* Shell glob matching of a key: '*' and '?' stay within a '/'-separated
 * part, "**" crosses them. */
static int glob_match(const char *p, const char *s)
{
	for (;;) {
		if (!*p)
			return !*s;
		if (p[0] == '*' && p[1] == '*') {
			while (*p == '*')
				p++;
			for (;; s++) {
				if (glob_match(p, s))
					return 1;
				if (!*s)
					return 0;
			}
		}
		if (*p == '*') {
			p++;
			for (;; s++) {
				if (glob_match(p, s))
					return 1;
				if (!*s || *s == '/')
					return 0;
			}
		}
		if (!*s)
			return 0;
		if (*p == '?') {
			if (*s == '/')
				return 0;
			p++, s++;
			continue;
		}
		if (*p == '[') {
			int hit = 0;
			size_t n = match_class(p, (unsigned char)*s, &hit);
			if (n) {
				if (!hit || *s == '/')
					return 0;
				p += n, s++;
				continue;
			}
		}
		if (*p != *s)
			return 0;
		p++, s++;
	}
}

int s3_expand(struct s3 *s, const char *url, struct s3_object **out, size_t *n, char *err, size_t errn)
{
	char *bucket, *key;
	if (s3_split(url, &bucket, &key, err, errn) != 0)
		return -1;
	int rc = 0;
	if (!has_wildcard(key)) {
		if (!*key || key[strlen(key) - 1] == '/')
			rc = errorf(err, errn, "%s: names no object: give a key, or a glob such as %s%s*.parquet", url, url,
			            *key ? "" : "/");
		else {
			struct s3_object o = {0};
			rc = s3_stat(s, bucket, key, &o.size, &o.etag, err, errn);
			if (rc == 0) {
				o.key = xstrdup(key);
				*out = xmalloc(sizeof o);
				**out = o;
				*n = 1;
			}
		}
	} else {
		size_t lit = strcspn(key, "*?[");
		char *prefix = xstrndup(key, lit);
		struct s3_object *all;
		size_t nall;
		rc = s3_list(s, bucket, prefix, &all, &nall, err, errn);
		if (rc == 0) {
			size_t k = 0;
			for (size_t i = 0; i < nall; i++) {
				if (glob_match(key, all[i].key))
					all[k++] = all[i];
				else {
					free(all[i].key);
					free(all[i].etag);
				}
			}
			if (!k) {
				free(all);
				rc = errorf(err, errn, "%s: no object matches", url);
			} else {
				*out = all;
				*n = k;
			}
		}
		free(prefix);
	}
	free(bucket);
	free(key);
	return rc;
}

int s3_expand_names(const char *pattern, const struct s3_opts *o, char ***names, size_t *n, char *err,
                    size_t errn)
{
	if (!s3_is_url(pattern) || !strpbrk(pattern, "*?[")) {
		*names = xrealloc(*names, (*n + 1) * sizeof **names);
		(*names)[(*n)++] = xstrdup(pattern);
		return 0;
	}
	struct s3 *s3 = s3_new(o, err, errn);
	if (!s3)
		return -1;
	char *bucket, *key;
	struct s3_object *objs;
	size_t k;
	int rc = s3_split(pattern, &bucket, &key, err, errn);
	if (rc == 0) {
		rc = s3_expand(s3, pattern, &objs, &k, err, errn);
		if (rc == 0) {
			*names = xrealloc(*names, (*n + k) * sizeof **names);
			for (size_t i = 0; i < k; i++) {
				size_t len = strlen(bucket) + strlen(objs[i].key) + 7;
				char *u = xmalloc(len);
				snprintf(u, len, "s3://%s/%s", bucket, objs[i].key);
				(*names)[(*n)++] = u;
			}
			s3_objects_free(objs, k);
		}
		free(bucket);
		free(key);
	}
	s3_free(s3);
	return rc;
}

/* ---- writing ---- */

/* Parts are at least 16 MiB (S3's floor is 5 MiB) and as many as S3
 * allows at most (10000), so an object up to 160 GB keeps the floor and a
 * larger one (to S3's 5 TiB) gets larger parts. */
#define PART_MIN ((uint64_t)16 << 20)
#define PARTS_MAX 10000
#define UPLOAD_THREADS 4

/* The object URL with a query (already in canonical order and encoding). */
static char *object_query_url(const struct s3 *s, const char *bucket, const char *key, const char *query)
{
	struct buf u = {0};
	bucket_base(s, bucket, &u);
	uri_encode(&u, key, 1);
	buf_printf(&u, "?%s", query);
	buf_addc(&u, 0);
	return u.data;
}

/* A request whose answer is XML: 0 with the body in *body, or -1 with the
 * message.  S3 may answer 200 and still put an <Error> in the body (a
 * CompleteMultipartUpload that failed after it started): that is a
 * failure too. */
static int xml_request(struct s3 *s, struct http *h, const char *bucket, const char *key, const char *url,
                       const struct http_req *rq, struct buf *body, char *err, size_t errn)
{
	struct http_response resp = {0};
	char why[1024];
	int rc = http_request(h, url, rq, body, &resp, why, sizeof why);
	if (rc == 0) {
		struct xml_read x = {0};
		if (xml_parse(body, &x) == 0 && x.code) {
			s3_error_message(s, bucket, key, resp.status, body, &resp, err, errn);
			rc = -1;
		}
		xml_read_free(&x);
	} else if (rc == 1) {
		s3_error_message(s, bucket, key, resp.status, body, &resp, err, errn);
		rc = -1;
	} else
		errorf(err, errn, "s3://%s/%s: %s", bucket, key, why);
	http_response_free(&resp);
	return rc;
}

int s3_check_bucket(struct s3 *s, const char *bucket, char *err, size_t errn)
{
	struct buf u = {0};
	bucket_base(s, bucket, &u);
	buf_addc(&u, 0);
	struct http_response resp = {0};
	char why[1024];
	int rc = http_head(s3_http(s, bucket), u.data, &resp, why, sizeof why);
	if (rc == 1)
		s3_error_message(s, bucket, "", resp.status, NULL, &resp, err, errn);
	else if (rc < 0)
		errorf(err, errn, "s3://%s: %s", bucket, why);
	http_response_free(&resp);
	buf_free(&u);
	return rc == 0 ? 0 : -1;
}

/* pread until n bytes or the end; -1 on an error. */
static ssize_t pread_full(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static int put_whole(struct s3 *s, const char *bucket, const char *key, int fd, uint64_t size, char *err, size_t errn)
{
	char *data = xmalloc(size ? size : 1);
	if (pread_full(fd, data, size, 0) != (ssize_t)size) {
		free(data);
		return errorf(err, errn, "s3://%s/%s: reading the temporary copy: %s", bucket, key, strerror(errno));
	}
	char *url = s3_object_url(s, bucket, key);
	struct http_req rq = {.method = "PUT", .content_type = "application/octet-stream", .body = data, .len = size,
	                      .idempotent = 1};
	struct buf body = {0};
	int rc = xml_request(s, s3_http(s, bucket), bucket, key, url, &rq, &body, err, errn);
	buf_free(&body);
	free(url);
	free(data);
	return rc;
}

/* One multipart upload in flight: the parts, shared by the threads. */
struct upload {
	struct s3 *s;
	const char *bucket, *key, *upload_id;
	int fd;
	uint64_t size, part_size;
	uint32_t nparts, next;
	char **etags; /* per part, once uploaded */
	pthread_mutex_t mu;
	int failed;
	char err[1024];
};

static void *upload_parts(void *arg)
{
	struct upload *u = arg;
	struct http *h = s3_http_new(u->s, u->bucket);
	char *data = xmalloc(u->part_size);
	struct buf enc = {0};
	uri_encode(&enc, u->upload_id, 0);
	buf_addc(&enc, 0);
	for (;;) {
		pthread_mutex_lock(&u->mu);
		uint32_t part = u->failed ? u->nparts : u->next++;
		pthread_mutex_unlock(&u->mu);
		if (part >= u->nparts)
			break;
		uint64_t off = (uint64_t)part * u->part_size;
		size_t len = (size_t)(u->size - off < u->part_size ? u->size - off : u->part_size);
		char err[1024] = "";
		char *etag = NULL;
		if (pread_full(u->fd, data, len, off) != (ssize_t)len)
			errorf(err, sizeof err, "s3://%s/%s: reading the temporary copy: %s", u->bucket, u->key,
			       strerror(errno));
		else {
			char query[1024];
			snprintf(query, sizeof query, "partNumber=%u&uploadId=%s", part + 1, enc.data);
			char *url = object_query_url(u->s, u->bucket, u->key, query);
			struct http_req rq = {.method = "PUT", .content_type = "application/octet-stream", .body = data,
			                      .len = len, .idempotent = 1};
			struct http_response resp = {0};
			struct buf body = {0};
			char why[1024];
			int rc = http_request(h, url, &rq, &body, &resp, why, sizeof why);
			if (rc == 0 && resp.etag)
				etag = xstrdup(resp.etag);
			else if (rc == 0)
				errorf(err, sizeof err, "s3://%s/%s: part %u was stored without an ETag", u->bucket, u->key,
				       part + 1);
			else if (rc == 1)
				s3_error_message(u->s, u->bucket, u->key, resp.status, &body, &resp, err, sizeof err);
			else
				errorf(err, sizeof err, "s3://%s/%s: %s", u->bucket, u->key, why);
			http_response_free(&resp);
			buf_free(&body);
			free(url);
		}
		pthread_mutex_lock(&u->mu);
		if (etag)
			u->etags[part] = etag;
		else if (!u->failed) {
			u->failed = 1;
			snprintf(u->err, sizeof u->err, "%s", err);
		}
		pthread_mutex_unlock(&u->mu);
	}
	buf_free(&enc);
	free(data);
	/* the handle's counts are lost with it: uploads report none */
	http_free(h);
	return NULL;
}

/* Abandons an upload, so that its parts are not kept (and billed). */
static void abort_upload(struct s3 *s, const char *bucket, const char *key, const char *upload_id)
{
	struct buf q = {0};
	buf_adds(&q, "uploadId=");
	uri_encode(&q, upload_id, 0);
	buf_addc(&q, 0);
	char *url = object_query_url(s, bucket, key, q.data);
	struct http_req rq = {.method = "DELETE", .idempotent = 1};
	struct buf body = {0};
	char why[1024];
	(void)http_request(s3_http(s, bucket), url, &rq, &body, NULL, why, sizeof why);
	buf_free(&body);
	buf_free(&q);
	free(url);
}

static int put_multipart(struct s3 *s, const char *bucket, const char *key, int fd, uint64_t size, char *err,
                         size_t errn)
{
	/* CreateMultipartUpload: POST ?uploads= ("uploads" with an empty
	 * value is its canonical form) */
	char *url = object_query_url(s, bucket, key, "uploads=");
	struct http_req rq = {.method = "POST", .content_type = "application/octet-stream"};
	struct buf body = {0};
	int rc = xml_request(s, s3_http(s, bucket), bucket, key, url, &rq, &body, err, errn);
	free(url);
	char *upload_id = NULL;
	if (rc == 0) {
		const char *a = body.data ? memmem(body.data, body.len, "<UploadId>", 10) : NULL;
		const char *b = a ? memmem(a, body.len - (size_t)(a - body.data), "</UploadId>", 11) : NULL;
		if (!a || !b)
			rc = errorf(err, errn, "s3://%s/%s: the store's answer to CreateMultipartUpload has no UploadId",
			            bucket, key);
		else
			upload_id = xstrndup(a + 10, (size_t)(b - a - 10));
	}
	buf_free(&body);
	if (rc)
		return -1;

	struct upload u = {.s = s, .bucket = bucket, .key = key, .upload_id = upload_id, .fd = fd, .size = size};
	u.part_size = PART_MIN;
	while ((size + u.part_size - 1) / u.part_size > PARTS_MAX)
		u.part_size += (uint64_t)1 << 20;
	u.nparts = (uint32_t)((size + u.part_size - 1) / u.part_size);
	u.etags = xcalloc(u.nparts, sizeof *u.etags);
	pthread_mutex_init(&u.mu, NULL);
	pthread_t th[UPLOAD_THREADS];
	int nth = 0;
	for (; nth < UPLOAD_THREADS && (uint32_t)nth < u.nparts; nth++)
		if (pthread_create(&th[nth], NULL, upload_parts, &u) != 0)
			break;
	if (!nth)
		upload_parts(&u);
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&u.mu);

	if (!u.failed) {
		struct buf x = {0};
		buf_adds(&x, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
		for (uint32_t i = 0; i < u.nparts; i++)
			buf_printf(&x, "<Part><PartNumber>%u</PartNumber><ETag>\"%s\"</ETag></Part>", i + 1, u.etags[i]);
		buf_adds(&x, "</CompleteMultipartUpload>");
		struct buf q = {0};
		buf_adds(&q, "uploadId=");
		uri_encode(&q, upload_id, 0);
		buf_addc(&q, 0);
		url = object_query_url(s, bucket, key, q.data);
		/* Sent again after a lost answer it would meet NoSuchUpload: the
		 * object is then checked instead (below). */
		struct http_req crq = {.method = "POST", .content_type = "application/xml", .body = x.data, .len = x.len,
		                       .idempotent = 1};
		rc = xml_request(s, s3_http(s, bucket), bucket, key, url, &crq, &body, u.err, sizeof u.err);
		if (rc != 0 && strstr(u.err, "NoSuchUpload")) {
			uint64_t got;
			char e2[1024];
			if (s3_stat(s, bucket, key, &got, NULL, e2, sizeof e2) == 0 && got == size)
				rc = 0;
		}
		u.failed = rc != 0;
		free(url);
		buf_free(&q);
		buf_free(&x);
		buf_free(&body);
	}
	if (u.failed) {
		abort_upload(s, bucket, key, upload_id);
		errorf(err, errn, "%s", u.err);
	}
	for (uint32_t i = 0; i < u.nparts; i++)
		free(u.etags[i]);
	free(u.etags);
	free(upload_id);
	return u.failed ? -1 : 0;
}

int s3_put_file(struct s3 *s, const char *bucket, const char *key, int fd, char *err, size_t errn)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return errorf(err, errn, "s3://%s/%s: the temporary copy: %s", bucket, key, strerror(errno));
	uint64_t size = (uint64_t)st.st_size;
	if (size <= PART_MIN)
		return put_whole(s, bucket, key, fd, size, err, errn);
	return put_multipart(s, bucket, key, fd, size, err, errn);
}
