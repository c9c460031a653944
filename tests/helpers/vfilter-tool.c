/* vfilter-tool - test driver for vfilter.h.
 *
 *   vfilter-tool FILTER < points.jsonl        ids of the matching points, one a line
 *   vfilter-tool -f FILE < points.jsonl       the filter read from FILE
 *   vfilter-tool --info FILTER                "payload: yes|no" and "ids: N ID..." or "ids: none"
 *   vfilter-tool --cases FILTERS < points     for each filter line of FILTERS, the matching
 *                                             ids on one line (space-separated), or "error: MSG"
 *   vfilter-tool --bench ROUNDS FILTER < points
 *                                             match every point ROUNDS times; the rate on stderr
 *
 * Points are JSON lines {"id": ID, "payload": {...}} (payload may be
 * missing or null; an integer id is its decimal text).  A bad filter is
 * "vfilter-tool: MESSAGE" and status 2; bad input is status 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/die.h"
#include "vs/vfilter.h"

struct point {
	char *id;
	size_t id_len;
	json_t *payload;
};

static struct point *read_points(size_t *np)
{
	struct point *pts = NULL;
	size_t n = 0, cap = 0, lineno = 0;
	char *line = NULL;
	size_t linecap = 0;
	ssize_t len;
	while ((len = getline(&line, &linecap, stdin)) > 0) {
		lineno++;
		if (strspn(line, " \t\r\n") == (size_t)len)
			continue;
		json_error_t je;
		json_t *j = json_loadb(line, (size_t)len, 0, &je);
		if (!json_is_object(j))
			die(STATUS_FAIL, "stdin: line %zu: not a JSON object: %s", lineno, j ? "" : je.text);
		json_t *id = json_object_get(j, "id");
		char num[32];
		const char *text;
		size_t tlen;
		if (json_is_integer(id)) {
			tlen = (size_t)snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
			text = num;
		} else if (json_is_string(id)) {
			text = json_string_value(id);
			tlen = json_string_length(id);
		} else {
			die(STATUS_FAIL, "stdin: line %zu: id is not an integer or a string", lineno);
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			pts = xrealloc(pts, cap * sizeof *pts);
		}
		json_t *payload = json_object_get(j, "payload");
		pts[n].id = xstrndup(text, tlen);
		pts[n].id_len = tlen;
		pts[n].payload = json_is_object(payload) ? json_incref(payload) : NULL;
		n++;
		json_decref(j);
	}
	if (ferror(stdin))
		die(STATUS_FAIL, "stdin:");
	free(line);
	*np = n;
	return pts;
}

static void free_points(struct point *pts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(pts[i].id);
		json_decref(pts[i].payload);
	}
	free(pts);
}

static struct vfilter *must_compile(const char *text)
{
	char err[512];
	struct vfilter *f = vfilter_parse(text, strlen(text), err, sizeof err);
	if (!f)
		die(STATUS_USAGE, "%s", err);
	return f;
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		die(STATUS_FAIL, "%s:", path);
	char *data = NULL;
	size_t len = 0, cap = 0, got;
	do {
		if (cap - len < 4096)
			data = xrealloc(data, cap = 2 * cap + 4096);
		got = fread(data + len, 1, cap - len - 1, fp);
		len += got;
	} while (got > 0);
	if (ferror(fp))
		die(STATUS_FAIL, "%s:", path);
	fclose(fp);
	data[len] = 0;
	return data;
}

static int run_cases(const char *path)
{
	size_t n;
	struct point *pts = read_points(&n);
	FILE *fp = fopen(path, "r");
	if (!fp)
		die(STATUS_FAIL, "%s:", path);
	char *line = NULL;
	size_t linecap = 0;
	ssize_t len;
	while ((len = getline(&line, &linecap, fp)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = 0;
		char err[512];
		struct vfilter *f = vfilter_parse(line, (size_t)len, err, sizeof err);
		if (!f) {
			printf("error: %s\n", err);
			continue;
		}
		const char *sep = "";
		for (size_t i = 0; i < n; i++) {
			/* A filter that says it needs no payload must not look at one. */
			const json_t *p = vfilter_needs_payload(f) ? pts[i].payload : NULL;
			if (vfilter_match(f, pts[i].id, pts[i].id_len, p)) {
				printf("%s%s", sep, pts[i].id);
				sep = " ";
			}
		}
		putchar('\n');
		vfilter_free(f);
	}
	if (ferror(fp))
		die(STATUS_FAIL, "%s:", path);
	fclose(fp);
	free(line);
	free_points(pts, n);
	return 0;
}

static int run_info(const char *text)
{
	struct vfilter *f = must_compile(text);
	printf("payload: %s\n", vfilter_needs_payload(f) ? "yes" : "no");
	const char *const *ids;
	long n = vfilter_only_ids(f, &ids);
	if (n < 0) {
		puts("ids: none");
	} else {
		printf("ids: %ld", n);
		for (long i = 0; i < n; i++)
			printf(" %s", ids[i]);
		putchar('\n');
	}
	vfilter_free(f);
	return 0;
}

static int run_bench(long rounds, const char *text)
{
	struct vfilter *f = must_compile(text);
	size_t n;
	struct point *pts = read_points(&n);
	struct timespec t0, t1;
	size_t hits = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long r = 0; r < rounds; r++)
		for (size_t i = 0; i < n; i++)
			hits += (size_t)vfilter_match(f, pts[i].id, pts[i].id_len, pts[i].payload);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
	double calls = (double)n * (double)rounds;
	fprintf(stderr, "%zu of %zu points match; %.0f matches/s (%.1f ns each)\n",
	        rounds ? hits / (size_t)rounds : 0, n, calls / s, 1e9 * s / calls);
	vfilter_free(f);
	free_points(pts, n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--info") == 0)
		return run_info(argv[2]);
	if (argc == 3 && strcmp(argv[1], "--cases") == 0)
		return run_cases(argv[2]);
	if (argc == 4 && strcmp(argv[1], "--bench") == 0)
		return run_bench(atol(argv[2]), argv[3]);
	struct vfilter *f;
	if (argc == 3 && strcmp(argv[1], "-f") == 0) {
		char *text = slurp(argv[2]);
		f = must_compile(text);
		free(text);
	} else if (argc == 2) {
		f = must_compile(argv[1]);
	} else {
		die(STATUS_FAIL, "usage: vfilter-tool [-f FILE | FILTER | --info FILTER | --cases FILTERS | "
		       "--bench ROUNDS FILTER] < points.jsonl");
	}
	size_t n;
	struct point *pts = read_points(&n);
	for (size_t i = 0; i < n; i++)
		if (vfilter_match(f, pts[i].id, pts[i].id_len, pts[i].payload))
			puts(pts[i].id);
	vfilter_free(f);
	free_points(pts, n);
	return fflush(stdout) == 0 ? 0 : 1;
}
