/* localcopy.c - see localcopy.h. */
#include "net/localcopy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/die.h"
#include "base/io.h"
#include "base/source.h"
#include "net/http.h"

int localcopy_is_url(const char *name)
{
	return s3_is_url(name) || strncmp(name, "http://", 7) == 0 || strncmp(name, "https://", 8) == 0;
}

/* The stream of url's body; *s3 (when one was needed) for the caller to free. */
static int open_body(const char *url, const struct s3_opts *o, struct s3 **s3, struct http **h, struct source *src,
                     char *err, size_t errn)
{
	char why[1024];
	if (!s3_is_url(url)) {
		struct http_opts ho = {.timeout = o ? o->timeout : 0, .retries = o ? o->retries : -1};
		*h = http_new(&ho);
		if (http_open_stream(*h, url, NULL, src, why, sizeof why) != 0)
			return errorf(err, errn, "%s", why);
		return 0;
	}
	*s3 = s3_new(o, err, errn);
	return *s3 ? s3_open_stream(*s3, url, src, err, errn) : -1;
}

int localcopy_fetch(const char *url, const struct s3_opts *o, char *err, size_t errn)
{
	struct s3 *s3 = NULL;
	struct http *h = NULL;
	struct source src;
	int fd = -1;
	if (open_body(url, o, &s3, &h, &src, err, errn) == 0) {
		fd = io_temp_file(NULL, url);
		char *buf = xmalloc(1 << 20);
		ssize_t got;
		while ((got = source_read(&src, buf, 1 << 20)) > 0)
			if (io_write_fully(fd, buf, (size_t)got) != 0) {
				errorf(err, errn, "%s: a temporary copy: %s", url, strerror(errno));
				break;
			}
		if (got < 0)
			errorf(err, errn, "%s", source_error(&src));
		if (got != 0 || lseek(fd, 0, SEEK_SET) != 0) {
			close(fd);
			fd = -1;
		}
		free(buf);
		source_close(&src);
	}
	http_free(h);
	s3_free(s3);
	return fd;
}
