/* rec-pack - turn lines, JSON lines or whole files into a record stream. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cli.h"
#include "base/die.h"
#include "base/io.h"
#include "base/progress.h"
#include "net/sink.h"
#include "rec/rec.h"
#include "rec/recpack.h"

static const char usage[] =
	"Usage: rec-pack [OPTION]... [FILE]...\n"
	"Turn lines, JSON lines or whole files into a sluice record stream\n"
	"(sluice-rec(5)) on stdout.  With no FILE, or when FILE is -, read stdin.\n"
	"\n"
	"Input (default: each line is one text record, without its newline):\n"
	"  -z, --null                 lines end with NUL instead of newline\n"
	"  -J, --jsonl                each line is a JSON object; its text field\n"
	"                             becomes a text record\n"
	"      --field NAME           the text field (default: text)\n"
	"      --key-field NAME       the field that becomes the record key\n"
	"      --json                 keep whole objects: JSON-row records\n"
	"      --vector-field NAME    the field holding an array of numbers: vector records\n"
	"      --metadata-field NAME  the object stored with each vector\n"
	"  -f, --files                each FILE is one text record keyed by its path;\n"
	"                             directories are walked in sorted order\n"
	"\n"
	"Output:\n"
	"  -o, --output FILE          write FILE atomically instead of stdout\n"
	"      --progress             show a progress line on stderr even when it is not a terminal\n"
	"  -q, --quiet                no progress line\n"
	"  -h, --help                 show this help and exit\n"
	"      --version              show the version and exit\n"
	"\n"
	"Exit status: 0 ok, 1 I/O error, 2 usage, 7 input line over the frame limit,\n"
	"8 malformed input (bad JSON, missing field, wrong vector).  See rec-pack(1).\n";

enum {
	OPT_FIELD = CLI_OPT_FIRST_PROGRAM_OPT,
	OPT_KEY_FIELD,
	OPT_JSON,
	OPT_VECTOR_FIELD,
	OPT_METADATA_FIELD,
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"null", no_argument, 0, 'z'},
		{"jsonl", no_argument, 0, 'J'},
		{"field", required_argument, 0, OPT_FIELD},
		{"key-field", required_argument, 0, OPT_KEY_FIELD},
		{"json", no_argument, 0, OPT_JSON},
		{"vector-field", required_argument, 0, OPT_VECTOR_FIELD},
		{"metadata-field", required_argument, 0, OPT_METADATA_FIELD},
		{"files", no_argument, 0, 'f'},
		{"output", required_argument, 0, 'o'},
		CLI_COMMON_OPTIONS,
		{0, 0, 0, 0},
	};
	struct recpack p = {.in = RECPACK_IN_LINES, .out = RECPACK_OUT_TEXT, .delim = '\n', .field = "text",
	                 .argc = argc, .argv = argv};
	enum cli_progress progress = CLI_PROGRESS_AUTO;
	const char *output = NULL;
	static struct atomic_file output_file = {.fd = -1}; /* lives until exit: atomic_guard */
	int opt, json_opts = 0, json_rows = 0;
	cli_init(argc, argv);
	while ((opt = getopt_long(argc, argv, "zJfo:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &progress))
			continue;
		switch (opt) {
		case 'z': p.delim = '\0'; break;
		case 'J': p.in = RECPACK_IN_JSONL; break;
		case 'f': p.in = RECPACK_IN_FILES; break;
		case 'o': output = optarg; break;
		case OPT_FIELD: p.field = optarg; json_opts++; break;
		case OPT_KEY_FIELD: p.key_field = optarg; json_opts++; break;
		case OPT_JSON: p.out = RECPACK_OUT_JSON; json_rows = 1; json_opts++; break;
		case OPT_VECTOR_FIELD: p.vector_field = optarg; p.out = RECPACK_OUT_VECTOR; json_opts++; break;
		case OPT_METADATA_FIELD: p.metadata_field = optarg; json_opts++; break;
		default: cli_usage_error("unhandled option");
		}
	}
	if (json_opts && p.in != RECPACK_IN_JSONL)
		cli_usage_error("--field, --key-field, --json, --vector-field and --metadata-field need --jsonl");
	if (json_rows && p.vector_field)
		cli_usage_error("--json and --vector-field exclude each other");
	if (p.metadata_field && !p.vector_field)
		cli_usage_error("--metadata-field goes with --vector-field");
	if (p.in == RECPACK_IN_FILES && p.delim != '\n')
		cli_usage_error("--null does not apply to --files");
	if (p.in == RECPACK_IN_FILES && optind == argc)
		cli_usage_error("--files needs at least one FILE");

	int fd = 1;
	if (output) {
		if (sink_open(&output_file, output) != 0)
			die(STATUS_FAIL, "%s:", output);
		atomic_guard(&output_file);
		fd = output_file.fd;
		if (stat(output, &p.output_ids[0]) != 0)
			memset(&p.output_ids[0], 0, sizeof p.output_ids[0]);
		fstat(fd, &p.output_ids[1]);
	} else if (isatty(1)) {
		cli_usage_error("refusing to write binary records to a terminal (redirect stdout or use -o)");
	}
	p.w = rec_writer_fdopen(fd, output ? output : "<stdout>");
	int nin = argc - optind;
	progress_init(&p.progress, progress, io_total_size(nin, argv + optind));
	recpack_begin(&p);
	if (nin == 0) {
		recpack_input(&p, "-");
	} else {
		for (int i = optind; i < argc; i++)
			recpack_input(&p, argv[i]);
	}
	recpack_end(&p);
	progress_end(&p.progress);
	if (output && atomic_commit(&output_file) != 0)
		die(STATUS_FAIL, "%s:", output);
	return 0;
}
