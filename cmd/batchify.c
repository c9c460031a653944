/* batchify - token records (or llm.c shards) into training batches. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cli.h"
#include "base/die.h"
#include "formats/llmc.h"
#include "net/localcopy.h"
#include "net/s3.h"
#include "rec/rec.h"
#include "tok/bpe.h"
#include "train/batchify.h"

static const char usage[] =
	"Usage: batchify [OPTION]... [FILE]...\n"
	"Turn token records into [B, T+1] batch records for train-step, or into\n"
	"llm.c shards; read llm.c or nanoGPT shards too.  With no FILE, or when FILE\n"
	"is -, read stdin.\n"
	"\n"
	"Batches:\n"
	"  -B, --batch N            rows per batch (default 4)\n"
	"  -T, --seq-len N          sequence length; a row holds T+1 ids (default 1024)\n"
	"      --eot ID             end-of-text id (default: the stream header's)\n"
	"      --pad                one document a row, cut or padded, with a mask\n"
	"                           (default: documents packed into one stream)\n"
	"      --drop-last          drop the last, incomplete batch\n"
	"      --epochs N           read the input N times (files only; default 1)\n"
	"      --shuffle N          shuffle documents through a buffer of N\n"
	"      --seed S             seed of the shuffle (default 0)\n"
	"      --shard I/N|auto     only part I of N (0-based): every Nth file (or llm.c\n"
	"                           shard) when there are at least N, else every Nth\n"
	"                           document; auto: this task's of a job array\n"
	"      --vocab-size N       ids must be below N (default: the header's)\n"
	"\n"
	"Validation split:\n"
	"      --val-frac F         send this share of the documents, chosen by a hash\n"
	"                           of their key (or ids), to the validation output\n"
	"      --val-out FILE       the validation batches (one epoch, no shuffle)\n"
	"\n"
	"llm.c shards:\n"
	"      --from-bin GLOB      read llm.c shards (or raw nanoGPT .bin files)\n"
	"                           matching GLOB instead of records (repeatable)\n"
	"      --bin-dtype u16|u32  the ids of raw .bin files (default u16)\n"
	"      --to-bin DIR         write the packed stream as llm.c shards\n"
	"                           DIR/train_NNNNNN.bin (and val_NNNNNN.bin)\n"
	"      --shard-tokens N     ids per shard (default 100000000)\n"
	"\n"
	"Output:\n"
	"  -o, --output FILE        write FILE atomically instead of stdout\n"
	"      --progress           show a progress line on stderr even when it is not a terminal\n"
	"  -q, --quiet              no progress line\n"
	"  -h, --help               show this help and exit\n"
	"      --version            show the version and exit\n"
	"\n"
	"Exit status: 0 ok, 1 I/O error, 2 usage (also -T longer than every document\n"
	"with --pad), 3-7 bad record input as in sluice-rec(5), 8 malformed input: a\n"
	"record that is not tokens, an id at or above the vocabulary size, a bad\n"
	"shard.  See batchify(1).\n";

enum {
	OPT_EOT = CLI_OPT_FIRST_PROGRAM_OPT,
	OPT_PAD,
	OPT_DROP_LAST,
	OPT_EPOCHS,
	OPT_SHUFFLE,
	OPT_SEED,
	OPT_VOCAB_SIZE,
	OPT_VAL_FRAC,
	OPT_VAL_OUT,
	OPT_FROM_BIN,
	OPT_BIN_DTYPE,
	OPT_TO_BIN,
	OPT_SHARD_TOKENS,
	OPT_SHARD,
};

static const struct option longopts[] = {
	{"batch", required_argument, 0, 'B'},
	{"seq-len", required_argument, 0, 'T'},
	{"eot", required_argument, 0, OPT_EOT},
	{"pad", no_argument, 0, OPT_PAD},
	{"drop-last", no_argument, 0, OPT_DROP_LAST},
	{"epochs", required_argument, 0, OPT_EPOCHS},
	{"shuffle", required_argument, 0, OPT_SHUFFLE},
	{"seed", required_argument, 0, OPT_SEED},
	{"vocab-size", required_argument, 0, OPT_VOCAB_SIZE},
	{"val-frac", required_argument, 0, OPT_VAL_FRAC},
	{"val-out", required_argument, 0, OPT_VAL_OUT},
	{"from-bin", required_argument, 0, OPT_FROM_BIN},
	{"bin-dtype", required_argument, 0, OPT_BIN_DTYPE},
	{"to-bin", required_argument, 0, OPT_TO_BIN},
	{"shard-tokens", required_argument, 0, OPT_SHARD_TOKENS},
	{"shard", required_argument, 0, OPT_SHARD},
	{"output", required_argument, 0, 'o'},
	CLI_COMMON_OPTIONS,
	{0, 0, 0, 0},
};

/* The options into o; the --from-bin globs into (*globs)[*n_globs]. */
static void parse_options(int argc, char **argv, struct batchify_opts *o, char ***globs, size_t *n_globs,
                          const char **shard_arg)
{
	uint64_t v;
	int opt;
	while ((opt = getopt_long(argc, argv, "B:T:o:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &o->progress))
			continue;
		switch (opt) {
		case 'B':
			v = cli_parse_u64(optarg, "-B", 0);
			if (v < 1 || v > 1u << 20)
				cli_usage_error("-B must be from 1 to 1048576");
			o->B = (uint32_t)v;
			break;
		case 'T':
			v = cli_parse_u64(optarg, "-T", 1);
			if (v < 1 || v > 1u << 24)
				cli_usage_error("-T must be from 1 to 16777216");
			o->T = (uint32_t)v;
			break;
		case OPT_EOT:
			v = cli_parse_u64(optarg, "--eot", 0);
			if (v >= BPE_NO_ID)
				cli_usage_error("--eot: %s is not a token id", optarg);
			o->eot = (uint32_t)v, o->have_eot = true;
			break;
		case OPT_PAD: o->pad = true; break;
		case OPT_DROP_LAST: o->drop_last = true; break;
		case OPT_EPOCHS:
			o->epochs = cli_parse_u64(optarg, "--epochs", 0);
			if (o->epochs < 1)
				cli_usage_error("--epochs must be at least 1");
			break;
		case OPT_SHUFFLE: o->shuffle = cli_parse_u64(optarg, "--shuffle", 1); break;
		case OPT_SEED: o->seed = cli_parse_u64(optarg, "--seed", 0); break;
		case OPT_SHARD: *shard_arg = optarg; break;
		case OPT_VOCAB_SIZE:
			v = cli_parse_u64(optarg, "--vocab-size", 1);
			if (v < 1 || v > BPE_NO_ID)
				cli_usage_error("--vocab-size must be from 1 to %u", BPE_NO_ID);
			o->vocab_size = (uint32_t)v, o->have_vocab = true;
			break;
		case OPT_VAL_FRAC: o->val_frac = cli_parse_fraction(optarg, "--val-frac"); break;
		case OPT_VAL_OUT: o->val_out = optarg; break;
		case OPT_FROM_BIN:
			*globs = xrealloc(*globs, (*n_globs + 1) * sizeof **globs);
			(*globs)[(*n_globs)++] = optarg;
			break;
		case OPT_BIN_DTYPE:
			if (strcmp(optarg, "u16") && strcmp(optarg, "u32"))
				cli_usage_error("--bin-dtype must be u16 or u32");
			o->raw_width = strcmp(optarg, "u16") == 0 ? 2 : 4;
			break;
		case OPT_TO_BIN: o->to_bin = optarg; break;
		case OPT_SHARD_TOKENS:
			o->shard_tokens = cli_parse_u64(optarg, "--shard-tokens", 1);
			if (o->shard_tokens < 1 || o->shard_tokens > INT32_MAX)
				cli_usage_error("--shard-tokens must be from 1 to %d (llm.c counts in int32)", INT32_MAX);
			break;
		case 'o': o->output = optarg; break;
		default: cli_usage_error("unhandled option");
		}
	}
}

int main(int argc, char **argv)
{
	cli_init(argc, argv);
	struct batchify_opts o = {.B = 4, .T = 1024, .epochs = 1, .shard_tokens = 100000000, .raw_width = 2,
	                          .progress = CLI_PROGRESS_AUTO, .argc = argc, .argv = argv};
	char **from_globs = NULL;
	size_t n_globs = 0;
	const char *shard_arg = NULL;
	parse_options(argc, argv, &o, &from_globs, &n_globs, &shard_arg);
	o.shard = shard_resolve(shard_arg);
	int nin = argc - optind;
	char **inputs = argv + optind;
	if (n_globs && nin)
		cli_usage_error("--from-bin reads shards instead of FILE arguments");
	if (o.val_frac > 0 && !o.val_out && !o.to_bin)
		cli_usage_error("--val-frac needs --val-out (or --to-bin)");
	if (o.val_out && !(o.val_frac > 0))
		cli_usage_error("--val-out needs --val-frac");
	if (o.to_bin && (o.output || o.pad || o.val_out))
		cli_usage_error("--to-bin writes shards: -o, --pad and --val-out do not apply");
	if (o.epochs > 1 && !n_globs) {
		for (int i = 0; i < (nin ? nin : 1); i++)
			if (!nin || strcmp(inputs[i], "-") == 0)
				cli_usage_error("--epochs reads its input again: give files, not standard input");
	}
	char err[512];
	for (size_t i = 0; i < n_globs; i++) {
		struct s3_opts so = {.retries = -1};
		if (s3_is_url(from_globs[i]) ? s3_expand_names(from_globs[i], &so, &o.from_bin, &o.n_from_bin, err, sizeof err)
		                             : llmc_glob(from_globs[i], &o.from_bin, &o.n_from_bin, err, sizeof err))
			die(STATUS_FAIL, "--from-bin %s", err);
	}
	free(from_globs);
	if (!nin && !n_globs)
		inputs = cli_inputs(inputs, &nin);
	if (o.n_from_bin) {
		/* The width of the first shard decides the output's dtype: found
		 * here for a file; for a URL, when it is fetched to be read
		 * (fetching it twice would cost a whole shard). */
		if (!localcopy_is_url(o.from_bin[0])) {
			int width = llmc_width(o.from_bin[0], o.raw_width, err, sizeof err);
			if (width < 0)
				die(STATUS_MALFORMED, "%s", err);
			o.dtype = width == 2 ? REC_DT_U16 : REC_DT_U32;
		}
		if ((o.pad || o.shuffle || o.val_frac > 0) && !o.have_eot)
			cli_usage_error("--pad, --shuffle and --val-frac find the documents of a shard by --eot: give it");
		if (shard_plan(o.shard, o.n_from_bin) == SHARD_BY_RECORD && !o.have_eot)
			cli_usage_error("--shard with fewer shards than parts cuts by document, found by --eot: give it");
	}
	batchify(&o, inputs, nin);
	for (size_t i = 0; i < o.n_from_bin; i++)
		free(o.from_bin[i]);
	free(o.from_bin);
	return 0;
}
