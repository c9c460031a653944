/* s3-tool - the S3 module's test driver (libcommon/net/s3.h), configured
 * from the environment as every program is.
 *
 *   s3-tool [--no-sign] expand s3://B/KEY-OR-GLOB   "KEY SIZE ETAG" a line
 *   s3-tool [--no-sign] ls s3://B/PREFIX            the same, for a prefix
 *   s3-tool [--no-sign] url s3://B/KEY              the http(s) URL of the object
 *   s3-tool [--no-sign] get s3://B/KEY              the object on stdout, streamed
 *   s3-tool [--no-sign] config                      "region R", "signed 0|1"
 *
 * Exit 0, or 1 with the module's one-line message on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/die.h"
#include "base/source.h"
#include "net/s3.h"

static void print_objects(struct s3_object *o, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%s %llu %s\n", o[i].key, (unsigned long long)o[i].size, o[i].etag ? o[i].etag : "-");
	s3_objects_free(o, n);
}

int main(int argc, char **argv)
{
	struct s3_opts o = {.retries = -1};
	int i = 1;
	if (i < argc && strcmp(argv[i], "--no-sign") == 0)
		o.no_sign = 1, i++;
	if (i >= argc)
		die(2, "usage: s3-tool [--no-sign] expand|ls|url|get|config [URL]");
	const char *cmd = argv[i++], *url = i < argc ? argv[i] : NULL;
	char err[1024];
	struct s3 *s = s3_new(&o, err, sizeof err);
	if (!s)
		die(1, "%s", err);
	if (strcmp(cmd, "config") == 0) {
		printf("signed %d\n", s3_signed(s));
		s3_free(s);
		return 0;
	}
	if (!url)
		die(2, "%s: which URL?", cmd);
	struct s3_object *objs;
	size_t n;
	char *bucket, *key;
	if (strcmp(cmd, "expand") == 0) {
		if (s3_expand(s, url, &objs, &n, err, sizeof err) != 0)
			die(1, "%s", err);
		print_objects(objs, n);
	} else if (s3_split(url, &bucket, &key, err, sizeof err) != 0) {
		die(1, "%s", err);
	} else if (strcmp(cmd, "ls") == 0) {
		if (s3_list(s, bucket, key, &objs, &n, err, sizeof err) != 0)
			die(1, "%s", err);
		print_objects(objs, n);
	} else if (strcmp(cmd, "url") == 0) {
		char *u = s3_object_url(s, bucket, key);
		puts(u);
		free(u);
	} else if (strcmp(cmd, "get") == 0) {
		char *u = s3_object_url(s, bucket, key);
		struct source src;
		if (http_open_stream(s3_http(s, bucket), u, NULL, &src, err, sizeof err) != 0)
			die(1, "%s", err);
		char buf[65536];
		ssize_t got;
		while ((got = source_read(&src, buf, sizeof buf)) > 0)
			if (fwrite(buf, 1, (size_t)got, stdout) != (size_t)got)
				die(1, "write error:");
		if (got < 0)
			die(1, "%s", source_error(&src));
		source_close(&src);
		free(u);
	} else
		die(2, "%s: not a command", cmd);
	if (strcmp(cmd, "expand") != 0) {
		free(bucket);
		free(key);
	}
	s3_free(s);
	return fflush(stdout) == 0 ? 0 : 1;
}
