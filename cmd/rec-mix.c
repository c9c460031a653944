/* rec-mix - interleave several record streams into one, in the order of
 * Hugging Face datasets.interleave_datasets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cli.h"
#include "base/die.h"
#include "base/io.h"
#include "base/progress.h"
#include "net/sink.h"
#include "rec/rec.h"
#include "rec/recmix.h"

static const char usage[] =
	"Usage: rec-mix [OPTION]... INPUT...\n"
	"Interleave the records of several sluice record streams (sluice-rec(5)) into\n"
	"one on stdout, in the order Hugging Face datasets.interleave_datasets gives for\n"
	"the same probabilities, seed and stopping strategy.  INPUT - is stdin.\n"
	"\n"
	"  -p, --probabilities P1,P2,...\n"
	"                      draw each record's input with these probabilities, one\n"
	"                      per INPUT, summing to 1 (default: the inputs take turns)\n"
	"      --seed S        seed of the draws, as numpy's default_rng(S) (default 0)\n"
	"      --stop first_exhausted|all_exhausted\n"
	"                      end when the first input runs out (default), or when\n"
	"                      every input has run out at least once, reading those that\n"
	"                      ran out again from their start (files only)\n"
	"  -n, --take N        stop after N records\n"
	"  -o, --output FILE   write FILE atomically instead of stdout\n"
	"      --progress      show a progress line on stderr even when it is not a terminal\n"
	"  -q, --quiet         no progress line\n"
	"  -h, --help          show this help and exit\n"
	"      --version       show the version and exit\n"
	"\n"
	"The header lists every input's header; the trailer counts the records taken\n"
	"from each input, as rec-cat(1) shows with -s.\n"
	"\n"
	"Exit status: 0 ok, 1 I/O error, 2 usage, 3 to 7 a damaged input (as rec-cat),\n"
	"8 malformed input or inputs of different kinds.  See rec-mix(1).\n";

enum {
	OPT_SEED = CLI_OPT_FIRST_PROGRAM_OPT,
	OPT_STOP,
};

/* "P1,P2,...": one probability per input; numpy's checks come after. */
static double *parse_probabilities(const char *arg, int n_inputs)
{
	int n = 1;
	for (const char *c = arg; *c; c++)
		n += *c == ',';
	if (n != n_inputs)
		cli_usage_error("--probabilities: %d value%s for %d input%s", n, n == 1 ? "" : "s", n_inputs,
		                n_inputs == 1 ? "" : "s");
	double *p = xcalloc((size_t)n, sizeof *p);
	const char *s = arg;
	for (int i = 0; i < n; i++) {
		size_t len = strcspn(s, ",");
		char *end;
		p[i] = strtod(s, &end);
		if (len == 0 || end != s + len)
			cli_usage_error("--probabilities: '%.*s' is not a number", (int)len, s);
		s += len + 1;
	}
	return p;
}

static enum recmix_stop parse_stop(const char *arg)
{
	if (strcmp(arg, "first_exhausted") == 0)
		return RECMIX_FIRST_EXHAUSTED;
	if (strcmp(arg, "all_exhausted") == 0)
		return RECMIX_ALL_EXHAUSTED;
	cli_usage_error("--stop: '%s' is neither first_exhausted nor all_exhausted", arg);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"probabilities", required_argument, 0, 'p'},
		{"seed", required_argument, 0, OPT_SEED},
		{"stop", required_argument, 0, OPT_STOP},
		{"take", required_argument, 0, 'n'},
		{"output", required_argument, 0, 'o'},
		CLI_COMMON_OPTIONS,
		{0, 0, 0, 0},
	};
	struct recmix_options o = {.stop = RECMIX_FIRST_EXHAUSTED, .argc = argc, .argv = argv};
	enum cli_progress progress_mode = CLI_PROGRESS_AUTO;
	const char *probabilities = NULL, *output = NULL;
	static struct atomic_file output_file = {.fd = -1}; /* lives until exit: atomic_guard */
	int opt, seeded = 0;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "p:n:o:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &progress_mode))
			continue;
		switch (opt) {
		case 'p': probabilities = optarg; break;
		case OPT_SEED: o.seed = cli_parse_u64(optarg, "--seed", 0); seeded = 1; break;
		case OPT_STOP: o.stop = parse_stop(optarg); break;
		case 'n': o.take = cli_parse_u64(optarg, "--take", 0); o.taking = 1; break;
		case 'o': output = optarg; break;
		default: cli_usage_error("unhandled option");
		}
	}
	int n = argc - optind;
	char **inputs = argv + optind;
	if (n == 0)
		cli_usage_error("no INPUT: name the record streams to mix");
	if (seeded && !probabilities)
		cli_usage_error("--seed goes with --probabilities (without them the inputs take turns)");
	double *p = probabilities ? parse_probabilities(probabilities, n) : NULL;
	o.probabilities = p;
	char err[1024];
	if (recmix_check(&o, n, err, sizeof err) != 0)
		cli_usage_error("%s", err);

	int fd = 1;
	if (output) {
		if (sink_open(&output_file, output) != 0)
			die(STATUS_FAIL, "%s:", output);
		atomic_guard(&output_file);
		fd = output_file.fd;
	} else if (isatty(1)) {
		cli_usage_error("refusing to write binary records to a terminal (redirect stdout or use -o)");
	}
	struct rec_writer *w = rec_writer_fdopen(fd, output ? output : "<stdout>");
	/* Inputs read again make the bytes read no measure of the work left. */
	struct progress progress;
	progress_init(&progress, progress_mode, o.stop == RECMIX_FIRST_EXHAUSTED ? io_total_size(n, inputs) : 0);
	o.progress = &progress;
	int status = recmix_run(w, inputs, n, &o, err, sizeof err);
	if (status == STATUS_USAGE)
		cli_usage_error("%s", err);
	if (status)
		die(status, "%s", err);
	rec_writer_free(w);
	progress_end(&progress);
	if (output && atomic_commit(&output_file) != 0)
		die(STATUS_FAIL, "%s:", output);
	free(p);
	return 0;
}
