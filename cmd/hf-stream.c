/* hf-stream - stream a dataset's rows (parquet, JSON lines, JSON, CSV, text;
 * files, directories laid out like Hugging Face dataset repos, globs) as
 * text or JSON-row records. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cli.h"
#include "base/die.h"
#include "base/io.h"
#include "base/progress.h"
#include "base/shard.h"
#include "formats/rows.h"
#include "hub/hfcache.h"
#include "hub/hfhub.h"
#include "hub/resolve.h"
#include "hub/rowstream.h"
#include "net/sink.h"
#include "rec/rec.h"

static const char usage[] =
	"Usage: hf-stream [OPTION]... SOURCE...\n"
	"Stream a dataset's rows as sluice records (sluice-rec(5)): text records\n"
	"from one field, or whole rows as JSON records.  SOURCE is a file, a\n"
	"directory (read like a Hugging Face dataset repository: README.md configs,\n"
	"else split names in file names), a glob, - for stdin, a Hub dataset:\n"
	"ORG/NAME[:CONFIG[:SPLIT]] or hf://datasets/ORG/NAME[@REVISION][/PATH-OR-GLOB],\n"
	"or a URL: s3://BUCKET/KEY or a glob of keys (s3://BUCKET/data/*.parquet),\n"
	"http:// or https://, with braces ({000..009}, {a,b}).  Parquet is read by\n"
	"byte ranges wherever the server serves them.\n"
	"\n"
	"Dataset:\n"
	"  -c, --config NAME      the configuration (default: the repository's default)\n"
	"  -s, --split NAME       the split (default: train)\n"
	"  -t, --type FORMAT      read files as parquet, jsonl, json, csv, tsv or txt\n"
	"                         (default: by extension, through .gz .zst .bz2 .xz .lz4)\n"
	"      --paragraphs       txt: one record per blank-line separated paragraph\n"
	"      --json-field NAME  json: the list field that holds the rows\n"
	"\n"
	"The Hub (HF_ENDPOINT, default https://huggingface.co):\n"
	"  -r, --revision REV     branch, tag or commit (default main)\n"
	"      --parquet-export   read the Hub's auto-converted parquet files\n"
	"      --download         fetch whole files into the cache, then read them\n"
	"      --offline          only the cache (also HF_HUB_OFFLINE=1)\n"
	"      --token-env NAME   take the token from $NAME (default: HF_TOKEN,\n"
	"                         HUGGING_FACE_HUB_TOKEN, $HF_HOME/token)\n"
	"      --timeout SECONDS  a request without progress for this long is retried\n"
	"                         (default 30)\n"
	"      --retries N        retries of a failed request (default 5)\n"
	"      --no-sign          s3://: send no credentials (a public bucket)\n"
	"  -v, --verbose          report the requests made on stderr\n"
	"\n"
	"Output:\n"
	"  -f, --field NAME[,NAME...]  the text field (default: text, else content,\n"
	"                         else the first string column); several names give JSON rows\n"
	"      --format FORMAT    text: text records (default); json: whole rows as JSON records\n"
	"  -k, --key-field NAME   the field that becomes each record's key\n"
	"  -n, --take N           stop after N records\n"
	"      --skip N           leave out the first N records\n"
	"      --shard I/N|auto   only shard I of N (0-based): by file when there are at\n"
	"                         least N files, else by row group, else by row; auto:\n"
	"                         this task's of a Slurm array or Indexed Job\n"
	"      --shuffle BUF      shuffle the file order and then rows through a buffer\n"
	"                         of BUF records\n"
	"      --seed S           the shuffle's seed (default 0)\n"
	"  -o, --output FILE      write FILE atomically instead of stdout\n"
	"\n"
	"Filters (on the text field):\n"
	"      --ascii-only       only texts that are pure ASCII\n"
	"      --min-chars N      only texts of at least N characters\n"
	"      --max-chars N      only texts of at most N characters\n"
	"      --where FIELD=VALUE  only rows whose FIELD is VALUE (repeatable)\n"
	"\n"
	"Inspection (print and exit):\n"
	"      --list-configs     the configurations\n"
	"      --list-splits      the splits of the configuration\n"
	"      --list-files       the files of the split\n"
	"      --info             columns and types, rows and row groups, per file\n"
	"\n"
	"      --progress         show a progress line on stderr even when it is not a terminal\n"
	"  -q, --quiet            no progress line\n"
	"  -h, --help             show this help and exit\n"
	"      --version          show the version and exit\n"
	"\n"
	"Exit status: 0 ok, 1 I/O error, 2 usage, 7 record over the frame limit,\n"
	"8 malformed input.  See hf-stream(1).\n";

enum {
	OPT_PARAGRAPHS = CLI_OPT_FIRST_PROGRAM_OPT,
	OPT_JSON_FIELD,
	OPT_FORMAT,
	OPT_SKIP,
	OPT_SHARD,
	OPT_SHUFFLE,
	OPT_SEED,
	OPT_ASCII_ONLY,
	OPT_MIN_CHARS,
	OPT_MAX_CHARS,
	OPT_WHERE,
	OPT_LIST_CONFIGS,
	OPT_LIST_SPLITS,
	OPT_LIST_FILES,
	OPT_INFO,
	OPT_PARQUET_EXPORT,
	OPT_DOWNLOAD,
	OPT_OFFLINE,
	OPT_TOKEN_ENV,
	OPT_TIMEOUT,
	OPT_RETRIES,
	OPT_NO_SIGN,
};

enum action { ACT_STREAM, ACT_LIST_CONFIGS, ACT_LIST_SPLITS, ACT_LIST_FILES, ACT_INFO };

/* What the command line asks for. */
struct args {
	struct hub_sources src;
	struct row_stream_opts rows;
	enum action action;
	enum cli_progress progress;
	const char *output, *token_env;
	int verbose;
};

static void args_free(struct args *a)
{
	hub_sources_free(&a->src);
	for (int i = 0; i < a->rows.nfields; i++)
		free(a->rows.fields[i]);
	free(a->rows.fields);
	free(a->rows.wheres);
}

/* The command line into a: ends the program on a usage error. */
static void parse_args(struct args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, 0, 'c'},
		{"split", required_argument, 0, 's'},
		{"type", required_argument, 0, 't'},
		{"paragraphs", no_argument, 0, OPT_PARAGRAPHS},
		{"json-field", required_argument, 0, OPT_JSON_FIELD},
		{"field", required_argument, 0, 'f'},
		{"format", required_argument, 0, OPT_FORMAT},
		{"key-field", required_argument, 0, 'k'},
		{"take", required_argument, 0, 'n'},
		{"skip", required_argument, 0, OPT_SKIP},
		{"shard", required_argument, 0, OPT_SHARD},
		{"shuffle", required_argument, 0, OPT_SHUFFLE},
		{"seed", required_argument, 0, OPT_SEED},
		{"output", required_argument, 0, 'o'},
		{"ascii-only", no_argument, 0, OPT_ASCII_ONLY},
		{"min-chars", required_argument, 0, OPT_MIN_CHARS},
		{"max-chars", required_argument, 0, OPT_MAX_CHARS},
		{"where", required_argument, 0, OPT_WHERE},
		{"list-configs", no_argument, 0, OPT_LIST_CONFIGS},
		{"list-splits", no_argument, 0, OPT_LIST_SPLITS},
		{"list-files", no_argument, 0, OPT_LIST_FILES},
		{"info", no_argument, 0, OPT_INFO},
		{"revision", required_argument, 0, 'r'},
		{"parquet-export", no_argument, 0, OPT_PARQUET_EXPORT},
		{"download", no_argument, 0, OPT_DOWNLOAD},
		{"offline", no_argument, 0, OPT_OFFLINE},
		{"token-env", required_argument, 0, OPT_TOKEN_ENV},
		{"timeout", required_argument, 0, OPT_TIMEOUT},
		{"retries", required_argument, 0, OPT_RETRIES},
		{"no-sign", no_argument, 0, OPT_NO_SIGN},
		{"verbose", no_argument, 0, 'v'},
		CLI_COMMON_OPTIONS,
		{0, 0, 0, 0},
	};
	struct hub_sources *src = &a->src;
	struct row_stream_opts *s = &a->rows;
	int opt, format_given = 0;
	const char *shard_arg = NULL;
	while ((opt = getopt_long(argc, argv, "c:s:t:f:k:n:o:r:v" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &a->progress))
			continue;
		switch (opt) {
		case 'c': src->config = optarg; break;
		case 's': src->split = optarg, src->split_given = 1; break;
		case 't':
			src->type = rows_format_from_name(optarg);
			if (src->type == FMT_UNKNOWN)
				cli_usage_error("--type: '%s' is not parquet, jsonl, json, csv, tsv or txt", optarg);
			break;
		case OPT_PARAGRAPHS: s->paragraphs = 1; break;
		case OPT_JSON_FIELD: s->json_field = optarg; break;
		case 'f':
			for (int i = 0; i < s->nfields; i++)
				free(s->fields[i]);
			free(s->fields);
			s->fields = cli_split_list(optarg, "--field", "field name", &s->nfields);
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "json") == 0)
				s->json_rows = 1;
			else if (strcmp(optarg, "text") != 0)
				cli_usage_error("--format: '%s' is not text or json", optarg);
			format_given = 1;
			break;
		case 'k': s->key_field = optarg; break;
		case 'n': s->take = cli_parse_u64(optarg, "--take", 0); s->taking = 1; break;
		case OPT_SKIP: s->skip = cli_parse_u64(optarg, "--skip", 0); break;
		case OPT_SHARD: shard_arg = optarg; break;
		case OPT_SHUFFLE:
			s->shuffle_buf = cli_parse_u64(optarg, "--shuffle", 1);
			if (s->shuffle_buf == 0)
				cli_usage_error("--shuffle: the buffer needs at least 1 record");
			s->shuffled = 1;
			break;
		case OPT_SEED: s->seed = cli_parse_u64(optarg, "--seed", 0); break;
		case 'o': a->output = optarg; break;
		case OPT_ASCII_ONLY: s->ascii_only = 1; break;
		case OPT_MIN_CHARS: s->min_chars = cli_parse_u64(optarg, "--min-chars", 1); break;
		case OPT_MAX_CHARS: s->max_chars = cli_parse_u64(optarg, "--max-chars", 1); break;
		case OPT_WHERE: {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg)
				cli_usage_error("--where: '%s' is not FIELD=VALUE", optarg);
			*eq = '\0';
			s->wheres = xrealloc(s->wheres, (size_t)(s->nwheres + 1) * sizeof *s->wheres);
			s->wheres[s->nwheres++] = (struct row_where){optarg, eq + 1};
			break;
		}
		case OPT_LIST_CONFIGS: a->action = ACT_LIST_CONFIGS; break;
		case OPT_LIST_SPLITS: a->action = ACT_LIST_SPLITS; break;
		case OPT_LIST_FILES: a->action = ACT_LIST_FILES; break;
		case OPT_INFO: a->action = ACT_INFO; break;
		case 'r':
			if (!hfcache_valid_revision(optarg))
				cli_usage_error("--revision: '%s' is not a revision", optarg);
			src->revision = optarg;
			break;
		case OPT_PARQUET_EXPORT: src->parquet_export = 1; break;
		case OPT_DOWNLOAD: src->hub_opts.download = true; break;
		case OPT_OFFLINE: src->hub_opts.offline = true; break;
		case OPT_TOKEN_ENV: a->token_env = optarg; break;
		case OPT_TIMEOUT: src->hub_opts.timeout = cli_parse_seconds(optarg, "--timeout"); break;
		case OPT_RETRIES: src->hub_opts.retries = cli_parse_retries(optarg, "--retries"); break;
		case OPT_NO_SIGN: src->no_sign = 1; break;
		case 'v': a->verbose = 1; break;
		default: cli_usage_error("unhandled option");
		}
	}
	if (optind == argc)
		cli_usage_error("no SOURCE given");
	if (s->nfields > 1) {
		if (format_given && !s->json_rows)
			cli_usage_error("several --field names make JSON rows; drop --format text");
		s->json_rows = 1;
	}
	if (s->min_chars > s->max_chars)
		cli_usage_error("--min-chars is larger than --max-chars");
	struct shard shard = shard_resolve(shard_arg);
	if (!shard_is_whole(shard)) {
		s->shard_i = shard.index;
		s->shard_n = shard.count;
		s->sharded = 1;
	}
	s->first_source = optind;
}

int main(int argc, char **argv)
{
	struct args a = {.src = {.split = "train", .hub_opts = {.retries = -1}},
	                 .rows = {.max_chars = UINT64_MAX, .argc = argc, .argv = argv}};
	struct hub_sources *src = &a.src;
	cli_init(argc, argv);
	parse_args(&a, argc, argv);

	if (hfhub_env_offline())
		src->hub_opts.offline = true;
	char *token = src->hub_opts.offline ? NULL : hfhub_find_token(a.token_env);
	if (a.token_env && !token && !src->hub_opts.offline)
		cli_usage_error("--token-env: $%s is not set", a.token_env);
	src->hub_opts.token = token;
	/* before the sources: resolving one may have a word to say */
	src->quiet = a.rows.quiet = a.progress == CLI_PROGRESS_OFF;
	src->listing = a.action == ACT_LIST_CONFIGS ? HUB_LIST_CONFIGS
	             : a.action == ACT_LIST_SPLITS  ? HUB_LIST_SPLITS
	                                            : HUB_LIST_NONE;
	for (int i = optind; i < argc && !src->answered; i++)
		hub_sources_add(src, argv[i]);
	if (src->answered) { /* a repository's configs or splits */
		if (src->answer.len)
			fwrite(src->answer.data, 1, src->answer.len, stdout);
		args_free(&a);
		return fflush(stdout) == 0 ? 0 : STATUS_FAIL;
	}
	/* Plain files and globs: one config, one split, as datasets sees them. */
	if (a.action == ACT_LIST_CONFIGS || a.action == ACT_LIST_SPLITS) {
		puts(a.action == ACT_LIST_CONFIGS ? "default" : src->split);
		args_free(&a);
		return fflush(stdout) == 0 ? 0 : STATUS_FAIL;
	}
	if (a.action == ACT_LIST_FILES) {
		for (size_t i = 0; i < src->ninputs; i++)
			printf("%s\t%s\t%llu\n", src->inputs[i].path, rows_format_name(src->inputs[i].fmt),
			       (unsigned long long)src->inputs[i].size);
		args_free(&a);
		return fflush(stdout) == 0 ? 0 : STATUS_FAIL;
	}
	if (a.action == ACT_INFO) {
		hub_sources_info(src, a.rows.paragraphs, a.rows.json_field);
		args_free(&a);
		return 0;
	}

	static struct atomic_file af = {.fd = -1}; /* lives until exit: atomic_guard */
	int fd = 1;
	if (a.output) {
		if (sink_open(&af, a.output) != 0)
			die(STATUS_FAIL, "%s:", a.output);
		atomic_guard(&af);
		fd = af.fd;
	} else if (isatty(1)) {
		cli_usage_error("refusing to write binary records to a terminal (redirect stdout, or use -o; rec-cat shows records)");
	}
	struct rec_writer *w = rec_writer_fdopen(fd, a.output ? a.output : "<stdout>");
	struct progress progress;
	progress_init(&progress, a.progress, 0);
	row_stream_run(&a.rows, src, w, &progress);
	rec_write_end(w);
	rec_writer_free(w);
	progress_end(&progress);
	if (a.output && atomic_commit(&af) != 0)
		die(STATUS_FAIL, "%s:", a.output);
	if (a.verbose)
		hub_sources_report(src);
	args_free(&a);
	free(token);
	return 0;
}
