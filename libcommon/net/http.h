/* http.h - HTTP for hf-stream and wds-cat, over libcurl: JSON and small
 * files in one request, byte ranges (for parquet, read at offsets), and
 * streamed bodies as a struct source (source.h), each with the fault
 * handling a long download over the Internet needs:
 *
 *   retries   timeouts, connection resets, 408, 429 and 5xx are retried up
 *             to `retries` times with exponential backoff (0.5 s doubling,
 *             capped at 30 s) and full jitter, or after the wait the server
 *             asks for: Retry-After (seconds or an HTTP date) or the reset
 *             of a RateLimit header ("limit=..., remaining=0, reset=N");
 *             A try that brought body bytes starts the count again, so
 *             a long download survives any number of spaced-out drops;
 *   resume    a body that breaks off is asked again from where it broke
 *             with Range (and If-Range on its ETag); a 200 to that starts
 *             over from 0, skipping what was already handed out, so the
 *             bytes a reader sees are those of a clean run;
 *   redirects followed here, not by libcurl, so that the Authorization
 *             header goes only to the auth host (HF_ENDPOINT's) and never
 *             to a host a redirect leads to (the CDN);
 *   counts    requests, retries, resumes and bytes, for --verbose.
 *
 * The token (and an AWS secret) is never written anywhere: not in messages, not in counts.
 * Messages are one line: "GET https://host/path: 503 Service Unavailable
 * (after 5 retries)" (the URL that failed, after redirects, without its
 * query).  No global state: curl_global_init is done once by http_new
 * under a pthread_once.  One struct http serves one thread at a time, and
 * must outlive the streams opened on it.
 *
 * The timeout is "no byte for `timeout` seconds" (the connection, the
 * wait for headers, or a stall mid-body), checked by a progress callback
 * about once a second.  Range reads of a URL remember where it redirected
 * (a few URLs), so the reads of one parquet file after the first go to the
 * CDN directly; a remembered location that answers 4xx is forgotten and
 * the original URL asked again.
 *
 * SLUICE_HTTP_BACKOFF_SCALE (environment, read by http_new): a factor on
 * every wait between tries, backoff and Retry-After/RateLimit alike
 * (default 1; the tests use 0.01 so that a Retry-After of 100 s is 1 s).
 * A server's wait is capped at 600 s before scaling. */
#ifndef SLUICE_HTTP_H
#define SLUICE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/source.h"

struct http_opts {
	const char *auth_host;  /* host[:port] that may see the token; NULL: none */
	const char *token;      /* bearer token, or NULL */
	double timeout;         /* seconds without progress before a try fails (<= 0: 30) */
	int retries;            /* retries after the first try (< 0: the default 5; 0: none) */
	const char *user_agent; /* default "sluice/VERSION" */
	/* The header the token goes in as "NAME: TOKEN" (Qdrant's "api-key"),
	 * to auth_host only as above; NULL: "Authorization: Bearer TOKEN". */
	const char *token_header;
	/* AWS Signature V4 (S3 and compatible stores) in place of a token:
	 * with aws_sigv4 ("aws:amz:REGION:s3", libcurl's CURLOPT_AWS_SIGV4)
	 * and a key, requests to auth_host only are signed by libcurl with
	 * aws_key/aws_secret and carry aws_session_token when set; requests
	 * to any other host (a redirect's) go unsigned. */
	const char *aws_sigv4, *aws_key, *aws_secret, *aws_session_token;
};

struct http_stats {
	uint64_t requests, retries, resumes, bytes;
};

/* What a response said, beyond its body. */
struct http_response {
	long status;           /* the final status after redirects */
	char *etag;            /* ETag, quotes removed (X-Linked-Etag wins when present), or NULL */
	char *repo_commit;     /* X-Repo-Commit, or NULL */
	char *error_code;      /* X-Error-Code (the Hub's GatedRepo, RepoNotFound, ...), or NULL */
	uint64_t linked_size;  /* X-Linked-Size, else Content-Length, else 0 */
	char *next_link;       /* the URL of Link: <...>; rel="next", or NULL */
	char *final_url;       /* after redirects */
	char *bucket_region;   /* x-amz-bucket-region (S3: where a bucket lives), or NULL */
	int accept_ranges;     /* the server said Accept-Ranges: bytes */
};
void http_response_free(struct http_response *r);

struct http;

/* o may be NULL for all defaults; its strings are copied. */
struct http *http_new(const struct http_opts *o);
void http_free(struct http *h);
const struct http_stats *http_stats(const struct http *h);

/* GET url into body (appended).  2xx: 0.  Another final status: 1, with
 * resp->status set, the body (an error page, up to 64 KiB) in body and a
 * message in err too; a 408/429/5xx still there after the retries is such
 * a final status.  Transport failure after the retries: -1 with a message
 * in err.  resp may be NULL; when not, it is overwritten (even on -1, with
 * what is known) and must be released with http_response_free. */
int http_get(struct http *h, const char *url, struct buf *body, struct http_response *resp,
             char *err, size_t errn);
/* HEAD url, redirects followed, for the ETag, commit and size of a file.
 * Returns as http_get. */
int http_head(struct http *h, const char *url, struct http_response *resp, char *err, size_t errn);

/* Exactly len bytes of url at offset into buf (a 206 is required; a 200
 * for a whole body is accepted and skipped into).  0, or -1 with a message
 * (a status that is not 2xx included). */
int http_read_range(struct http *h, const char *url, uint64_t offset, void *buf, size_t len, char *err,
                    size_t errn);

/* Up to n ranges of one url fetched in parallel (at most `parallel` in
 * flight, through curl's multi interface), each retried on its own; 0 when
 * all arrived, or -1 with the first failure's message. */
struct http_range {
	uint64_t offset;
	size_t len;
	void *buf;
};
int http_read_ranges(struct http *h, const char *url, struct http_range *ranges, size_t n, int parallel,
                     char *err, size_t errn);

/* A streamed GET as a byte source, resumed across drops as above.  The
 * request is made here, up to the final response's headers (retries
 * included), so that a 404 or 401 fails here and the size is known; the
 * body then arrives as it is read, through a bounded buffer (1 MiB; the
 * transfer pauses while it is full), nothing written to disk.  If
 * `expect_etag` is not NULL and the response's ETag (X-Linked-Etag first)
 * differs, the open fails ("the file changed on the server"); an ETag that
 * changes between tries makes reads fail the same way.  The source's size
 * is X-Linked-Size, else Content-Length, else 0.  Returns 0, or -1 with a
 * message (such as "GET URL: 404 Not Found") when the request fails before
 * any byte. */
int http_open_stream(struct http *h, const char *url, const char *expect_etag, struct source *out,
                     char *err, size_t errn);

/* A request with a method and a body, for REST APIs.  A body is bytes in
 * memory (body/len, with content_type), or a file sent as the one part of
 * a multipart/form-data body (form_field/form_file: streamed from disk,
 * read again for each try).  Retries follow the rules above when the
 * request is idempotent; one that is not (a POST that creates something)
 * is sent again only when the server cannot have acted on it: the
 * connection failed, or it answered 429.  Redirects are not followed (a
 * 3xx is a final status).  A try that breaks off starts over, body and
 * answer alike: no Range. */
struct http_req {
	const char *method;       /* "GET", "PUT", "POST", "DELETE", ... */
	const char *content_type; /* of body; NULL: none sent */
	const void *body;
	size_t len;
	const char *form_field, *form_file; /* multipart upload instead of body */
	int idempotent;
};
/* Sends rq to url; the answer's body into out (appended; an error's too,
 * up to 64 KiB).  Returns as http_get, messages naming the method. */
int http_request(struct http *h, const char *url, const struct http_req *rq, struct buf *out,
                 struct http_response *resp, char *err, size_t errn);

/* host[:port] of an http(s) URL, into out; -1 if it is not one. */
int http_url_host(const char *url, char *out, size_t n);

#endif
