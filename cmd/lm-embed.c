/* lm-embed - documents to vector records with a trained GPT-2. */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cli.h"
#include "base/die.h"
#include "base/io.h"
#include "model/embed.h"
#include "model/embedrun.h"
#include "model/lmopen.h"

static const char usage[] =
	"Usage: lm-embed -m MODEL [-t TOKENIZER] [OPTION]... [FILE]...\n"
	"       lm-embed -m MODEL -t TOKENIZER --text TEXT...\n"
	"Turn documents into embeddings with a GPT-2 that train-step trained: the\n"
	"mean of the final hidden states over each document's tokens, L2-normalised,\n"
	"as vector records for vs-upsert and vs-query.  Documents are the records of\n"
	"each FILE: text records or plain lines, JSON records or JSON lines (the text\n"
	"and id from their fields, the rest as metadata), or token records (no\n"
	"tokenizer needed); with no FILE, or when FILE is -, read stdin.\n"
	"\n"
	"Model and tokenizer:\n"
	"  -m, --model PATH         a GPT-2 model file (written by train-step or llm.c),\n"
	"                           a checkpoint, or train-step's checkpoint directory\n"
	"                           (its newest checkpoint)\n"
	"  -t, --tokenizer SPEC     the model's tokenizer, as tok-bpe's: needed for text\n"
	"      --offline            download no tokenizer (also HF_HUB_OFFLINE=1)\n"
	"\n"
	"Input:\n"
	"      --text TEXT          embed TEXT instead of reading input (repeatable;\n"
	"                           ids 0, 1, ...): a query for vs-query\n"
	"      --text-field NAME    JSON: the field holding the text (default: text,\n"
	"                           else content)\n"
	"      --id-field NAME      JSON: the field holding the id (default: id; without\n"
	"                           it the record's key, else its number from 0)\n"
	"      --on-empty error|skip\n"
	"                           a document without tokens stops lm-embed (error, the\n"
	"                           default) or is left out and counted (skip)\n"
	"  -n, --take N             stop after N vectors\n"
	"\n"
	"Embedding:\n"
	"      --pool mean|last     mean over the tokens (default), or the last token's\n"
	"      --no-normalize       keep the pooled vector's length\n"
	"  -b, --batch N            windows of tokens per forward pass (default 32;\n"
	"                           fewer for a long context: 4096 positions at most)\n"
	"\n"
	"Output:\n"
	"      --format records|jsonl\n"
	"                           vector records (default) or JSON lines\n"
	"                           {\"id\", \"vector\", \"metadata\"}\n"
	"      --keep-text N        put the first N characters of the text in the\n"
	"                           metadata, under \"text\"\n"
	"  -o, --output FILE        write FILE atomically instead of stdout\n"
	"  -j, --threads N          threads (default: all cores)\n"
	"      --progress           show a progress line on stderr even when it is not a terminal\n"
	"  -q, --quiet              no progress line and no summary\n"
	"  -h, --help               show this help and exit\n"
	"      --version            show the version and exit\n"
	"\n"
	"Exit status: 0 ok, 1 I/O error or tokenizer not found, 2 usage (also an LSTM\n"
	"model, text without a tokenizer, a token the model does not know), 3-7 bad\n"
	"record input as in sluice-rec(5), 8 malformed input: a bad model file, a\n"
	"record of the wrong type, a JSON record without its text, invalid UTF-8, an\n"
	"empty document.  See lm-embed(1).\n";

enum {
	OPT_TEXT = CLI_OPT_FIRST_PROGRAM_OPT,
	OPT_TEXT_FIELD,
	OPT_ID_FIELD,
	OPT_ON_EMPTY,
	OPT_POOL,
	OPT_NO_NORMALIZE,
	OPT_FORMAT,
	OPT_KEEP_TEXT,
	OPT_OFFLINE,
};

#define MAX_POSITIONS 4096


/* What the command line asks for beyond the session's own fields. */
struct args {
	struct embed_run r;
	struct lm_open_opts open;
	enum cli_progress progress;
	const char *output;
	char **texts;
	int ntexts;
	char **files;
	int nfiles;
};

static void parse_args(struct args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"model", required_argument, 0, 'm'},
		{"tokenizer", required_argument, 0, 't'},
		{"offline", no_argument, 0, OPT_OFFLINE},
		{"text", required_argument, 0, OPT_TEXT},
		{"text-field", required_argument, 0, OPT_TEXT_FIELD},
		{"id-field", required_argument, 0, OPT_ID_FIELD},
		{"on-empty", required_argument, 0, OPT_ON_EMPTY},
		{"take", required_argument, 0, 'n'},
		{"pool", required_argument, 0, OPT_POOL},
		{"no-normalize", no_argument, 0, OPT_NO_NORMALIZE},
		{"batch", required_argument, 0, 'b'},
		{"format", required_argument, 0, OPT_FORMAT},
		{"keep-text", required_argument, 0, OPT_KEEP_TEXT},
		{"output", required_argument, 0, 'o'},
		{"threads", required_argument, 0, 'j'},
		CLI_COMMON_OPTIONS,
		{0, 0, 0, 0},
	};
	struct embed_run *r = &a->r;
	int opt;
	while ((opt = getopt_long(argc, argv, "m:t:n:b:o:j:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &a->progress))
			continue;
		switch (opt) {
		case 'm': a->open.model_path = optarg; break;
		case 't': a->open.tokenizer = optarg; break;
		case OPT_OFFLINE: a->open.offline = true; break;
		case OPT_TEXT:
			a->texts = xrealloc(a->texts, (size_t)(a->ntexts + 1) * sizeof *a->texts);
			a->texts[a->ntexts++] = optarg;
			break;
		case OPT_TEXT_FIELD:
			if (!*optarg)
				cli_usage_error("--text-field: an empty name");
			r->text_field = optarg;
			break;
		case OPT_ID_FIELD:
			if (!*optarg)
				cli_usage_error("--id-field: an empty name");
			r->id_field = optarg;
			break;
		case OPT_ON_EMPTY:
			if (strcmp(optarg, "skip") == 0)
				r->skip_empty = true;
			else if (strcmp(optarg, "error") != 0)
				cli_usage_error("--on-empty: '%s' is not error or skip", optarg);
			break;
		case 'n':
			r->take = cli_parse_u64(optarg, "--take", 1);
			if (!r->take)
				cli_usage_error("--take must be at least 1");
			break;
		case OPT_POOL: {
			int p = embed_pool_from_name(optarg);
			if (p < 0)
				cli_usage_error("--pool: '%s' is not mean or last", optarg);
			r->eo.pool = (enum embed_pool)p;
			break;
		}
		case OPT_NO_NORMALIZE: r->eo.normalize = false; break;
		case 'b': {
			uint64_t b = cli_parse_u64(optarg, "--batch", 0);
			if (b < 1 || b > 65536)
				cli_usage_error("--batch must be from 1 to 65536");
			r->eo.batch = (int)b;
			break;
		}
		case OPT_FORMAT:
			if (strcmp(optarg, "jsonl") == 0)
				r->jsonl = true;
			else if (strcmp(optarg, "records") != 0)
				cli_usage_error("--format: '%s' is not records or jsonl", optarg);
			break;
		case OPT_KEEP_TEXT: {
			uint64_t k = cli_parse_u64(optarg, "--keep-text", 0);
			if (k > 1u << 30)
				cli_usage_error("--keep-text must be at most %u", 1u << 30);
			r->keep_text = (int64_t)k;
			break;
		}
		case 'o': a->output = optarg; break;
		case 'j': a->open.threads = cli_parse_threads(optarg); break;
		default: cli_usage_error("unhandled option");
		}
	}
	if (!a->open.model_path)
		cli_usage_error("give the model: -m PATH");
	if (a->ntexts && optind < argc)
		cli_usage_error("documents come from --text or from files, not both");
	if (a->ntexts && !a->open.tokenizer)
		cli_usage_error("--text needs the model's tokenizer: give -t TOKENIZER");
	if (!a->open.threads)
		a->open.threads = cli_cpu_count();
	r->model_path = a->open.model_path;
	a->files = argv + optind;
	a->nfiles = argc - optind;
}

int main(int argc, char **argv)
{
	cli_init(argc, argv);
	struct args a = {
		.r = {.keep_text = -1, .argc = argc, .argv = argv,
		      .eo = {.pool = EMBED_POOL_MEAN, .normalize = true, .batch = 32, .max_positions = MAX_POSITIONS}},
		.open = {.cpu_only = true, .gpt2_only = "lm-embed embeds with GPT-2 models only"},
		.progress = CLI_PROGRESS_AUTO,
	};
	parse_args(&a, argc, argv);
	struct embed_run *r = &a.r;
	r->m = lm_open(&a.open, &r->mt, &r->have_tok);

	static struct atomic_file output_file = {.fd = -1}; /* lives until exit: atomic_guard */
	int out_fd = lm_open_output(&output_file, a.output, r->jsonl ? NULL :
	        "refusing to write binary records to a terminal (redirect stdout, use -o, or --format jsonl)");
	embed_run_start(r, out_fd, a.output ? a.output : "<stdout>", a.progress,
	                a.ntexts ? 0 : io_total_size(a.nfiles, a.files));
	if (a.ntexts) {
		embed_run_texts(r, a.texts, a.ntexts);
	} else {
		int n = a.nfiles;
		char **inputs = cli_inputs(a.files, &n);
		for (int i = 0; i < n && !r->done; i++)
			embed_run_input(r, inputs[i]);
	}
	embed_run_finish(r);
	if (a.output && atomic_commit(&output_file) != 0)
		die(STATUS_FAIL, "%s:", a.output);
	if (a.progress != CLI_PROGRESS_OFF)
		embed_run_summary(r);

	embed_run_free(r);
	free(a.texts);
	return 0;
}
