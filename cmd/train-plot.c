/* train-plot - train-step's metrics JSONL into a PNG loss curve, drawn by
 * gnuplot.  The logs are read whole first (so bad input leaves nothing
 * behind), then one gnuplot script with the points inline as datablocks is
 * either printed (--script) or piped to gnuplot (train/plot.h). */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cli.h"
#include "base/die.h"
#include "base/io.h"
#include "base/progress.h"
#include "train/metrics.h"
#include "train/plot.h"

static const char usage[] =
	"Usage: train-plot [OPTION]... LOG.jsonl...\n"
	"Draw the training loss (and the validation loss, where the log has it) of\n"
	"the metrics logs that train-step writes against the step, as a PNG made\n"
	"by gnuplot.  Several logs are several runs on one plot; LOG - is stdin.\n"
	"\n"
	"Plot:\n"
	"      --label TEXT         the legend of the next run (repeatable; default:\n"
	"                           the LOG name as given)\n"
	"      --smooth N           also draw the trailing mean of the last N training\n"
	"                           losses, the raw curve faint behind it\n"
	"      --logy               logarithmic loss axis\n"
	"      --title TEXT         a title above the plot\n"
	"      --size W,H           the image in pixels (default 900,540)\n"
	"\n"
	"Output:\n"
	"  -o, --output FILE        write the PNG to FILE atomically (default loss.png;\n"
	"                           - is stdout)\n"
	"      --script             print the gnuplot script, data inline, on stdout\n"
	"                           instead of running gnuplot\n"
	"      --progress           show a progress line on stderr even when it is not a terminal\n"
	"  -q, --quiet              no progress line\n"
	"  -h, --help               show this help and exit\n"
	"      --version            show the version and exit\n"
	"\n"
	"Exit status: 0 ok, 1 I/O error or gnuplot missing or failing, 2 usage,\n"
	"8 malformed log: a line that is not a JSON object, a record without a\n"
	"numeric step or with a loss that is not a number, a log without step\n"
	"records.  See train-plot(1).\n";

enum {
	OPT_LABEL = CLI_OPT_FIRST_PROGRAM_OPT,
	OPT_SMOOTH,
	OPT_LOGY,
	OPT_TITLE,
	OPT_SIZE,
	OPT_SCRIPT,
};

static void parse_size(const char *arg, unsigned *w, unsigned *h)
{
	char *end;
	errno = 0;
	unsigned long a = strtoul(arg, &end, 10), b = 0;
	bool ok = isdigit((unsigned char)*arg) && *end == ',' && !errno;
	if (ok) {
		const char *q = end + 1;
		b = strtoul(q, &end, 10);
		ok = isdigit((unsigned char)*q) && !*end && !errno;
	}
	if (!ok || a < 16 || b < 16 || a > 16384 || b > 16384)
		cli_usage_error("--size: '%s' is not W,H in pixels, each from 16 to 16384", arg);
	*w = (unsigned)a;
	*h = (unsigned)b;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"label", required_argument, 0, OPT_LABEL},
		{"smooth", required_argument, 0, OPT_SMOOTH},
		{"logy", no_argument, 0, OPT_LOGY},
		{"title", required_argument, 0, OPT_TITLE},
		{"size", required_argument, 0, OPT_SIZE},
		{"output", required_argument, 0, 'o'},
		{"script", no_argument, 0, OPT_SCRIPT},
		CLI_COMMON_OPTIONS,
		{0, 0, 0, 0},
	};
	cli_init(argc, argv);
	struct plot p = {.width = 900, .height = 540};
	const char *output = "loss.png";
	bool script_only = false;
	enum cli_progress progress = CLI_PROGRESS_AUTO;
	const char **labels = xmalloc((size_t)argc * sizeof *labels);
	size_t n_labels = 0;
	int opt;
	while ((opt = getopt_long(argc, argv, "o:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &progress))
			continue;
		switch (opt) {
		case OPT_LABEL: labels[n_labels++] = optarg; break;
		case OPT_SMOOTH:
			p.smooth = cli_parse_u64(optarg, "--smooth", 0);
			if (p.smooth < 1 || p.smooth > 1u << 30)
				cli_usage_error("--smooth must be from 1 to 1073741824");
			break;
		case OPT_LOGY: p.logy = true; break;
		case OPT_TITLE: p.title = optarg; break;
		case OPT_SIZE: parse_size(optarg, &p.width, &p.height); break;
		case 'o': output = optarg; break;
		case OPT_SCRIPT: script_only = true; break;
		default: cli_usage_error("unhandled option");
		}
	}
	int nin = argc - optind;
	if (nin < 1)
		cli_usage_error("no LOG: give train-step's --log file(s)");
	if (n_labels > (size_t)nin)
		cli_usage_error("%zu --label for %d LOG%s", n_labels, nin, nin == 1 ? "" : "s");
	int n_stdin = 0;
	for (int i = 0; i < nin; i++)
		n_stdin += strcmp(argv[optind + i], "-") == 0;
	if (n_stdin > 1)
		cli_usage_error("standard input (-) can be read only once");
	bool to_stdout = strcmp(output, "-") == 0;
	if (!*output)
		cli_usage_error("-o: an empty file name");
	for (const char *c = output; *c; c++)
		if ((unsigned char)*c < 0x20)
			cli_usage_error("-o: a file name with a control character cannot be given to gnuplot");
	if (to_stdout && !script_only && isatty(1))
		cli_usage_error("refusing to write a PNG to a terminal (redirect stdout or use -o)");

	struct metrics_log *runs = xcalloc((size_t)nin, sizeof *runs);
	struct progress pr;
	progress_init(&pr, progress, io_total_size(nin, argv + optind));
	for (int i = 0; i < nin; i++) {
		struct metrics_log *r = &runs[i];
		r->path = argv[optind + i];
		r->label = (size_t)i < n_labels ? labels[i] : strcmp(r->path, "-") == 0 ? "stdin" : r->path;
		metrics_read(r, &pr);
		if (p.smooth)
			metrics_smooth(r, p.smooth);
	}
	progress_end(&pr);
	p.runs = runs;
	p.n_runs = (size_t)nin;
	struct atomic_file af;
	plot_write(&p, output, script_only, &af);
	for (int i = 0; i < nin; i++)
		metrics_free(&runs[i]);
	free(runs);
	free(labels);
	/* exit, not return: af, which atomic_guard watches until the end,
	 * lives in this frame. */
	exit(0);
}
