/* tok-bpe - byte-level BPE: text records into token records and back. */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cli.h"
#include "base/die.h"
#include "base/io.h"
#include "base/progress.h"
#include "hub/hfhub.h"
#include "base/shard.h"
#include "net/sink.h"
#include "tok/bpetrain.h"
#include "tok/countrun.h"
#include "tok/tokfetch.h"
#include "tok/tokload.h"
#include "tok/tokrun.h"
#include "tok/trainrun.h"

static const char usage[] =
	"Usage: tok-bpe encode -t TOKENIZER [OPTION]... [FILE]...\n"
	"       tok-bpe decode -t TOKENIZER [OPTION]... [FILE]...\n"
	"       tok-bpe stats  -t TOKENIZER [OPTION]... [FILE]...\n"
	"       tok-bpe info   -t TOKENIZER\n"
	"       tok-bpe train  [OPTION]... -o OUT [FILE]...\n"
	"       tok-bpe count  [OPTION]... [-o COUNTS] [FILE]...\n"
	"       tok-bpe train  --from-counts [OPTION]... -o OUT COUNTS...\n"
	"       tok-bpe fetch  [--offline] NAME...\n"
	"Byte-level BPE as tiktoken and HF tokenizers do it.  encode turns text\n"
	"records (or plain lines) into token records; decode turns token records\n"
	"(or lines of ids) into text records; stats reports how text tokenizes;\n"
	"info describes the tokenizer; train learns one from text; count writes\n"
	"the word counts train would learn from, sorted, for a share of a corpus,\n"
	"and train --from-counts learns from those of every share; fetch fills the\n"
	"caches with named tokenizers ahead of a run without network and prints\n"
	"where each file went.  With no FILE, or when FILE is -, read stdin.\n"
	"\n"
	"Tokenizer:\n"
	"  -t, --tokenizer SPEC         a tokenizer.json, encoder.json (with vocab.bpe\n"
	"                               beside it), a *.tiktoken rank file, a directory\n"
	"                               holding tokenizer.json or encoder.json, or a\n"
	"                               name: a tiktoken encoding (gpt2, r50k_base,\n"
	"                               p50k_base, p50k_edit, cl100k_base, o200k_base,\n"
	"                               o200k_harmony) or a Hub model ORG/NAME[@REV],\n"
	"                               from the tiktoken or Hub cache, the data\n"
	"                               directory, else downloaded into the cache\n"
	"      --offline                download nothing (also HF_HUB_OFFLINE=1)\n"
	"      --pattern gpt2|cl100k|o200k|REGEX\n"
	"                               pre-tokenizer pattern instead of the file's\n"
	"\n"
	"encode and stats:\n"
	"      --allowed-special all|none|LIST\n"
	"                               special tokens encoded as their ids (default none)\n"
	"      --disallowed-special all|none|LIST\n"
	"                               special tokens that are an error in the text\n"
	"                               (default all); others are encoded as text\n"
	"\n"
	"encode:\n"
	"      --eot                    append the end-of-text id to each document\n"
	"      --ids                    print each document's ids as a line of numbers\n"
	"                               instead of writing token records\n"
	"  -j, --threads N              threads (default: all cores)\n"
	"\n"
	"train:\n"
	"      --vocab-size N           vocabulary size, specials included (default 32000)\n"
	"      --min-frequency N        a pair must occur N times to merge (default 2)\n"
	"      --special TOKEN          a special token (repeatable; default <|endoftext|>)\n"
	"      --max-token-length N     no token longer than N bytes\n"
	"      --holdout FRAC           keep FRAC of the documents out of training and\n"
	"                               report coverage on them\n"
	"      --bytes-only             no merges: the 256 bytes and the specials\n"
	"      --format json|tiktoken   tokenizer.json or a tiktoken rank file (default:\n"
	"                               by OUT's extension, else json)\n"
	"      --from-counts            the FILEs are count files of tok-bpe count, summed;\n"
	"                               the pattern and specials are theirs\n"
	"  (--pattern sets the pre-tokenizer, default gpt2; -j the counting threads)\n"
	"\n"
	"count (also --pattern, --special and -j as train takes them):\n"
	"      --shard I/N|auto         only shard I of N (0-based): by file when there are\n"
	"                               at least N files, else by record; auto: the\n"
	"                               task's of a Slurm array or Kubernetes Indexed\n"
	"                               Job; default $SLUICE_SHARD, else all\n"
	"      --mem SIZE               memory for the counts before sorted runs spill\n"
	"                               to disk (k/M/G; default 1G)\n"
	"      --tmpdir DIR             temporary files (default: $TMPDIR or /tmp)\n"
	"\n"
	"decode:\n"
	"      --bytes                  keep the raw bytes; by default invalid UTF-8 is\n"
	"                               replaced with U+FFFD as Python's errors=\"replace\"\n"
	"      --text                   print plain text, one document a line, instead\n"
	"                               of text records\n"
	"\n"
	"Output:\n"
	"  -o, --output FILE            write FILE atomically instead of stdout\n"
	"      --progress               show a progress line on stderr even when it is not a terminal\n"
	"  -q, --quiet                  no progress line\n"
	"  -h, --help                   show this help and exit\n"
	"      --version                show the version and exit\n"
	"\n"
	"Exit status: 0 ok, 1 I/O error or tokenizer not found, unreadable or not\n"
	"fetched, 2 usage,\n"
	"3-7 bad record input as in sluice-rec(5), 8 malformed input: a malformed\n"
	"stream, invalid UTF-8, a special token the text may not contain, an id outside\n"
	"the vocabulary, a record of the wrong type, count files that are not sorted\n"
	"or disagree.  See tok-bpe(1).\n";

enum {
	OPT_PATTERN = CLI_OPT_FIRST_PROGRAM_OPT,
	OPT_ALLOWED,
	OPT_DISALLOWED,
	OPT_EOT,
	OPT_IDS,
	OPT_BYTES,
	OPT_TEXT,
	OPT_VOCAB_SIZE,
	OPT_MIN_FREQUENCY,
	OPT_SPECIAL,
	OPT_MAX_TOKEN_LENGTH,
	OPT_HOLDOUT,
	OPT_BYTES_ONLY,
	OPT_FORMAT,
	OPT_OFFLINE,
	OPT_FROM_COUNTS,
	OPT_SHARD,
	OPT_MEM,
	OPT_TMPDIR,
};

/* The rest of the command line: what a mode's setup reads once. */
struct cmdline {
	enum cli_progress progress;
	const char *spec, *pattern, *allowed, *disallowed;
	bool specials_given;
	struct bpe_train_opts train;
	char **specials;
	size_t n_specials;
	int train_opts;
	double holdout;
	const char *format;
	struct tokfetch_opts fetch;
	bool from_counts;
	const char *shard, *tmpdir;
	size_t mem;
	int count_opts; /* how many options only count takes */
	char **opts; /* the options without the command, when a copy */
	int nin;
	char **inputs;
};

static enum tokrun_mode parse_mode(const char *s)
{
	if (strcmp(s, "encode") == 0)
		return TOKRUN_ENCODE;
	if (strcmp(s, "decode") == 0)
		return TOKRUN_DECODE;
	if (strcmp(s, "stats") == 0)
		return TOKRUN_STATS;
	if (strcmp(s, "info") == 0)
		return TOKRUN_INFO;
	if (strcmp(s, "train") == 0)
		return TOKRUN_TRAIN;
	if (strcmp(s, "fetch") == 0)
		return TOKRUN_FETCH;
	if (strcmp(s, "count") == 0)
		return TOKRUN_COUNT;
	cli_usage_error("unknown command '%s' (encode, decode, stats, info, train, count or fetch)", s);
}

static void parse_args(int argc, char **argv, struct tokrun *r, struct cmdline *cl)
{
	static const struct option longopts[] = {
		{"tokenizer", required_argument, 0, 't'},
		{"pattern", required_argument, 0, OPT_PATTERN},
		{"allowed-special", required_argument, 0, OPT_ALLOWED},
		{"disallowed-special", required_argument, 0, OPT_DISALLOWED},
		{"eot", no_argument, 0, OPT_EOT},
		{"ids", no_argument, 0, OPT_IDS},
		{"threads", required_argument, 0, 'j'},
		{"bytes", no_argument, 0, OPT_BYTES},
		{"text", no_argument, 0, OPT_TEXT},
		{"vocab-size", required_argument, 0, OPT_VOCAB_SIZE},
		{"min-frequency", required_argument, 0, OPT_MIN_FREQUENCY},
		{"special", required_argument, 0, OPT_SPECIAL},
		{"max-token-length", required_argument, 0, OPT_MAX_TOKEN_LENGTH},
		{"holdout", required_argument, 0, OPT_HOLDOUT},
		{"bytes-only", no_argument, 0, OPT_BYTES_ONLY},
		{"format", required_argument, 0, OPT_FORMAT},
		{"offline", no_argument, 0, OPT_OFFLINE},
		{"from-counts", no_argument, 0, OPT_FROM_COUNTS},
		{"shard", required_argument, 0, OPT_SHARD},
		{"mem", required_argument, 0, OPT_MEM},
		{"tmpdir", required_argument, 0, OPT_TMPDIR},
		{"output", required_argument, 0, 'o'},
		CLI_COMMON_OPTIONS,
		{0, 0, 0, 0},
	};
	*cl = (struct cmdline){
		.progress = CLI_PROGRESS_AUTO,
		.allowed = "none",
		.disallowed = "all",
		.train = {.vocab_size = 32000, .min_frequency = 2},
		.fetch = {.offline = hfhub_env_offline()},
		.mem = (size_t)1 << 30,
	};
	int threads = cli_cpu_count();
	int opt;
	/* The command comes first, before any option; options are parsed
	 * from a copy without it, and the lineage keeps the whole line. */
	bool have_mode = argc > 1 && argv[1][0] != '-';
	char **opts = argv;
	if (have_mode) {
		r->mode = parse_mode(argv[1]);
		opts = xmalloc((size_t)argc * sizeof *opts);
		opts[0] = argv[0];
		memcpy(opts + 1, argv + 2, (size_t)(argc - 2) * sizeof *opts);
		opts[argc - 1] = NULL;
		argc--;
	}
	argv = cl->opts = opts;
	while ((opt = getopt_long(argc, argv, "t:j:o:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &cl->progress))
			continue;
		switch (opt) {
		case 't': cl->spec = optarg; break;
		case OPT_PATTERN: cl->pattern = optarg; break;
		case OPT_ALLOWED: cl->allowed = optarg; cl->specials_given = true; break;
		case OPT_DISALLOWED: cl->disallowed = optarg; cl->specials_given = true; break;
		case OPT_EOT: r->eot = true; break;
		case OPT_IDS: r->ids = true; break;
		case 'j': threads = cli_parse_threads(optarg); break;
		case OPT_BYTES: r->raw_bytes = true; break;
		case OPT_TEXT: r->plain_text = true; break;
		case 'o': r->output = optarg; break;
		case OPT_VOCAB_SIZE: cl->train.vocab_size = (uint32_t)cli_parse_u64(optarg, "--vocab-size", 1); cl->train_opts++; break;
		case OPT_MIN_FREQUENCY: cl->train.min_frequency = cli_parse_u64(optarg, "--min-frequency", 1); cl->train_opts++; break;
		case OPT_SPECIAL:
			cl->specials = xrealloc(cl->specials, (cl->n_specials + 1) * sizeof *cl->specials);
			cl->specials[cl->n_specials++] = optarg;
			cl->train_opts++;
			break;
		case OPT_MAX_TOKEN_LENGTH: cl->train.max_token_length = cli_parse_u64(optarg, "--max-token-length", 0); cl->train_opts++; break;
		case OPT_HOLDOUT: cl->holdout = cli_parse_fraction(optarg, "--holdout"); cl->train_opts++; break;
		case OPT_BYTES_ONLY: cl->train.bytes_only = true; cl->train_opts++; break;
		case OPT_FORMAT: cl->format = optarg; cl->train_opts++; break;
		case OPT_OFFLINE: cl->fetch.offline = true; break;
		case OPT_FROM_COUNTS: cl->from_counts = true; cl->train_opts++; break;
		case OPT_SHARD: cl->shard = optarg; cl->count_opts++; break;
		case OPT_MEM: cl->mem = (size_t)cli_parse_u64(optarg, "--mem", 1); cl->count_opts++; break;
		case OPT_TMPDIR: cl->tmpdir = optarg; cl->count_opts++; break;
		default: cli_usage_error("unhandled option");
		}
	}
	if (!have_mode)
		cli_usage_error("no command (encode, decode, stats, info, train, count or fetch)");
	r->threads = threads;
	if (r->mode == TOKRUN_COUNT) {
		if (cl->train_opts != (int)cl->n_specials)
			cli_usage_error("count takes --special, but none of --vocab-size, --min-frequency, "
			                "--max-token-length, --holdout, --bytes-only, --format, --from-counts: "
			                "they are for train");
	} else if (r->mode != TOKRUN_TRAIN && cl->train_opts) {
		cli_usage_error("--vocab-size, --min-frequency, --special, --max-token-length, --holdout, "
		                "--bytes-only, --format and --from-counts are for train");
	}
	if (r->mode != TOKRUN_COUNT && cl->count_opts)
		cli_usage_error("--shard, --mem and --tmpdir are for count");
	cl->nin = argc - optind;
	cl->inputs = argv + optind;
}

/* train's and count's specials: --special's, else <|endoftext|> (none
 * with --from-counts, which takes the count files'). */
static void set_specials(struct tokrun *r, struct cmdline *cl)
{
	struct bpe_train_opts *train = &cl->train;
	const char *verb = r->mode == TOKRUN_COUNT ? "count" : "train";
	if (cl->spec)
		cli_usage_error("%s: -t does not apply", verb);
	if (r->eot || r->ids || cl->specials_given || r->raw_bytes || r->plain_text)
		cli_usage_error("%s takes none of --eot, --ids, --allowed-special, --disallowed-special, --bytes, --text",
		                verb);
	if (!cl->n_specials && !cl->from_counts) {
		static const char *const eot[] = {"<|endoftext|>"};
		train->specials = eot, train->n_specials = 1;
	} else if (cl->n_specials) {
		train->specials = (const char *const *)cl->specials, train->n_specials = cl->n_specials;
	}
	for (size_t i = 0; i < train->n_specials; i++)
		if (!*train->specials[i])
			cli_usage_error("--special: an empty token");
}

static int train_cmd(struct tokrun *r, struct cmdline *cl)
{
	struct bpe_train_opts *train = &cl->train;
	if (cl->spec)
		cli_usage_error("train makes a tokenizer: -t does not apply");
	if (!r->output)
		cli_usage_error("train needs -o OUT");
	set_specials(r, cl);
	if (cl->format && strcmp(cl->format, "json") != 0 && strcmp(cl->format, "tiktoken") != 0)
		cli_usage_error("--format must be json or tiktoken");
	if (cl->from_counts && cl->holdout > 0)
		cli_usage_error("--holdout needs the documents: train on the text, not --from-counts");
	if (train->n_specials && train->vocab_size < 256 + train->n_specials && !train->bytes_only)
		cli_usage_error("--vocab-size must be at least %zu: the 256 bytes and the specials",
		                256 + train->n_specials);
	bool tiktoken = cl->format ? strcmp(cl->format, "tiktoken") == 0
	                           : strlen(r->output) > 9 && strcmp(r->output + strlen(r->output) - 9, ".tiktoken") == 0;
	/* From counts the line counts words: it has no bytes to set against a total. */
	progress_init(&r->progress, cl->progress, cl->from_counts ? 0 : io_total_size(cl->nin, cl->inputs));
	static struct atomic_file out_file = {.fd = -1}; /* lives until exit: atomic_guard */
	if (cl->from_counts) {
		return tokrun_train_counts(r, train, cl->pattern ? tokload_pattern_by_name(cl->pattern) : NULL, tiktoken,
		                           &out_file, cl->nin, cl->inputs);
	}
	return tokrun_train(r, train, tokload_pattern_by_name(cl->pattern ? cl->pattern : "gpt2"), tiktoken,
	                    cl->holdout, &out_file, cl->nin, cl->inputs);
}

static int count_cmd(struct tokrun *r, struct cmdline *cl)
{
	set_specials(r, cl);
	if (!r->output && isatty(1))
		cli_usage_error("refusing to write binary records to a terminal (redirect stdout or use -o)");
	struct count_opts o = {
		.pattern = tokload_pattern_by_name(cl->pattern ? cl->pattern : "gpt2"),
		.train = &cl->train,
		.mem = cl->mem,
		.tmpdir = cl->tmpdir,
		.shard = shard_resolve(cl->shard),
	};
	progress_init(&r->progress, cl->progress, io_total_size(cl->nin, cl->inputs));
	static struct atomic_file out_file = {.fd = -1}; /* lives until exit: atomic_guard */
	return tokrun_count(r, &o, &out_file, cl->nin, cl->inputs);
}

static int fetch_cmd(struct tokrun *r, struct cmdline *cl)
{
	if (cl->spec || cl->pattern || cl->specials_given || r->eot || r->ids || r->raw_bytes || r->plain_text ||
	    r->output)
		cli_usage_error("fetch takes only names (and --offline)");
	if (!cl->nin)
		cli_usage_error("fetch: no NAME (a tiktoken encoding or ORG/NAME[@REVISION])");
	return tokfetch_print_names(&cl->fetch, cl->nin, cl->inputs);
}

/* encode, decode, stats and info: the tokenizer, its special-token
 * policy and the output, ready for the mode. */
static void open_tokenizer(struct tokrun *r, struct cmdline *cl, struct atomic_file *output_file)
{
	if (!cl->spec)
		cli_usage_error("no tokenizer (-t)");
	if (r->mode != TOKRUN_ENCODE && (r->eot || r->ids))
		cli_usage_error("--eot and --ids are for encode");
	if (r->mode != TOKRUN_ENCODE && r->mode != TOKRUN_STATS && cl->specials_given)
		cli_usage_error("--allowed-special and --disallowed-special are for encode and stats");
	if (r->mode != TOKRUN_DECODE && (r->raw_bytes || r->plain_text))
		cli_usage_error("--bytes and --text are for decode");
	if (r->mode == TOKRUN_INFO && cl->nin)
		cli_usage_error("info takes no FILE");

	tokrun_open_tokenizer(r, cl->spec, cl->pattern, cl->allowed, cl->disallowed, &cl->fetch);
	if (r->output) {
		if (sink_open(output_file, r->output) != 0)
			die(STATUS_FAIL, "%s:", r->output);
		atomic_guard(output_file);
		r->out_fd = output_file->fd;
	} else if (tokrun_writes_records(r) && isatty(1)) {
		cli_usage_error("refusing to write binary records to a terminal (redirect stdout, use -o, or %s)",
		                r->mode == TOKRUN_ENCODE ? "--ids" : "--text");
	}
	tokrun_open_output(r, r->out_fd, r->output ? r->output : "<stdout>");
	progress_init(&r->progress, cl->progress, r->mode == TOKRUN_INFO ? 0 : io_total_size(cl->nin, cl->inputs));
}

int main(int argc, char **argv)
{
	cli_init(argc, argv);
	struct tokrun r = {.argc = argc, .argv = argv, .out_fd = 1};
	struct cmdline cl;
	parse_args(argc, argv, &r, &cl);
	if (r.mode == TOKRUN_TRAIN || r.mode == TOKRUN_FETCH || r.mode == TOKRUN_COUNT) {
		int status = r.mode == TOKRUN_TRAIN ? train_cmd(&r, &cl)
		             : r.mode == TOKRUN_COUNT ? count_cmd(&r, &cl)
		                                      : fetch_cmd(&r, &cl);
		free(cl.specials);
		if (cl.opts != r.argv)
			free(cl.opts);
		return status;
	}
	static struct atomic_file output_file = {.fd = -1}; /* lives until exit: atomic_guard */
	open_tokenizer(&r, &cl, &output_file);

	switch (r.mode) {
	case TOKRUN_TRAIN: /* handled above */
	case TOKRUN_FETCH:
	case TOKRUN_COUNT:
	case TOKRUN_INFO:
		tokrun_info(&r);
		break;
	case TOKRUN_ENCODE:
		tokrun_encode(&r, cl.nin, cl.inputs);
		break;
	case TOKRUN_DECODE:
		tokrun_decode(&r, cl.nin, cl.inputs);
		break;
	case TOKRUN_STATS:
		tokrun_stats(&r, cl.nin, cl.inputs);
		break;
	}
	tokrun_close_output(&r);
	if (r.output && atomic_commit(&output_file) != 0)
		die(STATUS_FAIL, "%s:", r.output);
	tokrun_free(&r);
	free(cl.specials);
	if (cl.opts != r.argv)
		free(cl.opts);
	return 0;
}
