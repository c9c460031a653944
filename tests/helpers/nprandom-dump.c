/* nprandom-dump - test driver for nprandom.h: prints, for a seed, what
 * numpy prints for the same seed, one value a line, so tests/rec-mix.bats
 * compares the two:
 *
 *   nprandom-dump words SEED N      SeedSequence(SEED).generate_state(N)
 *   nprandom-dump raw SEED N        default_rng(SEED).bit_generator.random_raw(N)
 *   nprandom-dump random SEED N     default_rng(SEED).random(N), as repr()
 *   nprandom-dump choice SEED N P1,P2,...
 *                                   default_rng(SEED).choice(len(P), N, p=P)
 *
 * A rejected p is "nprandom-dump: REASON", status 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cli.h"
#include "base/die.h"
#include "base/nprandom.h"

static size_t parse_p(const char *arg, double **out)
{
	size_t n = 1;
	for (const char *c = arg; *c; c++)
		n += *c == ',';
	double *p = xcalloc(n, sizeof *p);
	const char *s = arg;
	for (size_t i = 0; i < n; i++) {
		char *end;
		p[i] = strtod(s, &end);
		if (end == s || (*end != ',' && *end != '\0'))
			die(STATUS_USAGE, "bad probability list: %s", arg);
		s = end + 1;
	}
	*out = p;
	return n;
}

int main(int argc, char **argv)
{
	cli_init(argc, argv);
	if (argc < 4)
		die(STATUS_USAGE, "usage: nprandom-dump words|raw|random|choice SEED N [P1,P2,...]");
	const char *what = argv[1];
	uint64_t seed = cli_parse_u64(argv[2], "SEED", 0);
	size_t count = (size_t)cli_parse_u64(argv[3], "N", 0);
	struct nprandom g;
	nprandom_seed(&g, seed);
	if (strcmp(what, "words") == 0) {
		uint32_t *w = xcalloc(count ? count : 1, sizeof *w);
		nprandom_seed_words(seed, w, count);
		for (size_t i = 0; i < count; i++)
			printf("%u\n", w[i]);
		free(w);
	} else if (strcmp(what, "raw") == 0) {
		for (size_t i = 0; i < count; i++)
			printf("%llu\n", (unsigned long long)nprandom_next64(&g));
	} else if (strcmp(what, "random") == 0) {
		for (size_t i = 0; i < count; i++)
			printf("%.17g\n", nprandom_random(&g));
	} else if (strcmp(what, "choice") == 0 && argc == 5) {
		double *p;
		size_t n = parse_p(argv[4], &p);
		char err[256];
		if (nprandom_check_p(p, n, err, sizeof err) != 0)
			die(STATUS_FAIL, "%s", err);
		double *cdf = xcalloc(n, sizeof *cdf);
		nprandom_cdf(p, n, cdf);
		for (size_t i = 0; i < count; i++)
			printf("%zu\n", nprandom_choice(&g, cdf, n));
		free(cdf);
		free(p);
	} else {
		die(STATUS_USAGE, "unknown request: %s", what);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
