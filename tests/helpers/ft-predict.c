/* ft-predict - test driver for fastText prediction (text/fasttext.h):
 * `fasttext predict-prob MODEL - K THRESHOLD` in C.
 *
 *   ft-predict MODEL [K [THRESHOLD]]   each line of standard input: its
 *       predictions on one line, "LABEL PROB" pairs separated by spaces,
 *       as predict-prob prints them but for the probabilities' digits
 *       (%.9g here, 6 significant there); K 1 and THRESHOLD 0 by default,
 *       K -1 for every label
 *   ft-predict -z MODEL [K [THRESHOLD]] the same for texts that end in a
 *       NUL instead of a newline (a text may hold newlines)
 *   ft-predict -i MODEL                the dimension, the label count and
 *       the labels (ft_label, ft_label_full), one a line
 *   ft-predict -t MODEL [ROUNDS]       time the top label of every line of
 *       standard input, ROUNDS times over (default 1); prints MB/s and
 *       lines/s on standard output
 *
 * A line is the bytes up to a newline; a last line without one is a line
 * too.  Errors: "ft-predict: MESSAGE" and status 1 (2 for usage). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/die.h"
#include "base/io.h"
#include "text/fasttext.h"

static const char usage[] =
	"usage: ft-predict [-z] MODEL [K [THRESHOLD]] | -i MODEL | -t MODEL [ROUNDS]";

static struct ft_model *load(const char *path)
{
	char err[512];
	struct ft_model *m = ft_load(path, err, sizeof err);
	if (!m)
		die(STATUS_FAIL, "%s", err);
	return m;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int info(const char *path)
{
	struct ft_model *m = load(path);
	printf("dim %d\nlabels %d\n", ft_dim(m), ft_nlabels(m));
	for (int i = 0; i < ft_nlabels(m); i++)
		printf("%s %s\n", ft_label(m, i), ft_label_full(m, i));
	ft_free(m);
	return 0;
}

static int timing(const char *path, int rounds)
{
	struct ft_model *m = load(path);
	size_t len;
	char *text = io_read_file("/dev/stdin", &len);
	if (!text)
		die(STATUS_FAIL, "stdin:");
	struct ft_scratch *s = ft_scratch_new();
	if (!s)
		die(STATUS_FAIL, "out of memory");
	struct ft_prediction best;
	long lines = 0, sum = 0;
	double t0 = now();
	for (int r = 0; r < rounds; r++) {
		for (size_t i = 0; i < len;) {
			const char *nl = memchr(text + i, '\n', len - i);
			size_t end = nl ? (size_t)(nl - text) : len;
			int n = ft_predict(m, s, text + i, end - i, 1, 0.0f, &best);
			if (n < 0)
				die(STATUS_FAIL, "out of memory");
			sum += n ? best.label : 0;
			lines++;
			i = end + 1;
		}
	}
	double secs = now() - t0;
	printf("%.1f MB/s %.0f lines/s (%ld lines, label sum %ld)\n", (double)len * rounds / secs / 1e6,
	       lines / secs, lines, sum);
	ft_scratch_free(s);
	free(text);
	ft_free(m);
	return 0;
}

int main(int argc, char **argv)
{
	io_quiet_sigpipe();
	if (argc >= 3 && strcmp(argv[1], "-i") == 0)
		return info(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "-t") == 0)
		return timing(argv[2], argc > 3 ? atoi(argv[3]) : 1);
	int end = '\n';
	if (argc >= 2 && strcmp(argv[1], "-z") == 0)
		end = '\0', argc--, argv++;
	if (argc < 2 || argc > 4)
		die(STATUS_USAGE, "%s", usage);
	int k = argc > 2 ? atoi(argv[2]) : 1;
	float threshold = argc > 3 ? strtof(argv[3], NULL) : 0.0f;
	struct ft_model *m = load(argv[1]);
	struct ft_scratch *s = ft_scratch_new();
	size_t room = k > 0 ? (size_t)k : (size_t)ft_nlabels(m);
	struct ft_prediction *out = malloc(room * sizeof *out);
	if (!s || !out)
		die(STATUS_FAIL, "out of memory");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getdelim(&line, &cap, end, stdin)) >= 0) {
		if (n > 0 && line[n - 1] == end)
			n--;
		int got = ft_predict(m, s, line, (size_t)n, k, threshold, out);
		if (got < 0)
			die(STATUS_FAIL, "out of memory");
		for (int i = 0; i < got; i++)
			printf("%s%s %.9g", i ? " " : "", ft_label_full(m, out[i].label), out[i].prob);
		putchar('\n');
	}
	if (ferror(stdin))
		die(STATUS_FAIL, "stdin:");
	free(line);
	free(out);
	ft_scratch_free(s);
	ft_free(m);
	return 0;
}
