/* http.c - see http.h.
 *
 * Every request, whatever its shape, is a `struct xfer`: what is wanted
 * (bytes [base, base+want) of a file, want = WANT_ALL for "to the end"),
 * how much of it has been handed to the sink so far (done), and the state
 * of the current try.  A try that breaks off is asked again from
 * base+done with Range; a 206 continues, a 200 starts over and the first
 * base+done bytes of it are skipped.  So the three kinds of sink (a
 * growable buffer, a fixed range of memory, the bounded buffer of a
 * stream) see exactly the bytes of a clean run.
 *
 * All tries run on a curl multi handle, driven by pump(): one transfer for
 * http_get/http_head/http_read_range, up to `parallel` for
 * http_read_ranges, and one (on its own multi handle) for each stream,
 * whose read() pumps until bytes are buffered. */
#define _GNU_SOURCE
#include "net/http.h"

#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/die.h"
#include "base/rng.h"

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "0"
#endif

#define WANT_ALL UINT64_MAX
#define MAX_REDIRECTS 10
#define MAX_ERRBODY (64 * 1024)
#define STREAM_BUF (1024 * 1024)
#define REDIR_CACHE 8
#define MAX_SERVER_WAIT 600.0

struct http {
	char *auth_host, *token, *user_agent, *token_header;
	char *aws_sigv4, *aws_key, *aws_secret, *aws_session_token; /* SigV4 instead of a token */
	double timeout;
	int retries;
	double scale; /* SLUICE_HTTP_BACKOFF_SCALE */
	struct http_stats st;
	struct rng rng;
	CURLM *multi; /* for get/head/ranges (streams have their own) */
	/* Where range reads of a URL were last redirected to, so that the
	 * reads of one file do not each go through the redirect. */
	char *rc_from[REDIR_CACHE], *rc_to[REDIR_CACHE];
	int rc_next;
};

enum sink { SINK_BUF, SINK_MEM, SINK_STREAM };
enum xstate { XS_NEW, XS_WAIT, XS_RUN, XS_OK, XS_STATUS, XS_FAIL };

struct stream;

struct xfer {
	struct http *h;
	CURLM *multi;
	CURL *e;
	struct curl_slist *hdrs;
	char *url0, *url; /* as asked; the one the current try goes to */
	int head, nredir, from_cache;
	const struct http_req *req; /* http_request's; NULL for the GETs */
	size_t out_start;           /* body->len before the first try (a request's retry starts over) */
	curl_mime *mime;            /* a request's multipart body */
	int unsent;                 /* the try failed before the server could act on it */
	uint64_t base, want, done;
	int ranged; /* send Range even for a first try */
	enum sink sink;
	struct buf *body;        /* SINK_BUF */
	char *mem;               /* SINK_MEM */
	struct stream *stream;   /* SINK_STREAM */
	const char *expect_etag; /* SINK_STREAM */

	/* The current try. */
	long status;
	char reason[80];
	int hdr_done;   /* the final response's headers are in */
	int deliver;    /* its body goes to the sink (a 2xx) */
	uint64_t skip;  /* bytes of its body to drop first */
	uint64_t got;   /* body bytes of this try */
	int have_clen, have_crange, have_total;
	uint64_t clen, crange, total; /* Content-Length; Content-Range's start and total */
	double last_progress;         /* when a byte last arrived (or the try began) */
	int timed_out;
	char *etag_raw, *location, *error_code, *bucket_region;
	int accept_ranges; /* Accept-Ranges: bytes */
	double wait; /* what the server asked for, or -1 */
	int fatal;   /* a callback decided this try (and the transfer) failed */
	int paused;
	struct buf errbody;
	char curlerr[CURL_ERROR_SIZE];

	/* Across tries and redirects. */
	char *known_etag; /* ETag of the bytes handed out (If-Range, change detection) */
	char *linked_etag, *commit, *next_link;
	uint64_t linked_size;
	int have_linked_size;
	int tries;
	double wake;
	enum xstate state;
	char err[1024];
};

struct stream {
	struct xfer x;
	char *buf;
	size_t cap, pos, len;
	char err[1024];
};

/* --- small things --------------------------------------------------- */

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	if (s <= 0)
		return;
	struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void set_str(char **dst, const char *s, size_t n)
{
	free(*dst);
	*dst = xstrndup(s, n);
}

/* snprintf through a va_list: a message cut short is fine here, and
 * gcc's -Wformat-truncation need not be told so at every call. */
static void msgf(char *dst, size_t n, const char *fmt, ...) SLUICE_PRINTF(3, 4);
static void msgf(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dst, n, fmt, ap);
	va_end(ap);
}

static void clear_str(char **p)
{
	free(*p);
	*p = NULL;
}

/* The URL without its query and fragment, for messages (signed CDN URLs
 * carry long queries that say nothing to a user). */
static void url_for_msg(const char *url, char *out, size_t n)
{
	size_t k = strcspn(url, "?#");
	snprintf(out, n, "%.*s", (int)k, url);
}

static const char *reason_of(long status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 408: return "Request Timeout";
	case 410: return "Gone";
	case 416: return "Range Not Satisfiable";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "";
	}
}

static int retryable_status(long s) { return s == 408 || s == 429 || (s >= 500 && s <= 599); }

static int retryable_code(CURLcode c)
{
	return c == CURLE_OPERATION_TIMEDOUT || c == CURLE_RECV_ERROR || c == CURLE_SEND_ERROR ||
	       c == CURLE_COULDNT_CONNECT || c == CURLE_PARTIAL_FILE || c == CURLE_GOT_NOTHING;
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static void global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		die(STATUS_FAIL, "libcurl could not be initialised");
}

int http_url_host(const char *url, char *out, size_t n)
{
	pthread_once(&global_once, global_init);
	CURLU *u = curl_url();
	if (!u)
		die(STATUS_FAIL, "out of memory");
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	curl_url_get(u, CURLUPART_PORT, &port, 0); /* only when the URL names one */
	int k = port ? snprintf(out, n, "%s:%s", host, port) : snprintf(out, n, "%s", host);
	if (k >= 0 && (size_t)k < n)
		rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

/* May url see the token?  "host" matches an auth_host of "host" or of
 * "host:DEFAULTPORT"; "host:port" matches only "host:port". */
static int auth_allowed(const struct http *h, const char *url)
{
	if ((!h->token && !h->aws_key) || !h->auth_host)
		return 0;
	char hp[512];
	if (http_url_host(url, hp, sizeof hp) != 0)
		return 0;
	if (strcasecmp(hp, h->auth_host) == 0)
		return 1;
	if (strchr(hp, ':') && hp[0] != '[')
		return 0;
	if (hp[0] == '[' && strstr(hp, "]:"))
		return 0;
	char alt[600];
	int https = strncasecmp(url, "https:", 6) == 0;
	snprintf(alt, sizeof alt, "%s:%s", hp, https ? "443" : "80");
	return strcasecmp(alt, h->auth_host) == 0;
}

/* --- the handle ----------------------------------------------------- */

struct http *http_new(const struct http_opts *o)
{
	pthread_once(&global_once, global_init);
	struct http *h = xcalloc(1, sizeof *h);
	struct http_opts def = {.retries = -1};
	if (!o)
		o = &def;
	h->auth_host = o->auth_host ? xstrdup(o->auth_host) : NULL;
	h->token = o->token && *o->token ? xstrdup(o->token) : NULL;
	h->user_agent = xstrdup(o->user_agent ? o->user_agent : "sluice/" SLUICE_VERSION);
	h->token_header = o->token_header ? xstrdup(o->token_header) : NULL;
	if (o->aws_sigv4 && o->aws_key && *o->aws_key && o->aws_secret) {
		h->aws_sigv4 = xstrdup(o->aws_sigv4);
		h->aws_key = xstrdup(o->aws_key);
		h->aws_secret = xstrdup(o->aws_secret);
		h->aws_session_token = o->aws_session_token && *o->aws_session_token ? xstrdup(o->aws_session_token) : NULL;
	}
	h->timeout = o->timeout > 0 ? o->timeout : 30;
	h->retries = o->retries >= 0 ? o->retries : 5;
	h->scale = 1;
	const char *sc = getenv("SLUICE_HTTP_BACKOFF_SCALE");
	if (sc && *sc) {
		char *end;
		double v = strtod(sc, &end);
		if (*end == 0 && v >= 0 && v < 1e6)
			h->scale = v;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	rng_seed(&h->rng, (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^
	                      (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)h);
	h->multi = curl_multi_init();
	if (!h->multi)
		die(STATUS_FAIL, "out of memory");
	return h;
}

/* Frees a credential, overwritten first so that it does not linger in
 * freed memory (a core dump, a later allocation). */
static void secret_free(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

void http_free(struct http *h)
{
	if (!h)
		return;
	secret_free(h->token);
	free(h->auth_host);
	free(h->aws_sigv4);
	free(h->aws_key);
	secret_free(h->aws_secret);
	secret_free(h->aws_session_token);
	free(h->user_agent);
	free(h->token_header);
	for (int i = 0; i < REDIR_CACHE; i++) {
		free(h->rc_from[i]);
		free(h->rc_to[i]);
	}
	curl_multi_cleanup(h->multi);
	free(h);
}

const struct http_stats *http_stats(const struct http *h) { return &h->st; }

void http_response_free(struct http_response *r)
{
	if (!r)
		return;
	free(r->etag);
	free(r->repo_commit);
	free(r->error_code);
	free(r->bucket_region);
	free(r->next_link);
	free(r->final_url);
	memset(r, 0, sizeof *r);
}

static const char *rc_lookup(struct http *h, const char *url)
{
	for (int i = 0; i < REDIR_CACHE; i++)
		if (h->rc_from[i] && strcmp(h->rc_from[i], url) == 0)
			return h->rc_to[i];
	return NULL;
}

static void rc_store(struct http *h, const char *from, const char *to)
{
	for (int i = 0; i < REDIR_CACHE; i++)
		if (h->rc_from[i] && strcmp(h->rc_from[i], from) == 0) {
			set_str(&h->rc_to[i], to, strlen(to));
			return;
		}
	int i = h->rc_next;
	h->rc_next = (h->rc_next + 1) % REDIR_CACHE;
	set_str(&h->rc_from[i], from, strlen(from));
	set_str(&h->rc_to[i], to, strlen(to));
}

static void rc_drop(struct http *h, const char *from)
{
	for (int i = 0; i < REDIR_CACHE; i++)
		if (h->rc_from[i] && strcmp(h->rc_from[i], from) == 0) {
			clear_str(&h->rc_from[i]);
			clear_str(&h->rc_to[i]);
		}
}

/* --- headers -------------------------------------------------------- */

/* Seconds from a Retry-After value: a number, or an HTTP date. */
static double parse_retry_after(const char *v)
{
	char *end;
	double s = strtod(v, &end);
	if (end != v && *end == 0)
		return s < 0 ? 0 : s;
	time_t t = curl_getdate(v, NULL);
	if (t == (time_t)-1)
		return -1;
	double d = difftime(t, time(NULL));
	return d < 0 ? 0 : d;
}

/* The reset of a RateLimit header: "limit=10, remaining=0, reset=N" (the
 * older draft) or "\"name\";r=0;t=N" (the current one, the Hub's). */
static double parse_ratelimit(const char *v)
{
	const char *p = strstr(v, "reset=");
	if (p)
		p += 6;
	else {
		for (p = v; (p = strstr(p, "t=")) != NULL; p += 2)
			if (p == v || p[-1] == ';' || p[-1] == ' ' || p[-1] == ',')
				break;
		if (p)
			p += 2;
	}
	if (!p)
		return -1;
	char *end;
	double s = strtod(p, &end);
	return end == p || s < 0 ? -1 : s;
}

/* The URL of Link: <...>; rel="next" (among comma-separated links). */
static void parse_link(struct xfer *x, const char *v)
{
	const char *p = v;
	while ((p = strchr(p, '<')) != NULL) {
		const char *q = strchr(p, '>');
		if (!q)
			return;
		const char *params = q + 1, *stop = strchr(params, '<');
		size_t plen = stop ? (size_t)(stop - params) : strlen(params);
		char tmp[256];
		snprintf(tmp, sizeof tmp, "%.*s", (int)(plen < 255 ? plen : 255), params);
		if (strstr(tmp, "rel=\"next\"") || strstr(tmp, "rel=next")) {
			set_str(&x->next_link, p + 1, (size_t)(q - p - 1));
			return;
		}
		p = q + 1;
	}
}

static char *strip_etag(const char *v)
{
	if (strncmp(v, "W/", 2) == 0)
		v += 2;
	size_t n = strlen(v);
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
		return xstrndup(v + 1, n - 2);
	return xstrdup(v);
}

static int decide_body(struct xfer *x, const char **why);

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb, len = n;
	while (len && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		len--;
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* A new response (after a 1xx, or the first). */
		const char *s = memchr(p, ' ', len);
		x->status = s ? strtol(s + 1, NULL, 10) : 0;
		x->reason[0] = 0;
		if (s) {
			const char *r = memchr(s + 1, ' ', len - (size_t)(s + 1 - p));
			if (r) {
				size_t rl = len - (size_t)(r + 1 - p);
				snprintf(x->reason, sizeof x->reason, "%.*s", (int)rl, r + 1);
			}
		}
		x->have_clen = x->have_crange = x->have_total = 0;
		x->wait = -1;
		x->last_progress = mono();
		clear_str(&x->etag_raw);
		clear_str(&x->location);
		clear_str(&x->error_code);
		clear_str(&x->bucket_region);
		x->accept_ranges = 0;
		return n;
	}
	if (len == 0) {
		/* The end of a header block: decide what the body is for. */
		if (x->status >= 200 && (x->req || !(x->status >= 300 && x->status < 400 && x->location))) {
			x->hdr_done = 1;
			const char *why = NULL;
			if (decide_body(x, &why) != 0) {
				msgf(x->err, sizeof x->err, "%s", why);
				x->fatal = 1;
				return 0;
			}
		}
		return n;
	}
	const char *colon = memchr(p, ':', len);
	if (!colon)
		return n;
	size_t nl = (size_t)(colon - p);
	const char *v = colon + 1, *end = p + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	char val[4096];
	size_t vl = (size_t)(end - v);
	if (vl >= sizeof val)
		vl = sizeof val - 1;
	memcpy(val, v, vl);
	val[vl] = 0;
#define IS(name) (nl == sizeof(name) - 1 && strncasecmp(p, name, nl) == 0)
	if (IS("ETag"))
		set_str(&x->etag_raw, val, vl);
	else if (IS("X-Linked-Etag")) {
		free(x->linked_etag);
		x->linked_etag = strip_etag(val);
	} else if (IS("X-Linked-Size")) {
		x->linked_size = strtoull(val, NULL, 10);
		x->have_linked_size = 1;
	} else if (IS("X-Repo-Commit"))
		set_str(&x->commit, val, vl);
	else if (IS("X-Error-Code"))
		set_str(&x->error_code, val, vl);
	else if (IS("Accept-Ranges"))
		x->accept_ranges = strcasecmp(val, "bytes") == 0;
	else if (IS("x-amz-bucket-region"))
		set_str(&x->bucket_region, val, vl);
	else if (IS("Content-Length")) {
		x->clen = strtoull(val, NULL, 10);
		x->have_clen = 1;
	} else if (IS("Location"))
		set_str(&x->location, val, vl);
	else if (IS("Link"))
		parse_link(x, val);
	else if (IS("Retry-After")) {
		double w = parse_retry_after(val);
		if (w >= 0)
			x->wait = w;
	} else if (IS("RateLimit") || IS("RateLimit-Reset")) {
		double w = IS("RateLimit") ? parse_ratelimit(val) : strtod(val, NULL);
		if (w >= 0 && x->wait < 0)
			x->wait = w;
	}
	else if (IS("Content-Range")) {
		unsigned long long a = 0; /* "bytes START-END/TOTAL" */
		if (sscanf(val, "bytes %llu-", &a) == 1) {
			x->crange = a;
			x->have_crange = 1;
		}
		const char *slash = strchr(val, '/');
		if (slash && slash[1] >= '0' && slash[1] <= '9') {
			x->total = strtoull(slash + 1, NULL, 10);
			x->have_total = 1;
		}
	}
#undef IS
	return n;
}

/* The headers of a final, non-redirect response are in: is its body for
 * the sink, and from where?  0, or -1 with *why. */
static int decide_body(struct xfer *x, const char **why)
{
	x->skip = 0;
	x->deliver = 0;
	if (x->status < 200 || x->status > 299)
		return 0;
	if (x->head) {
		x->deliver = 0;
		return 0;
	}
	if (x->sink == SINK_STREAM && x->expect_etag && x->done == 0) {
		const char *e = x->linked_etag;
		char *mine = NULL;
		if (!e && x->etag_raw)
			e = mine = strip_etag(x->etag_raw);
		int same = e && strcmp(e, x->expect_etag) == 0;
		free(mine);
		if (!same) {
			*why = "the file changed on the server (its ETag is not the expected one)";
			return -1;
		}
	}
	if (x->known_etag && x->etag_raw && strcmp(x->known_etag, x->etag_raw) != 0) {
		*why = "the file changed on the server while it was read";
		return -1;
	}
	uint64_t pos = x->base + x->done;
	if (x->status == 206) {
		if (!x->have_crange) {
			*why = "a 206 response without Content-Range";
			return -1;
		}
		uint64_t start = x->crange;
		if (start > pos) {
			*why = "the server sent a range other than the one asked";
			return -1;
		}
		x->skip = pos - start;
	} else {
		x->skip = pos; /* a whole body: start over, skipping what was handed out */
	}
	if (x->etag_raw && !x->known_etag)
		x->known_etag = xstrdup(x->etag_raw);
	x->deliver = 1;
	return 0;
}

/* --- bodies --------------------------------------------------------- */

static size_t stream_put(struct stream *s, const char *p, size_t n);

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;
	if (!x->deliver) {
		/* A redirect's or an error's body: keep a little of an error page. */
		if (x->hdr_done && x->errbody.len < MAX_ERRBODY)
			buf_add(&x->errbody, p, n < MAX_ERRBODY - x->errbody.len ? n : MAX_ERRBODY - x->errbody.len);
		return n;
	}
	uint64_t drop = x->skip < n ? x->skip : n;
	size_t use = n - (size_t)drop;
	uint64_t room = x->want == WANT_ALL ? UINT64_MAX : x->want - x->done;
	if (use > room)
		use = (size_t)room;
	if (use && x->sink == SINK_STREAM && stream_put(x->stream, NULL, use) == 0) {
		x->paused = 1;
		return CURL_WRITEFUNC_PAUSE;
	}
	x->skip -= drop;
	x->got += n;
	x->last_progress = mono();
	x->h->st.bytes += n;
	const char *q = p + drop;
	switch (x->sink) {
	case SINK_BUF: buf_add(x->body, q, use); break;
	case SINK_MEM: memcpy(x->mem + x->done, q, use); break;
	case SINK_STREAM: stream_put(x->stream, q, use); break;
	}
	x->done += use;
	if (x->want != WANT_ALL && x->done == x->want && (size_t)drop + use < n)
		return 0; /* all that was wanted, from a body that goes on: stop it here */
	return n;
}

/* The timeout: no byte for `timeout` seconds (curl's low-speed check
 * averages over several seconds, so a burst followed by a stall would
 * hide from it).  A paused transfer waits for its reader, not the server. */
static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct xfer *x = ud;
	double t = mono();
	if (x->paused) {
		x->last_progress = t;
		return 0;
	}
	if (t - x->last_progress > x->h->timeout) {
		x->timed_out = 1;
		return 1;
	}
	return 0;
}

/* --- tries ---------------------------------------------------------- */

static void xfer_init(struct xfer *x, struct http *h, CURLM *m, const char *url)
{
	memset(x, 0, sizeof *x);
	x->h = h;
	x->multi = m;
	x->url0 = xstrdup(url);
	x->url = xstrdup(url);
	x->want = WANT_ALL;
	x->wait = -1;
	x->state = XS_NEW;
}

static void xfer_free(struct xfer *x)
{
	if (x->e) {
		if (x->state == XS_RUN)
			curl_multi_remove_handle(x->multi, x->e);
		curl_easy_cleanup(x->e);
	}
	curl_slist_free_all(x->hdrs);
	curl_mime_free(x->mime);
	free(x->url0);
	free(x->url);
	free(x->etag_raw);
	free(x->location);
	free(x->error_code);
	free(x->bucket_region);
	free(x->known_etag);
	free(x->linked_etag);
	free(x->commit);
	free(x->next_link);
	buf_free(&x->errbody);
}

static void add_header(struct xfer *x, const char *line)
{
	struct curl_slist *l = curl_slist_append(x->hdrs, line);
	if (!l)
		die(STATUS_FAIL, "out of memory");
	x->hdrs = l;
}

/* The method and body of an http_request try (curl_easy_reset cleared
 * them; a multipart body is built once and read again for each try). */
static void set_method(struct xfer *x)
{
	const struct http_req *r = x->req;
	CURL *e = x->e;
	if (r->form_file) {
		if (!x->mime) {
			x->mime = curl_mime_init(e);
			curl_mimepart *part = x->mime ? curl_mime_addpart(x->mime) : NULL;
			if (!part || curl_mime_name(part, r->form_field ? r->form_field : "file") != CURLE_OK ||
			    curl_mime_filedata(part, r->form_file) != CURLE_OK)
				die(STATUS_FAIL, "out of memory");
		}
		curl_easy_setopt(e, CURLOPT_MIMEPOST, x->mime);
	} else if (r->body || r->len || strcmp(r->method, "POST") == 0) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? (const char *)r->body : "");
	} else if (strcmp(r->method, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "POST") != 0 && strcmp(r->method, "HEAD") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
}

static void start(struct xfer *x)
{
	struct http *h = x->h;
	if (!x->e) {
		x->e = curl_easy_init();
		if (!x->e)
			die(STATUS_FAIL, "out of memory");
	}
	CURL *e = x->e;
	curl_easy_reset(e);
	curl_easy_setopt(e, CURLOPT_URL, x->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_USERAGENT, h->user_agent);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->curlerr);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, x);
	long secs = (long)ceil(h->timeout);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, secs < 1 ? 1L : secs);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(h->timeout * 1000));
	if (x->req)
		set_method(x);
	else if (x->head)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);

	curl_slist_free_all(x->hdrs);
	x->hdrs = NULL;
	if (auth_allowed(h, x->url) && h->aws_key) {
		/* libcurl signs the request (its own, well-kept SigV4); the
		 * payload is not hashed into the signature (S3 allows that over
		 * any transport), so a streamed body needs no second pass. */
		curl_easy_setopt(e, CURLOPT_AWS_SIGV4, h->aws_sigv4);
		curl_easy_setopt(e, CURLOPT_USERNAME, h->aws_key);
		curl_easy_setopt(e, CURLOPT_PASSWORD, h->aws_secret);
		add_header(x, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
		if (h->aws_session_token) {
			struct buf a = {0};
			buf_printf(&a, "x-amz-security-token: %s", h->aws_session_token);
			buf_addc(&a, 0);
			add_header(x, a.data);
			memset(a.data, 0, a.len);
			buf_free(&a);
		}
	} else if (auth_allowed(h, x->url)) {
		struct buf a = {0};
		if (h->token_header)
			buf_printf(&a, "%s: %s", h->token_header, h->token);
		else
			buf_printf(&a, "Authorization: Bearer %s", h->token);
		buf_addc(&a, 0);
		add_header(x, a.data);
		memset(a.data, 0, a.len);
		buf_free(&a);
	}
	if (x->req) {
		/* A request's answer is not resumed: a new try starts over. */
		x->done = 0;
		x->body->len = x->out_start;
		if (x->req->content_type) {
			struct buf a = {0};
			buf_printf(&a, "Content-Type: %s", x->req->content_type);
			buf_addc(&a, 0);
			add_header(x, a.data);
			buf_free(&a);
		}
		add_header(x, "Expect:"); /* no 100-continue round trip before a body */
	}
	uint64_t pos = x->base + x->done;
	if (!x->head && !x->req && (x->ranged || pos > 0)) {
		char line[128];
		if (x->want == WANT_ALL)
			snprintf(line, sizeof line, "Range: bytes=%llu-", (unsigned long long)pos);
		else
			snprintf(line, sizeof line, "Range: bytes=%llu-%llu", (unsigned long long)pos,
			         (unsigned long long)(x->base + x->want - 1));
		add_header(x, line);
		if (x->done > 0 && x->known_etag && strncmp(x->known_etag, "W/", 2) != 0) {
			struct buf a = {0};
			buf_printf(&a, "If-Range: %s", x->known_etag);
			buf_addc(&a, 0);
			add_header(x, a.data);
			buf_free(&a);
		}
	}
	add_header(x, "Accept-Encoding: identity");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);

	x->status = 0;
	x->reason[0] = 0;
	x->hdr_done = x->deliver = x->fatal = x->paused = 0;
	x->skip = x->got = 0;
	x->have_clen = x->have_crange = x->have_total = 0;
	x->wait = -1;
	x->curlerr[0] = 0;
	x->timed_out = 0;
	x->last_progress = mono();
	buf_clear(&x->errbody);
	clear_str(&x->etag_raw);
	clear_str(&x->location);
	h->st.requests++;
	x->state = XS_RUN;
	if (curl_multi_add_handle(x->multi, e) != CURLM_OK)
		die(STATUS_FAIL, "curl_multi_add_handle failed");
}

static void fail(struct xfer *x, const char *why, int after)
{
	char u[1024];
	url_for_msg(x->url, u, sizeof u);
	const char *method = x->req ? x->req->method : x->head ? "HEAD" : "GET";
	if (after)
		msgf(x->err, sizeof x->err, "%s %s: %s (after %d %s)", method, u, why,
		         x->tries, x->tries == 1 ? "retry" : "retries");
	else
		msgf(x->err, sizeof x->err, "%s %s: %s", method, u, why);
	x->state = XS_FAIL;
}

static void retry(struct xfer *x, const char *why)
{
	struct http *h = x->h;
	if (x->deliver && x->got > 0)
		x->tries = 0; /* retries count tries in a row that brought nothing */
	/* A request that is not idempotent goes again only if the server
	 * cannot have acted on it. */
	if (x->tries >= h->retries || (x->req && !x->req->idempotent && !x->unsent)) {
		int st = x->hdr_done && retryable_status(x->status) && !x->deliver;
		fail(x, why, x->tries > 0);
		if (st)
			x->state = XS_STATUS; /* a final status, for http_get's 1 */
		return;
	}
	double cap = 0.5 * pow(2, x->tries);
	if (cap > 30)
		cap = 30;
	double w = x->wait >= 0 ? (x->wait < MAX_SERVER_WAIT ? x->wait : MAX_SERVER_WAIT)
	                        : cap * (double)(rng_next(&h->rng) >> 11) / 9007199254740992.0;
	x->tries++;
	h->st.retries++;
	if (x->done > 0)
		h->st.resumes++;
	x->wake = mono() + w * h->scale;
	x->state = XS_WAIT;
}

static void status_text(const struct xfer *x, char *out, size_t n)
{
	const char *r = x->reason[0] ? x->reason : reason_of(x->status);
	snprintf(out, n, "%ld%s%s", x->status, *r ? " " : "", r);
}

/* A try ended with curl's code rc: decide what comes next. */
static void finished(struct xfer *x, CURLcode rc)
{
	struct http *h = x->h;
	char why[512];
	curl_multi_remove_handle(x->multi, x->e);
	x->state = XS_NEW;
	x->unsent = rc == CURLE_COULDNT_CONNECT || (rc == CURLE_OK && x->status == 429);
	if (x->fatal) {
		char msg[1024];
		msgf(msg, sizeof msg, "%s", x->err);
		fail(x, msg, 0);
		return;
	}
	/* A range whose bytes have all arrived is complete: we stopped it on
	 * purpose (a write error), or the server failed only after them (a
	 * Content-Length longer than the body, a reset at the end). */
	if (rc != CURLE_OK && x->want != WANT_ALL && x->done == x->want &&
	    (rc == CURLE_WRITE_ERROR || (x->status >= 200 && x->status <= 299)))
		rc = CURLE_OK;
	if (rc == CURLE_ABORTED_BY_CALLBACK && x->timed_out) {
		msgf(why, sizeof why, "no data for %g s", h->timeout);
		retry(x, why);
		return;
	}
	if (rc != CURLE_OK) {
		msgf(why, sizeof why, "%s", x->curlerr[0] ? x->curlerr : curl_easy_strerror(rc));
		if (retryable_code(rc))
			retry(x, why);
		else
			fail(x, why, 0);
		return;
	}
	if (x->status >= 300 && x->status < 400 && x->location && !x->req) {
		if (++x->nredir > MAX_REDIRECTS) {
			fail(x, "too many redirects", 0);
			return;
		}
		CURLU *u = curl_url();
		if (!u)
			die(STATUS_FAIL, "out of memory");
		char *to = NULL, *scheme = NULL;
		int ok = curl_url_set(u, CURLUPART_URL, x->url, 0) == CURLUE_OK &&
		         curl_url_set(u, CURLUPART_URL, x->location, 0) == CURLUE_OK &&
		         curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
		         (strcasecmp(scheme, "http") == 0 || strcasecmp(scheme, "https") == 0) &&
		         curl_url_get(u, CURLUPART_URL, &to, 0) == CURLUE_OK;
		if (ok)
			set_str(&x->url, to, strlen(to));
		curl_free(to);
		curl_free(scheme);
		curl_url_cleanup(u);
		if (!ok) {
			fail(x, "a redirect to an unusable location", 0);
			return;
		}
		start(x);
		return;
	}
	if (x->status >= 200 && x->status <= 299) {
		if (!x->head) {
			/* A short body is a drop: fewer bytes than Content-Length,
			 * than asked, or than the X-Linked-Size of the file. */
			int short_body = x->want != WANT_ALL ? x->done < x->want
			                                     : (x->have_clen && x->got < x->clen) ||
			                                           (x->have_linked_size && x->base == 0 &&
			                                            !x->ranged && x->done < x->linked_size);
			if (short_body) {
				retry(x, "the connection broke off before the end of the body");
				return;
			}
		}
		x->state = XS_OK;
		return;
	}
	if (x->status == 416 && x->done > 0 && x->want == WANT_ALL && x->have_total &&
	    x->total == x->base + x->done) {
		/* A resume from the very end (after a body shorter than its
		 * Content-Length said, but whole): nothing is missing. */
		x->state = XS_OK;
		return;
	}
	status_text(x, why, sizeof why);
	if (retryable_status(x->status)) {
		retry(x, why);
		return;
	}
	if (x->from_cache) {
		/* A remembered redirect went stale: ask the original URL again. */
		x->from_cache = 0;
		rc_drop(h, x->url0);
		set_str(&x->url, x->url0, strlen(x->url0));
		x->nredir = 0;
		start(x);
		return;
	}
	x->state = XS_STATUS;
	fail(x, why, x->tries > 0);
	x->state = XS_STATUS;
}

static int active(const struct xfer *x) { return x->state == XS_RUN || x->state == XS_WAIT; }

/* Starts what may start, runs the multi handle, handles what ended; with
 * `block`, first waits for something to happen (at most 1 s). */
static void pump(CURLM *m, struct xfer **xs, size_t n, int parallel, int block)
{
	int running = 0;
	double t = mono(), next = t + 1;
	for (size_t i = 0; i < n; i++)
		running += active(xs[i]);
	for (size_t i = 0; i < n; i++) {
		struct xfer *x = xs[i];
		if (x->state == XS_NEW && running < parallel) {
			start(x);
			running++;
		} else if (x->state == XS_WAIT) {
			if (x->wake <= t)
				start(x);
			else if (x->wake < next)
				next = x->wake;
		}
	}
	int still = 0;
	if (block) {
		int any_run = 0;
		for (size_t i = 0; i < n; i++)
			any_run |= xs[i]->state == XS_RUN;
		int ms = (int)((next - t) * 1000) + 1;
		if (any_run)
			curl_multi_poll(m, NULL, 0, ms, NULL);
		else
			sleep_s((double)ms / 1000);
	}
	curl_multi_perform(m, &still);
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(m, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct xfer *x = NULL;
		CURLcode rc = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		finished(x, rc);
	}
}

static void copy_err(const struct xfer *x, char *err, size_t errn)
{
	if (err && errn)
		msgf(err, errn, "%s", x->err);
}

static void fill_resp(const struct xfer *x, struct http_response *r)
{
	if (!r)
		return;
	memset(r, 0, sizeof *r);
	r->status = x->status;
	if (x->linked_etag)
		r->etag = xstrdup(x->linked_etag);
	else if (x->etag_raw)
		r->etag = strip_etag(x->etag_raw);
	else if (x->known_etag)
		r->etag = strip_etag(x->known_etag);
	r->repo_commit = x->commit ? xstrdup(x->commit) : NULL;
	r->error_code = x->error_code ? xstrdup(x->error_code) : NULL;
	r->bucket_region = x->bucket_region ? xstrdup(x->bucket_region) : NULL;
	r->accept_ranges = x->accept_ranges;
	r->linked_size = x->have_linked_size ? x->linked_size : x->have_clen ? x->clen : 0;
	r->next_link = x->next_link ? xstrdup(x->next_link) : NULL;
	r->final_url = xstrdup(x->url);
}

/* One transfer to its end on h's multi handle. */
static void run_one(struct xfer *x)
{
	struct xfer *xs[1] = {x};
	while (x->state == XS_NEW || active(x))
		pump(x->multi, xs, 1, 1, x->state != XS_NEW);
}

static int one_request(struct http *h, const char *url, int head, const struct http_req *req,
                       struct buf *body, struct http_response *resp, char *err, size_t errn)
{
	struct xfer x;
	xfer_init(&x, h, h->multi, url);
	x.head = head;
	x.req = req;
	x.sink = SINK_BUF;
	x.body = body;
	x.out_start = body ? body->len : 0;
	run_one(&x);
	fill_resp(&x, resp);
	int rc = 0;
	if (x.state == XS_STATUS) {
		rc = 1;
		if (body && x.errbody.len)
			buf_add(body, x.errbody.data, x.errbody.len);
		copy_err(&x, err, errn);
	} else if (x.state != XS_OK) {
		rc = -1;
		copy_err(&x, err, errn);
	}
	xfer_free(&x);
	return rc;
}

int http_get(struct http *h, const char *url, struct buf *body, struct http_response *resp, char *err,
             size_t errn)
{
	struct buf scratch = {0};
	int rc = one_request(h, url, 0, NULL, body ? body : &scratch, resp, err, errn);
	buf_free(&scratch);
	return rc;
}

int http_head(struct http *h, const char *url, struct http_response *resp, char *err, size_t errn)
{
	return one_request(h, url, 1, NULL, NULL, resp, err, errn);
}

int http_request(struct http *h, const char *url, const struct http_req *rq, struct buf *out,
                 struct http_response *resp, char *err, size_t errn)
{
	if (rq->form_file && access(rq->form_file, R_OK) != 0) {
		if (err && errn)
			msgf(err, errn, "%s: %s", rq->form_file, strerror(errno));
		if (resp)
			memset(resp, 0, sizeof *resp);
		return -1;
	}
	struct buf scratch = {0};
	int rc = one_request(h, url, strcmp(rq->method, "HEAD") == 0, rq, out ? out : &scratch, resp, err, errn);
	buf_free(&scratch);
	return rc;
}

int http_read_ranges(struct http *h, const char *url, struct http_range *ranges, size_t n, int parallel,
                     char *err, size_t errn)
{
	if (n == 0)
		return 0;
	if (parallel < 1)
		parallel = 1;
	struct xfer *xv = xcalloc(n, sizeof *xv);
	struct xfer **xs = xcalloc(n, sizeof *xs);
	const char *cached = rc_lookup(h, url);
	for (size_t i = 0; i < n; i++) {
		struct xfer *x = xs[i] = &xv[i];
		xfer_init(x, h, h->multi, url);
		if (cached) {
			set_str(&x->url, cached, strlen(cached));
			x->from_cache = 1;
		}
		x->sink = SINK_MEM;
		x->mem = ranges[i].buf;
		x->base = ranges[i].offset;
		x->want = ranges[i].len;
		x->ranged = 1;
		if (ranges[i].len == 0)
			x->state = XS_OK;
	}
	for (;;) {
		int busy = 0, failed = 0;
		for (size_t i = 0; i < n; i++) {
			busy |= xs[i]->state == XS_NEW || active(xs[i]);
			failed |= xs[i]->state == XS_FAIL || xs[i]->state == XS_STATUS;
		}
		if (!busy || failed)
			break;
		int any = 0;
		const char *found = NULL;
		for (size_t i = 0; i < n; i++) {
			any |= active(xs[i]);
			if (!found && xs[i]->deliver && strcmp(xs[i]->url, url) != 0)
				found = xs[i]->url; /* a redirect that served bytes */
		}
		/* Ranges not yet started go where the redirect led. */
		for (size_t i = 0; found && i < n; i++)
			if (xs[i]->state == XS_NEW && !xs[i]->from_cache) {
				set_str(&xs[i]->url, found, strlen(found));
				xs[i]->from_cache = 1;
			}
		pump(h->multi, xs, n, parallel, any);
	}
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		struct xfer *x = xs[i];
		if (x->state == XS_OK && x->want > 0 && strcmp(x->url, x->url0) != 0)
			rc_store(h, x->url0, x->url);
		if (rc == 0 && (x->state == XS_FAIL || x->state == XS_STATUS)) {
			rc = -1;
			copy_err(x, err, errn);
		}
	}
	for (size_t i = 0; i < n; i++)
		xfer_free(xs[i]);
	free(xs);
	free(xv);
	return rc;
}

int http_read_range(struct http *h, const char *url, uint64_t offset, void *buf, size_t len, char *err,
                    size_t errn)
{
	struct http_range r = {offset, len, buf};
	return http_read_ranges(h, url, &r, 1, 1, err, errn);
}

/* --- streams -------------------------------------------------------- */

/* Room for n bytes?  With p, also puts them (there must be room). */
static size_t stream_put(struct stream *s, const char *p, size_t n)
{
	if (s->pos + s->len + n > s->cap && s->pos > 0) {
		memmove(s->buf, s->buf + s->pos, s->len);
		s->pos = 0;
	}
	if (s->len + n > s->cap) {
		if (s->len > 0)
			return 0;
		/* One chunk larger than the whole buffer: curl's chunks are
		 * bounded (CURL_MAX_WRITE_SIZE), so this stays bounded too. */
		s->buf = xrealloc(s->buf, n);
		s->cap = n;
	}
	if (p) {
		memcpy(s->buf + s->pos + s->len, p, n);
		s->len += n;
	}
	return n;
}

static void stream_step(struct stream *s)
{
	struct xfer *x = &s->x, *xs[1] = {x};
	if (x->paused && x->state == XS_RUN) {
		x->paused = 0;
		curl_easy_pause(x->e, CURLPAUSE_CONT); /* may deliver at once */
		if (s->len)
			return;
	}
	pump(x->multi, xs, 1, 1, x->state != XS_NEW);
}

static ssize_t stream_read(void *ctx, void *buf, size_t n)
{
	struct stream *s = ctx;
	struct xfer *x = &s->x;
	if (n == 0)
		return 0;
	while (s->len == 0) {
		if (x->state == XS_OK)
			return 0;
		if (x->state == XS_FAIL || x->state == XS_STATUS) {
			msgf(s->err, sizeof s->err, "%s", x->err);
			return -1;
		}
		stream_step(s);
	}
	size_t k = s->len < n ? s->len : n;
	memcpy(buf, s->buf + s->pos, k);
	s->pos += k;
	s->len -= k;
	if (s->len == 0)
		s->pos = 0;
	return (ssize_t)k;
}

static const char *stream_error(void *ctx)
{
	struct stream *s = ctx;
	return s->err[0] ? s->err : "read error";
}

static void stream_close(void *ctx)
{
	struct stream *s = ctx;
	CURLM *m = s->x.multi;
	xfer_free(&s->x);
	curl_multi_cleanup(m);
	free(s->buf);
	free(s);
}

int http_open_stream(struct http *h, const char *url, const char *expect_etag, struct source *out,
                     char *err, size_t errn)
{
	char hp[512];
	if (http_url_host(url, hp, sizeof hp) != 0) {
		if (err && errn)
			msgf(err, errn, "%s: not an http(s) URL", url);
		return -1;
	}
	struct stream *s = xcalloc(1, sizeof *s);
	CURLM *m = curl_multi_init();
	if (!m)
		die(STATUS_FAIL, "out of memory");
	xfer_init(&s->x, h, m, url);
	s->x.sink = SINK_STREAM;
	s->x.stream = s;
	s->x.expect_etag = expect_etag ? xstrdup(expect_etag) : NULL;
	s->cap = STREAM_BUF;
	s->buf = xmalloc(s->cap);
	/* Run until the final response's headers are in (or it failed), so
	 * that the size is known and a 404 fails here rather than at a read. */
	struct xfer *x = &s->x;
	while (!(x->state == XS_RUN && x->hdr_done && x->deliver) && x->state != XS_OK &&
	       x->state != XS_FAIL && x->state != XS_STATUS)
		stream_step(s);
	/* A body that broke off for good after some bytes arrived still opens:
	 * the reader gets those bytes, then the error, as from any drop. */
	if ((x->state == XS_FAIL || x->state == XS_STATUS) && s->len == 0) {
		if (err && errn)
			msgf(err, errn, "%s", x->err);
		free((char *)s->x.expect_etag);
		stream_close(s);
		return -1;
	}
	/* The expected ETag was checked; it is not needed any more. */
	free((char *)s->x.expect_etag);
	s->x.expect_etag = NULL;
	out->ctx = s;
	out->read = stream_read;
	out->error = stream_error;
	out->close = stream_close;
	out->size = x->have_linked_size ? x->linked_size : x->have_clen ? x->clen : 0;
	return 0;
}
