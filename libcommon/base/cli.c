/* cli.c - see cli.h */
#define _GNU_SOURCE
#include "base/cli.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/die.h"
#include "base/io.h"

/* jansson's allocations die as xmalloc's do.  Left to return NULL, a
 * failed allocation made the parser fail, and a header that did not fit
 * in memory was reported as malformed input (exit 8), not as what it is. */
static void *json_alloc(size_t n)
{
	return xmalloc(n ? n : 1);
}

void cli_init(int argc, char **argv)
{
	if (argc > 0)
		argv[0] = (char *)prog_name();
	io_quiet_sigpipe();
	json_set_alloc_funcs(json_alloc, free);
}

void cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog_name());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", prog_name());
	exit(STATUS_USAGE);
}

int cli_common(int opt, const char *usage, enum cli_progress *progress)
{
	switch (opt) {
	case 'h':
		fputs(usage, stdout);
		if (fflush(stdout) != 0)
			die(STATUS_FAIL, "stdout: write error:");
		exit(0);
	case CLI_OPT_VERSION:
		printf("%s (sluice) %s\n", prog_name(), SLUICE_VERSION);
		if (fflush(stdout) != 0)
			die(STATUS_FAIL, "stdout: write error:");
		exit(0);
	case CLI_OPT_PROGRESS:
		*progress = CLI_PROGRESS_ON;
		return 1;
	case 'q':
		*progress = CLI_PROGRESS_OFF;
		return 1;
	case '?':
	case ':':
		/* getopt has already said what was wrong. */
		fprintf(stderr, "Try '%s --help' for more information.\n", prog_name());
		exit(STATUS_USAGE);
	default:
		return 0;
	}
}

uint64_t cli_parse_u64(const char *arg, const char *option, int allow_suffix)
{
	const char *p = arg;
	while (isspace((unsigned char)*p))
		p++;
	if (!isdigit((unsigned char)*p))
		cli_usage_error("%s: '%s' is not a non-negative number", option, arg);
	errno = 0;
	char *end;
	unsigned long long v = strtoull(p, &end, 10);
	if (errno == ERANGE)
		cli_usage_error("%s: '%s' is too large", option, arg);
	unsigned shift = 0;
	if (allow_suffix && *end) {
		switch (*end) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		case 't': case 'T': shift = 40; break;
		default: break;
		}
		if (shift)
			end++;
	}
	if (*end)
		cli_usage_error("%s: '%s' is not a number", option, arg);
	if (shift && v > (UINT64_MAX >> shift))
		cli_usage_error("%s: '%s' is too large", option, arg);
	return (uint64_t)v << shift;
}

double cli_parse_fraction(const char *arg, const char *option)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	if (end == arg || *end || errno || !(v >= 0 && v < 1))
		cli_usage_error("%s: '%s' is not a fraction from 0 up to (not including) 1", option, arg);
	return v;
}

void cli_parse_shard(const char *arg, const char *option, uint32_t *index, uint32_t *count)
{
	const char *slash = strchr(arg, '/');
	if (!slash || slash == arg || !slash[1])
		cli_usage_error("%s: '%s' is not I/N", option, arg);
	char *i = xstrndup(arg, (size_t)(slash - arg));
	uint64_t in = cli_parse_u64(i, option, 0), n = cli_parse_u64(slash + 1, option, 0);
	free(i);
	if (n == 0 || in >= n || n > UINT32_MAX)
		cli_usage_error("%s: '%s' needs 0 <= I < N", option, arg);
	*index = (uint32_t)in;
	*count = (uint32_t)n;
}

double cli_parse_seconds(const char *arg, const char *option)
{
	char *end;
	errno = 0;
	double t = strtod(arg, &end);
	if (end == arg || *end || errno || !(t > 0) || t > 86400)
		cli_usage_error("%s: '%s' is not a number of seconds (up to a day)", option, arg);
	return t;
}

int cli_parse_retries(const char *arg, const char *option)
{
	uint64_t r = cli_parse_u64(arg, option, 0);
	if (r > 100)
		cli_usage_error("%s: at most 100", option);
	return (int)r;
}

int cli_cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
}

int cli_parse_threads(const char *arg)
{
	uint64_t n = cli_parse_u64(arg, "--threads", 0);
	if (n < 1 || n > 1024)
		cli_usage_error("--threads must be from 1 to 1024");
	return (int)n;
}

char **cli_inputs(char **files, int *n)
{
	/* Never written: a shared answer for every program that reads stdin
	 * when given no FILE. */
	static char dash[] = "-";
	static char *stdin_only[] = {dash};
	if (*n > 0)
		return files;
	*n = 1;
	return stdin_only;
}

char **cli_split_list(const char *arg, const char *option, const char *what, int *n)
{
	char **out = NULL;
	*n = 0;
	char *copy = xstrdup(arg), *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		out = xrealloc(out, (size_t)(*n + 1) * sizeof *out);
		out[(*n)++] = xstrdup(t);
	}
	free(copy);
	if (*n == 0)
		cli_usage_error("%s: no %s in '%s'", option, what, arg);
	return out;
}
