/* wds-write - write record streams as WebDataset tar shards. */
#define _GNU_SOURCE
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cli.h"
#include "base/die.h"
#include "base/io.h"
#include "base/progress.h"
#include "wds/wdswrite.h"

static const char usage[] =
	"Usage: wds-write [OPTION]... PATTERN [FILE]...\n"
	"Write sluice record streams (sluice-rec(5)) or text lines as WebDataset tar\n"
	"shards named by PATTERN: out/train gives out/train-000000.tar, ...; a pattern\n"
	"with one %d or %06d (out/x-%04d.tar) is used as it is.  With no FILE, or when\n"
	"FILE is -, read stdin.  Each record is one sample: text -> KEY.txt, JSON row\n"
	"-> KEY.json, tokens -> KEY.bin, vector -> KEY.bin (+ KEY.json), sample\n"
	"records -> one member per part.\n"
	"\n"
	"  -c, --maxcount N        at most N samples per shard (default 100000)\n"
	"  -s, --maxsize BYTES     at most BYTES of tar per shard unless one sample is\n"
	"                          larger (default 3e9; k/M/G suffixes, 1.5e6 forms)\n"
	"  -z, --compress TYPE     none, gz or zstd (default none, or as PATTERN's\n"
	"                          .tar.gz, .tgz or .tar.zst extension says)\n"
	"      --level N           compression level\n"
	"      --start N           number of the first shard (default 0)\n"
	"      --keys record|index sample keys: the record's key, else the sample number\n"
	"                          (default record); index: always the sample number\n"
	"      --index FILE        write the wids shard index to FILE (default: PATTERN\n"
	"                          without its number, .json: out/train.json)\n"
	"      --no-index          write no index\n"
	"      --progress          show a progress line on stderr even when it is not a terminal\n"
	"  -q, --quiet             no progress line and no summary\n"
	"  -h, --help              show this help and exit\n"
	"      --version           show the version and exit\n"
	"\n"
	"Exit status: 0 ok, 1 I/O error, 2 usage, 3-8 bad record input as for rec-cat\n"
	"(8 also for a record that cannot be a sample: bad key or part name, batch).\n"
	"See wds-write(1).\n";

enum {
	OPT_LEVEL = CLI_OPT_FIRST_PROGRAM_OPT,
	OPT_START,
	OPT_KEYS,
	OPT_INDEX,
	OPT_NO_INDEX,
};

/* A byte count: an integer with an optional k/M/G/T suffix (powers of
 * 1024), or a decimal number with an exponent (3e9, 1.5e6) whose value is a
 * whole number, as Python users write webdataset's maxsize. */
static uint64_t parse_size(const char *arg, const char *option)
{
	if (!strpbrk(arg, ".eE"))
		return cli_parse_u64(arg, option, 1);
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	if (end == arg || *end || arg[0] < '0' || arg[0] > '9')
		cli_usage_error("%s: '%s' is not a number of bytes", option, arg);
	if (errno == ERANGE || !(v < 9.2e18))
		cli_usage_error("%s: '%s' is too large", option, arg);
	if (v != floor(v))
		cli_usage_error("%s: '%s' is not a whole number of bytes", option, arg);
	return (uint64_t)v;
}

static uint64_t parse_positive(const char *arg, const char *option, int allow_suffix)
{
	uint64_t v = allow_suffix ? parse_size(arg, option) : cli_parse_u64(arg, option, 0);
	if (v == 0)
		cli_usage_error("%s: must be at least 1", option);
	return v;
}
/* The flags that are not the writer's. */
struct args {
	enum cli_progress progress;
	const char *index;
	int compress_given, no_index;
};

static const struct option longopts[] = {
	{"maxcount", required_argument, 0, 'c'},
	{"maxsize", required_argument, 0, 's'},
	{"compress", required_argument, 0, 'z'},
	{"level", required_argument, 0, OPT_LEVEL},
	{"start", required_argument, 0, OPT_START},
	{"keys", required_argument, 0, OPT_KEYS},
	{"index", required_argument, 0, OPT_INDEX},
	{"no-index", no_argument, 0, OPT_NO_INDEX},
	CLI_COMMON_OPTIONS,
	{0, 0, 0, 0},
};

static void parse_options(int argc, char **argv, struct wds_write_opts *o, struct args *a)
{
	int opt;
	while ((opt = getopt_long(argc, argv, "c:s:z:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &a->progress))
			continue;
		switch (opt) {
		case 'c': o->maxcount = parse_positive(optarg, "--maxcount", 0); break;
		case 's': o->maxsize = parse_positive(optarg, "--maxsize", 1); break;
		case 'z':
			if (strcmp(optarg, "none") == 0)
				o->compress = WDS_NONE;
			else if (strcmp(optarg, "gz") == 0)
				o->compress = WDS_GZIP;
			else if (strcmp(optarg, "zstd") == 0)
				o->compress = WDS_ZSTD;
			else
				cli_usage_error("--compress: '%s' is not none, gz or zstd", optarg);
			a->compress_given = 1;
			break;
		case OPT_LEVEL: {
			uint64_t v = cli_parse_u64(optarg, "--level", 0);
			if (v > 99)
				cli_usage_error("--level: '%s' is out of range", optarg);
			o->level = (int)v;
			break;
		}
		case OPT_START: o->start = cli_parse_u64(optarg, "--start", 0); break;
		case OPT_KEYS:
			if (strcmp(optarg, "record") == 0)
				o->keys = WDS_KEYS_RECORD;
			else if (strcmp(optarg, "index") == 0)
				o->keys = WDS_KEYS_INDEX;
			else
				cli_usage_error("--keys: '%s' is not record or index", optarg);
			break;
		case OPT_INDEX: a->index = optarg; break;
		case OPT_NO_INDEX: a->no_index = 1; break;
		default: cli_usage_error("unhandled option");
		}
	}
}

int main(int argc, char **argv)
{
	/* live until exit: atomic_guard removes a partial shard on any error */
	static struct atomic_file shard_file = {.fd = -1}, index_file = {.fd = -1};
	struct wds_write_opts o = {.maxcount = 100000, .maxsize = 3000000000u, .level = -1,
	                           .shard_file = &shard_file, .index_file = &index_file};
	struct args a = {.progress = CLI_PROGRESS_AUTO};
	cli_init(argc, argv);
	/* Keys are UTF-8 to webdataset (Python str); in this locale libarchive
	 * stores them as such, not as pax "hdrcharset=BINARY" names, which GNU
	 * tar warns about.  Without it, they are still stored byte for byte. */
	setlocale(LC_CTYPE, "C.UTF-8");
	parse_options(argc, argv, &o, &a);
	if (optind == argc)
		cli_usage_error("no PATTERN for the shard names");
	if (a.index && a.no_index)
		cli_usage_error("--index and --no-index exclude each other");
	struct wds_pattern pattern;
	const char *bad = wds_pattern_parse(argv[optind], a.compress_given, &o.compress, &pattern);
	if (bad)
		cli_usage_error("%s", bad);
	if (o.level >= 0 && o.compress == WDS_NONE)
		cli_usage_error("--level needs a compression (--compress gz or zstd)");
	if (o.level >= 0 && !wds_level_ok(o.compress, o.level))
		cli_usage_error("--level: %d is not a level %s accepts", o.level,
		                o.compress == WDS_GZIP ? "gzip" : "zstd");
	o.pattern = &pattern;
	char *default_index = a.no_index || a.index ? NULL : wds_pattern_index(&pattern);
	o.index = a.no_index ? NULL : a.index ? a.index : default_index;

	char **inputs = argv + optind + 1;
	int nin = argc - optind - 1;
	struct progress pr;
	progress_init(&pr, a.progress, io_total_size(nin, inputs));
	struct wds_writer *w = wds_writer_new(&o);
	if (nin == 0)
		wds_write_input(w, "-", &pr);
	for (int i = 0; i < nin; i++)
		wds_write_input(w, inputs[i], &pr);
	struct wds_stats st;
	wds_writer_finish(w, &st);
	progress_end(&pr);
	if (a.progress != CLI_PROGRESS_OFF)
		fprintf(stderr, "%s: %llu sample%s in %llu shard%s (%llu bytes)\n", prog_name(),
		        (unsigned long long)st.samples, st.samples == 1 ? "" : "s",
		        (unsigned long long)st.shards, st.shards == 1 ? "" : "s",
		        (unsigned long long)st.bytes);
	wds_writer_free(w);
	wds_pattern_free(&pattern);
	free(default_index);
	return 0;
}
