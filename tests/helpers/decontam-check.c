/* decontam-check - test driver for decontam.h.  Texts are the lines of a
 * file (without their newlines), taken as already normalised.
 *
 *   decontam-check --ngram N [--mode none|ws|lower-punct] [--threads T]
 *                  (--eval FILE | --index FILE) [--save FILE] [--docs FILE]
 *   decontam-check --is-index FILE
 *
 * builds the index of --eval's lines (or loads --index), saves it, and
 * prints for each line of --docs the evaluation record it matches, or -1;
 * on stderr "texts N spans M".  --is-index prints 1 or 0.  An error is
 * "decontam-check: MESSAGE", status 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/die.h"
#include "base/io.h"
#include "dedup/decontam.h"

/* The lines of a file as texts pointing into *data (which the caller
 * frees). */
static struct decontam_text *read_lines(const char *path, char **data, size_t *n)
{
	size_t len;
	*data = io_read_file(path, &len);
	if (!*data)
		die(STATUS_FAIL, "%s:", path);
	struct decontam_text *t = NULL;
	size_t cap = 0;
	*n = 0;
	for (size_t at = 0; at < len;) {
		const char *nl = memchr(*data + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - *data) : len;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			t = xrealloc(t, cap * sizeof *t);
		}
		t[(*n)++] = (struct decontam_text){*data + at, end - at};
		at = end + 1;
	}
	return t;
}

static enum normalize_mode parse_mode(const char *name)
{
	int mode = normalize_parse(name);
	if (mode < 0)
		die(STATUS_USAGE, "--mode: unknown normalisation %s", name);
	return (enum normalize_mode)mode;
}

int main(int argc, char **argv)
{
	int ngram = 0, threads = 1;
	enum normalize_mode mode = NORMALIZE_LOWER_PUNCT;
	const char *eval = NULL, *index = NULL, *save = NULL, *docs = NULL;
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 == argc)
			die(STATUS_USAGE, "%s: a value is missing", argv[i]);
		const char *v = argv[i + 1];
		if (!strcmp(argv[i], "--ngram"))
			ngram = atoi(v);
		else if (!strcmp(argv[i], "--threads"))
			threads = atoi(v);
		else if (!strcmp(argv[i], "--mode"))
			mode = parse_mode(v);
		else if (!strcmp(argv[i], "--eval"))
			eval = v;
		else if (!strcmp(argv[i], "--index"))
			index = v;
		else if (!strcmp(argv[i], "--save"))
			save = v;
		else if (!strcmp(argv[i], "--docs"))
			docs = v;
		else if (!strcmp(argv[i], "--is-index")) {
			printf("%d\n", decontam_is_index(v));
			return 0;
		} else
			die(STATUS_USAGE, "unknown option %s", argv[i]);
	}
	if (!eval == !index)
		die(STATUS_USAGE, "give one of --eval and --index");
	char err[512];
	struct decontam *d;
	if (eval) {
		char *data;
		size_t n;
		struct decontam_text *texts = read_lines(eval, &data, &n);
		d = decontam_build(texts, n, ngram, mode, threads);
		/* The index keeps no pointer into the texts. */
		free(texts);
		free(data);
	} else if (!(d = decontam_load(index, ngram, mode, err, sizeof err))) {
		die(STATUS_FAIL, "%s", err);
	}
	if (save && decontam_save(d, save, err, sizeof err) != 0)
		die(STATUS_FAIL, "%s", err);
	if (docs) {
		char *data;
		size_t n;
		struct decontam_text *texts = read_lines(docs, &data, &n);
		for (size_t i = 0; i < n; i++)
			printf("%lld\n", (long long)decontam_match(d, texts[i].text, texts[i].len));
		free(texts);
		free(data);
	}
	fprintf(stderr, "texts %llu spans %llu\n", (unsigned long long)decontam_texts(d),
	        (unsigned long long)decontam_spans(d));
	decontam_free(d);
	return fflush(stdout) == 0 ? 0 : STATUS_FAIL;
}
