/* train-step - train GPT-2 or a character LSTM on the CPU or a CUDA GPU
 * (GPT-2; one process per GPU for several) from batches. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/cli.h"
#include "base/die.h"
#include "base/io.h"
#include "model/ckpt.h"
#include "model/lm.h"
#include "rec/rec.h"
#include "train/batchsrc.h"
#include "train/ddp.h"
#include "train/trainloop.h"

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

struct inputs {
	char **paths;
	int n;
};

static void add_input(struct inputs *in, char *path)
{
	in->paths = xrealloc(in->paths, (size_t)(in->n + 1) * sizeof *in->paths);
	in->paths[in->n++] = path;
}

struct run {
	struct lm *m;
	struct lm_config cfg;
	struct train_sched sched;
	double beta1, beta2, eps, wd, clip;
	uint64_t total_batch, micro, seed;
	int threads;
	const char *ckpt_dir, *log_path, *events_path, *export_path, *init_path;
	bool export_bf16;
	uint64_t ckpt_every, eval_every, eval_batches;
	unsigned keep;
	int argc;
	char **argv;
	FILE *log, *events;
	uint64_t step; /* steps done */
	uint64_t tokens;
	double last_loss, last_val;
	bool have_loss, have_val;
	struct inputs data_paths, val_paths;
	struct batchsrc *data, *val;
	bool show, tty;
	/* the device, and the ranks of a multi-GPU run (world 1 otherwise) */
	int device;
	enum lm_precision prec;
	struct ddp_info ddp;
	struct ddp_nccl *nccl;
	bool lead; /* rank 0: writes the log, events, checkpoints and export */
	struct lm_step_stats stats;
	bool stats_fresh; /* stats are the last step's */
};

static volatile sig_atomic_t stop_signal;
static struct run *the_run; /* for the failed event at exit */
static bool finished;

static void on_signal(int sig) { stop_signal = sig; }

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void event(struct run *r, const char *what, const char *extra)
{
	if (!r->events || !r->lead)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char when[32];
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(r->events, "{\"event\":\"%s\",\"step\":%" PRIu64 ",\"time\":\"%s\"%s%s}\n", what, r->step, when,
	        extra ? "," : "", extra ? extra : "");
	fflush(r->events);
}

static void at_exit(void)
{
	if (the_run && !finished)
		event(the_run, "failed", NULL);
}

static json_t *config_json(const struct lm_config *c)
{
	if (c->arch == LM_LSTM)
		return json_pack("{s:s,s:i,s:i,s:i}", "arch", "lstm", "layers", c->lstm.layers, "hidden",
		                 c->lstm.hidden, "vocab", c->lstm.vocab);
	const struct gpt2_config *g = &c->gpt2;
	return json_pack("{s:s,s:i,s:i,s:i,s:i,s:i,s:i}", "arch", "gpt2", "layers", g->layers, "heads", g->heads,
	                 "channels", g->channels, "max_seq", g->max_seq, "vocab", g->vocab, "padded_vocab",
	                 g->padded_vocab);
}

static char *dump(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!s)
		die(STATUS_FAIL, "out of memory");
	json_decref(j);
	return s;
}

static void fetch_stats(struct run *r)
{
	if (r->stats_fresh)
		return;
	lm_train_stats(r->m, &r->stats);
	r->last_loss = r->stats.loss;
	r->stats_fresh = true;
}

/* A rank that cannot use its GPU: with other ranks waiting to meet it in
 * ddp_nccl_open, it meets them with its reason so they fail at once
 * instead of at the timeout.  128 is the size of the NCCL unique id that
 * ddp_nccl_open's rendezvous hands round. */
SLUICE_NORETURN static void device_fail(const struct run *r, int status, const char *why)
{
	if (r->ddp.world > 1) {
		char err[1024];
		ddp_rendezvous_abort(&r->ddp, 128, DDP_NCCL_TIMEOUT_S, why, err, sizeof err);
		die(status, "rank %d: --device: %s", r->ddp.rank, why);
	}
	die(status, "--device: %s", why);
}

static void checkpoint(struct run *r)
{
	if (!r->lead)
		return;
	fetch_stats(r);
	size_t n, mlen, olen;
	lm_params(r->m, &n);
	float *mom, *vel;
	lm_adamw_state(r->m, &mom, &vel);
	void *model = lm_image(r->m, false, &mlen);
	void *optim = train_optim_image(mom, vel, n, r->step, &olen);
	struct batchsrc_pos pos;
	batchsrc_pos(r->data, &pos);
	json_t *state = json_pack("{s:I,s:I,s:n,s:{s:i,s:s,s:I,s:I,s:I}}", "step", (json_int_t)r->step, "tokens_seen",
	                          (json_int_t)r->tokens, "rng", "data", "input", pos.input, "path",
	                          r->data_paths.paths[pos.input], "batch", (json_int_t)pos.batch, "offset",
	                          (json_int_t)pos.offset, "epoch", (json_int_t)pos.epoch);
	if (r->have_loss)
		json_object_set_new(state, "last_loss", json_real(r->last_loss));
	if (r->prec == LM_FP16) {
		json_object_set_new(state, "loss_scale", json_real(r->stats.loss_scale));
		json_object_set_new(state, "skipped_steps", json_integer((json_int_t)r->stats.skipped));
	}
	char *state_s = dump(state);

	json_t *args = json_array(), *paths = json_array();
	for (int i = 0; i < r->argc; i++)
		json_array_append_new(args, json_string(r->argv[i]));
	for (int i = 0; i < r->data_paths.n; i++)
		json_array_append_new(paths, json_string(r->data_paths.paths[i]));
	const char *h = batchsrc_header(r->data);
	json_t *hdr = h ? json_loads(h, 0, NULL) : NULL;
	json_t *lineage = json_object_get(hdr, "lineage");
	json_t *man = json_pack("{s:s,s:s,s:s,s:o,s:o,s:{s:f,s:f,s:I,s:I,s:f,s:f,s:f,s:f,s:f,s:I,s:I,s:I,s:i}}",
	                        "format", "sluice-checkpoint", "program", "train-step", "sluice_version",
	                        SLUICE_VERSION, "config", config_json(&r->cfg), "arguments", args, "training",
	                        "lr", r->sched.lr, "lr_min", r->sched.lr_min, "warmup", (json_int_t)r->sched.warmup,
	                        "steps", (json_int_t)r->sched.steps, "beta1", r->beta1, "beta2", r->beta2, "eps",
	                        r->eps, "weight_decay", r->wd, "grad_clip", r->clip, "total_batch",
	                        (json_int_t)r->total_batch, "micro_steps", (json_int_t)r->micro, "seed",
	                        (json_int_t)r->seed, "threads", r->threads);
	json_object_set_new(man, "input", json_pack("{s:o,s:O}", "paths", paths, "lineage",
	                                             lineage ? lineage : json_null()));
	json_t *metrics = json_pack("{s:I,s:I}", "step", (json_int_t)r->step, "tokens_seen", (json_int_t)r->tokens);
	json_object_set_new(metrics, "last_loss", r->have_loss ? json_real(r->last_loss) : json_null());
	json_object_set_new(metrics, "last_val_loss", r->have_val ? json_real(r->last_val) : json_null());
	json_object_set_new(man, "metrics", metrics);
	json_decref(hdr);
	char *man_s = dump(man);

	struct ckpt_file files[] = {
		{"manifest.json", man_s, strlen(man_s)},
		{"model.bin", model, mlen},
		{"optim.bin", optim, olen},
		{"state.json", state_s, strlen(state_s)},
	};
	char err[1024];
	if (ckpt_save(r->ckpt_dir, r->step, files, sizeof files / sizeof *files, r->keep, err, sizeof err) != 0)
		die(STATUS_FAIL, "%s", err);
	free(model);
	free(optim);
	free(state_s);
	free(man_s);
	char extra[64];
	snprintf(extra, sizeof extra, "\"dir\":\"step-%08" PRIu64 "\"", r->step);
	event(r, "checkpoint", extra);
}

/* The validation loss: the mean of the per-batch mean losses of the first
 * eval_batches batches of --val (all of them by default). */
static void evaluate(struct run *r)
{
	batchsrc_rewind(r->val);
	double sum = 0;
	uint64_t k = 0;
	while ((!r->eval_batches || k < r->eval_batches) && batchsrc_next(r->val)) {
		uint32_t T = batchsrc_T(r->val);
		if (lm_max_seq(r->m) && T > (uint32_t)lm_max_seq(r->m))
			die_at(STATUS_USAGE, batchsrc_name(r->val), batchsrc_offset(r->val),
			       "validation batches of T=%u are longer than the model's context of %d", T, lm_max_seq(r->m));
		sum += lm_forward(r->m, batchsrc_inputs(r->val), batchsrc_targets(r->val), (int)batchsrc_B(r->val),
		                  (int)T);
		k++;
	}
	if (!k)
		die(STATUS_NO_END, "%s: no validation batches", r->val_paths.paths[0]);
	r->last_val = sum / (double)k;
	r->have_val = true;
	double ppl = exp(r->last_val);
	if (r->log && r->lead) {
		fprintf(r->log, "{\"step\":%" PRIu64 ",\"val_loss\":%.17g,\"val_ppl\":%.17g,\"val_batches\":%" PRIu64 "}\n",
		        r->step, r->last_val, ppl, k);
		if (fflush(r->log) != 0)
			die(STATUS_FAIL, "%s: write error:", r->log_path);
	}
	char extra[128];
	snprintf(extra, sizeof extra, "\"val_loss\":%.6g,\"val_ppl\":%.6g", r->last_val, ppl);
	event(r, "eval", extra);
	if (r->show && r->lead)
		fprintf(stderr, "%sstep %" PRIu64 "  val loss %.4f  val ppl %.2f\n", r->tty ? "\r\033[K" : "", r->step,
		        r->last_val, ppl);
}

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

static void progress_line(struct run *r, double tok_s, double elapsed, uint64_t done_here, bool final)
{
	double eta = done_here ? elapsed / (double)done_here * (double)(r->sched.steps - r->step) : 0;
	fprintf(stderr, "%sstep %" PRIu64 "/%" PRIu64 "  loss %.4f  %.0f tok/s  ETA %d:%02d:%02d%s", r->tty ? "\r" : "",
	        r->step, r->sched.steps, r->last_loss, tok_s, (int)(eta / 3600), (int)fmod(eta / 60, 60),
	        (int)fmod(eta, 60), r->tty ? (final ? "\n" : "") : "\n");
	fflush(stderr);
}

static bool same_model(const struct lm_config *a, const struct lm_config *b)
{
	if (a->arch != b->arch)
		return false;
	if (a->arch == LM_LSTM)
		return a->lstm.layers == b->lstm.layers && a->lstm.hidden == b->lstm.hidden &&
		       (!b->lstm.vocab || a->lstm.vocab == b->lstm.vocab);
	const struct gpt2_config *x = &a->gpt2, *y = &b->gpt2;
	return (!y->layers || (x->layers == y->layers && x->heads == y->heads && x->channels == y->channels)) &&
	       (!y->max_seq || x->max_seq == y->max_seq) && (!y->vocab || x->vocab == y->vocab);
}

int main(int argc, char **argv)
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
	cli_init(argc, argv);
	struct run r = {.sched = {.lr = 6e-4}, .beta1 = 0.9, .beta2 = 0.95, .eps = 1e-8, .wd = 0.1, .clip = 1.0,
	                .argc = argc, .argv = argv, .device = LM_DEVICE_AUTO, .prec = LM_PREC_AUTO, .lead = true,
	                .stats_fresh = true, .ddp = {.rank = 0, .world = 1, .local_rank = 0}};
	enum cli_progress progress = CLI_PROGRESS_AUTO;
	const char *model_name = NULL;
	int layers = 0, heads = 0, dim = 0, ctx = 0, vocab = 0;
	uint32_t shard_B = 0, shard_T = 0;
	unsigned bin_width = 2;
	bool have_lr_min = false, resume = false, have_steps = false;
	char err[1024];
	int opt;
	while ((opt = getopt_long(argc, argv, "j:B:T:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
		if (cli_common(opt, usage, &progress))
			continue;
		switch (opt) {
		case OPT_MODEL: model_name = optarg; break;
		case OPT_LAYERS: layers = parse_int(optarg, "--layers", 1); break;
		case OPT_HEADS: heads = parse_int(optarg, "--heads", 1); break;
		case OPT_DIM: dim = parse_int(optarg, "--dim", 1); break;
		case OPT_CTX: ctx = parse_int(optarg, "--ctx", 1); break;
		case OPT_VOCAB: vocab = parse_int(optarg, "--vocab", 1); break;
		case OPT_INIT: r.init_path = optarg; break;
		case OPT_EXPORT: r.export_path = optarg; break;
		case OPT_EXPORT_DTYPE:
			if (strcmp(optarg, "bf16") && strcmp(optarg, "fp32"))
				cli_usage_error("--export-dtype: '%s' is not fp32 or bf16", optarg);
			r.export_bf16 = strcmp(optarg, "bf16") == 0;
			break;
		case OPT_DATA: add_input(&r.data_paths, optarg); break;
		case 'B': shard_B = (uint32_t)parse_int(optarg, "--batch", 1); break;
		case 'T': shard_T = (uint32_t)parse_int(optarg, "--seq-len", 1); break;
		case OPT_BIN_DTYPE:
			if (strcmp(optarg, "u16") && strcmp(optarg, "u32"))
				cli_usage_error("--bin-dtype: '%s' is not u16 or u32", optarg);
			bin_width = optarg[1] == '1' ? 2 : 4;
			break;
		case OPT_STEPS:
			r.sched.steps = cli_parse_u64(optarg, "--steps", 1);
			have_steps = true;
			break;
		case OPT_LR: r.sched.lr = parse_real(optarg, "--lr"); break;
		case OPT_LR_MIN: r.sched.lr_min = parse_real(optarg, "--lr-min"), have_lr_min = true; break;
		case OPT_WARMUP: r.sched.warmup = cli_parse_u64(optarg, "--warmup", 1); break;
		case OPT_BETA1: r.beta1 = parse_real(optarg, "--beta1"); break;
		case OPT_BETA2: r.beta2 = parse_real(optarg, "--beta2"); break;
		case OPT_EPS: r.eps = parse_real(optarg, "--eps"); break;
		case OPT_WEIGHT_DECAY: r.wd = parse_real(optarg, "--weight-decay"); break;
		case OPT_GRAD_CLIP: r.clip = parse_real(optarg, "--grad-clip"); break;
		case OPT_TOTAL_BATCH: r.total_batch = cli_parse_u64(optarg, "--total-batch", 1); break;
		case OPT_SEED: r.seed = cli_parse_u64(optarg, "--seed", 0); break;
		case 'j': r.threads = cli_parse_threads(optarg); break;
		case OPT_VAL: add_input(&r.val_paths, optarg); break;
		case OPT_EVAL_EVERY: r.eval_every = cli_parse_u64(optarg, "--eval-every", 1); break;
		case OPT_EVAL_BATCHES: r.eval_batches = cli_parse_u64(optarg, "--eval-batches", 1); break;
		case OPT_CKPT_DIR: r.ckpt_dir = optarg; break;
		case OPT_CKPT_EVERY: r.ckpt_every = cli_parse_u64(optarg, "--ckpt-every", 0); break;
		case OPT_KEEP: r.keep = (unsigned)parse_int(optarg, "--keep", 0); break;
		case OPT_RESUME: resume = true; break;
		case OPT_LOG: r.log_path = optarg; break;
		case OPT_EVENTS: r.events_path = optarg; break;
		case OPT_DEVICE:
			if (lm_parse_device(optarg, &r.device) != 0)
				cli_usage_error("--device: '%s' is not auto, cpu, cuda or cuda:N", optarg);
			break;
		case OPT_PRECISION:
			if (lm_parse_precision(optarg, &r.prec) != 0)
				cli_usage_error("--precision: '%s' is not auto, fp32, bf16 or fp16", optarg);
			break;
		default: cli_usage_error("unhandled option");
		}
	}
	if (optind < argc)
		cli_usage_error("inputs are given with --data, not as arguments ('%s')", argv[optind]);
	if (!have_steps || r.sched.steps < 1)
		cli_usage_error("--steps N is required (at least 1)");
	if (r.beta1 >= 1 || r.beta2 >= 1)
		cli_usage_error("--beta1 and --beta2 must be below 1");
	if (r.sched.warmup >= r.sched.steps && r.sched.warmup)
		cli_usage_error("--warmup must be less than --steps");
	if (!have_lr_min)
		r.sched.lr_min = r.sched.lr / 10;
	if ((r.eval_every || r.eval_batches) && !r.val_paths.n)
		cli_usage_error("--eval-every and --eval-batches need --val");
	for (int i = 0; i < r.val_paths.n; i++)
		if (strcmp(r.val_paths.paths[i], "-") == 0)
			cli_usage_error("--val must be files: validation data is read again at each evaluation");

	/* The model the options ask for; fields left 0 come from the data. */
	struct lm_config want = {.arch = LM_GPT2};
	bool is_lstm = model_name && strncmp(model_name, "lstm:", 5) == 0;
	if (model_name && (layers || heads || dim))
		cli_usage_error("--model and --layers/--heads/--dim do not go together");
	if (!model_name && (layers || heads || dim) && !(layers && heads && dim))
		cli_usage_error("--layers, --heads and --dim go together");
	if (r.init_path && (model_name || layers || heads || dim || ctx || vocab))
		cli_usage_error("--init gives the model: --model, --layers, --heads, --dim, --ctx and --vocab do not apply");
	if (!model_name && !layers && !r.init_path && !resume)
		cli_usage_error("give the model: --model NAME, --layers/--heads/--dim, or --init FILE");
	if ((resume || r.ckpt_every || r.keep) && !r.ckpt_dir)
		cli_usage_error("--resume, --ckpt-every and --keep need --ckpt-dir");
	if (is_lstm) {
		if (ctx)
			cli_usage_error("--ctx does not apply to an LSTM: it takes sequences of any length");
		want.arch = LM_LSTM;
		parse_lstm(model_name, &want.lstm);
		want.lstm.vocab = vocab;
		if (r.export_bf16)
			cli_usage_error("--export-dtype bf16 is llm.c's GPT-2 format: an LSTM is exported as fp32");
	} else if (model_name) {
		size_t i = 0;
		while (i < sizeof presets / sizeof *presets && strcmp(presets[i].name, model_name))
			i++;
		if (i == sizeof presets / sizeof *presets)
			cli_usage_error("--model: '%s' is not gpt2:124M, gpt2:350M, gpt2:774M, gpt2:1558M or lstm:L,H",
			                model_name);
		layers = presets[i].layers, heads = presets[i].heads, dim = presets[i].dim;
		if (!ctx)
			ctx = 1024;
		if (!vocab)
			vocab = 50257;
	}
	if (layers && dim % heads)
		cli_usage_error("--dim %d is not a multiple of --heads %d", dim, heads);
	if (!is_lstm)
		want.gpt2 = (struct gpt2_config){.layers = layers, .heads = heads, .channels = dim, .max_seq = ctx,
		                                 .vocab = vocab};
	/* The device, settled before any data is read: a GPU that is not
	 * there is a usage error (2), as is a precision the CPU lacks.  An
	 * LSTM trains on the CPU, which auto picks for it. */
	if (ddp_from_env(&r.ddp, err, sizeof err) != 0)
		cli_usage_error("%s", err);
	if (r.ddp.world > 1) {
		if (r.device == LM_DEVICE_CPU || is_lstm || !lm_cuda_built())
			cli_usage_error("%d processes (rank %d): training on several processes needs a CUDA build and "
			                "GPT-2 on GPUs (--device auto or cuda)",
			                r.ddp.world, r.ddp.rank);
		r.device = r.ddp.local_rank; /* one GPU per process */
		r.lead = r.ddp.rank == 0;
	}
	if (is_lstm && r.device == LM_DEVICE_AUTO)
		r.device = LM_DEVICE_CPU;
	if (is_lstm && r.device >= 0)
		cli_usage_error("--device cuda: the character LSTM trains on the CPU only");
	int asked_device = r.device;
	enum lm_precision asked_prec = r.prec;
	if (lm_resolve_device(&r.device, &r.prec, err, sizeof err) != 0)
		device_fail(&r, STATUS_USAGE, err);
	if (!r.threads)
		r.threads = cli_cpu_count();
	char **data_given = r.data_paths.paths; /* NULL when none */
	r.data_paths.paths = cli_inputs(data_given, &r.data_paths.n);
	struct batchsrc_opts bo = {.B = shard_B ? shard_B : 4, .T = shard_T ? shard_T : (ctx ? (uint32_t)ctx : 1024),
	                           .raw_width = bin_width, .cycle = true, .option = "--data"};
	r.data = batchsrc_new(r.data_paths.paths, r.data_paths.n, &bo);
	if (r.val_paths.n) {
		bo.option = "--val";
		bo.cycle = false;
		r.val = batchsrc_new(r.val_paths.paths, r.val_paths.n, &bo);
	}
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (r.lead && r.events_path && !(r.events = fopen(r.events_path, "a")))
		die(STATUS_FAIL, "%s:", r.events_path);
	the_run = &r;
	atexit(at_exit);

	/* The model, when a checkpoint or --init gives it. */
	char *ckpt_path = NULL;
	uint64_t ckpt_step = 0;
	json_t *state = NULL;
	float state_scale = 0;
	uint64_t state_skipped = 0;
	if (resume) {
		ckpt_path = ckpt_latest(r.ckpt_dir, &ckpt_step);
		if (!ckpt_path)
			warn("--resume: no checkpoint in %s yet: starting from step 0", r.ckpt_dir);
	}
	if (ckpt_path) {
		size_t len;
		void *buf = ckpt_load(ckpt_path, "model.bin", &len, err, sizeof err);
		if (!buf)
			die(STATUS_FAIL, "%s", err);
		r.m = lm_load(buf, len, err, sizeof err);
		free(buf);
		if (!r.m)
			die(STATUS_MALFORMED, "%s/model.bin: %s", ckpt_path, err);
		if ((model_name || layers || ctx || vocab) && !same_model(lm_config(r.m), &want)) {
			char d[128];
			lm_describe(r.m, d, sizeof d);
			die(STATUS_USAGE, "%s: the checkpoint's model (%s) is not the one the options give", ckpt_path, d);
		}
		char *st = ckpt_load(ckpt_path, "state.json", &len, err, sizeof err);
		if (!st)
			die(STATUS_FAIL, "%s", err);
		state = json_loadb(st, len, 0, NULL);
		free(st);
		if (!json_is_object(state))
			die(STATUS_MALFORMED, "%s/state.json: not a JSON object", ckpt_path);
	} else if (r.init_path) {
		r.m = lm_load_file(r.init_path, err, sizeof err);
		if (!r.m)
			die(STATUS_MALFORMED, "--init: %s", err);
	} else if (!model_name && !layers) {
		cli_usage_error("--resume without a checkpoint starts afresh: give the model too");
	}

	/* The data: back to the checkpoint's position, then the first batch,
	 * whose shape the rest must have. */
	if (state) {
		json_t *dj = json_object_get(state, "data");
		json_int_t idx, batch, off, epoch, step, tokens;
		if (json_unpack(dj, "{s:I,s:I,s:I,s:I}", "input", &idx, "batch", &batch, "offset", &off, "epoch",
		                &epoch) != 0 ||
		    json_unpack(state, "{s:I,s:I}", "step", &step, "tokens_seen", &tokens) != 0 || idx < 0 ||
		    idx > INT32_MAX || batch < 0 || off < 0 || epoch < 0 || step < 0 || tokens < 0)
			die(STATUS_MALFORMED, "%s/state.json: no step or data position", ckpt_path);
		if ((uint64_t)step != ckpt_step)
			die(STATUS_MALFORMED, "%s/state.json: step %" PRId64 " in checkpoint %" PRIu64, ckpt_path,
			    (int64_t)step, ckpt_step);
		r.step = (uint64_t)step;
		r.tokens = (uint64_t)tokens;
		json_t *ll = json_object_get(state, "last_loss");
		if (json_is_number(ll))
			r.last_loss = json_number_value(ll), r.have_loss = true;
		json_t *ls = json_object_get(state, "loss_scale"), *sk = json_object_get(state, "skipped_steps");
		if (json_is_number(ls) && json_number_value(ls) > 0 && json_number_value(ls) < 1e30)
			state_scale = (float)json_number_value(ls);
		if (json_is_integer(sk) && json_integer_value(sk) >= 0)
			state_skipped = (uint64_t)json_integer_value(sk);
		struct batchsrc_pos pos = {(int)idx, (uint64_t)batch, (uint64_t)off, (uint64_t)epoch};
		batchsrc_seek(r.data, &pos);
	}
	bool pending = batchsrc_next(r.data);
	if (!pending && r.step < r.sched.steps)
		die(STATUS_NO_END, "%s: no batch records to train on", r.data_paths.paths[r.data_paths.n - 1]);
	int64_t header_vocab = batchsrc_header_vocab(r.data);
	uint32_t B = batchsrc_B(r.data), T = batchsrc_T(r.data);

	if (!r.m) {
		int v = is_lstm ? want.lstm.vocab : want.gpt2.vocab;
		if (!v) {
			if (header_vocab < 1)
				cli_usage_error("the input has no vocab_size (a stream header's, or --vocab for shards): give --vocab");
			if (header_vocab > (1 << 24))
				cli_usage_error("the input's vocab_size %" PRId64 " is too large", header_vocab);
			v = (int)header_vocab;
		}
		if (is_lstm) {
			want.lstm.vocab = v;
		} else {
			want.gpt2.vocab = v;
			if (!want.gpt2.max_seq)
				want.gpt2.max_seq = (int)T;
		}
		r.m = lm_new(&want);
		lm_init(r.m, r.seed);
	}
	r.cfg = *lm_config(r.m);
	if (header_vocab > lm_vocab(r.m))
		die(STATUS_USAGE, "%s: the input's vocab_size %" PRId64 " does not fit the model's vocabulary of %d",
		    r.data_paths.paths[0], header_vocab, lm_vocab(r.m));
	if (pending && lm_max_seq(r.m) && T > (uint32_t)lm_max_seq(r.m))
		die(STATUS_USAGE, "%s: batches of T=%u are longer than the model's context of %d (--ctx)",
		    batchsrc_name(r.data), T, lm_max_seq(r.m));
	batchsrc_set_vocab(r.data, lm_vocab(r.m));
	if (r.val)
		batchsrc_set_vocab(r.val, lm_vocab(r.m));
	uint64_t bt = (uint64_t)B * T;
	if (!r.total_batch)
		r.total_batch = bt;
	if (bt && r.total_batch % bt)
		die(STATUS_USAGE, "--total-batch %" PRIu64 " is not a multiple of B*T = %u*%u = %" PRIu64, r.total_batch, B,
		    T, bt);
	r.micro = bt ? r.total_batch / bt : 1;

	lm_set_threads(r.m, r.threads);
	size_t nparams;
	lm_params(r.m, &nparams);
	if (ckpt_path) {
		size_t len;
		void *buf = ckpt_load(ckpt_path, "optim.bin", &len, err, sizeof err);
		if (!buf)
			die(STATUS_FAIL, "%s", err);
		float *mom, *vel;
		uint64_t ostep = 0;
		lm_adamw_state(r.m, &mom, &vel);
		if (train_optim_parse(buf, len, nparams, mom, vel, &ostep, err, sizeof err) != 0 || ostep != r.step)
			die(STATUS_MALFORMED, "%s/optim.bin: %s", ckpt_path, ostep != r.step ? "not of the checkpoint's step" : err);
		free(buf);
	}
	json_decref(state);

	/* A model from --init or a checkpoint may be an LSTM that auto put
	 * on the CPU; a GPU for it was refused above only when --model said so. */
	if (r.device >= 0 && lm_config(r.m)->arch == LM_LSTM) {
		if (asked_device != LM_DEVICE_AUTO || r.ddp.world > 1)
			die(STATUS_USAGE, "--device cuda: the character LSTM trains on the CPU only");
		if (asked_prec == LM_BF16 || asked_prec == LM_FP16)
			die(STATUS_USAGE, "--precision %s: the character LSTM trains on the CPU, in fp32",
			    lm_precision_name(asked_prec));
		r.device = LM_DEVICE_CPU, r.prec = LM_FP32;
	}
	if (r.device >= 0) {
		if (lm_to_device(r.m, r.device, r.prec, err, sizeof err) != 0)
			device_fail(&r, STATUS_FAIL, err);
		if (state_scale > 0 || state_skipped)
			lm_set_scaler(r.m, state_skipped, state_scale);
	}
	if (r.ddp.world > 1) {
		r.nccl = ddp_nccl_open(&r.ddp, r.device, err, sizeof err);
		if (!r.nccl)
			die(STATUS_FAIL, "rank %d: %s", r.ddp.rank, err);
	}
	if (r.lead && r.log_path && ckpt_path && train_log_trim(r.log_path, ckpt_step, err, sizeof err) != 0)
		die(STATUS_FAIL, "%s", err);
	if (r.lead && r.log_path && !(r.log = fopen(r.log_path, ckpt_path ? "a" : "w")))
		die(STATUS_FAIL, "%s:", r.log_path);
	{
		char extra[768], desc[128], dev[320];
		lm_describe(r.m, desc, sizeof desc);
		lm_device_describe(r.m, dev, sizeof dev);
		json_t *devj = json_string(dev);
		char *devs = json_dumps(devj, JSON_ENCODE_ANY);
		json_decref(devj);
		if (!devs)
			die(STATUS_FAIL, "out of memory");
		snprintf(extra, sizeof extra,
		         "\"steps\":%" PRIu64 ",\"params\":%zu,\"model\":\"%s\",\"resumed\":%s,\"device\":%s,"
		         "\"precision\":\"%s\",\"world\":%d",
		         r.sched.steps, nparams, desc, ckpt_path ? "true" : "false", devs, lm_precision_name(r.prec),
		         r.ddp.world);
		event(&r, "started", extra);
		free(devs);
		r.show = r.lead && (progress == CLI_PROGRESS_ON || (progress == CLI_PROGRESS_AUTO && isatty(2)));
		if (r.show)
			fprintf(stderr, "train-step: %s on %s, %s%s\n", desc, dev, lm_precision_name(r.prec),
			        r.ddp.world > 1 ? ", every rank on its own GPU" : "");
	}
	r.tty = isatty(2);
	double start = now_s(), last_draw = 0;
	uint64_t first_step = r.step;
	const char *reason = "steps";
	bool saved = false, evaluated = false;
	struct adamw_hparams hp = {.beta1 = (float)r.beta1, .beta2 = (float)r.beta2, .eps = (float)r.eps,
	                           .weight_decay = (float)r.wd};
	const char *dev_name = r.device >= 0 ? "cuda" : "cpu";
	char dev_label[32];
	if (r.device >= 0)
		snprintf(dev_label, sizeof dev_label, "cuda:%d", r.device);
	else
		snprintf(dev_label, sizeof dev_label, "%s", dev_name);
	while (r.step < r.sched.steps) {
		double t0 = now_s();
		lm_zero_grad(r.m);
		uint64_t step_tokens = 0;
		bool out = false;
		/* Rank R of W takes batches R, R+W, R+2W... of the stream (the
		 * rule of --shard I/N): each micro-batch reads W batches. */
		for (uint64_t k = 0; k < r.micro && !out; k++) {
			for (int w = 0; w < r.ddp.world; w++) {
				if (!pending && !batchsrc_next(r.data)) {
					out = true;
					break;
				}
				pending = false;
				uint32_t rows = batchsrc_B(r.data);
				if (w == r.ddp.rank)
					lm_train_micro(r.m, batchsrc_inputs(r.data), batchsrc_targets(r.data), (int)rows, (int)T);
				step_tokens += (uint64_t)rows * T;
			}
		}
		if (out) {
			reason = "data";
			if (r.lead)
				warn("the input ended after step %" PRIu64 " of %" PRIu64 " (standard input is not read again)",
				     r.step, r.sched.steps);
			break;
		}
		if (r.nccl) {
			size_t gn;
			void *stream;
			float *g = lm_device_grads(r.m, &gn, &stream);
			if (ddp_nccl_allreduce_avg_f32(r.nccl, g, gn, stream, err, sizeof err) != 0)
				die(STATUS_FAIL, "rank %d: %s", r.ddp.rank, err);
		}
		double lr = train_lr(&r.sched, r.step);
		hp.lr = (float)lr;
		lm_train_step(r.m, &hp, r.step + 1, r.clip, r.micro);
		r.stats_fresh = false;
		r.step++;
		r.tokens += step_tokens;
		r.have_loss = true;
		double now = now_s();
		bool draw = r.show && (r.tty || now - last_draw >= 5 || r.step == r.sched.steps);
		/* on a GPU this waits for the step: only when something shows it */
		if (r.log || draw)
			fetch_stats(&r);
		now = now_s();
		double ms = (now - t0) * 1e3;
		double tok_s = ms > 0 ? (double)step_tokens / (ms / 1e3) : 0;
		if (r.log) {
			const struct lm_step_stats *st = &r.stats;
			char norm[40], extra[96] = "";
			if (isfinite(st->grad_norm))
				snprintf(norm, sizeof norm, "%.9g", st->grad_norm);
			else
				snprintf(norm, sizeof norm, "null");
			if (r.prec == LM_FP16)
				snprintf(extra, sizeof extra, ",\"skipped_steps\":%" PRIu64 ",\"loss_scale\":%.9g", st->skipped,
				         (double)st->loss_scale);
			fprintf(r.log,
			        "{\"step\":%" PRIu64 ",\"loss\":%.9g,\"lr\":%.9g,\"grad_norm\":%s,\"tokens_per_s\":%.1f,"
			        "\"ms\":%.3f,\"device\":\"%s\",\"precision\":\"%s\"%s}\n",
			        r.step, (double)st->loss, lr, norm, tok_s, ms, dev_label, lm_precision_name(r.prec), extra);
			if (fflush(r.log) != 0)
				die(STATUS_FAIL, "%s: write error:", r.log_path);
		}
		if (draw) {
			progress_line(&r, tok_s, now - start, r.step - first_step, r.step == r.sched.steps);
			last_draw = now;
		}
		evaluated = false;
		if (r.val && ((r.eval_every && r.step % r.eval_every == 0) || r.step == r.sched.steps)) {
			evaluate(&r);
			evaluated = true;
		}
		saved = false;
		if (r.ckpt_dir && r.ckpt_every && r.step % r.ckpt_every == 0) {
			checkpoint(&r);
			saved = true;
		}
		if (stop_signal) {
			reason = "signal";
			break;
		}
	}
	if (r.show && r.tty && r.step != r.sched.steps && r.step != first_step)
		fputc('\n', stderr);
	if (r.val && !evaluated && r.step != first_step)
		evaluate(&r);
	if (r.ckpt_dir && !saved && r.step != first_step)
		checkpoint(&r);
	if (r.export_path && r.lead) {
		size_t len;
		void *img = lm_image(r.m, r.export_bf16, &len);
		struct atomic_file af;
		if (atomic_open(&af, r.export_path) != 0)
			die(STATUS_FAIL, "%s:", r.export_path);
		write_all(af.fd, img, len, r.export_path);
		if (atomic_commit(&af) != 0)
			die(STATUS_FAIL, "%s:", r.export_path);
		free(img);
	}
	if (stop_signal)
		warn("stopped by %s after step %" PRIu64 "%s", stop_signal == SIGINT ? "SIGINT" : "SIGTERM", r.step,
		     r.ckpt_dir ? "; checkpoint written" : "");
	char extra[64];
	snprintf(extra, sizeof extra, "\"reason\":\"%s\"", reason);
	event(&r, "finished", extra);
	finished = true;
	if (r.log && fclose(r.log) != 0)
		die(STATUS_FAIL, "%s: write error:", r.log_path);
	if (r.events)
		fclose(r.events);
	batchsrc_free(r.data);
	batchsrc_free(r.val);
	free(ckpt_path);
	free(data_given);
	free(r.val_paths.paths);
	ddp_nccl_close(r.nccl);
	lm_free(r.m);
	return 0;
}
