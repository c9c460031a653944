/* quality-check - test driver for text/quality.h.
 *
 *   quality-check [--FILTER[=PARAMS]]... [--reasons] [--quiet] [--time] < DOCS
 *
 * FILTER is gopher-repetition, gopher-quality, c4 or fineweb, PARAMS as
 * quality_enable takes them.  DOCS are NUL-separated UTF-8 documents.  For
 * each one line: "keep", "keep\tTEXT" when C4 rewrote the text (TEXT with
 * "\\" and newlines escaped as \\ and \n), or the reason it was dropped;
 * tests/helpers/quality_oracle.py prints the same.  --reasons lists every
 * reason the filters can give instead; --quiet prints nothing per document;
 * --time reports the filtering speed (MB/s of input, reading excluded) on
 * stderr.  A bad parameter is "quality-check: MESSAGE", status 2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/die.h"
#include "base/utf8.h"
#include "text/quality.h"

static void put_escaped(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\')
			fputs("\\\\", stdout);
		else if (s[i] == '\n')
			fputs("\\n", stdout);
		else
			putchar(s[i]);
	}
}

static char *read_stdin(size_t *len)
{
	size_t cap = 1 << 20, n = 0;
	char *p = xmalloc(cap);
	for (;;) {
		if (n == cap)
			p = xrealloc(p, cap *= 2);
		size_t got = fread(p + n, 1, cap - n, stdin);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(stdin))
		die(STATUS_FAIL, "reading stdin:");
	*len = n;
	return p;
}

int main(int argc, char **argv)
{
	struct quality_opts o;
	quality_opts_init(&o);
	int quiet = 0, timing = 0, reasons = 0;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i], err[1024];
		if (!strcmp(a, "--quiet")) {
			quiet = 1;
		} else if (!strcmp(a, "--time")) {
			timing = 1;
		} else if (!strcmp(a, "--reasons")) {
			reasons = 1;
		} else if (!strncmp(a, "--", 2)) {
			char *eq = strchr(a, '=');
			if (eq)
				*eq = 0;
			if (quality_enable(&o, a + 2, eq ? eq + 1 : NULL, err, sizeof err) < 0)
				die(STATUS_USAGE, "%s", err);
		} else {
			die(STATUS_USAGE, "usage: quality-check [--FILTER[=PARAMS]]... [--reasons] [--quiet] [--time] < DOCS");
		}
	}
	if (reasons) {
		const char *names[256];
		size_t n = quality_reasons(&o, names, 256);
		for (size_t k = 0; k < n && k < 256; k++)
			puts(names[k]);
		return fflush(stdout) == 0 ? 0 : 1;
	}

	size_t len;
	char *all = read_stdin(&len);
	if (!utf8_valid((const unsigned char *)all, len))
		die(STATUS_FAIL, "input is not valid UTF-8");
	struct quality_scratch *s = quality_scratch_new();
	if (!s)
		die(STATUS_FAIL, "out of memory");
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	size_t docs = 0;
	for (size_t at = 0; at < len;) {
		const char *end = memchr(all + at, 0, len - at);
		size_t n = end ? (size_t)(end - (all + at)) : len - at;
		const char *reason, *out;
		size_t out_len;
		if (quality_check(&o, s, all + at, n, &reason, &out, &out_len) < 0)
			die(STATUS_FAIL, "out of memory");
		if (!quiet) {
			if (reason) {
				puts(reason);
			} else if (out != all + at) {
				fputs("keep\t", stdout);
				put_escaped(out, out_len);
				putchar('\n');
			} else {
				puts("keep");
			}
		}
		docs++;
		at += n + 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (timing) {
		double sec = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
		fprintf(stderr, "%zu documents, %.1f MB in %.3f s: %.1f MB/s\n", docs, (double)len / 1e6, sec,
		        (double)len / 1e6 / sec);
	}
	quality_scratch_free(s);
	free(all);
	return fflush(stdout) == 0 ? 0 : 1;
}
