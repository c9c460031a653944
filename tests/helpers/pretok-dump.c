/* pretok-dump - test driver for the BPE pre-tokenizer (pretok.h): reads
 * text on standard input and prints its pieces.
 *
 *   pretok-dump [-p NAME | -r REGEX] [-R] [-i] [-z] [-0] [-t ROUNDS [-j THREADS]]
 *   pretok-dump -D
 *
 *   -p  a known pattern: gpt2, gpt2-tt, cl100k, cl100k-tt, o200k (the -tt
 *       forms are tiktoken >= 0.8's spellings); gpt2 if neither -p nor -r
 *   -r  any other pattern (PCRE2)       -R  PCRE2 even for a known pattern
 *   -i  HF's Split "Isolated": the text between matches is a piece too
 *   -z  the input is NUL-terminated texts, each split on its own
 *   -0  print each piece raw followed by a NUL, instead of one line per
 *       text with its pieces as a JSON array (a byte that is not UTF-8
 *       shows as \udcXX, Python's surrogateescape)
 *   -t  time ROUNDS splits of the input instead; print MB/s
 *   -j  with -t: that many threads at once, sharing one struct pretok, each
 *       with its own scratch; MB/s is their sum, and each must count the
 *       same pieces
 *   -D  print (in hex, one a line) each code point whose classes (L, N,
 *       M, \s and o200k's two letter classes) differ between unicls.h and
 *       PCRE2: the Unicode versions of utf8proc and PCRE2 differ
 *
 * Pieces out of order, or (for the known patterns and -i) pieces that do
 * not tile the text, are an error.
 *
 * Errors: "pretok-dump: MESSAGE" and status 1 (2 for usage). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "base/die.h"
#include "base/io.h"
#include "tok/pretok.h"
#include "tok/unicls.h"

static const struct {
	const char *name, *pattern;
} names[] = {
	{"gpt2", PRETOK_PATTERN_GPT2},
	{"gpt2-tt", PRETOK_PATTERN_GPT2_TIKTOKEN},
	{"cl100k", PRETOK_PATTERN_CL100K},
	{"cl100k-tt", PRETOK_PATTERN_CL100K_TIKTOKEN},
	{"o200k", PRETOK_PATTERN_O200K},
};

static void put_json_string(struct outbuf *o, const uint8_t *s, size_t n)
{
	char tmp[16];
	outbuf_putc(o, '"');
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = unicls_decode(s + i, n - i, &cp);
		if (!k) {
			snprintf(tmp, sizeof tmp, "\\udc%02x", s[i]);
			outbuf_write(o, tmp, strlen(tmp));
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\') {
			outbuf_putc(o, '\\');
			outbuf_putc(o, (char)cp);
		} else if (cp == '\n') {
			outbuf_write(o, "\\n", 2);
		} else if (cp == '\r') {
			outbuf_write(o, "\\r", 2);
		} else if (cp == '\t') {
			outbuf_write(o, "\\t", 2);
		} else if (cp < 0x20 || cp == 0x7f) {
			snprintf(tmp, sizeof tmp, "\\u%04x", (unsigned)cp);
			outbuf_write(o, tmp, strlen(tmp));
		} else {
			outbuf_write(o, s + i, k);
		}
		i += k;
	}
	outbuf_putc(o, '"');
}

/* Splits one text; prints it unless o is NULL; returns the piece count.
 * Dies if the pieces are not in order inside the text, or if a kind that
 * must tile the text does not. */
static size_t split(const struct pretok *pt, struct pretok_scratch *sc, bool tiles,
                    const uint8_t *s, size_t n, struct outbuf *o, int raw)
{
	size_t pos = 0, start, end, count = 0;
	if (o && !raw)
		outbuf_putc(o, '[');
	while (pos < n && (end = pretok_next(pt, sc, s, n, pos, &start)) != 0) {
		if (start < pos || end <= start || end > n || (tiles && start != pos))
			die(STATUS_FAIL, "bad piece [%zu, %zu) after %zu of %zu", start, end, pos, n);
		if (o && raw) {
			outbuf_write(o, s + start, end - start);
			outbuf_putc(o, '\0');
		} else if (o) {
			if (count)
				outbuf_putc(o, ',');
			put_json_string(o, s + start, end - start);
		}
		count++;
		pos = end;
	}
	if (tiles && pos != n)
		die(STATUS_FAIL, "pieces end at %zu of %zu", pos, n);
	if (o && !raw)
		outbuf_write(o, "]\n", 2);
	return count;
}

static size_t utf8_encode(uint32_t cp, uint8_t *s)
{
	if (cp < 0x80)
		return s[0] = (uint8_t)cp, 1;
	if (cp < 0x800)
		return s[0] = (uint8_t)(0xC0 | cp >> 6), s[1] = (uint8_t)(0x80 | (cp & 0x3F)), 2;
	if (cp < 0x10000) {
		s[0] = (uint8_t)(0xE0 | cp >> 12), s[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		s[2] = (uint8_t)(0x80 | (cp & 0x3F));
		return 3;
	}
	s[0] = (uint8_t)(0xF0 | cp >> 18), s[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
	s[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F)), s[3] = (uint8_t)(0x80 | (cp & 0x3F));
	return 4;
}

struct timing {
	const struct pretok *pt;
	bool tiles;
	const uint8_t *in;
	size_t len;
	long rounds;
	size_t pieces;
};

static void *time_rounds(void *arg)
{
	struct timing *tm = arg;
	struct pretok_scratch *sc = pretok_scratch_new(tm->pt);
	tm->pieces = 0;
	for (long r = 0; r < tm->rounds; r++)
		tm->pieces += split(tm->pt, sc, tm->tiles, tm->in, tm->len, NULL, 0);
	pretok_scratch_free(sc);
	return NULL;
}

static int class_diff(void)
{
	static const struct {
		unsigned bit;
		const char *re;
	} classes[] = {
		{UC_L, "\\p{L}"}, {UC_N, "\\p{N}"}, {UC_M, "\\p{M}"}, {UC_S, "\\s"},
		{UC_UP, "[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]"}, {UC_LO, "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]"},
	};
	enum { NC = sizeof classes / sizeof classes[0] };
	pcre2_code *re[NC];
	pcre2_match_data *md = pcre2_match_data_create(4, NULL);
	for (int k = 0; k < NC; k++) {
		int code;
		PCRE2_SIZE off;
		re[k] = pcre2_compile((PCRE2_SPTR)classes[k].re, PCRE2_ZERO_TERMINATED,
		                      PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED, &code, &off, NULL);
		if (!re[k])
			die(STATUS_FAIL, "pcre2_compile %s failed", classes[k].re);
		pcre2_jit_compile(re[k], PCRE2_JIT_COMPLETE);
	}
	struct outbuf o;
	outbuf_init(&o, 1, "stdout", 1 << 16);
	for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		uint8_t s[4];
		size_t n = utf8_encode(cp, s);
		unsigned ours = unicls_cp(cp), theirs = 0, mask = 0;
		for (int k = 0; k < NC; k++) {
			mask |= classes[k].bit;
			if (pcre2_match(re[k], s, n, 0, 0, md, NULL) > 0)
				theirs |= classes[k].bit;
		}
		if ((ours & mask) != theirs) {
			char line[16];
			snprintf(line, sizeof line, "%04X\n", (unsigned)cp);
			outbuf_write(&o, line, strlen(line));
		}
	}
	outbuf_free(&o);
	for (int k = 0; k < NC; k++)
		pcre2_code_free(re[k]);
	pcre2_match_data_free(md);
	return 0;
}

static uint8_t *slurp(size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	uint8_t *p = xmalloc(cap);
	for (;;) {
		if (n == cap)
			p = xrealloc(p, cap *= 2);
		ssize_t r = read_full(0, p + n, cap - n);
		if (r < 0)
			die(STATUS_FAIL, "stdin:");
		n += (size_t)r;
		if (n < cap)
			break;
	}
	*len = n;
	return p;
}

int main(int argc, char **argv)
{
	io_quiet_sigpipe();
	const char *pattern = NULL;
	unsigned flags = 0;
	int zero = 0, raw = 0, threads = 1, c;
	long rounds = 0;
	while ((c = getopt(argc, argv, "p:r:Rizt:j:0D")) != -1) {
		switch (c) {
		case 'p':
			for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
				if (strcmp(optarg, names[k].name) == 0)
					pattern = names[k].pattern;
			if (!pattern)
				die(STATUS_USAGE, "unknown pattern name '%s'", optarg);
			break;
		case 'r': pattern = optarg; break;
		case 'R': flags |= PRETOK_NO_FAST; break;
		case 'i': flags |= PRETOK_ISOLATED; break;
		case 'z': zero = 1; break;
		case '0': raw = 1; break;
		case 't': rounds = strtol(optarg, NULL, 10); break;
		case 'j': threads = (int)strtol(optarg, NULL, 10); break;
		case 'D': return class_diff();
		default: return 2;
		}
	}
	if (optind != argc)
		die(STATUS_USAGE, "usage: pretok-dump [-p NAME | -r REGEX] [-R] [-i] [-z] [-0] [-t ROUNDS [-j THREADS]] | -D");
	char err[512];
	struct pretok *pt = pretok_new(pattern ? pattern : PRETOK_PATTERN_GPT2, flags, err, sizeof err);
	if (!pt)
		die(STATUS_FAIL, "%s", err);
	struct pretok_scratch *sc = pretok_scratch_new(pt);
	bool tiles = pretok_kind(pt) != PRETOK_REGEX || (flags & PRETOK_ISOLATED);
	size_t len;
	uint8_t *in = slurp(&len);

	if (rounds > 0) {
		struct timespec t0, t1;
		struct timing tm[64];
		pthread_t th[64];
		if (threads < 1 || threads > 64)
			die(STATUS_USAGE, "-j: 1 to 64 threads");
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int k = 0; k < threads; k++) {
			tm[k] = (struct timing){pt, tiles, in, len, rounds, 0};
			if (pthread_create(&th[k], NULL, time_rounds, &tm[k]) != 0)
				die(STATUS_FAIL, "pthread_create failed");
		}
		for (int k = 0; k < threads; k++) {
			pthread_join(th[k], NULL);
			if (tm[k].pieces != tm[0].pieces)
				die(STATUS_FAIL, "thread %d counted %zu pieces, thread 0 %zu", k, tm[k].pieces, tm[0].pieces);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
		printf("%.1f MB/s (%zu bytes x %ld x %d threads in %.3f s, %zu pieces each)\n",
		       (double)len * (double)rounds * threads / s / 1e6, len, rounds, threads, s,
		       tm[0].pieces / (size_t)rounds);
	} else {
		struct outbuf o;
		outbuf_init(&o, 1, "stdout", 1 << 16);
		if (!zero) {
			split(pt, sc, tiles, in, len, &o, raw);
		} else {
			for (size_t i = 0; i < len;) {
				uint8_t *nul = memchr(in + i, 0, len - i);
				size_t n = nul ? (size_t)(nul - (in + i)) : len - i;
				split(pt, sc, tiles, in + i, n, &o, raw);
				i += n + 1;
			}
		}
		outbuf_free(&o);
	}
	free(in);
	pretok_scratch_free(sc);
	pretok_free(pt);
	return 0;
}
