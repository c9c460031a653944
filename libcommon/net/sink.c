/* sink.c - see sink.h. */
#include "net/sink.h"

#include <stdlib.h>
#include <string.h>

#include "base/die.h"
#include "net/s3.h"

struct remote_object {
	struct s3 *s3;
	char *bucket, *key;
};

static void remote_free(struct remote_object *r)
{
	s3_free(r->s3);
	free(r->bucket);
	free(r->key);
	free(r);
}

static int remote_commit(void *ctx, int fd)
{
	struct remote_object *r = ctx;
	char err[1024];
	if (s3_put_file(r->s3, r->bucket, r->key, fd, err, sizeof err) != 0)
		die(STATUS_FAIL, "%s", err);
	remote_free(r);
	return 0;
}

static void remote_discard(void *ctx) { remote_free(ctx); }

static const struct atomic_remote remote_ops = {remote_commit, remote_discard};

int sink_is_remote(const char *path) { return s3_is_url(path); }

int sink_open(struct atomic_file *a, const char *path)
{
	if (!sink_is_remote(path))
		return atomic_open(a, path);
	char err[1024];
	struct remote_object *r = xcalloc(1, sizeof *r);
	if (s3_split(path, &r->bucket, &r->key, err, sizeof err) != 0)
		die(STATUS_USAGE, "%s", err);
	if (!*r->key || r->key[strlen(r->key) - 1] == '/')
		die(STATUS_USAGE, "%s: names no object: give the key to write", path);
	struct s3_opts so = {.retries = -1};
	if (!(r->s3 = s3_new(&so, err, sizeof err)))
		die(STATUS_FAIL, "%s", err);
	if (s3_check_bucket(r->s3, r->bucket, err, sizeof err) != 0)
		die(STATUS_FAIL, "%s", err);
	*a = (struct atomic_file){.fd = io_temp_file(NULL, path), .remote = &remote_ops, .remote_ctx = r};
	return 0;
}
