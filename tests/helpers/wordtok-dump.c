/* wordtok-dump - test driver for text/wordtok.h: reads documents separated
 * by NUL bytes on standard input and prints each one's words, one a line,
 * then an empty line (the format of tests/helpers/spacy_en.py).
 *
 *   wordtok-dump [-s] [-t ROUNDS]
 *
 *   -s  sentences instead of words (a newline inside one prints as \n)
 *   -t  split the whole input ROUNDS times instead, and print MB per
 *       second of CPU time (not wall time: the figure should not depend
 *       on what else the machine runs) and the count of words (or
 *       sentences) of one round
 *
 * Errors: "wordtok-dump: MESSAGE" and status 1 (2 for usage). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/die.h"
#include "base/status.h"
#include "text/wordtok.h"

static char *read_all(size_t *len)
{
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap);
	if (!buf)
		die(STATUS_FAIL, "out of memory");
	for (;;) {
		if (n == cap) {
			char *p = realloc(buf, cap *= 2);
			if (!p)
				die(STATUS_FAIL, "out of memory");
			buf = p;
		}
		size_t k = fread(buf + n, 1, cap - n, stdin);
		if (!k)
			break;
		n += k;
	}
	if (ferror(stdin))
		die(STATUS_FAIL, "reading standard input failed");
	*len = n;
	return buf;
}

static long split(struct wordtok *t, int sentences, const char *s, size_t n, const struct text_span **v)
{
	long k = sentences ? wordtok_sentences(t, s, n, v) : wordtok_words(t, s, n, v);
	if (k < 0)
		die(STATUS_FAIL, "out of memory");
	return k;
}

static void print_item(const char *s, const struct text_span *sp)
{
	for (uint32_t i = 0; i < sp->len; i++) {
		if (s[sp->off + i] == '\n')
			fputs("\\n", stdout);
		else
			putchar(s[sp->off + i]);
	}
	putchar('\n');
}

int main(int argc, char **argv)
{
	int sentences = 0, opt;
	long rounds = 0;
	while ((opt = getopt(argc, argv, "st:")) != -1) {
		if (opt == 's')
			sentences = 1;
		else if (opt == 't' && (rounds = atol(optarg)) > 0)
			;
		else {
			fprintf(stderr, "usage: wordtok-dump [-s] [-t ROUNDS]\n");
			return STATUS_USAGE;
		}
	}
	size_t len;
	char *buf = read_all(&len);
	struct wordtok *t = wordtok_new();
	if (!t)
		die(STATUS_FAIL, "out of memory");
	const struct text_span *v;
	if (rounds) {
		struct timespec a, b;
		long count = 0;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
		for (long r = 0; r < rounds; r++)
			count = split(t, sentences, buf, len, &v);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
		double sec = (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
		printf("%.1f MB/s, %ld %s\n", (double)len * (double)rounds / sec / 1e6, count,
		       sentences ? "sentences" : "words");
	} else {
		for (size_t i = 0; i < len;) {
			const char *end = memchr(buf + i, 0, len - i);
			size_t n = end ? (size_t)(end - (buf + i)) : len - i;
			long k = split(t, sentences, buf + i, n, &v);
			for (long j = 0; j < k; j++)
				print_item(buf + i, &v[j]);
			putchar('\n');
			i += n + 1;
		}
	}
	wordtok_free(t);
	free(buf);
	if (fflush(stdout) || ferror(stdout))
		die(STATUS_FAIL, "writing standard output failed");
	return 0;
}
