/* s3.h - objects in Amazon S3 and the stores that speak its API (MinIO,
 * Cloudflare R2, Ceph, GCS's XML API with HMAC keys), for the programs
 * that read and write files: s3://BUCKET/KEY names, the credential chain
 * the AWS CLI and SDKs read, the endpoint and the addressing, listing by
 * prefix and glob, and errors that say what to fix.  Requests go through
 * http.h (retries, resume, Retry-After) on handles that libcurl signs with
 * AWS Signature V4 (CURLOPT_AWS_SIGV4): sluice has no signer of its own.
 *
 * Configuration, read once by s3_new, as `aws` reads it:
 *   credentials  AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with
 *                AWS_SESSION_TOKEN when set); else the profile
 *                (AWS_PROFILE, else "default") in the credentials file
 *                (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials),
 *                then in the config file (AWS_CONFIG_FILE, else
 *                ~/.aws/config, section "[profile NAME]", "[default]");
 *                else none, and requests go unsigned (a public bucket).
 *                A profile named by AWS_PROFILE that neither file has is
 *                an error, as it is for aws.
 *   unsigned     s3_opts.no_sign, or AWS_NO_SIGN_REQUEST=true: no
 *                credentials are looked for (aws --no-sign-request)
 *   region       AWS_REGION, AWS_DEFAULT_REGION, the profile's region,
 *                else us-east-1
 *   endpoint     AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's
 *                endpoint_url, else https://s3.REGION.amazonaws.com
 *   addressing   the profile's s3 addressing_style, or
 *                SLUICE_S3_ADDRESSING_STYLE: path (https://HOST/BUCKET/KEY),
 *                virtual (https://BUCKET.HOST/KEY) or auto: virtual on
 *                AWS's own endpoint for a bucket whose name is a DNS label,
 *                path on any other endpoint (MinIO and most others serve
 *                path-style), as botocore does.
 *
 * Each bucket gets its own signing handle, whose auth host is the host
 * that bucket's URLs name: a redirect to any other host goes unsigned,
 * so no other host ever sees the key id or a signature.
 *
 * Messages are one line and name the s3:// URL: "s3://b/k: no such key
 * (404 NoSuchKey)", "s3://b/k: the bucket is in eu-west-1, not us-east-1:
 * set AWS_REGION=eu-west-1", "s3://b/k: access denied (403 AccessDenied)
 * with no credentials: set AWS_ACCESS_KEY_ID and ..."; the secret and the
 * session token never appear in one. */
#ifndef SLUICE_S3_H
#define SLUICE_S3_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "net/http.h"

struct s3_opts {
	int no_sign;    /* send no credentials (also AWS_NO_SIGN_REQUEST=true) */
	double timeout; /* as http_opts' */
	int retries;    /* as http_opts' (< 0: the default) */
};

struct s3;

/* Reads the configuration above.  NULL with a message in err when it is
 * unusable: a named profile that does not exist, an endpoint URL that is
 * not http(s), a key id without its secret. */
struct s3 *s3_new(const struct s3_opts *o, char *err, size_t errn);
void s3_free(struct s3 *s);

/* Whether name is an s3:// URL. */
int s3_is_url(const char *name);
/* Splits s3://BUCKET[/KEY] into new strings (*key "" when none): 0, or -1
 * with a message when it names no bucket or the bucket's name is not one
 * S3 allows (3 to 63 of a-z 0-9 . -). */
int s3_split(const char *url, char **bucket, char **key, char *err, size_t errn);

/* The http(s) URL of an object (its key percent-encoded, '/' kept). */
char *s3_object_url(const struct s3 *s, const char *bucket, const char *key);
/* The signing handle of a bucket, owned by s (one thread at a time). */
struct http *s3_http(struct s3 *s, const char *bucket);
/* A new signing handle for bucket, for another thread; the caller frees it. */
struct http *s3_http_new(const struct s3 *s, const char *bucket);
/* The counts of every handle of s so far (requests, retries, bytes). */
void s3_stats(const struct s3 *s, struct http_stats *out);
/* Whether requests are signed (credentials were found, not --no-sign). */
int s3_signed(const struct s3 *s);

struct s3_object {
	char *key;
	uint64_t size;
	char *etag; /* without quotes, or NULL */
};
void s3_objects_free(struct s3_object *o, size_t n);

/* One page of a ListObjectsV2 answer: its objects (Contents: Key, Size,
 * ETag), whether it is truncated, and the token of the next page.  0, or
 * -1 when xml is not a listing (not XML, an <Error>, a field over 1 MiB). */
struct s3_list_page {
	struct s3_object *objects;
	size_t n;
	int truncated;
	char *next_token; /* or NULL */
};
int s3_parse_list_page(const char *xml, size_t len, struct s3_list_page *page);

/* HEAD of an object: its size and ETag (*etag may be NULL: not wanted).
 * 0, or -1 with the message for the status (no such key, access denied,
 * wrong region, ...). */
int s3_stat(struct s3 *s, const char *bucket, const char *key, uint64_t *size, char **etag, char *err, size_t errn);

/* The body of the object url (s3://BUCKET/KEY) as a stream: 0, or -1 with
 * a message that begins "s3://BUCKET/KEY: ".  The GET goes first; only
 * when it fails does a HEAD (and a listing) find the words for why: no
 * such key or bucket, access denied, another region. */
int s3_open_stream(struct s3 *s, const char *url, struct source *out, char *err, size_t errn);

/* Every object whose key begins with prefix, in key order, through
 * ListObjectsV2 and its continuation tokens.  0 with *out (allocated) and
 * *n, or -1 with a message. */
int s3_list(struct s3 *s, const char *bucket, const char *prefix, struct s3_object **out, size_t *n, char *err,
            size_t errn);

/* The objects an s3:// URL names, in key order: the one object when it
 * has no wildcard (checked with HEAD), else those whose keys match it as
 * a shell glob (* and ? do not cross '/', ** does; [...] classes), listed
 * from the part of the key before the first wildcard.  No match is an
 * error naming the pattern.  0 or -1 as above. */
int s3_expand(struct s3 *s, const char *url, struct s3_object **out, size_t *n, char *err, size_t errn);

/* Whether bucket exists and these credentials reach it (HEAD): 0, or -1
 * with the message (no such bucket, access denied, another region), so
 * that a writer fails before its work rather than after. */
int s3_check_bucket(struct s3 *s, const char *bucket, char *err, size_t errn);

/* Stores the bytes of the file fd (from its start to its size) as the
 * object bucket/key: one PUT up to 16 MiB, else a multipart upload of
 * parts read with pread and sent four at a time, completed only once all
 * are stored and abandoned (AbortMultipartUpload) on any failure, so the
 * object appears whole or not at all, and a writer killed half way leaves
 * none (only the parts of an unfinished upload, which S3 keeps until a
 * lifecycle rule or an abort removes them).  0, or -1 with a message. */
int s3_put_file(struct s3 *s, const char *bucket, const char *key, int fd, char *err, size_t errn);

/* Appends to (*names)[*n] what pattern names: the objects of an s3://
 * glob, listed in key order (the order of sorted file names, as llm.c's
 * loader reads shards), or the pattern itself when it is a URL without a
 * wildcard, or any name that is not s3://.  A client is made and freed
 * for the listing (o: NULL for the defaults).  0, or -1 with a message. */
int s3_expand_names(const char *pattern, const struct s3_opts *o, char ***names, size_t *n, char *err,
                    size_t errn);

/* The message for a failed request's answer: status, the XML error body
 * (may be empty) and the response's headers (may be NULL), for the
 * object s3://bucket/key. */
void s3_error_message(const struct s3 *s, const char *bucket, const char *key, long status, const struct buf *body,
                      const struct http_response *resp, char *err, size_t errn);

#endif
