/* minhash-sign - test driver for dedup/normalize.h and dedup/minhash.h,
 * with the input and output of tests/helpers/minhash_oracle.py, so that
 * tests/minhash.bats diffs the two byte for byte:
 *
 *   minhash-sign [-z] [--normalize none|ws|lower-punct] [--ngram N]
 *                [--bands B] [--rows R] [--seed S]
 *                [--print norm|shingles|sig|keys|jaccard] [--quiet] [-t]
 *
 * Documents come from stdin, one a line (-z: NUL-terminated); per
 * document one line of hex (see the oracle for each --print).  --quiet
 * prints only the number of documents.  -t reads stdin into memory, then
 * times what --print computes for every document (norm: normalisation
 * alone; shingles, sig, keys: normalisation and everything up to it) and
 * prints "MB/s MB seconds", MB of input text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/cli.h"
#include "base/die.h"
#include "base/io.h"
#include "dedup/minhash.h"
#include "dedup/normalize.h"

enum what { PRINT_NORM, PRINT_SHINGLES, PRINT_SIG, PRINT_KEYS, PRINT_JACCARD };

static const char usage[] =
	"usage: minhash-sign [-z] [--normalize MODE] [--ngram N] [--bands B] [--rows R]\n"
	"                    [--seed S] [--print norm|shingles|sig|keys|jaccard] [--quiet] [-t]\n";

/* What one document comes to: its normalised text and shingle hashes. */
struct work {
	enum normalize_mode mode;
	char *text;
	size_t text_cap;
	uint64_t *hashes;
	size_t hashes_cap, n;
	uint64_t *sig, *keys;
};

static void put_hexes(struct outbuf *o, const uint64_t *v, size_t n)
{
	char s[20];
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(s, sizeof s, "%s%016llx", i ? " " : "", (unsigned long long)v[i]);
		outbuf_write(o, s, (size_t)k);
	}
	outbuf_putc(o, '\n');
}

/* Normalises doc into w->text; returns its length. */
static size_t normalize_doc(struct work *w, const char *doc, size_t len)
{
	size_t need = normalize_bound(len);
	if (need > w->text_cap) {
		w->text = xrealloc(w->text, need);
		w->text_cap = need;
	}
	return normalize(w->mode, doc, len, w->text);
}

/* Normalisation, shingles and (for sig and keys) the signature and band
 * keys of one document; returns the normalised text's length. */
static size_t sign_doc(const struct minhash_params *p, struct work *w, enum what what, const char *doc,
                     size_t len)
{
	size_t n = normalize_doc(w, doc, len);
	if (what == PRINT_NORM)
		return n;
	w->n = minhash_shingles(p->ngram, w->text, n, &w->hashes, &w->hashes_cap);
	if (what == PRINT_SHINGLES || what == PRINT_JACCARD)
		return n;
	minhash_signature(p, w->hashes, w->n, w->sig);
	minhash_band_keys(p, w->sig, w->keys);
	return n;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
	cli_init(argc, argv);
	enum { OPT_NORMALIZE = CLI_OPT_FIRST_PROGRAM_OPT, OPT_NGRAM, OPT_BANDS, OPT_ROWS, OPT_SEED, OPT_PRINT };
	static const struct option options[] = {
		{"normalize", required_argument, 0, OPT_NORMALIZE},
		{"ngram", required_argument, 0, OPT_NGRAM},
		{"bands", required_argument, 0, OPT_BANDS},
		{"rows", required_argument, 0, OPT_ROWS},
		{"seed", required_argument, 0, OPT_SEED},
		{"print", required_argument, 0, OPT_PRINT},
		CLI_COMMON_OPTIONS,
		{0, 0, 0, 0},
	};
	static const char *const names[] = {"norm", "shingles", "sig", "keys", "jaccard"};
	int sep = '\n', timed = 0, quiet = 0;
	uint64_t ngram = MINHASH_NGRAM, bands = MINHASH_BANDS, rows = MINHASH_ROWS, seed = 1;
	enum what what = PRINT_KEYS;
	struct work w = {.mode = NORMALIZE_LOWER_PUNCT};
	enum cli_progress progress;
	int opt;
	while ((opt = getopt_long(argc, argv, "zt" CLI_COMMON_SHORT, options, NULL)) != -1) {
		switch (opt) {
		case 'z':
			sep = '\0';
			break;
		case 't':
			timed = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case OPT_NORMALIZE: {
			int m = normalize_parse(optarg);
			if (m < 0)
				cli_usage_error("--normalize: unknown mode '%s'", optarg);
			w.mode = (enum normalize_mode)m;
			break;
		}
		case OPT_NGRAM:
			ngram = cli_parse_u64(optarg, "--ngram", 0);
			break;
		case OPT_BANDS:
			bands = cli_parse_u64(optarg, "--bands", 0);
			break;
		case OPT_ROWS:
			rows = cli_parse_u64(optarg, "--rows", 0);
			break;
		case OPT_SEED:
			seed = cli_parse_u64(optarg, "--seed", 0);
			break;
		case OPT_PRINT: {
			size_t i = 0;
			while (i < 5 && strcmp(optarg, names[i]))
				i++;
			if (i == 5)
				cli_usage_error("--print: unknown '%s'", optarg);
			what = (enum what)i;
			break;
		}
		default:
			cli_common(opt, usage, &progress);
		}
	}
	if (optind != argc)
		cli_usage_error("no operands");
	struct minhash_params p;
	char err[256];
	/* Out-of-range values reach the library's checks intact (up to its
	 * limit and one past, which it rejects). */
	if (minhash_params_init(&p, ngram > 1001 ? 1001 : (int)ngram, bands > 1025 ? 1025 : (int)bands,
	                        rows > 1025 ? 1025 : (int)rows, seed, err, sizeof err) < 0)
		die(STATUS_USAGE, "%s", err);
	w.sig = xmalloc(bands * rows * sizeof *w.sig);
	w.keys = xmalloc(bands * sizeof *w.keys);

	size_t len;
	char *data = io_read_file("/dev/stdin", &len);
	if (!data)
		die(STATUS_FAIL, "stdin:");
	/* The documents' starts and lengths. */
	size_t ndocs = 0, cap = 0, *starts = NULL, *lens = NULL;
	for (size_t i = 0; i < len;) {
		const char *end = memchr(data + i, sep, len - i);
		size_t n = end ? (size_t)(end - (data + i)) : len - i;
		if (ndocs == cap) {
			cap = cap ? 2 * cap : 1024;
			starts = xrealloc(starts, cap * sizeof *starts);
			lens = xrealloc(lens, cap * sizeof *lens);
		}
		starts[ndocs] = i;
		lens[ndocs++] = n;
		i += n + 1;
	}

	struct outbuf o;
	outbuf_init(&o, 1, "stdout", 1 << 16);
	if (timed || quiet) {
		double t0 = now();
		for (size_t d = 0; d < ndocs; d++)
			sign_doc(&p, &w, what, data + starts[d], lens[d]);
		double t = now() - t0;
		char line[128];
		int k = timed ? snprintf(line, sizeof line, "%.1f MB/s %.1f MB %.3f s\n", (double)len / 1e6 / t,
		                         (double)len / 1e6, t)
		              : snprintf(line, sizeof line, "%zu\n", ndocs);
		outbuf_write(&o, line, (size_t)k);
	} else if (what == PRINT_JACCARD) {
		uint64_t *first = NULL;
		size_t first_n = 0;
		for (size_t d = 0; d + 1 < ndocs; d += 2) {
			sign_doc(&p, &w, what, data + starts[d], lens[d]);
			first_n = minhash_set(w.hashes, w.n);
			first = xrealloc(first, (first_n ? first_n : 1) * sizeof *first);
			memcpy(first, w.hashes, first_n * sizeof *first);
			sign_doc(&p, &w, what, data + starts[d + 1], lens[d + 1]);
			size_t second_n = minhash_set(w.hashes, w.n);
			char line[128];
			int k = snprintf(line, sizeof line, "%zu %zu %.17g\n", first_n, second_n,
			                 minhash_jaccard(first, first_n, w.hashes, second_n));
			outbuf_write(&o, line, (size_t)k);
		}
		free(first);
	} else {
		for (size_t d = 0; d < ndocs; d++) {
			size_t n = sign_doc(&p, &w, what, data + starts[d], lens[d]);
			if (what == PRINT_NORM) {
				static const char digits[] = "0123456789abcdef";
				for (size_t i = 0; i < n; i++) {
					unsigned char c = (unsigned char)w.text[i];
					outbuf_putc(&o, digits[c >> 4]);
					outbuf_putc(&o, digits[c & 15]);
				}
				outbuf_putc(&o, '\n');
			} else if (what == PRINT_SHINGLES) {
				put_hexes(&o, w.hashes, w.n);
			} else {
				put_hexes(&o, what == PRINT_SIG ? w.sig : w.keys, what == PRINT_SIG ? bands * rows : bands);
			}
		}
	}
	outbuf_free(&o);
	minhash_params_free(&p);
	free(w.text);
	free(w.hashes);
	free(w.sig);
	free(w.keys);
	free(starts);
	free(lens);
	free(data);
	return 0;
}
