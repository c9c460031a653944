/* lm-run - generate text from a trained model, or score text with it, on
 * the CPU or (GPT-2) a CUDA GPU. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cli.h"
#include "base/die.h"
#include "base/io.h"
#include "model/lm.h"
#include "model/lmopen.h"
#include "model/lmrun.h"
#include "tok/bpe.h"

static const char usage[] =
	"Usage: lm-run generate -m MODEL [-t TOKENIZER] [OPTION]... [FILE]...\n"
	"       lm-run score    -m MODEL [-t TOKENIZER] [OPTION]... [FILE]...\n"
	"Sample continuations of prompts from a model that train-step trained, or\n"
	"score text with it: loss, perplexity and each token's surprisal.  Prompts\n"
	"and documents are --prompt arguments, or the records of each FILE (text\n"
	"records or plain lines with a tokenizer, token records without); with no\n"
	"FILE, or when FILE is -, read stdin.\n"
	"\n"
	"Model and tokenizer:\n"
	"  -m, --model PATH             a model file (written by train-step or llm.c),\n"
	"                               a checkpoint, or train-step's checkpoint directory\n"
	"                               (its newest checkpoint)\n"
	"  -t, --tokenizer SPEC         as tok-bpe's: text in and out; without it, ids\n"
	"      --offline                download no tokenizer (also HF_HUB_OFFLINE=1)\n"
	"      --eot ID                 end-of-text id (default: the tokenizer's)\n"
	"\n"
	"generate:\n"
	"  -p, --prompt TEXT            a prompt (repeatable); \"\" starts from end-of-text\n"
	"  -n, --max-new-tokens N       tokens to generate at most (default 64)\n"
	"      --temperature X          0 is greedy (default 1)\n"
	"      --top-k K                sample from the K most likely (default 0: all)\n"
	"      --top-p P                from the smallest set reaching P (default 1)\n"
	"      --stop STRING            end the text before STRING (repeatable)\n"
	"      --ignore-eot             go on past the end-of-text token\n"
	"      --samples N              continuations of each prompt (default 1)\n"
	"      --seed S                 seed of the sampling (default 0)\n"
	"      --completion-only        print the continuation without the prompt\n"
	"\n"
	"score:\n"
	"      --per-token              each token's surprisal (bits) and text too\n"
	"      --no-eot-context         do not put the end-of-text token before each\n"
	"                               document (then its first token is not scored)\n"
	"\n"
	"Output:\n"
	"      --format text|jsonl|records\n"
	"                               generate: plain text (default), JSON lines or\n"
	"                               text records (token records without a\n"
	"                               tokenizer); score: JSON lines (default) or\n"
	"                               vector records of surprisals\n"
	"  -o, --output FILE            write FILE atomically instead of stdout\n"
	"  -j, --threads N              threads (default: all cores)\n"
	"      --device auto|cpu|cuda[:N]\n"
	"                               where the model runs (default auto: GPU 0 when\n"
	"                               this build has CUDA and a GPU is visible, else\n"
	"                               the CPU; an LSTM always runs on the CPU)\n"
	"      --precision auto|fp32|bf16|fp16\n"
	"                               GPU arithmetic (default auto: bf16 where the GPU\n"
	"                               has it, else fp32); the CPU: fp32\n"
	"      --progress               show a progress line on stderr even when it is not a terminal\n"
	"  -q, --quiet                  no progress line\n"
	"  -h, --help                   show this help and exit\n"
	"      --version                show the version and exit\n"
	"\n"
	"Exit status: 0 ok, 1 I/O error or tokenizer not found, 2 usage (also a\n"
	"tokenizer or a prompt token the model does not know), 3-7 bad record input as in sluice-rec(5), 8 malformed\n"
	"input: a bad model file, a record of the wrong type, invalid UTF-8.  See\n"
	"lm-run(1).\n";

enum {
	OPT_EOT = CLI_OPT_FIRST_PROGRAM_OPT,
	OPT_TEMPERATURE,
	OPT_TOP_K,
	OPT_TOP_P,
	OPT_STOP,
	OPT_IGNORE_EOT,
	OPT_SAMPLES,
	OPT_SEED,
	OPT_COMPLETION_ONLY,
	OPT_PER_TOKEN,
	OPT_NO_EOT_CONTEXT,
	OPT_FORMAT,
	OPT_DEVICE,
	OPT_PRECISION,
	OPT_OFFLINE,
};

/* What the command line asks for beyond the session's own fields. */
struct args {
	struct lmrun r;
	struct lm_open_opts open;
	enum cli_progress progress;
	const char *output;
	char **prompts;
	int nprompts;
	int64_t eot; /* --eot, or -1 */
	bool ignore_eot;
	char **files;
	int nfiles;
	int argc; /* the words after the command's: the output header's */
	char **argv;
};

static double parse_real(const char *arg, const char *option, double lo, double hi)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v < lo || v > hi)
		cli_usage_error("%s: '%s' is not a number from %g to %g", option, arg, lo, hi);
	return v;
}

static void parse_args(struct args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"model", required_argument, 0, 'm'},
		{"tokenizer", required_argument, 0, 't'},
		{"eot", required_argument, 0, OPT_EOT},
		{"offline", no_argument, 0, OPT_OFFLINE},
		{"prompt", required_argument, 0, 'p'},
		{"max-new-tokens", required_argument, 0, 'n'},
		{"temperature", required_argument, 0, OPT_TEMPERATURE},
		{"top-k", required_argument, 0, OPT_TOP_K},
		{"top-p", required_argument, 0, OPT_TOP_P},
		{"stop", required_argument, 0, OPT_STOP},
		{"ignore-eot", no_argument, 0, OPT_IGNORE_EOT},
		{"samples", required_argument, 0, OPT_SAMPLES},
		{"seed", required_argument, 0, OPT_SEED},
		{"completion-only", no_argument, 0, OPT_COMPLETION_ONLY},
		{"per-token", no_argument, 0, OPT_PER_TOKEN},
		{"no-eot-context", no_argument, 0, OPT_NO_EOT_CONTEXT},
		{"format", required_argument, 0, OPT_FORMAT},
		{"output", required_argument, 0, 'o'},
		{"threads", required_argument, 0, 'j'},
		{"device", required_argument, 0, OPT_DEVICE},
		{"precision", required_argument, 0, OPT_PRECISION},
		CLI_COMMON_OPTIONS,
		{0, 0, 0, 0},
	};
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	                 strcmp(argv[1], "--version") == 0)) {
		enum cli_progress p;
		int opt = argv[1][2] == 'v' ? CLI_OPT_VERSION : 'h';
		cli_common(opt, usage, &p);
	}
	if (argc < 2)
		cli_usage_error("give a command: generate or score");
	struct lmrun *r = &a->r;
	if (strcmp(argv[1], "generate") == 0)
		r->generate = true;
	else if (strcmp(argv[1], "score") != 0)
		cli_usage_error("unknown command '%s' (generate or score)", argv[1]);
	argv[1] = argv[0];
	argc--, argv++;

	bool gen_only = false, score_only = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "m:t:p:n:o:j:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &a->progress))
			continue;
		switch (opt) {
		case 'm': a->open.model_path = optarg; break;
		case 't': a->open.tokenizer = optarg; break;
		case OPT_OFFLINE: a->open.offline = true; break;
		case OPT_EOT: a->eot = (int64_t)cli_parse_u64(optarg, "--eot", 0); break;
		case 'p':
			a->prompts = xrealloc(a->prompts, (size_t)(a->nprompts + 1) * sizeof *a->prompts);
			a->prompts[a->nprompts++] = optarg;
			gen_only = true;
			break;
		case 'n':
			r->gen.max_new = (int)cli_parse_u64(optarg, "--max-new-tokens", 0);
			if (r->gen.max_new < 1 || r->gen.max_new > 1 << 24)
				cli_usage_error("--max-new-tokens must be from 1 to %d", 1 << 24);
			gen_only = true;
			break;
		case OPT_TEMPERATURE: r->sopts.temperature = parse_real(optarg, "--temperature", 0, 100); gen_only = true; break;
		case OPT_TOP_K:
			r->sopts.top_k = (int)parse_real(optarg, "--top-k", 0, 1 << 24);
			gen_only = true;
			break;
		case OPT_TOP_P:
			r->sopts.top_p = parse_real(optarg, "--top-p", 0, 1);
			if (r->sopts.top_p <= 0)
				cli_usage_error("--top-p must be above 0");
			gen_only = true;
			break;
		case OPT_STOP:
			r->gen.stops = xrealloc(r->gen.stops, (size_t)(r->gen.nstops + 1) * sizeof *r->gen.stops);
			r->gen.stops[r->gen.nstops++] = optarg;
			gen_only = true;
			break;
		case OPT_IGNORE_EOT: a->ignore_eot = true, gen_only = true; break;
		case OPT_SAMPLES:
			r->samples = (int)cli_parse_u64(optarg, "--samples", 0);
			if (r->samples < 1 || r->samples > 1 << 20)
				cli_usage_error("--samples must be from 1 to %d", 1 << 20);
			gen_only = true;
			break;
		case OPT_SEED: r->seed = cli_parse_u64(optarg, "--seed", 0), gen_only = true; break;
		case OPT_COMPLETION_ONLY: r->completion_only = true, gen_only = true; break;
		case OPT_PER_TOKEN: r->per_token = true, score_only = true; break;
		case OPT_NO_EOT_CONTEXT: r->eot_context = false, score_only = true; break;
		case OPT_FORMAT:
			if (strcmp(optarg, "text") == 0)
				r->fmt = LMRUN_TEXT;
			else if (strcmp(optarg, "jsonl") == 0)
				r->fmt = LMRUN_JSONL;
			else if (strcmp(optarg, "records") == 0)
				r->fmt = LMRUN_RECORDS;
			else
				cli_usage_error("--format: '%s' is not text, jsonl or records", optarg);
			break;
		case 'o': a->output = optarg; break;
		case 'j': a->open.threads = cli_parse_threads(optarg); break;
		case OPT_DEVICE:
			if (lm_parse_device(optarg, &a->open.device) != 0)
				cli_usage_error("--device: '%s' is not auto, cpu, cuda or cuda:N", optarg);
			break;
		case OPT_PRECISION:
			if (lm_parse_precision(optarg, &a->open.prec) != 0)
				cli_usage_error("--precision: '%s' is not auto, fp32, bf16 or fp16", optarg);
			break;
		default: cli_usage_error("unhandled option");
		}
	}
	const char *cmd = r->generate ? "generate" : "score";
	if (gen_only && !r->generate)
		cli_usage_error("--prompt, --max-new-tokens, --temperature, --top-k, --top-p, --stop, --ignore-eot, "
		                "--samples, --seed and --completion-only are for generate");
	if (score_only && r->generate)
		cli_usage_error("--per-token and --no-eot-context are for score");
	if (!a->open.model_path)
		cli_usage_error("%s needs the model: -m PATH", cmd);
	if (a->nprompts && optind < argc)
		cli_usage_error("prompts come from --prompt or from files, not both");
	if (r->fmt == LMRUN_DEFAULT)
		r->fmt = r->generate ? LMRUN_TEXT : LMRUN_JSONL;
	if (!r->generate && r->fmt == LMRUN_TEXT)
		cli_usage_error("score writes --format jsonl or records");
	if (!a->open.tokenizer && (a->nprompts || r->gen.nstops))
		cli_usage_error("--prompt and --stop are text: give -t TOKENIZER");
	if (!a->open.threads)
		a->open.threads = cli_cpu_count();
	a->files = argv + optind;
	a->nfiles = argc - optind;
	a->argc = argc;
	a->argv = argv;
}

int main(int argc, char **argv)
{
	cli_init(argc, argv);
	struct args a = {
		.r = {.samples = 1, .eot = BPE_NO_ID, .eot_context = true, .gen = {.max_new = 64, .eot = BPE_NO_ID},
		      .sopts = {.temperature = 1, .top_p = 1}},
		.open = {.device = LM_DEVICE_AUTO, .prec = LM_PREC_AUTO},
		.progress = CLI_PROGRESS_AUTO,
		.eot = -1,
	};
	parse_args(&a, argc, argv);
	struct lmrun *r = &a.r;
	r->m = lm_open(&a.open, &r->mt, &r->have_tok);
	lmrun_setup(r, a.eot, a.ignore_eot);

	static struct atomic_file output_file = {.fd = -1}; /* lives until exit: atomic_guard */
	int out_fd = lm_open_output(&output_file, a.output, r->fmt != LMRUN_RECORDS ? NULL :
	        "refusing to write binary records to a terminal (redirect stdout, use -o, or --format)");
	lmrun_open_output(r, out_fd, a.output ? a.output : "<stdout>", a.argc, a.argv);
	if (a.nprompts) {
		for (int i = 0; i < a.nprompts; i++)
			lmrun_prompt(r, a.prompts[i]);
	} else {
		int n = a.nfiles;
		char **inputs = cli_inputs(a.files, &n);
		for (int i = 0; i < n; i++)
			lmrun_input(r, inputs[i]);
	}
	lmrun_close_output(r);
	if (a.output && atomic_commit(&output_file) != 0)
		die(STATUS_FAIL, "%s:", a.output);
	if (a.progress != CLI_PROGRESS_OFF)
		lmrun_summary(r);

	lmrun_free(r);
	free(a.prompts);
	free(r->gen.stops);
	return 0;
}
