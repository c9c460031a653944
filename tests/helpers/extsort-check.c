/* extsort-check - test driver for extsort.h: reads records as text, one a
 * line of whitespace-separated unsigned decimals (missing words are 0),
 * and prints them sorted, one a line; on stderr "runs N" (the runs
 * spilled).  An error is "extsort-check: MESSAGE", status 1.
 *
 *   extsort-check [--words N] [--mem BYTES (256 MiB)] [--tmpdir DIR] [--fanin N]
 *                 [--ordered-tail N] [--reserve RECORDS] < in
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/die.h"
#include "base/extsort.h"

static unsigned long long number_arg(const char *flag, const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end)
		die(STATUS_USAGE, "%s: not a number: %s", flag, s);
	return v;
}

int main(int argc, char **argv)
{
	size_t words = 2, mem = (size_t)256 << 20, fanin = 0, tail = 0, reserve = 0;
	const char *tmpdir = NULL;
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 == argc)
			die(STATUS_USAGE, "%s: a value is missing", argv[i]);
		if (!strcmp(argv[i], "--words"))
			words = number_arg(argv[i], argv[i + 1]);
		else if (!strcmp(argv[i], "--mem"))
			mem = number_arg(argv[i], argv[i + 1]);
		else if (!strcmp(argv[i], "--fanin"))
			fanin = number_arg(argv[i], argv[i + 1]);
		else if (!strcmp(argv[i], "--ordered-tail"))
			tail = number_arg(argv[i], argv[i + 1]);
		else if (!strcmp(argv[i], "--reserve"))
			reserve = number_arg(argv[i], argv[i + 1]);
		else if (!strcmp(argv[i], "--tmpdir"))
			tmpdir = argv[i + 1];
		else
			die(STATUS_USAGE, "unknown option %s", argv[i]);
	}
	/* Under `ulimit -f` (the tests' full disk) a write past the limit must
	 * fail with EFBIG, not end the process. */
	signal(SIGXFSZ, SIG_IGN);
	char err[512];
	struct extsort *s = extsort_new(words, mem, tmpdir, err, sizeof err);
	if (!s)
		die(STATUS_FAIL, "%s", err);
	if (fanin)
		extsort_set_fanin(s, fanin);
	if (tail)
		extsort_set_ordered_tail(s, tail);
	if (reserve && extsort_reserve(s, reserve, err, sizeof err) != 0)
		die(STATUS_FAIL, "%s", err);
	uint64_t *rec = xcalloc(words ? words : 1, sizeof *rec);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, stdin)) >= 0) {
		char *p = line;
		for (size_t w = 0; w < words; w++) {
			char *end;
			errno = 0;
			rec[w] = strtoull(p, &end, 10);
			if (errno)
				die(STATUS_USAGE, "a number out of range: %s", line);
			p = end;
		}
		if (extsort_add(s, rec, err, sizeof err) != 0)
			die(STATUS_FAIL, "%s", err);
	}
	if (ferror(stdin))
		die(STATUS_FAIL, "reading the input:");
	if (extsort_finish(s, err, sizeof err) != 0)
		die(STATUS_FAIL, "%s", err);
	const uint64_t *r;
	while ((r = extsort_next(s, err, sizeof err))) {
		for (size_t w = 0; w < words; w++)
			printf(w ? " %" PRIu64 : "%" PRIu64, r[w]);
		putchar('\n');
	}
	if (err[0])
		die(STATUS_FAIL, "%s", err);
	fprintf(stderr, "runs %zu\nrecords %" PRIu64 "\n", extsort_runs(s), extsort_count(s));
	extsort_free(s);
	free(rec);
	free(line);
	return fflush(stdout) == 0 ? 0 : STATUS_FAIL;
}
