/* http-get - the HTTP module's test driver (libcommon/net/http.h).
 *
 *   http-get [OPTIONS] get URL                  the body on stdout
 *   http-get [OPTIONS] head URL                 "status S", "etag E", "commit C",
 *                                               "size N", "next N", "final U" lines
 *   http-get [OPTIONS] range URL OFF LEN        LEN bytes at OFF on stdout
 *   http-get [OPTIONS] ranges URL PAR OFF:LEN...  the ranges, fetched PAR in
 *                                               flight, on stdout in order
 *   http-get [OPTIONS] stream URL [ETAG]        the body, read as a source
 *                                               (in reads of varying size)
 *   http-get host URL                           host[:port] of URL
 *
 * Options: --token T, --auth-host H, --retries N, --timeout S, --stats
 * (prints "requests N retries N resumes N bytes N" on stderr at the end).
 *
 * Exit 0, or 1 with one line on stderr: the module's message, or for a
 * get/head that returned 1, "http_get: 1 status N: MESSAGE". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/source.h"
#include "net/http.h"

static void out(const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, stdout) != n)
		die(STATUS_FAIL, "write error:");
}

static void print_stats(struct http *h, int on)
{
	if (!on)
		return;
	const struct http_stats *s = http_stats(h);
	fprintf(stderr, "requests %llu retries %llu resumes %llu bytes %llu\n", (unsigned long long)s->requests,
	        (unsigned long long)s->retries, (unsigned long long)s->resumes, (unsigned long long)s->bytes);
}

static void usage(void)
{
	die(STATUS_USAGE, "usage: http-get [--token T] [--auth-host H] [--retries N] [--timeout S] [--stats] "
	       "get|head|range|ranges|stream|host URL ...");
}

int main(int argc, char **argv)
{
	struct http_opts o = {.retries = -1};
	int stats = 0, i = 1;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--stats") == 0)
			stats = 1;
		else if (i + 1 >= argc)
			usage();
		else if (strcmp(a, "--token") == 0)
			o.token = argv[++i];
		else if (strcmp(a, "--auth-host") == 0)
			o.auth_host = argv[++i];
		else if (strcmp(a, "--retries") == 0)
			o.retries = atoi(argv[++i]);
		else if (strcmp(a, "--timeout") == 0)
			o.timeout = atof(argv[++i]);
		else
			usage();
	}
	if (argc - i < 2)
		usage();
	const char *mode = argv[i], *url = argv[i + 1];
	char **rest = argv + i + 2;
	int nrest = argc - i - 2;
	char err[1024] = "";
	int status = 0;

	if (strcmp(mode, "host") == 0) {
		char hp[512];
		if (http_url_host(url, hp, sizeof hp) != 0)
			die(STATUS_FAIL, "%s: not an http(s) URL", url);
		puts(hp);
		return 0;
	}
	struct http *h = http_new(&o);
	if (strcmp(mode, "get") == 0 || strcmp(mode, "head") == 0) {
		struct buf body = {0};
		struct http_response r;
		int rc = mode[0] == 'g' ? http_get(h, url, &body, &r, err, sizeof err)
		                        : http_head(h, url, &r, err, sizeof err);
		if (rc == 0 && mode[0] == 'g')
			out(body.data, body.len);
		if (rc == 0 && mode[0] == 'h')
			printf("status %ld\netag %s\ncommit %s\nsize %llu\nnext %s\nfinal %s\n", r.status,
			       r.etag ? r.etag : "-", r.repo_commit ? r.repo_commit : "-",
			       (unsigned long long)r.linked_size, r.next_link ? r.next_link : "-",
			       r.final_url ? r.final_url : "-");
		if (rc == 1) {
			fprintf(stderr, "http_get: 1 status %ld: %s\n", r.status, err);
			status = 1;
		} else if (rc != 0) {
			fprintf(stderr, "%s\n", err);
			status = 1;
		}
		http_response_free(&r);
		buf_free(&body);
	} else if (strcmp(mode, "range") == 0) {
		if (nrest != 2)
			usage();
		size_t len = strtoull(rest[1], NULL, 10);
		char *b = xmalloc(len + 1);
		if (http_read_range(h, url, strtoull(rest[0], NULL, 10), b, len, err, sizeof err) != 0) {
			fprintf(stderr, "%s\n", err);
			status = 1;
		} else
			out(b, len);
		free(b);
	} else if (strcmp(mode, "ranges") == 0) {
		if (nrest < 2)
			usage();
		int par = atoi(rest[0]);
		size_t n = (size_t)nrest - 1;
		struct http_range *rv = xcalloc(n, sizeof *rv);
		for (size_t k = 0; k < n; k++) {
			char *colon = strchr(rest[k + 1], ':');
			if (!colon)
				usage();
			rv[k].offset = strtoull(rest[k + 1], NULL, 10);
			rv[k].len = strtoull(colon + 1, NULL, 10);
			rv[k].buf = xmalloc(rv[k].len + 1);
		}
		if (http_read_ranges(h, url, rv, n, par, err, sizeof err) != 0) {
			fprintf(stderr, "%s\n", err);
			status = 1;
		} else
			for (size_t k = 0; k < n; k++)
				out(rv[k].buf, rv[k].len);
		for (size_t k = 0; k < n; k++)
			free(rv[k].buf);
		free(rv);
	} else if (strcmp(mode, "stream") == 0) {
		struct source s;
		if (http_open_stream(h, url, nrest > 0 ? rest[0] : NULL, &s, err, sizeof err) != 0) {
			fprintf(stderr, "%s\n", err);
			status = 1;
		} else {
			static const size_t sizes[] = {1, 7000, 65536, 333, 200000};
			char *b = xmalloc(200000);
			uint64_t total = 0;
			for (size_t k = 0;; k++) {
				ssize_t got = source_read(&s, b, sizes[k % 5]);
				if (got < 0) {
					fprintf(stderr, "%s\n", source_error(&s));
					status = 1;
					break;
				}
				if (got == 0)
					break;
				out(b, (size_t)got);
				total += (uint64_t)got;
			}
			if (status == 0 && s.size && total != s.size) {
				fprintf(stderr, "stream: %llu bytes, size said %llu\n", (unsigned long long)total,
				        (unsigned long long)s.size);
				status = 1;
			}
			free(b);
			source_close(&s);
		}
	} else
		usage();
	if (fflush(stdout) != 0)
		die(STATUS_FAIL, "write error:");
	print_stats(h, stats);
	http_free(h);
	return status;
}
