/* rec-filter - keep the text or JSON-row records that pass quality filters,
 * language identification and predicates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cli.h"
#include "base/die.h"
#include "base/io.h"
#include "base/progress.h"
#include "base/shard.h"
#include "formats/where.h"
#include "net/sink.h"
#include "rec/rec.h"
#include "text/fasttext.h"
#include "text/quality.h"
#include "text/recfilter.h"

static const char usage[] =
	"Usage: rec-filter [OPTION]... [FILE]...\n"
	"Keep the text or JSON-row records of a sluice record stream (or plain text\n"
	"lines) that pass every chosen filter, unchanged and in order.  With no FILE,\n"
	"or when FILE is -, read stdin.\n"
	"\n"
	"Quality filters, with datatrove's rules and defaults (PARAMS: NAME=VALUE,...\n"
	"with datatrove's parameter names; see rec-filter(1)):\n"
	"      --gopher-repetition[=PARAMS]  duplicate lines, paragraphs and n-grams\n"
	"      --gopher-quality[=PARAMS]     word counts and lengths, symbols, bullets,\n"
	"                                    ellipses, alphabetic words, stop words\n"
	"      --c4[=PARAMS]           C4's line rules; may rewrite the text\n"
	"      --fineweb[=PARAMS]      line punctuation, short lines, duplicate lines,\n"
	"                              newlines per word\n"
	"\n"
	"Language identification (datatrove's LanguageFilter):\n"
	"      --lang-model FILE       a fastText model (.bin or quantized .ftz)\n"
	"      --lang LIST             keep these languages (comma-separated labels\n"
	"                              without __label__; default: any language)\n"
	"      --lang-threshold T      keep when a language scores above T (default 0.65)\n"
	"      --annotate              write \"language\" and \"language_score\" into JSON rows\n"
	"\n"
	"JSON rows:\n"
	"      --field NAME            the text field (default: text)\n"
	"      --where PRED            keep rows where PRED holds: FIELD=VALUE, FIELD!=VALUE,\n"
	"                              FIELD<N, FIELD<=N, FIELD>N, FIELD>=N (repeatable)\n"
	"\n"
	"Output:\n"
	"      --rejects FILE          write the dropped records to FILE as JSON rows\n"
	"                              naming the rule that dropped each (\"rejected_by\")\n"
	"  -n, --take N               stop after N kept records\n"
	"      --shard I/N|auto       only part I of N (0-based): every Nth file when there\n"
	"                             are at least N, else every Nth record; auto: this\n"
	"                             task's of a Slurm array or Indexed Job\n"
	"  -j, --threads N            threads (default: all cores)\n"
	"  -o, --output FILE          write FILE atomically instead of stdout\n"
	"      --progress             show a progress line on stderr even when it is not a terminal\n"
	"  -q, --quiet                no progress line\n"
	"  -h, --help                 show this help and exit\n"
	"      --version              show the version and exit\n"
	"\n"
	"Exit status: 0 ok, 1 I/O error or unreadable model, 2 usage, 3-7 a broken\n"
	"record stream (see sluice-rec(5)), 8 malformed record.  See rec-filter(1).\n";

enum {
	OPT_GOPHER_REPETITION = CLI_OPT_FIRST_PROGRAM_OPT,
	OPT_GOPHER_QUALITY,
	OPT_C4,
	OPT_FINEWEB,
	OPT_LANG_MODEL,
	OPT_LANG,
	OPT_LANG_THRESHOLD,
	OPT_ANNOTATE,
	OPT_FIELD,
	OPT_WHERE,
	OPT_REJECTS,
	OPT_SHARD,
};

static void open_output(const char *path, struct atomic_file *file, int *fd)
{
	if (sink_open(file, path) != 0)
		die(STATUS_FAIL, "%s:", path);
	atomic_guard(file);
	*fd = file->fd;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"gopher-repetition", optional_argument, 0, OPT_GOPHER_REPETITION},
		{"gopher-quality", optional_argument, 0, OPT_GOPHER_QUALITY},
		{"c4", optional_argument, 0, OPT_C4},
		{"fineweb", optional_argument, 0, OPT_FINEWEB},
		{"lang-model", required_argument, 0, OPT_LANG_MODEL},
		{"lang", required_argument, 0, OPT_LANG},
		{"lang-threshold", required_argument, 0, OPT_LANG_THRESHOLD},
		{"annotate", no_argument, 0, OPT_ANNOTATE},
		{"field", required_argument, 0, OPT_FIELD},
		{"where", required_argument, 0, OPT_WHERE},
		{"rejects", required_argument, 0, OPT_REJECTS},
		{"shard", required_argument, 0, OPT_SHARD},
		{"take", required_argument, 0, 'n'},
		{"threads", required_argument, 0, 'j'},
		{"output", required_argument, 0, 'o'},
		CLI_COMMON_OPTIONS,
		{0, 0, 0, 0},
	};
	struct recfilter_opts o = {.field = "text", .lang_threshold = 0.65f, .threads = cli_cpu_count(),
	                           .argc = argc, .argv = argv};
	static struct quality_opts quality;
	static struct atomic_file output_file = {.fd = -1}, rejects_file = {.fd = -1}; /* atomic_guard */
	enum cli_progress progress_mode = CLI_PROGRESS_AUTO;
	const char *output = NULL, *rejects_path = NULL, *model_path = NULL, *shard_arg = NULL;
	char err[512];
	int opt, any_quality = 0;
	quality_opts_init(&quality);
	o.wheres = xcalloc((size_t)argc, sizeof *o.wheres);
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "n:j:o:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &progress_mode))
			continue;
		switch (opt) {
		case OPT_GOPHER_REPETITION:
		case OPT_GOPHER_QUALITY:
		case OPT_C4:
		case OPT_FINEWEB: {
			static const char *const names[] = {"gopher-repetition", "gopher-quality", "c4", "fineweb"};
			if (quality_enable(&quality, names[opt - OPT_GOPHER_REPETITION], optarg, err, sizeof err) < 0)
				cli_usage_error("%s", err);
			any_quality = 1;
			break;
		}
		case OPT_LANG_MODEL: model_path = optarg; break;
		case OPT_LANG: o.langs = cli_split_list(optarg, "--lang", "language", &o.nlangs); break;
		case OPT_LANG_THRESHOLD: o.lang_threshold = (float)cli_parse_fraction(optarg, "--lang-threshold"); break;
		case OPT_ANNOTATE: o.annotate = true; break;
		case OPT_FIELD: o.field = optarg; break;
		case OPT_WHERE:
			if (where_parse(optarg, &o.wheres[o.nwheres], err, sizeof err) < 0)
				cli_usage_error("%s", err);
			o.nwheres++;
			break;
		case OPT_REJECTS: rejects_path = optarg; break;
		case OPT_SHARD: shard_arg = optarg; break;
		case 'n': o.take = cli_parse_u64(optarg, "--take", 1), o.taking = true; break;
		case 'j': o.threads = cli_parse_threads(optarg); break;
		case 'o': output = optarg; break;
		default: cli_usage_error("unhandled option");
		}
	}
	if ((o.nlangs || o.annotate) && !model_path)
		cli_usage_error("--lang and --annotate need --lang-model");
	if (any_quality)
		o.quality = &quality;
	o.shard = shard_resolve(shard_arg);

	struct ft_model *model = NULL;
	if (model_path && !(model = ft_load(model_path, err, sizeof err)))
		die(STATUS_FAIL, "%s", err);
	o.lang_model = model;

	int fd = 1, rejects_fd = -1;
	if (output)
		open_output(output, &output_file, &fd);
	else if (isatty(1))
		cli_usage_error("refusing to write binary records to a terminal (redirect stdout or use -o)");
	if (rejects_path)
		open_output(rejects_path, &rejects_file, &rejects_fd);
	struct rec_writer *w = rec_writer_fdopen(fd, output ? output : "<stdout>");
	struct rec_writer *rejects = rejects_path ? rec_writer_fdopen(rejects_fd, rejects_path) : NULL;

	int nin = argc - optind;
	struct progress progress;
	progress_init(&progress, progress_mode, io_total_size(nin, argv + optind));
	recfilter_run(&o, nin, argv + optind, w, rejects, &progress);
	progress_end(&progress);
	rec_writer_free(w);
	if (rejects)
		rec_writer_free(rejects);
	if (rejects_path && atomic_commit(&rejects_file) != 0)
		die(STATUS_FAIL, "%s:", rejects_path);
	if (output && atomic_commit(&output_file) != 0)
		die(STATUS_FAIL, "%s:", output);
	ft_free(model);
	for (int i = 0; i < o.nwheres; i++)
		where_free(&o.wheres[i]);
	free(o.wheres);
	for (int i = 0; i < o.nlangs; i++)
		free(o.langs[i]);
	free(o.langs);
	return 0;
}
