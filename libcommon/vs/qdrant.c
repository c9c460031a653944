/* qdrant.c - see qdrant.h.
 *
 * Every call is one or a few JSON requests to
 * http://HOST:PORT/collections/NAME/...; the answer's "result" is parsed
 * with jansson.  Errors read "qdrant: HOST:PORT/NAME: 400 Bad Request:
 * TEXT", TEXT being Qdrant's own status.error; a transport failure keeps
 * http.c's message, which names the method and URL.
 *
 * Snapshots are restored by uploading the file (multipart POST
 * .../snapshots/upload), not by a file:// location: a location is read
 * by the server, from its own disk, so it would work only when the server
 * runs on this machine; an upload works with any server. */
#define _GNU_SOURCE /* memmem */
#include "vs/qdrant.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/io.h"
#include "base/jsonw.h"
#include "base/source.h"
#include "base/uuid.h"
#include "net/http.h"

#define DEFAULT_PORT 6333
#define ID_KEY QDRANT_ID_KEY
#define GET_CHUNK 1024  /* ids per retrieve request */
#define SCROLL_PAGE 256 /* points per scroll request */
#define QUERY_BATCH 64  /* queries per query/batch request */

struct qdrant {
	struct http *h;
	char *base;  /* http(s)://HOST:PORT/collections/NAME */
	char *label; /* HOST:PORT/NAME, for messages */
	int have_key;
	uint32_t dim;
	enum vmetric metric;
};

/* snprintf through a va_list: a message cut short is fine here. */
static void msgf(char *dst, size_t n, const char *fmt, ...) SLUICE_PRINTF(3, 4);
static void msgf(char *dst, size_t n, const char *fmt, ...)
{
	if (!dst || !n)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dst, n, fmt, ap);
	va_end(ap);
}

int qdrant_is_url(const char *where)
{
	return where && (strncmp(where, "qdrant://", 9) == 0 || strncmp(where, "qdrants://", 10) == 0);
}

static const char *metric_name(enum vmetric m)
{
	return m == VMETRIC_DOT ? "dot" : m == VMETRIC_L2 ? "l2" : "cosine";
}

static const char *distance_of(enum vmetric m)
{
	return m == VMETRIC_DOT ? "Dot" : m == VMETRIC_L2 ? "Euclid" : "Cosine";
}

static const char *reason_of(long status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "";
	}
}

/* ---- names ---- */

/* s percent-encoded as one segment of a URL path. */
static void add_segment(struct buf *b, const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		    strchr("-._~", *c))
			buf_addc(b, (char)*c);
		else
			buf_printf(b, "%%%02X", *c);
	}
}

/* Splits qdrant[s]://HOST[:PORT]/COLLECTION into the http(s) base URL of
 * the collection and the label for messages.  0, or -1 with a message. */
static int parse_url(const char *url, char **base, char **label, char **hostport, char *err, size_t errn)
{
	int tls = strncmp(url, "qdrants://", 10) == 0;
	const char *p = url + (tls ? 10 : 9);
	const char *slash = strchr(p, '/');
	if (!qdrant_is_url(url) || !slash || slash == p) {
		msgf(err, errn, "%s: not a Qdrant collection (qdrant://HOST:PORT/COLLECTION)", url);
		return -1;
	}
	const char *name = slash + 1;
	size_t nlen = strlen(name);
	if (nlen == 0 || strpbrk(name, "/?#") || strspn(name, " \t") == nlen) {
		msgf(err, errn, "%s: no collection name (qdrant://HOST:PORT/COLLECTION)", url);
		return -1;
	}
	/* The port: after the last ':' that follows a ']' of an IPv6 literal. */
	size_t hlen = (size_t)(slash - p);
	const char *colon = NULL;
	for (const char *c = p; c < slash; c++)
		if (*c == ':')
			colon = c;
		else if (*c == ']')
			colon = NULL;
	struct buf hp = {0};
	if (colon) {
		const char *d = colon + 1;
		if (d == slash || strspn(d, "0123456789") != (size_t)(slash - d) || slash - d > 5 ||
		    atoi(d) < 1 || atoi(d) > 65535 || colon == p) {
			msgf(err, errn, "%s: bad port", url);
			return -1;
		}
		buf_add(&hp, p, hlen);
	} else {
		buf_printf(&hp, "%.*s:%d", (int)hlen, p, DEFAULT_PORT);
	}
	buf_addc(&hp, 0);
	struct buf b = {0};
	buf_printf(&b, "%s://%s/collections/", tls ? "https" : "http", hp.data);
	add_segment(&b, name);
	buf_addc(&b, 0);
	struct buf l = {0};
	buf_printf(&l, "%s/%s", hp.data, name);
	buf_addc(&l, 0);
	*base = b.data;
	*label = l.data;
	*hostport = hp.data;
	return 0;
}

/* ---- requests ---- */

/* Qdrant's error text from an error answer: {"status":{"error":"..."}}. */
static void error_text(const struct buf *body, char *out, size_t n)
{
	out[0] = 0;
	json_t *j = body->len ? json_loadb(body->data, body->len, 0, NULL) : NULL;
	json_t *st = json_object_get(j, "status");
	const char *e = json_string_value(json_object_get(st, "error"));
	if (!e)
		e = json_string_value(st); /* some answers put a plain string there */
	if (e)
		snprintf(out, n, "%s", e);
	else if (!j && body->len) {
		/* Not JSON (a proxy's page): its first line. */
		size_t k = strcspn(body->data, "\r\n");
		if (k > body->len)
			k = body->len;
		snprintf(out, n, "%.*s", (int)(k < 200 ? k : 200), body->data);
	}
	json_decref(j);
}

/* One request to the collection's base URL + path; body: JSON text or
 * NULL.  On 2xx, *result (when result is not NULL) gets the answer's
 * "result" (a new reference; NULL if absent) and 0 is returned.  Another
 * status: 1, *status set and a message in err.  Transport failure: -1. */
static int call(struct qdrant *q, const char *method, const char *path, const struct buf *body,
                int idempotent, json_t **result, long *status, char *err, size_t errn)
{
	struct buf url = {0}, out = {0};
	buf_printf(&url, "%s%s", q->base, path);
	buf_addc(&url, 0);
	struct http_req rq = {.method = method, .idempotent = idempotent};
	if (body) {
		rq.content_type = "application/json";
		rq.body = body->data;
		rq.len = body->len;
	}
	struct http_response resp;
	char herr[1024];
	int rc = http_request(q->h, url.data, &rq, &out, &resp, herr, sizeof herr);
	if (status)
		*status = resp.status;
	if (result)
		*result = NULL;
	if (rc < 0) {
		msgf(err, errn, "qdrant: %s", herr);
	} else if (rc > 0) {
		char text[512];
		error_text(&out, text, sizeof text);
		const char *r = reason_of(resp.status);
		msgf(err, errn, "qdrant: %s: %ld%s%s%s%s%s", q->label, resp.status, *r ? " " : "", r,
		     text[0] ? ": " : "", text,
		     resp.status == 401 && !q->have_key ? " (set QDRANT_API_KEY)" : "");
	} else if (result) {
		json_error_t je;
		json_t *j = json_loadb(out.data ? out.data : "", out.len, 0, &je);
		if (!json_is_object(j)) {
			msgf(err, errn, "qdrant: %s: %s %s: the answer is not a JSON object%s%s", q->label, method,
			     path[0] ? path : "/", j ? "" : ": ", j ? "" : je.text);
			rc = -1;
		} else {
			*result = json_incref(json_object_get(j, "result"));
		}
		json_decref(j);
	}
	http_response_free(&resp);
	buf_free(&url);
	buf_free(&out);
	return rc;
}

/* call() that must succeed: 0 or -1. */
static int call_ok(struct qdrant *q, const char *method, const char *path, const struct buf *body,
                   int idempotent, json_t **result, char *err, size_t errn)
{
	return call(q, method, path, body, idempotent, result, NULL, err, errn) == 0 ? 0 : -1;
}

/* ---- ids ---- */

/* The JSON of the Qdrant id for our id: an integer, a UUID, or the UUIDv5
 * of "sluice:" + id.  *mapped: the last (the payload must keep the id). */
static int is_small_uint(const char *id, size_t n)
{
	if (n == 0 || n > 19 || (n > 1 && id[0] == '0'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (id[i] < '0' || id[i] > '9')
			return 0;
	/* 19 digits may pass 2^63 - 1 = 9223372036854775807. */
	return n < 19 || memcmp(id, "9223372036854775807", 19) <= 0;
}

static void mapped_uuid(const char *id, size_t n, char out[37])
{
	char *name = xmalloc(n + 7);
	memcpy(name, "sluice:", 7);
	memcpy(name + 7, id, n);
	uuid_v5(uuid_ns_url, name, n + 7, out);
	free(name);
}

/* Writes the Qdrant id of id to b as JSON; returns 1 if it is a UUIDv5
 * stand-in (the original goes in the payload). */
static int write_id(struct buf *b, const char *id, size_t n)
{
	if (is_small_uint(id, n)) {
		buf_add(b, id, n);
		return 0;
	}
	if (uuid_is_canonical(id, n)) {
		buf_addc(b, '"');
		buf_add(b, id, n);
		buf_addc(b, '"');
		return 0;
	}
	char u[37];
	mapped_uuid(id, n, u);
	buf_printf(b, "\"%s\"", u);
	return 1;
}

/* The key results are matched by: an integer's decimal text, a UUID's
 * canonical text (as Qdrant answers it). */
static void id_key(const char *id, size_t n, struct buf *key)
{
	buf_clear(key);
	if (is_small_uint(id, n) || uuid_is_canonical(id, n))
		buf_add(key, id, n);
	else {
		char u[37];
		mapped_uuid(id, n, u);
		buf_add(key, u, 36);
	}
	buf_addc(key, 0);
}

/* A point of an answer ({"id", "payload", "vector", "score"}) as our
 * point: the id mapped back, ID_KEY hidden from the metadata.  Strings in
 * scratch buffers, valid until the next call.  0, or -1 with a message. */
struct conv {
	struct buf id, meta;
	float *vec;
	uint32_t dim;
};

static int convert(struct qdrant *q, json_t *pt, int with_vector, struct conv *cv, struct vsclient_point *out,
                   char *err, size_t errn)
{
	memset(out, 0, sizeof *out);
	json_t *jid = json_object_get(pt, "id"), *pl = json_object_get(pt, "payload");
	buf_clear(&cv->id);
	if (json_is_integer(jid))
		buf_printf(&cv->id, "%" JSON_INTEGER_FORMAT, json_integer_value(jid));
	else if (json_is_string(jid))
		buf_add(&cv->id, json_string_value(jid), json_string_length(jid));
	else {
		msgf(err, errn, "qdrant: %s: a point without an id in the answer", q->label);
		return -1;
	}
	json_t *orig = json_object_get(pl, ID_KEY);
	if (json_is_string(orig) && json_is_string(jid)) {
		/* Ours only if the UUID is the stand-in of that text. */
		char u[37];
		mapped_uuid(json_string_value(orig), json_string_length(orig), u);
		if (strcmp(u, json_string_value(jid)) == 0) {
			buf_clear(&cv->id);
			buf_add(&cv->id, json_string_value(orig), json_string_length(orig));
		}
	}
	buf_addc(&cv->id, 0);
	out->id = cv->id.data;
	out->id_len = cv->id.len - 1;

	buf_clear(&cv->meta);
	if (json_is_object(pl)) {
		json_object_del(pl, ID_KEY);
		if (json_object_size(pl) > 0) {
			jsonw_value(&cv->meta, pl);
			buf_addc(&cv->meta, 0);
			out->meta = cv->meta.data;
			out->meta_len = cv->meta.len - 1;
		}
	}
	json_t *sc = json_object_get(pt, "score");
	out->score = json_is_number(sc) ? (float)json_number_value(sc) : 0;
	if (with_vector) {
		json_t *v = json_object_get(pt, "vector");
		if (!json_is_array(v) || json_array_size(v) != q->dim) {
			msgf(err, errn, "qdrant: %s: point %s: the answer has no vector of dim %u", q->label,
			     out->id, q->dim);
			return -1;
		}
		if (!cv->vec)
			cv->vec = xmalloc((q->dim ? q->dim : 1) * sizeof *cv->vec);
		for (uint32_t i = 0; i < q->dim; i++)
			cv->vec[i] = (float)json_number_value(json_array_get(v, i));
		out->vec = cv->vec;
	}
	return 0;
}

static void conv_free(struct conv *cv)
{
	buf_free(&cv->id);
	buf_free(&cv->meta);
	free(cv->vec);
}

/* Rewrites every has_id list of a filter in place: our ids become the
 * Qdrant ids points were stored under (integers, UUIDs, UUIDv5s). */
static void map_has_ids(json_t *j)
{
	if (json_is_array(j)) {
		for (size_t i = 0; i < json_array_size(j); i++)
			map_has_ids(json_array_get(j, i));
		return;
	}
	if (!json_is_object(j))
		return;
	const char *k;
	json_t *v;
	json_object_foreach(j, k, v) {
		if (strcmp(k, "has_id") == 0 && json_is_array(v)) {
			struct buf text = {0}, id = {0};
			for (size_t i = 0; i < json_array_size(v); i++) {
				json_t *e = json_array_get(v, i);
				buf_clear(&text);
				if (json_is_string(e))
					buf_add(&text, json_string_value(e), json_string_length(e));
				else if (json_is_integer(e) && json_integer_value(e) >= 0)
					buf_printf(&text, "%lld", (long long)json_integer_value(e));
				else
					continue; /* vfilter refused it before it came here */
				buf_clear(&id);
				write_id(&id, text.data, text.len);
				json_t *mapped = json_loadb(id.data, id.len, JSON_DECODE_ANY, NULL);
				if (mapped)
					json_array_set_new(v, i, mapped);
			}
			buf_free(&text);
			buf_free(&id);
		} else {
			map_has_ids(v);
		}
	}
}

/* Checks filter text is a JSON object and appends sep"filter":TEXT to b,
 * its has_id lists mapped (nothing when filter is NULL).  0 or -1. */
static int add_filter(struct qdrant *q, struct buf *b, const char *sep, const char *filter, char *err,
                      size_t errn)
{
	if (!filter)
		return 0;
	json_error_t je;
	json_t *j = json_loads(filter, 0, &je);
	if (!json_is_object(j)) {
		msgf(err, errn, "qdrant: %s: the filter is not a JSON object%s%s", q->label, j ? "" : ": ",
		     j ? "" : je.text);
		json_decref(j);
		return -1;
	}
	map_has_ids(j);
	buf_adds(b, sep);
	buf_adds(b, "\"filter\":");
	jsonw_value(b, j);
	json_decref(j);
	return 0;
}

/* ---- the collection ---- */

static int metric_of(const char *distance)
{
	if (!distance)
		return -1;
	if (strcmp(distance, "Cosine") == 0)
		return VMETRIC_COSINE;
	if (strcmp(distance, "Dot") == 0)
		return VMETRIC_DOT;
	if (strcmp(distance, "Euclid") == 0)
		return VMETRIC_L2;
	return -1;
}

/* Reads dim and metric from a get_collection result.  0 or -1. */
static int read_info(struct qdrant *q, json_t *info, char *err, size_t errn)
{
	json_t *v = json_object_get(json_object_get(json_object_get(info, "config"), "params"), "vectors");
	json_t *size = json_object_get(v, "size");
	const char *dist = json_string_value(json_object_get(v, "distance"));
	if (!json_is_integer(size)) {
		msgf(err, errn, "qdrant: %s: the collection has %s; one unnamed dense vector is needed", q->label,
		     json_is_object(v) ? "named vectors" : "no vector parameters");
		return -1;
	}
	json_int_t d = json_integer_value(size);
	int m = metric_of(dist);
	if (d < 1 || d > UINT32_MAX || m < 0) {
		msgf(err, errn, "qdrant: %s: unsupported vectors: size %" JSON_INTEGER_FORMAT ", distance %s",
		     q->label, d, dist ? dist : "(none)");
		return -1;
	}
	q->dim = (uint32_t)d;
	q->metric = (enum vmetric)m;
	return 0;
}

static struct qdrant *connect_to(const char *url, const struct vsclient_opts *o, char *err, size_t errn)
{
	char *base, *label, *hostport;
	if (parse_url(url, &base, &label, &hostport, err, errn) != 0)
		return NULL;
	struct qdrant *q = xcalloc(1, sizeof *q);
	q->base = base;
	q->label = label;
	const char *key = getenv("QDRANT_API_KEY");
	q->have_key = key && *key;
	struct http_opts ho = {
		.auth_host = hostport,
		.token = q->have_key ? key : NULL,
		.token_header = "api-key",
		.timeout = o ? o->timeout : 0,
		.retries = o ? o->retries : -1,
	};
	q->h = http_new(&ho);
	free(hostport);
	return q;
}

struct qdrant *qdrant_open(const char *url, const struct vsclient_opts *o, char *err, size_t errn)
{
	struct vsclient_opts def = {.metric = -1, .retries = -1};
	if (!o)
		o = &def;
	struct qdrant *q = connect_to(url, o, err, errn);
	if (!q)
		return NULL;
	json_t *info = NULL;
	long status = 0;
	int rc = call(q, "GET", "", NULL, 1, &info, &status, err, errn);
	uint32_t create_dim = o->dim ? o->dim : o->create_dim;
	if (rc == 1 && status == 404 && o->create && create_dim) {
		enum vmetric m = o->metric >= 0 ? (enum vmetric)o->metric : VMETRIC_COSINE;
		struct buf b = {0};
		buf_printf(&b, "{\"vectors\":{\"size\":%u,\"distance\":\"%s\"}", create_dim, distance_of(m));
		if (o->m || o->ef_construction) {
			buf_adds(&b, ",\"hnsw_config\":{");
			if (o->m)
				buf_printf(&b, "\"m\":%u%s", o->m, o->ef_construction ? "," : "");
			if (o->ef_construction)
				buf_printf(&b, "\"ef_construct\":%u", o->ef_construction);
			buf_addc(&b, '}');
		}
		buf_addc(&b, '}');
		char cerr[1024];
		rc = call(q, "PUT", "", &b, 1, NULL, &status, cerr, sizeof cerr);
		buf_free(&b);
		/* Created, or someone else created it meanwhile: read what it is. */
		rc = call(q, "GET", "", NULL, 1, &info, &status, err, errn);
		if (rc != 0 && status == 404)
			msgf(err, errn, "%s", cerr);
	} else if (rc == 1 && status == 404) {
		char text[600];
		msgf(text, sizeof text, "%s", err);
		msgf(err, errn, "%s%s", text,
		     o->create ? " (give the dimension to create it)" : "");
	}
	if (rc != 0 || read_info(q, info, err, errn) != 0) {
		json_decref(info);
		qdrant_close(q);
		return NULL;
	}
	json_decref(info);
	if (o->dim && o->dim != q->dim) {
		msgf(err, errn, "qdrant: %s: the collection has dim %u, not %u", q->label, q->dim, o->dim);
		qdrant_close(q);
		return NULL;
	}
	if (o->metric >= 0 && (enum vmetric)o->metric != q->metric) {
		msgf(err, errn, "qdrant: %s: the collection has metric %s, not %s", q->label, metric_name(q->metric),
		     metric_name((enum vmetric)o->metric));
		qdrant_close(q);
		return NULL;
	}
	return q;
}

void qdrant_close(struct qdrant *q)
{
	if (!q)
		return;
	http_free(q->h);
	free(q->base);
	free(q->label);
	free(q);
}

uint32_t qdrant_dim(const struct qdrant *q) { return q->dim; }
enum vmetric qdrant_metric(const struct qdrant *q) { return q->metric; }

/* ---- writes ---- */

int qdrant_meta_has_own_key(const char *meta, size_t len)
{
	if (!memmem(meta, len, ID_KEY, sizeof ID_KEY - 1))
		return 0;
	json_t *j = json_loadb(meta, len, 0, NULL);
	int has = json_object_get(j, ID_KEY) != NULL;
	json_decref(j);
	return has;
}

int qdrant_upsert(struct qdrant *q, const struct vstore_point *pts, size_t n, char *err, size_t errn)
{
	if (n == 0)
		return 0;
	struct buf b = {0};
	buf_adds(&b, "{\"points\":[");
	for (size_t i = 0; i < n; i++) {
		const struct vstore_point *p = &pts[i];
		if (p->meta_len && qdrant_meta_has_own_key(p->meta, p->meta_len)) {
			msgf(err, errn, "qdrant: %s: point %zu: the metadata key %s is the driver's own", q->label, i,
			     ID_KEY);
			buf_free(&b);
			return -1;
		}
		buf_adds(&b, i ? ",{\"id\":" : "{\"id\":");
		int mapped = write_id(&b, p->id, p->id_len);
		buf_adds(&b, ",\"vector\":[");
		for (uint32_t k = 0; k < q->dim; k++) {
			if (k)
				buf_addc(&b, ',');
			jsonw_float(&b, p->vec[k]);
		}
		buf_addc(&b, ']');
		if (mapped || p->meta_len) {
			buf_adds(&b, ",\"payload\":");
			if (!mapped) {
				buf_add(&b, p->meta, p->meta_len);
			} else {
				/* The metadata's own text with the original id spliced
				 * in after its '{' (it has no such key: checked above;
				 * it is an object: vsclient_check). */
				buf_adds(&b, "{\"" ID_KEY "\":");
				jsonw_string(&b, p->id, p->id_len);
				const char *brace = p->meta_len ? memchr(p->meta, '{', p->meta_len) : NULL;
				if (brace) {
					size_t at = (size_t)(brace + 1 - p->meta), rest = at;
					while (rest < p->meta_len && strchr(" \t\r\n", p->meta[rest]))
						rest++;
					if (rest < p->meta_len && p->meta[rest] != '}')
						buf_addc(&b, ',');
					buf_add(&b, p->meta + at, p->meta_len - at);
				} else {
					buf_addc(&b, '}');
				}
			}
		}
		buf_addc(&b, '}');
	}
	buf_adds(&b, "]}");
	int rc = call_ok(q, "PUT", "/points?wait=true", &b, 1, NULL, err, errn);
	buf_free(&b);
	return rc;
}

/* How many of these ids exist (in chunks of GET_CHUNK). */
static int64_t count_ids(struct qdrant *q, const char *const *ids, const size_t *lens, size_t n, char *err,
                         size_t errn)
{
	int64_t found = 0;
	struct buf b = {0};
	for (size_t at = 0; at < n; at += GET_CHUNK) {
		size_t m = n - at < GET_CHUNK ? n - at : GET_CHUNK;
		buf_clear(&b);
		buf_adds(&b, "{\"ids\":[");
		for (size_t i = 0; i < m; i++) {
			if (i)
				buf_addc(&b, ',');
			write_id(&b, ids[at + i], lens ? lens[at + i] : strlen(ids[at + i]));
		}
		buf_adds(&b, "],\"with_payload\":false,\"with_vector\":false}");
		json_t *res;
		if (call_ok(q, "POST", "/points", &b, 1, &res, err, errn) != 0) {
			buf_free(&b);
			return -1;
		}
		found += (int64_t)json_array_size(res);
		json_decref(res);
	}
	buf_free(&b);
	return found;
}

int qdrant_delete(struct qdrant *q, const char *const *ids, const size_t *lens, size_t n, size_t *deleted,
                  char *err, size_t errn)
{
	if (deleted)
		*deleted = 0;
	if (n == 0)
		return 0;
	/* Qdrant does not say how many points a delete removed: count them
	 * first (another writer may change that in between). */
	if (deleted) {
		int64_t k = count_ids(q, ids, lens, n, err, errn);
		if (k < 0)
			return -1;
		*deleted = (size_t)k;
	}
	struct buf b = {0};
	buf_adds(&b, "{\"points\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addc(&b, ',');
		write_id(&b, ids[i], lens ? lens[i] : strlen(ids[i]));
	}
	buf_adds(&b, "]}");
	int rc = call_ok(q, "POST", "/points/delete?wait=true", &b, 1, NULL, err, errn);
	buf_free(&b);
	return rc;
}

static int64_t count_filter(struct qdrant *q, const char *filter, char *err, size_t errn)
{
	struct buf b = {0};
	buf_adds(&b, "{\"exact\":true");
	if (add_filter(q, &b, ",", filter, err, errn) != 0) {
		buf_free(&b);
		return -1;
	}
	buf_addc(&b, '}');
	json_t *res;
	int rc = call_ok(q, "POST", "/points/count", &b, 1, &res, err, errn);
	buf_free(&b);
	if (rc != 0)
		return -1;
	json_t *c = json_object_get(res, "count");
	int64_t k = json_is_integer(c) ? (int64_t)json_integer_value(c) : -1;
	json_decref(res);
	if (k < 0)
		msgf(err, errn, "qdrant: %s: a count answer without a count", q->label);
	return k;
}

int qdrant_delete_filter(struct qdrant *q, const char *filter, size_t *deleted, char *err, size_t errn)
{
	if (deleted)
		*deleted = 0;
	if (!filter) {
		msgf(err, errn, "qdrant: %s: a delete by filter needs a filter", q->label);
		return -1;
	}
	if (deleted) {
		int64_t k = count_filter(q, filter, err, errn);
		if (k < 0)
			return -1;
		*deleted = (size_t)k;
	}
	struct buf b = {0};
	buf_addc(&b, '{');
	if (add_filter(q, &b, "", filter, err, errn) != 0) {
		buf_free(&b);
		return -1;
	}
	buf_addc(&b, '}');
	int rc = call_ok(q, "POST", "/points/delete?wait=true", &b, 1, NULL, err, errn);
	buf_free(&b);
	return rc;
}

int64_t qdrant_count(struct qdrant *q, char *err, size_t errn) { return count_filter(q, NULL, err, errn); }

/* ---- reads ---- */

int qdrant_get(struct qdrant *q, const char *const *ids, size_t n, int with_vector, vsclient_fn fn, void *ctx,
               size_t *missing, char *err, size_t errn)
{
	if (missing)
		*missing = 0;
	struct buf b = {0}, key = {0};
	struct conv cv = {0};
	int rc = 0, stop = 0;
	size_t rank = 0;
	for (size_t at = 0; at < n && !stop && rc == 0; at += GET_CHUNK) {
		size_t m = n - at < GET_CHUNK ? n - at : GET_CHUNK;
		buf_clear(&b);
		buf_adds(&b, "{\"ids\":[");
		for (size_t i = 0; i < m; i++) {
			if (i)
				buf_addc(&b, ',');
			write_id(&b, ids[at + i], strlen(ids[at + i]));
		}
		buf_printf(&b, "],\"with_payload\":true,\"with_vector\":%s}", with_vector ? "true" : "false");
		json_t *res;
		if (call_ok(q, "POST", "/points", &b, 1, &res, err, errn) != 0) {
			rc = -1;
			break;
		}
		/* The answer's points by Qdrant id, to hand out in the order asked. */
		json_t *by = json_object();
		size_t i;
		json_t *pt;
		json_array_foreach(res, i, pt)
		{
			json_t *jid = json_object_get(pt, "id");
			char num[32];
			const char *k = num;
			if (json_is_integer(jid))
				snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(jid));
			else if (json_is_string(jid))
				k = json_string_value(jid);
			else
				continue;
			json_object_set(by, k, pt);
		}
		for (i = 0; i < m && !stop; i++) {
			const char *id = ids[at + i];
			size_t len = strlen(id);
			id_key(id, len, &key);
			json_t *p = json_object_get(by, key.data);
			if (!p) {
				if (missing)
					(*missing)++;
				continue;
			}
			/* convert() changes the payload: give it a copy, so that an
			 * id asked twice is converted from the original twice. */
			json_t *copy = json_deep_copy(p);
			struct vsclient_point vp;
			if (convert(q, copy, with_vector, &cv, &vp, err, errn) != 0) {
				json_decref(copy);
				rc = -1;
				break;
			}
			/* A stand-in UUID whose payload names another id is not ours. */
			if (vp.id_len != len || memcmp(vp.id, id, len) != 0) {
				json_decref(copy);
				if (missing)
					(*missing)++;
				continue;
			}
			stop = fn(ctx, 0, rank++, &vp) != 0;
			json_decref(copy);
		}
		json_decref(by);
		json_decref(res);
	}
	conv_free(&cv);
	buf_free(&b);
	buf_free(&key);
	return rc;
}

int qdrant_scan(struct qdrant *q, const char *filter, uint64_t limit, int with_vector, vsclient_fn fn, void *ctx,
                char *err, size_t errn)
{
	struct buf b = {0};
	struct conv cv = {0};
	json_t *offset = NULL;
	uint64_t seen = 0;
	int rc = 0, stop = 0;
	while (seen < limit && !stop) {
		uint64_t want = limit - seen < SCROLL_PAGE ? limit - seen : SCROLL_PAGE;
		buf_clear(&b);
		buf_printf(&b, "{\"limit\":%llu,\"with_payload\":true,\"with_vector\":%s", (unsigned long long)want,
		           with_vector ? "true" : "false");
		if (offset) {
			buf_adds(&b, ",\"offset\":");
			jsonw_value(&b, offset);
		}
		if (add_filter(q, &b, ",", filter, err, errn) != 0) {
			rc = -1;
			break;
		}
		buf_addc(&b, '}');
		json_t *res;
		if (call_ok(q, "POST", "/points/scroll", &b, 1, &res, err, errn) != 0) {
			rc = -1;
			break;
		}
		size_t i;
		json_t *pt;
		json_array_foreach(json_object_get(res, "points"), i, pt)
		{
			if (seen >= limit || stop)
				break;
			struct vsclient_point vp;
			if (convert(q, pt, with_vector, &cv, &vp, err, errn) != 0) {
				rc = -1;
				break;
			}
			stop = fn(ctx, 0, (size_t)seen++, &vp) != 0;
		}
		json_decref(offset);
		offset = json_incref(json_object_get(res, "next_page_offset"));
		json_decref(res);
		if (rc != 0 || !offset || json_is_null(offset))
			break;
	}
	json_decref(offset);
	conv_free(&cv);
	buf_free(&b);
	return rc;
}

/* One QueryRequest for query vector v into b. */
static int query_body(struct qdrant *q, struct buf *b, const float *v, const struct vsclient_query *qq, char *err,
                      size_t errn)
{
	buf_adds(b, "{\"query\":[");
	for (uint32_t k = 0; k < q->dim; k++) {
		if (k)
			buf_addc(b, ',');
		jsonw_float(b, v[k]);
	}
	buf_printf(b, "],\"limit\":%zu,\"with_payload\":true,\"with_vector\":%s", qq->k,
	           qq->with_vector ? "true" : "false");
	if (add_filter(q, b, ",", qq->filter, err, errn) != 0)
		return -1;
	buf_printf(b, ",\"params\":{\"exact\":%s", qq->exact ? "true" : "false");
	if (qq->ef)
		buf_printf(b, ",\"hnsw_ef\":%zu", qq->ef);
	buf_adds(b, "}}");
	return 0;
}

int qdrant_search(struct qdrant *q, const float *queries, size_t nq, const struct vsclient_query *qq,
                  vsclient_fn fn, void *ctx, char *err, size_t errn)
{
	if (qq->k == 0 || nq == 0)
		return 0;
	struct buf b = {0};
	struct conv cv = {0};
	int rc = 0, stop = 0;
	for (size_t at = 0; at < nq && !stop && rc == 0; at += QUERY_BATCH) {
		size_t m = nq - at < QUERY_BATCH ? nq - at : QUERY_BATCH;
		buf_clear(&b);
		if (m > 1)
			buf_adds(&b, "{\"searches\":[");
		for (size_t i = 0; i < m && rc == 0; i++) {
			if (i)
				buf_addc(&b, ',');
			rc = query_body(q, &b, queries + (at + i) * q->dim, qq, err, errn);
		}
		if (rc != 0)
			break;
		if (m > 1)
			buf_adds(&b, "]}");
		json_t *res;
		if (call_ok(q, "POST", m > 1 ? "/points/query/batch" : "/points/query", &b, 1, &res, err, errn) != 0) {
			rc = -1;
			break;
		}
		for (size_t i = 0; i < m && !stop && rc == 0; i++) {
			json_t *one = m > 1 ? json_array_get(res, i) : res;
			json_t *pts = json_object_get(one, "points");
			if (!json_is_array(pts)) {
				msgf(err, errn, "qdrant: %s: a query answer without points", q->label);
				rc = -1;
				break;
			}
			size_t r;
			json_t *pt;
			json_array_foreach(pts, r, pt)
			{
				struct vsclient_point vp;
				if (convert(q, pt, qq->with_vector, &cv, &vp, err, errn) != 0) {
					rc = -1;
					break;
				}
				if ((stop = fn(ctx, at + i, r, &vp) != 0))
					break;
			}
		}
		json_decref(res);
	}
	conv_free(&cv);
	buf_free(&b);
	return rc;
}

char *qdrant_stats(struct qdrant *q, char *err, size_t errn)
{
	json_t *info;
	if (call_ok(q, "GET", "", NULL, 1, &info, err, errn) != 0)
		return NULL;
	if (read_info(q, info, err, errn) != 0) {
		json_decref(info);
		return NULL;
	}
	const char *name = strchr(q->label, '/') + 1;
	json_t *o = json_object();
	json_object_set_new(o, "backend", json_string("qdrant"));
	json_object_set_new(o, "url", json_string(q->base));
	json_object_set_new(o, "collection", json_string(name));
	json_object_set_new(o, "dim", json_integer(q->dim));
	json_object_set_new(o, "metric", json_string(metric_name(q->metric)));
	static const char *const copied[][2] = {
		{"points_count", "points"},   {"indexed_vectors_count", "indexed"}, {"vectors_count", "vectors"},
		{"segments_count", "segments"}, {"status", "status"},             {"optimizer_status", "optimizer_status"},
	};
	for (size_t i = 0; i < sizeof copied / sizeof *copied; i++) {
		json_t *v = json_object_get(info, copied[i][0]);
		if (v && !json_is_null(v))
			json_object_set(o, copied[i][1], v);
	}
	json_t *hnsw = json_object_get(json_object_get(info, "config"), "hnsw_config");
	json_t *m = json_object_get(hnsw, "m"), *ef = json_object_get(hnsw, "ef_construct");
	if (m)
		json_object_set(o, "m", m);
	if (ef)
		json_object_set(o, "ef_construction", ef);
	struct buf b = {0};
	jsonw_value(&b, o);
	buf_addc(&b, 0);
	json_decref(o);
	json_decref(info);
	return b.data;
}

/* ---- snapshots ---- */

static int write_fd(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t k = write(fd, c, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Downloads base + path into path (atomically).  0 or -1. */
static int download(struct qdrant *q, const char *snapname, const char *path, char *err, size_t errn)
{
	struct buf url = {0};
	buf_printf(&url, "%s/snapshots/", q->base);
	add_segment(&url, snapname);
	buf_addc(&url, 0);
	struct source src;
	char herr[1024];
	if (http_open_stream(q->h, url.data, NULL, &src, herr, sizeof herr) != 0) {
		msgf(err, errn, "qdrant: %s", herr);
		buf_free(&url);
		return -1;
	}
	buf_free(&url);
	struct atomic_file af;
	if (atomic_open(&af, path) != 0) {
		msgf(err, errn, "%s: %s", path, strerror(errno));
		src.close(src.ctx);
		return -1;
	}
	char *chunk = xmalloc(1 << 16);
	int rc = 0;
	for (;;) {
		ssize_t k = src.read(src.ctx, chunk, 1 << 16);
		if (k < 0) {
			msgf(err, errn, "qdrant: %s", src.error(src.ctx));
			rc = -1;
			break;
		}
		if (k == 0)
			break;
		if (write_fd(af.fd, chunk, (size_t)k) != 0) {
			msgf(err, errn, "%s: %s", path, strerror(errno));
			rc = -1;
			break;
		}
	}
	free(chunk);
	src.close(src.ctx);
	if (rc == 0 && atomic_commit(&af) != 0) {
		msgf(err, errn, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (rc != 0)
		atomic_abort(&af);
	return rc;
}

int qdrant_snapshot(struct qdrant *q, const char *path, char *err, size_t errn)
{
	json_t *res;
	/* Not idempotent: a try the server saw made a snapshot already. */
	if (call_ok(q, "POST", "/snapshots?wait=true", NULL, 0, &res, err, errn) != 0)
		return -1;
	const char *name = json_string_value(json_object_get(res, "name"));
	if (!name) {
		msgf(err, errn, "qdrant: %s: the snapshot answer names no snapshot", q->label);
		json_decref(res);
		return -1;
	}
	char *snap = xstrdup(name);
	json_decref(res);
	int rc = download(q, snap, path, err, errn);
	/* The server's copy is not needed once ours is written; one left
	 * behind (the delete failed) is only disk space there. */
	struct buf p = {0};
	buf_adds(&p, "/snapshots/");
	add_segment(&p, snap);
	buf_adds(&p, "?wait=true");
	buf_addc(&p, 0);
	char derr[256];
	call(q, "DELETE", p.data, NULL, 1, NULL, NULL, derr, sizeof derr);
	buf_free(&p);
	free(snap);
	return rc;
}

int qdrant_restore(const char *url, const char *snapshot, const struct vsclient_opts *o, char *err, size_t errn)
{
	struct vsclient_opts def = {.metric = -1, .retries = -1};
	if (!o)
		o = &def;
	if (access(snapshot, R_OK) != 0) {
		msgf(err, errn, "%s: %s", snapshot, strerror(errno));
		return -1;
	}
	struct qdrant *q = connect_to(url, o, err, errn);
	if (!q)
		return -1;
	/* A restore makes a new collection, as the embedded store's makes a
	 * new directory: it does not overwrite one. */
	json_t *res = NULL;
	int rc = call_ok(q, "GET", "/exists", NULL, 1, &res, err, errn);
	if (rc == 0 && json_is_true(json_object_get(res, "exists"))) {
		msgf(err, errn, "qdrant: %s: the collection exists already (a restore makes a new one)", q->label);
		rc = -1;
	}
	json_decref(res);
	if (rc == 0) {
		struct buf u = {0}, out = {0};
		buf_printf(&u, "%s/snapshots/upload?wait=true", q->base);
		buf_addc(&u, 0);
		/* Sending it twice restores the same collection twice. */
		struct http_req rq = {.method = "POST", .form_field = "snapshot", .form_file = snapshot, .idempotent = 1};
		struct http_response resp;
		char herr[1024];
		int hr = http_request(q->h, u.data, &rq, &out, &resp, herr, sizeof herr);
		if (hr < 0) {
			msgf(err, errn, "qdrant: %s", herr);
			rc = -1;
		} else if (hr > 0) {
			char text[512];
			error_text(&out, text, sizeof text);
			const char *r = reason_of(resp.status);
			msgf(err, errn, "qdrant: %s: %ld%s%s%s%s", q->label, resp.status, *r ? " " : "", r,
			     text[0] ? ": " : "", text);
			rc = -1;
		}
		http_response_free(&resp);
		buf_free(&u);
		buf_free(&out);
	}
	qdrant_close(q);
	if (rc != 0)
		return -1;
	/* It must open, as what was asked for. */
	struct vsclient_opts chk = *o;
	chk.create = 0;
	struct qdrant *again = qdrant_open(url, &chk, err, errn);
	if (!again)
		return -1;
	qdrant_close(again);
	return 0;
}
