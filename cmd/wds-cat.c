/* wds-cat - read WebDataset tar shards and write their samples as records. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/braces.h"
#include "base/buf.h"
#include "base/cli.h"
#include "base/die.h"
#include "base/io.h"
#include "base/progress.h"
#include "base/shard.h"
#include "hub/hfhub.h"
#include "net/http.h"
#include "net/sink.h"
#include "rec/header.h"
#include "rec/rec.h"
#include "wds/shardorder.h"
#include "wds/shardsrc.h"
#include "wds/wdscat.h"

static const char usage[] =
	"Usage: wds-cat [OPTION]... PATTERN...\n"
	"Read WebDataset tar shards and write their samples as sluice records\n"
	"(sluice-rec(5)).  A PATTERN names shards: a path, an http:// or https://\n"
	"URL (streamed, never downloaded whole), an s3://BUCKET/KEY object or glob\n"
	"(s3://BUCKET/shards/*.tar; credentials, region and endpoint as aws reads\n"
	"them), pipe:COMMAND (the command's output), or - (stdin); brace ranges\n"
	"and lists expand as webdataset's do (shard-{000000..000099}.tar,\n"
	"{train,val}-{0..3}.tar) and :: joins lists.\n"
	"Shards are tar files, plain or compressed with gzip, zstd, bzip2 or xz.\n"
	"\n"
	"Samples are consecutive members that share a key: the member's path up to\n"
	"the first dot of its base name.  The rest of the name, lower-cased, names\n"
	"the part.  Members without a dot in the base name, hidden files, __*__\n"
	"names and entries that are not regular files are skipped.\n"
	"\n"
	"Selecting and output:\n"
	"  -k, --key EXTS         keep only these parts: a comma list of extensions,\n"
	"                         each possibly a;b alternatives (the first present\n"
	"                         wins); a sample that lacks one is an error\n"
	"  -d, --decode MODE      auto (default): one selected part gives text\n"
	"                         records, several give sample records; text: as auto,\n"
	"                         and every selected part must be UTF-8; bytes: sample\n"
	"                         records always, parts untouched\n"
	"  -f, --format FORMAT    records (default), or json: one JSON row per sample\n"
	"                         holding __key__, __url__, the members of its .json\n"
	"                         part, and each other part under its extension\n"
	"  -n, --take N           stop after N samples (all epochs together)\n"
	"  -o, --output FILE      write FILE atomically instead of stdout\n"
	"\n"
	"Order and sharding:\n"
	"      --shard I/N|auto   only shards I, I+N, I+2N... (0-based) of the list,\n"
	"                         after --shard-shuffle; with fewer than N shards,\n"
	"                         samples I, I+N...; auto: this task's of a job array\n"
	"      --shard-shuffle    shuffle the shard list, anew each epoch\n"
	"      --shuffle N        shuffle samples through a buffer of N\n"
	"      --shuffle-initial N  start once the buffer holds N samples (default\n"
	"                         100, or N of --shuffle if smaller)\n"
	"      --seed S           seed of every shuffle and of --resampled (default 0)\n"
	"      --resampled        draw shards at random with replacement, forever\n"
	"                         (pair it with --take)\n"
	"      --epochs N         read the shards N times (default 1)\n"
	"      --list             print the shards in the order they would be read\n"
	"                         and exit (with --resampled, --take of them)\n"
	"\n"
	"Errors and the network:\n"
	"      --on-error MODE    fail (default): stop at a bad shard or sample,\n"
	"                         naming shard, member and offset; warn: report it,\n"
	"                         drop what was lost and go on with the next shard;\n"
	"                         skip: the same without the report\n"
	"      --timeout SECONDS  HTTP: a request without progress for this long is\n"
	"                         retried (default 30)\n"
	"      --retries N        HTTP: retries of a failed request (default 5)\n"
	"      --no-sign          s3://: send no credentials (a public bucket)\n"
	"  -v, --verbose          a summary on stderr at the end: shards, samples,\n"
	"                         bytes, losses, HTTP requests\n"
	"\n"
	"      --progress         show a progress line on stderr even when it is not a terminal\n"
	"  -q, --quiet            no progress line\n"
	"  -h, --help             show this help and exit\n"
	"      --version          show the version and exit\n"
	"\n"
	"Exit status: 0 ok, 1 I/O error or bad shard, 2 usage.  See wds-cat(1).\n";

enum {
	OPT_SHARD = CLI_OPT_FIRST_PROGRAM_OPT,
	OPT_SHARD_SHUFFLE,
	OPT_SHUFFLE,
	OPT_SHUFFLE_INITIAL,
	OPT_SEED,
	OPT_RESAMPLED,
	OPT_EPOCHS,
	OPT_LIST,
	OPT_ON_ERROR,
	OPT_TIMEOUT,
	OPT_RETRIES,
	OPT_NO_SIGN,
};

/* What the command line asks for. */
struct args {
	struct wds_cat_opts cat;
	char **shards;
	size_t nshards;
	const char *shard_arg;
	uint64_t epochs;
	int shard_shuffle, resampled, list;
	const char *output;
	enum cli_progress progress;
};

static void add_pattern(struct args *c, const char *pattern)
{
	char **names, err[256];
	size_t n;
	if (braces_expand(pattern, &names, &n, err, sizeof err) < 0)
		cli_usage_error("'%s': %s", pattern, err);
	if (c->nshards + n > BRACES_MAX)
		cli_usage_error("over %d shards", BRACES_MAX);
	c->shards = xrealloc(c->shards, (c->nshards + n + 1) * sizeof *c->shards);
	memcpy(c->shards + c->nshards, names, n * sizeof *names);
	c->nshards += n;
	free(names); /* the names themselves now belong to c->shards */
}

static void args_free(struct args *a)
{
	wds_cat_opts_free(&a->cat);
	for (size_t i = 0; i < a->nshards; i++)
		free(a->shards[i]);
	free(a->shards);
}

/* The command line into a: ends the program on a usage error. */
static void parse_args(struct args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"key", required_argument, 0, 'k'},
		{"decode", required_argument, 0, 'd'},
		{"format", required_argument, 0, 'f'},
		{"take", required_argument, 0, 'n'},
		{"output", required_argument, 0, 'o'},
		{"shard", required_argument, 0, OPT_SHARD},
		{"shard-shuffle", no_argument, 0, OPT_SHARD_SHUFFLE},
		{"shuffle", required_argument, 0, OPT_SHUFFLE},
		{"shuffle-initial", required_argument, 0, OPT_SHUFFLE_INITIAL},
		{"seed", required_argument, 0, OPT_SEED},
		{"resampled", no_argument, 0, OPT_RESAMPLED},
		{"epochs", required_argument, 0, OPT_EPOCHS},
		{"list", no_argument, 0, OPT_LIST},
		{"on-error", required_argument, 0, OPT_ON_ERROR},
		{"timeout", required_argument, 0, OPT_TIMEOUT},
		{"retries", required_argument, 0, OPT_RETRIES},
		{"no-sign", no_argument, 0, OPT_NO_SIGN},
		{"verbose", no_argument, 0, 'v'},
		CLI_COMMON_OPTIONS,
		{0, 0, 0, 0},
	};
	struct wds_cat_opts *c = &a->cat;
	int opt, initial_given = 0;
	char err[1024];
	while ((opt = getopt_long(argc, argv, "k:d:f:n:o:v" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &a->progress))
			continue;
		switch (opt) {
		case 'k':
			if (c->keys)
				cli_usage_error("--key given twice; list the extensions in one --key");
			if (wds_cat_parse_keys(c, optarg, err, sizeof err) < 0)
				cli_usage_error("%s", err);
			break;
		case 'd':
			if (strcmp(optarg, "auto") == 0)
				c->decode = WDS_DECODE_AUTO;
			else if (strcmp(optarg, "text") == 0)
				c->decode = WDS_DECODE_TEXT;
			else if (strcmp(optarg, "bytes") == 0)
				c->decode = WDS_DECODE_BYTES;
			else
				cli_usage_error("--decode: '%s' is not auto, text or bytes", optarg);
			break;
		case 'f':
			if (strcmp(optarg, "json") == 0)
				c->output = WDS_OUT_JSON;
			else if (strcmp(optarg, "records") == 0)
				c->output = WDS_OUT_SAMPLE;
			else
				cli_usage_error("--format: '%s' is not records or json", optarg);
			break;
		case 'n': c->take = cli_parse_u64(optarg, "--take", 0); c->taking = 1; break;
		case 'o': a->output = optarg; break;
		case OPT_SHARD: a->shard_arg = optarg; break;
		case OPT_SHARD_SHUFFLE: a->shard_shuffle = 1; break;
		case OPT_SHUFFLE:
			c->shuffle_buf = cli_parse_u64(optarg, "--shuffle", 1);
			if (c->shuffle_buf == 0)
				cli_usage_error("--shuffle: the buffer needs at least 1 sample");
			break;
		case OPT_SHUFFLE_INITIAL:
			c->shuffle_initial = cli_parse_u64(optarg, "--shuffle-initial", 1);
			if (c->shuffle_initial == 0)
				cli_usage_error("--shuffle-initial: needs at least 1 sample");
			initial_given = 1;
			break;
		case OPT_SEED: c->seed = cli_parse_u64(optarg, "--seed", 0); break;
		case OPT_RESAMPLED: a->resampled = 1; break;
		case OPT_EPOCHS:
			a->epochs = cli_parse_u64(optarg, "--epochs", 0);
			if (a->epochs == 0)
				cli_usage_error("--epochs: needs at least 1");
			break;
		case OPT_LIST: a->list = 1; break;
		case OPT_ON_ERROR:
			if (strcmp(optarg, "fail") == 0)
				c->on_error = WDS_ON_ERROR_FAIL;
			else if (strcmp(optarg, "warn") == 0)
				c->on_error = WDS_ON_ERROR_WARN;
			else if (strcmp(optarg, "skip") == 0)
				c->on_error = WDS_ON_ERROR_SKIP;
			else
				cli_usage_error("--on-error: '%s' is not fail, warn or skip", optarg);
			break;
		case OPT_TIMEOUT: c->http_opts.timeout = cli_parse_seconds(optarg, "--timeout"); break;
		case OPT_RETRIES: c->http_opts.retries = cli_parse_retries(optarg, "--retries"); break;
		case OPT_NO_SIGN: c->no_sign = 1; break;
		case 'v': c->verbose = 1; break;
		default: cli_usage_error("unhandled option");
		}
	}
	if (optind == argc)
		cli_usage_error("no PATTERN given");
	for (int i = optind; i < argc; i++)
		add_pattern(a, argv[i]);
	struct s3_opts so = {.no_sign = a->cat.no_sign, .timeout = a->cat.http_opts.timeout,
	                     .retries = a->cat.http_opts.retries};
	if (shardsrc_expand_s3(&a->shards, &a->nshards, &so, err, sizeof err) != 0)
		die(STATUS_FAIL, "%s", err);
	if (a->nshards == 0)
		cli_usage_error("the patterns name no shard");
	size_t stdin_uses = 0;
	for (size_t i = 0; i < a->nshards; i++)
		stdin_uses += strcmp(a->shards[i], "-") == 0;
	if (stdin_uses && (stdin_uses > 1 || a->epochs > 1 || a->resampled))
		cli_usage_error("stdin (-) can be read only once");
	if (initial_given && !c->shuffle_buf)
		cli_usage_error("--shuffle-initial needs --shuffle");
	if (c->output == WDS_OUT_SAMPLE && c->nkeys == 1 && c->decode != WDS_DECODE_BYTES)
		c->output = WDS_OUT_TEXT;
	if (c->output == WDS_OUT_JSON && c->decode == WDS_DECODE_BYTES)
		cli_usage_error("--format json decodes parts; drop --decode bytes");
}

/* --list: the shards in reading order on stdout. */
static void list_shards(const struct args *a, struct shard_order *order)
{
	if (a->resampled && !a->cat.taking)
		cli_usage_error("--list --resampled needs --take (the draws never end)");
	struct outbuf o;
	outbuf_init(&o, STDOUT_FILENO, "<stdout>", 1 << 16);
	size_t index;
	for (uint64_t k = 0; (!a->resampled || k < a->cat.take) && shard_order_next(order, &index, NULL); k++) {
		outbuf_write(&o, a->shards[index], strlen(a->shards[index]));
		outbuf_putc(&o, '\n');
	}
	outbuf_free(&o);
}

int main(int argc, char **argv)
{
	struct args a = {.epochs = 1, .cat = {.shuffle_initial = 100, .http_opts = {.retries = -1}}};
	cli_init(argc, argv);
	parse_args(&a, argc, argv);

	/* With at least as many shards as parts, each part reads its own
	 * shards (webdataset's split by node); with fewer, every part reads
	 * them all and keeps every Nth sample, so that still each sample is
	 * read once.  Resampling draws shards forever, so there it is always
	 * by shard. */
	struct shard shard = shard_resolve(a.shard_arg);
	uint32_t rank = 0, nranks = 1;
	if (shard_plan(shard, a.nshards) == SHARD_BY_FILE || (a.resampled && !shard_is_whole(shard))) {
		rank = shard.index;
		nranks = shard.count;
	} else if (!shard_is_whole(shard)) {
		a.cat.samples = shard;
	}
	struct shard_order order;
	shard_order_init(&order, a.nshards, rank, nranks, a.shard_shuffle, a.resampled, a.cat.seed, a.epochs);
	if (shard_order_share(&order) == 0)
		cli_usage_error("--shard %u/%u with --resampled: no shard for this part (%zu shards)", rank, nranks,
		                a.nshards);
	if (a.list) {
		list_shards(&a, &order);
		shard_order_free(&order);
		args_free(&a);
		return 0;
	}

	char auth_host[256], *token = NULL;
	for (size_t i = 0; i < a.nshards; i++)
		if (shardsrc_kind_of(a.shards[i]) == SHARDSRC_HTTP) {
			/* The Hub's token goes to the Hub's host only, as hf-stream sends it. */
			const char *endpoint = getenv("HF_ENDPOINT");
			if (http_url_host(endpoint && *endpoint ? endpoint : "https://huggingface.co", auth_host,
			                  sizeof auth_host) == 0) {
				token = hfhub_find_token(NULL);
				a.cat.http_opts.auth_host = auth_host;
				a.cat.http_opts.token = token;
			}
			break;
		}

	static struct atomic_file af = {.fd = -1}; /* lives until exit: atomic_guard */
	int fd = STDOUT_FILENO;
	if (a.output) {
		if (sink_open(&af, a.output) != 0)
			die(STATUS_FAIL, "%s:", a.output);
		atomic_guard(&af);
		fd = af.fd;
	} else if (isatty(fd)) {
		cli_usage_error("refusing to write binary records to a terminal (redirect stdout, or use -o; rec-cat shows records)");
	}
	io_grow_pipe(fd);
	struct rec_writer *w = rec_writer_fdopen(fd, a.output ? a.output : "<stdout>");
	enum wds_output out = a.cat.output;
	json_t *h = header_new(NULL, out == WDS_OUT_JSON ? "json" : out == WDS_OUT_TEXT ? "text" : "sample", argc, argv);
	json_object_set_new(h, "source", json_string("webdataset"));
	header_set_shard(h, shard);
	header_write(w, h);
	json_decref(h);

	struct progress progress;
	struct wds_cat *cat = wds_cat_new(&a.cat, w, &progress);
	progress_init(&progress, a.progress, 0);
	size_t index;
	while (!wds_cat_done(cat) && shard_order_next(&order, &index, NULL))
		wds_cat_read_shard(cat, a.shards[index]);
	wds_cat_finish(cat);
	rec_write_end(w);
	rec_writer_free(w);
	if (a.output && atomic_commit(&af) != 0)
		die(STATUS_FAIL, "%s:", a.output);
	progress_end(&progress);
	wds_cat_summary(cat);

	wds_cat_free(cat);
	shard_order_free(&order);
	args_free(&a);
	free(token);
	return 0;
}
