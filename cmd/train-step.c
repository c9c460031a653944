/* train-step - train GPT-2 or a character LSTM on the CPU or a CUDA GPU
 * (GPT-2; one process per GPU for several) from batches. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cli.h"
#include "base/die.h"
#include "model/lm.h"
#include "train/trainer.h"

static const char usage[] =
	"Usage: train-step [OPTION]...\n"
	"Train GPT-2 or a character LSTM on the CPU, or GPT-2 on CUDA GPUs, from\n"
	"[B, T+1] batch records (from batchify) or llm.c token shards, read from each\n"
	"--data FILE in turn, or from stdin.\n"
	"\n"
	"Model:\n"
	"      --model NAME         gpt2:124M, gpt2:350M, gpt2:774M, gpt2:1558M, or\n"
	"                           lstm:LAYERS,HIDDEN for a character LSTM\n"
	"      --layers N           transformer blocks (with --heads, --dim)\n"
	"      --heads N            attention heads\n"
	"      --dim N              channels; a multiple of --heads\n"
	"      --ctx N              longest sequence (default: the batches' T)\n"
	"      --vocab N            vocabulary size (default: the input header's)\n"
	"      --init FILE          start from a model file (llm.c's GPT-2 format,\n"
	"                           float32 or bfloat16) instead of a random one\n"
	"      --export FILE        write the model file at the end\n"
	"      --export-dtype fp32|bf16\n"
	"                           parameters of --export (default fp32; bf16 is\n"
	"                           llm.c's version 5, GPT-2 only)\n"
	"\n"
	"Data:\n"
	"      --data FILE          batch records or an llm.c shard (*.bin, or a file\n"
	"                           with a shard header); repeatable, read in order,\n"
	"                           and again from the first when they end before --steps\n"
	"  -B, --batch N            rows of a batch read from shards (default 4)\n"
	"  -T, --seq-len N          sequence length of shards (default: --ctx, else 1024)\n"
	"      --bin-dtype u16|u32  ids of raw .bin files without a header (default u16)\n"
	"\n"
	"Training:\n"
	"      --steps N            optimizer steps to take (required)\n"
	"      --lr X               peak learning rate (default 6e-4)\n"
	"      --lr-min X           learning rate at the last step (default lr/10)\n"
	"      --warmup N           linear warmup steps, then cosine decay (default 0)\n"
	"      --beta1 X            AdamW beta1 (default 0.9)\n"
	"      --beta2 X            AdamW beta2 (default 0.95)\n"
	"      --eps X              AdamW epsilon (default 1e-8)\n"
	"      --weight-decay X     decoupled weight decay of matmul weights and\n"
	"                           embeddings (default 0.1)\n"
	"      --grad-clip X        clip the gradient's global norm to X (default 1.0;\n"
	"                           0 turns clipping off)\n"
	"      --total-batch N      tokens a step: gradients of N/(B*T) batches are\n"
	"                           averaged (default B*T, one batch)\n"
	"      --seed S             seed of the random initialisation (default 0)\n"
	"  -j, --threads N          threads (default: all cores)\n"
	"\n"
	"Device:\n"
	"      --device auto|cpu|cuda[:N]\n"
	"                           where to train (default auto: GPU 0 when this build\n"
	"                           has CUDA and a GPU is visible, else the CPU; an\n"
	"                           LSTM always trains on the CPU)\n"
	"      --precision auto|fp32|bf16|fp16\n"
	"                           GPU arithmetic (default auto: bf16 where the GPU has\n"
	"                           it, else fp32; fp16 scales the loss); the CPU: fp32\n"
	"\n"
	"Evaluation:\n"
	"      --val FILE           validation batches (records or shards; repeatable)\n"
	"      --eval-every N       validation loss every N steps (default: at the end)\n"
	"      --eval-batches K     batches of --val an evaluation reads (default: all)\n"
	"\n"
	"Checkpoints:\n"
	"      --ckpt-dir DIR       write checkpoints to DIR/step-NNNNNNNN\n"
	"      --ckpt-every N       every N steps (default: only at the end)\n"
	"      --keep K             keep the newest K checkpoints (default 0: all)\n"
	"      --resume             continue from the newest checkpoint in --ckpt-dir\n"
	"\n"
	"Output:\n"
	"      --log FILE           metrics of each step and evaluation as JSON lines\n"
	"      --events FILE        started, eval, checkpoint, finished, failed events\n"
	"                           as JSON lines\n"
	"      --progress           show a progress line on stderr even when it is not a terminal\n"
	"  -q, --quiet              no progress line\n"
	"  -h, --help               show this help and exit\n"
	"      --version            show the version and exit\n"
	"\n"
	"SIGINT and SIGTERM end the run after the current step, with a checkpoint.\n"
	"Several GPUs: one process each, launched by mpirun or with RANK, WORLD_SIZE\n"
	"and LOCAL_RANK set; rank R trains on batches R, R+W, R+2W... of the input.\n"
	"Exit status: 0 ok (also when stopped by a signal or when standard input\n"
	"ends before --steps), 1 I/O error, 2 usage (also an input vocabulary or T\n"
	"that does not fit the model, --total-batch not a multiple of B*T), 3-7 bad\n"
	"record input as in sluice-rec(5), 8 malformed input: a record that is not\n"
	"a batch, a token id outside the model's vocabulary, batches of different\n"
	"shapes, a bad shard, model or checkpoint file.  See train-step(1).\n";

enum {
	OPT_MODEL = CLI_OPT_FIRST_PROGRAM_OPT,
	OPT_LAYERS,
	OPT_HEADS,
	OPT_DIM,
	OPT_CTX,
	OPT_VOCAB,
	OPT_INIT,
	OPT_EXPORT,
	OPT_EXPORT_DTYPE,
	OPT_DATA,
	OPT_BIN_DTYPE,
	OPT_STEPS,
	OPT_LR,
	OPT_LR_MIN,
	OPT_WARMUP,
	OPT_BETA1,
	OPT_BETA2,
	OPT_EPS,
	OPT_WEIGHT_DECAY,
	OPT_GRAD_CLIP,
	OPT_TOTAL_BATCH,
	OPT_SEED,
	OPT_VAL,
	OPT_EVAL_EVERY,
	OPT_EVAL_BATCHES,
	OPT_CKPT_DIR,
	OPT_CKPT_EVERY,
	OPT_KEEP,
	OPT_RESUME,
	OPT_LOG,
	OPT_EVENTS,
	OPT_DEVICE,
	OPT_PRECISION,
};

static void add_input(char ***paths, int *n, char *path)
{
	*paths = xrealloc(*paths, (size_t)(*n + 1) * sizeof **paths);
	(*paths)[(*n)++] = path;
}

static struct trainer *the_trainer; /* for the failed event at exit */

/* The signal that ends the run after its current step (trainer_opts). */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) { stop_signal = sig; }

static void at_exit(void) { trainer_failed(the_trainer); }

struct preset {
	const char *name;
	int layers, heads, dim;
};
static const struct preset presets[] = {
	{"gpt2:124M", 12, 12, 768},
	{"gpt2:350M", 24, 16, 1024},
	{"gpt2:774M", 36, 20, 1280},
	{"gpt2:1558M", 48, 25, 1600},
};

static double parse_real(const char *arg, const char *option)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v < 0)
		cli_usage_error("%s: '%s' is not a non-negative number", option, arg);
	return v;
}

static int parse_int(const char *arg, const char *option, int min)
{
	uint64_t v = cli_parse_u64(arg, option, 0);
	if (v < (uint64_t)min || v > (1u << 24))
		cli_usage_error("%s must be from %d to %u", option, min, 1u << 24);
	return (int)v;
}

/* "lstm:LAYERS,HIDDEN" */
static void parse_lstm(const char *spec, struct lstm_config *c)
{
	unsigned layers, hidden;
	char tail;
	if (sscanf(spec, "lstm:%u,%u%c", &layers, &hidden, &tail) != 2 || layers < 1 || layers > 64 || hidden < 1 ||
	    hidden > 65536)
		cli_usage_error("--model: '%s' is not lstm:LAYERS,HIDDEN (1-64 layers, 1-65536 hidden)", spec);
	c->layers = (int)layers;
	c->hidden = (int)hidden;
}

/* The model options, until want_model makes the model of them. */
struct model_flags {
	const char *name;
	int layers, heads, dim, ctx, vocab;
};

/* The model the options ask for; fields left 0 come from the data. */
static void want_model(struct model_flags *f, struct trainer_opts *o)
{
	o->want = (struct lm_config){.arch = LM_GPT2};
	bool is_lstm = f->name && strncmp(f->name, "lstm:", 5) == 0;
	if (f->name && (f->layers || f->heads || f->dim))
		cli_usage_error("--model and --layers/--heads/--dim do not go together");
	if (!f->name && (f->layers || f->heads || f->dim) && !(f->layers && f->heads && f->dim))
		cli_usage_error("--layers, --heads and --dim go together");
	if (o->init_path && (f->name || f->layers || f->heads || f->dim || f->ctx || f->vocab))
		cli_usage_error("--init gives the model: --model, --layers, --heads, --dim, --ctx and --vocab do not apply");
	if (!f->name && !f->layers && !o->init_path && !o->resume)
		cli_usage_error("give the model: --model NAME, --layers/--heads/--dim, or --init FILE");
	if ((o->resume || o->ckpt_every || o->keep) && !o->ckpt_dir)
		cli_usage_error("--resume, --ckpt-every and --keep need --ckpt-dir");
	if (is_lstm) {
		if (f->ctx)
			cli_usage_error("--ctx does not apply to an LSTM: it takes sequences of any length");
		o->want.arch = LM_LSTM;
		parse_lstm(f->name, &o->want.lstm);
		o->want.lstm.vocab = f->vocab;
		if (o->export_bf16)
			cli_usage_error("--export-dtype bf16 is llm.c's GPT-2 format: an LSTM is exported as fp32");
	} else if (f->name) {
		size_t i = 0;
		while (i < sizeof presets / sizeof *presets && strcmp(presets[i].name, f->name))
			i++;
		if (i == sizeof presets / sizeof *presets)
			cli_usage_error("--model: '%s' is not gpt2:124M, gpt2:350M, gpt2:774M, gpt2:1558M or lstm:L,H",
			                f->name);
		f->layers = presets[i].layers, f->heads = presets[i].heads, f->dim = presets[i].dim;
		if (!f->ctx)
			f->ctx = 1024;
		if (!f->vocab)
			f->vocab = 50257;
	}
	if (f->layers && f->dim % f->heads)
		cli_usage_error("--dim %d is not a multiple of --heads %d", f->dim, f->heads);
	if (!is_lstm)
		o->want.gpt2 = (struct gpt2_config){.layers = f->layers, .heads = f->heads, .channels = f->dim,
		                                    .max_seq = f->ctx, .vocab = f->vocab};
	o->want_given = f->name || f->layers || f->ctx || f->vocab;
	o->want_named = f->name || f->layers;
}

/* The options into o, the model's into f (want_model's). */
static void parse_options(int argc, char **argv, struct trainer_opts *o, struct model_flags *f)
{
	static const struct option longopts[] = {
		{"model", required_argument, 0, OPT_MODEL},
		{"layers", required_argument, 0, OPT_LAYERS},
		{"heads", required_argument, 0, OPT_HEADS},
		{"dim", required_argument, 0, OPT_DIM},
		{"ctx", required_argument, 0, OPT_CTX},
		{"vocab", required_argument, 0, OPT_VOCAB},
		{"init", required_argument, 0, OPT_INIT},
		{"export", required_argument, 0, OPT_EXPORT},
		{"export-dtype", required_argument, 0, OPT_EXPORT_DTYPE},
		{"data", required_argument, 0, OPT_DATA},
		{"batch", required_argument, 0, 'B'},
		{"seq-len", required_argument, 0, 'T'},
		{"bin-dtype", required_argument, 0, OPT_BIN_DTYPE},
		{"steps", required_argument, 0, OPT_STEPS},
		{"lr", required_argument, 0, OPT_LR},
		{"lr-min", required_argument, 0, OPT_LR_MIN},
		{"warmup", required_argument, 0, OPT_WARMUP},
		{"beta1", required_argument, 0, OPT_BETA1},
		{"beta2", required_argument, 0, OPT_BETA2},
		{"eps", required_argument, 0, OPT_EPS},
		{"weight-decay", required_argument, 0, OPT_WEIGHT_DECAY},
		{"grad-clip", required_argument, 0, OPT_GRAD_CLIP},
		{"total-batch", required_argument, 0, OPT_TOTAL_BATCH},
		{"seed", required_argument, 0, OPT_SEED},
		{"threads", required_argument, 0, 'j'},
		{"val", required_argument, 0, OPT_VAL},
		{"eval-every", required_argument, 0, OPT_EVAL_EVERY},
		{"eval-batches", required_argument, 0, OPT_EVAL_BATCHES},
		{"ckpt-dir", required_argument, 0, OPT_CKPT_DIR},
		{"ckpt-every", required_argument, 0, OPT_CKPT_EVERY},
		{"keep", required_argument, 0, OPT_KEEP},
		{"resume", no_argument, 0, OPT_RESUME},
		{"log", required_argument, 0, OPT_LOG},
		{"events", required_argument, 0, OPT_EVENTS},
		{"device", required_argument, 0, OPT_DEVICE},
		{"precision", required_argument, 0, OPT_PRECISION},
		CLI_COMMON_OPTIONS,
		{0, 0, 0, 0},
	};
	bool have_lr_min = false, have_steps = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "j:B:T:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &o->progress))
			continue;
		switch (opt) {
		case OPT_MODEL: f->name = optarg; break;
		case OPT_LAYERS: f->layers = parse_int(optarg, "--layers", 1); break;
		case OPT_HEADS: f->heads = parse_int(optarg, "--heads", 1); break;
		case OPT_DIM: f->dim = parse_int(optarg, "--dim", 1); break;
		case OPT_CTX: f->ctx = parse_int(optarg, "--ctx", 1); break;
		case OPT_VOCAB: f->vocab = parse_int(optarg, "--vocab", 1); break;
		case OPT_INIT: o->init_path = optarg; break;
		case OPT_EXPORT: o->export_path = optarg; break;
		case OPT_EXPORT_DTYPE:
			if (strcmp(optarg, "bf16") && strcmp(optarg, "fp32"))
				cli_usage_error("--export-dtype: '%s' is not fp32 or bf16", optarg);
			o->export_bf16 = strcmp(optarg, "bf16") == 0;
			break;
		case OPT_DATA: add_input(&o->data_paths, &o->n_data, optarg); break;
		case 'B': o->B = (uint32_t)parse_int(optarg, "--batch", 1); break;
		case 'T': o->T = (uint32_t)parse_int(optarg, "--seq-len", 1); break;
		case OPT_BIN_DTYPE:
			if (strcmp(optarg, "u16") && strcmp(optarg, "u32"))
				cli_usage_error("--bin-dtype: '%s' is not u16 or u32", optarg);
			o->raw_width = optarg[1] == '1' ? 2 : 4;
			break;
		case OPT_STEPS:
			o->sched.steps = cli_parse_u64(optarg, "--steps", 1);
			have_steps = true;
			break;
		case OPT_LR: o->sched.lr = parse_real(optarg, "--lr"); break;
		case OPT_LR_MIN: o->sched.lr_min = parse_real(optarg, "--lr-min"), have_lr_min = true; break;
		case OPT_WARMUP: o->sched.warmup = cli_parse_u64(optarg, "--warmup", 1); break;
		case OPT_BETA1: o->beta1 = parse_real(optarg, "--beta1"); break;
		case OPT_BETA2: o->beta2 = parse_real(optarg, "--beta2"); break;
		case OPT_EPS: o->eps = parse_real(optarg, "--eps"); break;
		case OPT_WEIGHT_DECAY: o->weight_decay = parse_real(optarg, "--weight-decay"); break;
		case OPT_GRAD_CLIP: o->grad_clip = parse_real(optarg, "--grad-clip"); break;
		case OPT_TOTAL_BATCH: o->total_batch = cli_parse_u64(optarg, "--total-batch", 1); break;
		case OPT_SEED: o->seed = cli_parse_u64(optarg, "--seed", 0); break;
		case 'j': o->threads = cli_parse_threads(optarg); break;
		case OPT_VAL: add_input(&o->val_paths, &o->n_val, optarg); break;
		case OPT_EVAL_EVERY: o->eval_every = cli_parse_u64(optarg, "--eval-every", 1); break;
		case OPT_EVAL_BATCHES: o->eval_batches = cli_parse_u64(optarg, "--eval-batches", 1); break;
		case OPT_CKPT_DIR: o->ckpt_dir = optarg; break;
		case OPT_CKPT_EVERY: o->ckpt_every = cli_parse_u64(optarg, "--ckpt-every", 0); break;
		case OPT_KEEP: o->keep = (unsigned)parse_int(optarg, "--keep", 0); break;
		case OPT_RESUME: o->resume = true; break;
		case OPT_LOG: o->log_path = optarg; break;
		case OPT_EVENTS: o->events_path = optarg; break;
		case OPT_DEVICE:
			if (lm_parse_device(optarg, &o->device) != 0)
				cli_usage_error("--device: '%s' is not auto, cpu, cuda or cuda:N", optarg);
			break;
		case OPT_PRECISION:
			if (lm_parse_precision(optarg, &o->prec) != 0)
				cli_usage_error("--precision: '%s' is not auto, fp32, bf16 or fp16", optarg);
			break;
		default: cli_usage_error("unhandled option");
		}
	}
	if (optind < argc)
		cli_usage_error("inputs are given with --data, not as arguments ('%s')", argv[optind]);
	if (!have_steps || o->sched.steps < 1)
		cli_usage_error("--steps N is required (at least 1)");
	if (o->beta1 >= 1 || o->beta2 >= 1)
		cli_usage_error("--beta1 and --beta2 must be below 1");
	if (o->sched.warmup >= o->sched.steps && o->sched.warmup)
		cli_usage_error("--warmup must be less than --steps");
	if (!have_lr_min)
		o->sched.lr_min = o->sched.lr / 10;
	if ((o->eval_every || o->eval_batches) && !o->n_val)
		cli_usage_error("--eval-every and --eval-batches need --val");
	for (int i = 0; i < o->n_val; i++)
		if (strcmp(o->val_paths[i], "-") == 0)
			cli_usage_error("--val must be files: validation data is read again at each evaluation");
}

int main(int argc, char **argv)
{
	cli_init(argc, argv);
	struct trainer_opts o = {.sched = {.lr = 6e-4}, .beta1 = 0.9, .beta2 = 0.95, .eps = 1e-8, .weight_decay = 0.1,
	                         .grad_clip = 1.0, .raw_width = 2, .device = LM_DEVICE_AUTO, .prec = LM_PREC_AUTO,
	                         .progress = CLI_PROGRESS_AUTO, .argc = argc, .argv = argv,
	                         .stop_signal = &stop_signal, .on_signal = on_signal};
	struct model_flags f = {0};
	parse_options(argc, argv, &o, &f);
	want_model(&f, &o);
	if (!o.threads)
		o.threads = cli_cpu_count();
	char **data_given = o.data_paths; /* NULL when none */
	o.data_paths = cli_inputs(data_given, &o.n_data);
	if (!o.B)
		o.B = 4;
	if (!o.T)
		o.T = f.ctx ? (uint32_t)f.ctx : 1024;

	struct trainer *t = trainer_new(&o);
	the_trainer = t;
	atexit(at_exit);
	trainer_run(t);
	the_trainer = NULL; /* finished: nothing for at_exit to report */
	trainer_free(t);
	free(data_given);
	free(o.val_paths);
	return 0;
}
