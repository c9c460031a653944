/* train-step - train GPT-2 on the CPU from batch records. */
#define _GNU_SOURCE
#include <cblas.h>
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

#include "ckpt.h"
#include "cli.h"
#include "die.h"
#include "gpt2.h"
#include "io.h"
#include "rec.h"
#include "trainloop.h"

static const char usage[] =
	"Usage: train-step [OPTION]...\n"
	"Train GPT-2 on the CPU from [B, T+1] batch records (from batchify), read\n"
	"from each --data FILE in turn, or from stdin.\n"
	"\n"
	"Model:\n"
	"      --model NAME         gpt2:124M, gpt2:350M, gpt2:774M or gpt2:1558M\n"
	"      --layers N           transformer blocks (with --heads, --dim)\n"
	"      --heads N            attention heads\n"
	"      --dim N              channels; a multiple of --heads\n"
	"      --ctx N              longest sequence (default: the batches' T)\n"
	"      --vocab N            vocabulary size (default: the input header's)\n"
	"      --init FILE          start from an llm.c model file instead of a\n"
	"                           random initialisation\n"
	"      --export FILE        write the model as an llm.c model file at the end\n"
	"\n"
	"Data:\n"
	"      --data FILE          batch records (repeatable; read in order, and\n"
	"                           again from the first when they end before --steps)\n"
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
	"Checkpoints:\n"
	"      --ckpt-dir DIR       write checkpoints to DIR/step-NNNNNNNN\n"
	"      --ckpt-every N       every N steps (default: only at the end)\n"
	"      --keep K             keep the newest K checkpoints (default 0: all)\n"
	"      --resume             continue from the newest checkpoint in --ckpt-dir\n"
	"\n"
	"Output:\n"
	"      --log FILE           metrics of each step as JSON lines\n"
	"      --events FILE        started, checkpoint, finished, failed events as\n"
	"                           JSON lines\n"
	"      --progress           show a progress line on stderr even when it is not a terminal\n"
	"  -q, --quiet              no progress line\n"
	"  -h, --help               show this help and exit\n"
	"      --version            show the version and exit\n"
	"\n"
	"SIGINT and SIGTERM end the run after the current step, with a checkpoint.\n"
	"Exit status: 0 ok (also when stopped by a signal or when standard input\n"
	"ends before --steps), 1 I/O error, 2 usage (also an input vocabulary or T\n"
	"that does not fit the model, --total-batch not a multiple of B*T), 3-7 bad\n"
	"record input as in sluice-rec(5), 8 malformed input: a record that is not\n"
	"a batch, a masked batch, a token id outside the model's vocabulary, batches\n"
	"of different shapes, a bad model or checkpoint file.  See train-step(1).\n";

enum {
	OPT_MODEL = CLI_OPT_FIRST_PROGRAM_OPT,
	OPT_LAYERS,
	OPT_HEADS,
	OPT_DIM,
	OPT_CTX,
	OPT_VOCAB,
	OPT_INIT,
	OPT_EXPORT,
	OPT_DATA,
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
	OPT_CKPT_DIR,
	OPT_CKPT_EVERY,
	OPT_KEEP,
	OPT_RESUME,
	OPT_LOG,
	OPT_EVENTS,
};

/* ---- the batches ---- */

struct data {
	char **paths;
	int n;
	bool rereadable; /* every input is a file: read again from the first */
	int idx;         /* the input being read */
	uint64_t batch;  /* batches taken from it */
	uint64_t epoch;
	uint64_t offset; /* just past the last batch taken */
	uint64_t epoch_batches;
	struct rec_reader *in;
	char *first_header;
	uint32_t B, T;
	bool have_shape;
	int64_t header_vocab; /* of the first input, -1 if none */
	int model_vocab;      /* 0 until the model is known */
	uint32_t *inp, *tgt;
	const char *name; /* of the last batch */
	uint64_t frame_offset;
};

static int64_t header_vocab(const char *h)
{
	int64_t v = -1;
	json_t *j = h ? json_loads(h, 0, NULL) : NULL;
	json_t *x = json_object_get(j, "vocab_size");
	if (json_is_integer(x) && json_integer_value(x) > 0)
		v = json_integer_value(x);
	json_decref(j);
	return v;
}

static void vocab_fits(const struct data *d, int64_t hv, const char *name, uint64_t offset)
{
	if (d->model_vocab && hv > d->model_vocab)
		die_at(REC_E_USAGE, name, offset, "the input's vocab_size %" PRId64 " does not fit the model's vocabulary of %d",
		       hv, d->model_vocab);
}

static void check_ids(const struct data *d)
{
	size_t n = (size_t)d->B * d->T;
	for (size_t i = 0; i < n; i++) {
		uint32_t id = d->inp[i] > d->tgt[i] ? d->inp[i] : d->tgt[i];
		if (id >= (uint32_t)d->model_vocab)
			die_at(REC_E_MALFORMED, d->name, d->frame_offset,
			       "token id %u at or above the model's vocabulary of %d", id, d->model_vocab);
	}
}

static void data_open(struct data *d)
{
	d->in = rec_reader_open(d->paths[d->idx], 0);
	if (!d->in)
		die(REC_E_IO, "%s:", d->paths[d->idx]);
	d->batch = 0;
	d->offset = 0;
}

/* The next batch frame of the inputs, or NULL at the end of them. */
static int next_frame(struct data *d, struct rec_frame *f)
{
	for (;;) {
		if (!d->in) {
			if (d->idx >= d->n) {
				if (!d->rereadable || !d->epoch_batches)
					return 0;
				d->idx = 0;
				d->epoch++;
				d->epoch_batches = 0;
			}
			data_open(d);
		}
		const char *name = rec_reader_name(d->in);
		while (rec_next_or_die(d->in, f) > 0) {
			if (f->type == REC_HEADER) {
				const char *h = rec_reader_header(d->in);
				if (!d->first_header && h)
					d->first_header = xstrdup(h);
				vocab_fits(d, header_vocab(h), name, f->offset);
				continue;
			}
			if (f->type == REC_END)
				continue;
			if (f->type != REC_BATCH)
				die_at(REC_E_MALFORMED, name, f->offset, "a %s record: train-step reads batch records",
				       rec_type_name(f->type));
			return 1;
		}
		rec_reader_close(d->in);
		d->in = NULL;
		d->idx++;
	}
}

static int data_next(struct data *d)
{
	struct rec_frame f;
	if (!next_frame(d, &f))
		return 0;
	struct rec_batch b;
	rec_batch_view(&f, &b);
	d->name = rec_reader_name(d->in);
	d->frame_offset = f.offset;
	if (b.mask)
		die_at(REC_E_MALFORMED, d->name, f.offset,
		       "a masked batch: train-step cannot leave masked positions out of the loss yet "
		       "(make batches without batchify --pad)");
	if (b.B < 1 || b.T < 1)
		die_at(REC_E_MALFORMED, d->name, f.offset, "an empty batch (%u x %u)", b.B, b.T);
	if (!d->have_shape) {
		d->B = b.B, d->T = b.T, d->have_shape = true;
		d->inp = xmalloc((size_t)b.B * b.T * sizeof *d->inp);
		d->tgt = xmalloc((size_t)b.B * b.T * sizeof *d->tgt);
	} else if (b.B != d->B || b.T != d->T) {
		die_at(REC_E_MALFORMED, d->name, f.offset, "a %u x %u batch after batches of %u x %u", b.B, b.T, d->B,
		       d->T);
	}
	for (uint32_t r = 0; r < b.B; r++)
		for (uint32_t t = 0; t < b.T; t++) {
			size_t at = (size_t)r * (b.T + 1) + t;
			uint32_t a, c;
			if (b.dtype == REC_DT_U16) {
				const uint16_t *p = b.tokens;
				a = p[at], c = p[at + 1];
			} else {
				const uint32_t *p = b.tokens;
				a = p[at], c = p[at + 1];
			}
			d->inp[(size_t)r * b.T + t] = a;
			d->tgt[(size_t)r * b.T + t] = c;
		}
	if (d->model_vocab)
		check_ids(d);
	d->batch++;
	d->epoch_batches++;
	d->offset = rec_reader_offset(d->in);
	return 1;
}

/* Back to where a checkpoint left the data: input idx, `batch` batches in. */
static void data_seek(struct data *d, int idx, uint64_t batch, uint64_t offset, uint64_t epoch)
{
	if (idx < 0 || idx >= d->n)
		die(REC_E_MALFORMED, "the checkpoint's data position (input %d) is not among the %d inputs", idx, d->n);
	d->idx = idx;
	d->epoch = epoch;
	data_open(d);
	d->epoch_batches = 1; /* the inputs held batches when the checkpoint was made */
	struct rec_frame f;
	for (uint64_t i = 0; i < batch; i++) {
		if (!next_frame(d, &f) || d->idx != idx)
			die(REC_E_MALFORMED, "%s: ended before batch %" PRIu64 ", where the checkpoint stopped",
			    d->paths[idx], batch);
	}
	d->batch = batch;
	d->offset = batch ? rec_reader_offset(d->in) : 0;
	if (batch && d->offset != offset)
		die(REC_E_MALFORMED, "%s: batch %" PRIu64 " ends at byte %" PRIu64 ", the checkpoint says %" PRIu64
		    ": not the input it was trained on", d->paths[idx], batch, d->offset, offset);
}

/* ---- the run ---- */

struct run {
	struct gpt2 *m;
	struct gpt2_config cfg;
	struct train_sched sched;
	double beta1, beta2, eps, wd, clip;
	uint64_t total_batch, micro, seed;
	int threads;
	const char *ckpt_dir, *log_path, *events_path, *export_path, *init_path;
	uint64_t ckpt_every;
	unsigned keep;
	int argc;
	char **argv;
	FILE *log, *events;
	uint64_t step; /* steps done */
	uint64_t tokens;
	double last_loss;
	bool have_loss;
	struct data data;
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
	if (!r->events)
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

static json_t *config_json(const struct gpt2_config *c)
{
	return json_pack("{s:i,s:i,s:i,s:i,s:i,s:i}", "layers", c->layers, "heads", c->heads, "channels",
	                 c->channels, "max_seq", c->max_seq, "vocab", c->vocab, "padded_vocab", c->padded_vocab);
}

static char *dump(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!s)
		die(REC_E_IO, "out of memory");
	json_decref(j);
	return s;
}

static void checkpoint(struct run *r)
{
	size_t n, mlen, olen;
	const float *params = gpt2_params(r->m, &n);
	float *mom, *vel;
	gpt2_adamw_state(r->m, &mom, &vel);
	void *model = train_model_image(gpt2_cfg(r->m), params, n, &mlen);
	void *optim = train_optim_image(mom, vel, n, r->step, &olen);
	const struct data *d = &r->data;
	json_t *state = json_pack("{s:I,s:I,s:n,s:{s:i,s:s,s:I,s:I,s:I}}", "step", (json_int_t)r->step, "tokens_seen",
	                          (json_int_t)r->tokens, "rng", "data", "input", d->idx < d->n ? d->idx : d->n - 1,
	                          "path", d->paths[d->idx < d->n ? d->idx : d->n - 1], "batch",
	                          (json_int_t)d->batch, "offset", (json_int_t)d->offset, "epoch", (json_int_t)d->epoch);
	if (r->have_loss)
		json_object_set_new(state, "last_loss", json_real(r->last_loss));
	char *state_s = dump(state);

	json_t *args = json_array(), *paths = json_array();
	for (int i = 0; i < r->argc; i++)
		json_array_append_new(args, json_string(r->argv[i]));
	for (int i = 0; i < d->n; i++)
		json_array_append_new(paths, json_string(d->paths[i]));
	json_t *hdr = d->first_header ? json_loads(d->first_header, 0, NULL) : NULL;
	json_t *lineage = json_object_get(hdr, "lineage");
	json_t *man = json_pack("{s:s,s:s,s:s,s:o,s:o,s:{s:f,s:f,s:I,s:I,s:f,s:f,s:f,s:f,s:f,s:I,s:I,s:I,s:i}}",
	                        "format", "sluice-checkpoint", "program", "train-step", "sluice_version",
	                        SLUICE_VERSION, "config", config_json(gpt2_cfg(r->m)), "arguments", args, "training",
	                        "lr", r->sched.lr, "lr_min", r->sched.lr_min, "warmup", (json_int_t)r->sched.warmup,
	                        "steps", (json_int_t)r->sched.steps, "beta1", r->beta1, "beta2", r->beta2, "eps",
	                        r->eps, "weight_decay", r->wd, "grad_clip", r->clip, "total_batch",
	                        (json_int_t)r->total_batch, "micro_steps", (json_int_t)r->micro, "seed",
	                        (json_int_t)r->seed, "threads", r->threads);
	json_object_set_new(man, "input", json_pack("{s:o,s:O}", "paths", paths, "lineage",
	                                             lineage ? lineage : json_null()));
	json_t *metrics = json_pack("{s:I,s:I}", "step", (json_int_t)r->step, "tokens_seen", (json_int_t)r->tokens);
	json_object_set_new(metrics, "last_loss", r->have_loss ? json_real(r->last_loss) : json_null());
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
		die(REC_E_IO, "%s", err);
	free(model);
	free(optim);
	free(state_s);
	free(man_s);
	char extra[64];
	snprintf(extra, sizeof extra, "\"dir\":\"step-%08" PRIu64 "\"", r->step);
	event(r, "checkpoint", extra);
}

/* The configuration of an llm.c model file, and its parameters (to free). */
static void *load_model(const char *path, const char *what, struct gpt2_config *cfg, const float **params)
{
	size_t len, n;
	void *buf = train_read_file(path, &len);
	if (!buf)
		die(REC_E_IO, "%s:", path);
	char err[512];
	if (train_model_parse(buf, len, cfg, params, &n, err, sizeof err) != 0)
		die(REC_E_MALFORMED, "%s: %s: %s", what, path, err);
	return buf;
}

static void set_params(struct gpt2 *m, const float *params)
{
	size_t n;
	float *p = gpt2_params(m, &n);
	memcpy(p, params, n * sizeof *p);
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

static void progress_line(struct run *r, bool tty, double tok_s, double elapsed, uint64_t done_here, bool final)
{
	double eta = done_here ? elapsed / (double)done_here * (double)(r->sched.steps - r->step) : 0;
	fprintf(stderr, "%sstep %" PRIu64 "/%" PRIu64 "  loss %.4f  %.0f tok/s  ETA %d:%02d:%02d%s", tty ? "\r" : "",
	        r->step, r->sched.steps, r->last_loss, tok_s, (int)(eta / 3600), (int)fmod(eta / 60, 60),
	        (int)fmod(eta, 60), tty ? (final ? "\n" : "") : "\n");
	fflush(stderr);
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
		{"data", required_argument, 0, OPT_DATA},
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
		{"ckpt-dir", required_argument, 0, OPT_CKPT_DIR},
		{"ckpt-every", required_argument, 0, OPT_CKPT_EVERY},
		{"keep", required_argument, 0, OPT_KEEP},
		{"resume", no_argument, 0, OPT_RESUME},
		{"log", required_argument, 0, OPT_LOG},
		{"events", required_argument, 0, OPT_EVENTS},
		CLI_COMMON_OPTIONS,
		{0, 0, 0, 0},
	};
	cli_init(argc, argv);
	struct run r = {.sched = {.lr = 6e-4}, .beta1 = 0.9, .beta2 = 0.95, .eps = 1e-8, .wd = 0.1, .clip = 1.0,
	                .argc = argc, .argv = argv};
	enum cli_progress progress = CLI_PROGRESS_AUTO;
	const char *model_name = NULL;
	int layers = 0, heads = 0, dim = 0, ctx = 0, vocab = 0;
	bool have_lr_min = false, resume = false, have_steps = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "j:" CLI_COMMON_SHORT, longopts, NULL)) != -1) {
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
		case OPT_DATA:
			r.data.paths = xrealloc(r.data.paths, (size_t)(r.data.n + 1) * sizeof *r.data.paths);
			r.data.paths[r.data.n++] = optarg;
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
		case 'j':
			r.threads = parse_int(optarg, "--threads", 1);
			if (r.threads > 1024)
				cli_usage_error("--threads must be from 1 to 1024");
			break;
		case OPT_CKPT_DIR: r.ckpt_dir = optarg; break;
		case OPT_CKPT_EVERY: r.ckpt_every = cli_parse_u64(optarg, "--ckpt-every", 0); break;
		case OPT_KEEP: r.keep = (unsigned)parse_int(optarg, "--keep", 0); break;
		case OPT_RESUME: resume = true; break;
		case OPT_LOG: r.log_path = optarg; break;
		case OPT_EVENTS: r.events_path = optarg; break;
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
	if (model_name) {
		size_t i = 0;
		while (i < sizeof presets / sizeof *presets && strcmp(presets[i].name, model_name))
			i++;
		if (i == sizeof presets / sizeof *presets)
			cli_usage_error("--model: '%s' is not gpt2:124M, gpt2:350M, gpt2:774M or gpt2:1558M", model_name);
		layers = presets[i].layers, heads = presets[i].heads, dim = presets[i].dim;
		if (!ctx)
			ctx = 1024;
		if (!vocab)
			vocab = 50257;
	}
	if (layers && dim % heads)
		cli_usage_error("--dim %d is not a multiple of --heads %d", dim, heads);
	if (!r.threads) {
		long nc = sysconf(_SC_NPROCESSORS_ONLN);
		r.threads = nc > 0 ? (int)nc : 1;
	}
	static char *stdin_name[] = {"-"};
	if (!r.data.n)
		r.data.paths = stdin_name, r.data.n = 1;
	r.data.rereadable = true;
	for (int i = 0; i < r.data.n; i++)
		if (strcmp(r.data.paths[i], "-") == 0)
			r.data.rereadable = false;
	r.data.header_vocab = -1;
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (r.events_path && !(r.events = fopen(r.events_path, "a")))
		die(REC_E_IO, "%s:", r.events_path);
	the_run = &r;
	atexit(at_exit);

	/* The model's configuration, and where its parameters come from. */
	void *model_buf = NULL;
	const float *loaded = NULL;
	char *ckpt_path = NULL;
	uint64_t ckpt_step = 0;
	json_t *state = NULL;
	if (resume) {
		ckpt_path = ckpt_latest(r.ckpt_dir, &ckpt_step);
		if (!ckpt_path)
			warn("--resume: no checkpoint in %s yet: starting from step 0", r.ckpt_dir);
	}
	if (ckpt_path) {
		char err[1024];
		size_t len;
		void *buf = ckpt_load(ckpt_path, "model.bin", &len, err, sizeof err);
		if (!buf)
			die(REC_E_IO, "%s", err);
		size_t n;
		if (train_model_parse(buf, len, &r.cfg, &loaded, &n, err, sizeof err) != 0)
			die(REC_E_MALFORMED, "%s/model.bin: %s", ckpt_path, err);
		model_buf = buf;
		if ((layers && (layers != r.cfg.layers || heads != r.cfg.heads || dim != r.cfg.channels)) ||
		    (ctx && ctx != r.cfg.max_seq) || (vocab && vocab != r.cfg.vocab))
			die(REC_E_USAGE, "%s: the checkpoint's model (%d layers, %d heads, dim %d, ctx %d, vocab %d) is "
			    "not the one the options give", ckpt_path, r.cfg.layers, r.cfg.heads, r.cfg.channels,
			    r.cfg.max_seq, r.cfg.vocab);
		char *st = ckpt_load(ckpt_path, "state.json", &len, err, sizeof err);
		if (!st)
			die(REC_E_IO, "%s", err);
		state = json_loadb(st, len, 0, NULL);
		free(st);
		if (!json_is_object(state))
			die(REC_E_MALFORMED, "%s/state.json: not a JSON object", ckpt_path);
	} else if (r.init_path) {
		model_buf = load_model(r.init_path, "--init", &r.cfg, &loaded);
	} else if (!layers) {
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
		    batch < 0 || off < 0 || epoch < 0 || step < 0 || tokens < 0)
			die(REC_E_MALFORMED, "%s/state.json: no step or data position", ckpt_path);
		if ((uint64_t)step != ckpt_step)
			die(REC_E_MALFORMED, "%s/state.json: step %" PRId64 " in checkpoint %" PRIu64, ckpt_path,
			    (int64_t)step, ckpt_step);
		r.step = (uint64_t)step;
		r.tokens = (uint64_t)tokens;
		json_t *ll = json_object_get(state, "last_loss");
		if (json_is_number(ll))
			r.last_loss = json_number_value(ll), r.have_loss = true;
		data_seek(&r.data, (int)idx, (uint64_t)batch, (uint64_t)off, (uint64_t)epoch);
	}
	bool pending = data_next(&r.data);
	if (!pending && r.step < r.sched.steps)
		die(REC_E_NO_END, "%s: no batch records to train on", r.data.paths[r.data.n - 1]);
	struct data *d = &r.data;
	d->header_vocab = header_vocab(d->first_header);

	if (!loaded) {
		if (!vocab) {
			if (d->header_vocab < 1)
				cli_usage_error("the input header has no vocab_size: give --vocab");
			if (d->header_vocab > (1 << 24))
				cli_usage_error("the input's vocab_size %" PRId64 " is too large", d->header_vocab);
			vocab = (int)d->header_vocab;
		}
		r.cfg = (struct gpt2_config){.layers = layers, .heads = heads, .channels = dim,
		                             .max_seq = ctx ? ctx : (int)d->T, .vocab = vocab};
	}
	if (d->header_vocab > r.cfg.vocab)
		die(REC_E_USAGE, "%s: the input's vocab_size %" PRId64 " does not fit the model's vocabulary of %d",
		    d->paths[0], d->header_vocab, r.cfg.vocab);
	if (pending && d->T > (uint32_t)r.cfg.max_seq)
		die(REC_E_USAGE, "%s: batches of T=%u are longer than the model's context of %d (--ctx)", d->name, d->T,
		    r.cfg.max_seq);
	d->model_vocab = r.cfg.vocab;
	if (pending)
		check_ids(d);
	uint64_t bt = (uint64_t)d->B * d->T;
	if (!r.total_batch)
		r.total_batch = bt;
	if (bt && r.total_batch % bt)
		die(REC_E_USAGE, "--total-batch %" PRIu64 " is not a multiple of B*T = %u*%u = %" PRIu64, r.total_batch,
		    d->B, d->T, bt);
	r.micro = bt ? r.total_batch / bt : 1;

	r.m = gpt2_new(&r.cfg);
	r.cfg = *gpt2_cfg(r.m);
	gpt2_set_threads(r.m, r.threads);
	openblas_set_num_threads(r.threads);
	gpt2_init(r.m, r.seed);
	if (loaded)
		set_params(r.m, loaded);
	free(model_buf);
	size_t nparams;
	float *grads = gpt2_grads(r.m, &nparams);
	if (ckpt_path) {
		char err[1024];
		size_t len;
		void *buf = ckpt_load(ckpt_path, "optim.bin", &len, err, sizeof err);
		if (!buf)
			die(REC_E_IO, "%s", err);
		float *mom, *vel;
		uint64_t ostep;
		gpt2_adamw_state(r.m, &mom, &vel);
		if (train_optim_parse(buf, len, nparams, mom, vel, &ostep, err, sizeof err) != 0 || ostep != r.step)
			die(REC_E_MALFORMED, "%s/optim.bin: %s", ckpt_path, ostep != r.step ? "not of the checkpoint's step" : err);
		free(buf);
	}
	json_decref(state);

	if (r.log_path && !(r.log = fopen(r.log_path, ckpt_path ? "a" : "w")))
		die(REC_E_IO, "%s:", r.log_path);
	{
		char extra[128];
		snprintf(extra, sizeof extra, "\"steps\":%" PRIu64 ",\"params\":%zu,\"resumed\":%s", r.sched.steps, nparams,
		         ckpt_path ? "true" : "false");
		event(&r, "started", extra);
	}
	bool show = progress == CLI_PROGRESS_ON || (progress == CLI_PROGRESS_AUTO && isatty(2));
	bool tty = isatty(2);
	double start = now_s(), last_draw = 0;
	uint64_t first_step = r.step;
	const char *reason = "steps";
	bool saved = false;
	while (r.step < r.sched.steps) {
		double t0 = now_s();
		gpt2_zero_grad(r.m);
		double loss_sum = 0;
		bool out = false;
		for (uint64_t k = 0; k < r.micro; k++) {
			if (!pending && !data_next(d)) {
				out = true;
				break;
			}
			pending = false;
			loss_sum += gpt2_forward(r.m, d->inp, d->tgt, (int)d->B, (int)d->T);
			gpt2_backward(r.m);
		}
		if (out) {
			reason = "data";
			warn("the input ended after step %" PRIu64 " of %" PRIu64 " (standard input is not read again)",
			     r.step, r.sched.steps);
			break;
		}
		float loss = (float)(loss_sum / (double)r.micro);
		if (r.micro > 1)
			train_scale(grads, nparams, 1.0f / (float)r.micro);
		double norm = train_grad_norm(grads, nparams);
		if (r.clip > 0 && norm > r.clip)
			train_scale(grads, nparams, (float)(r.clip / norm));
		double lr = train_lr(&r.sched, r.step);
		gpt2_adamw(r.m, (float)lr, (float)r.beta1, (float)r.beta2, (float)r.eps, (float)r.wd, (int)(r.step + 1));
		r.step++;
		r.tokens += r.micro * bt;
		r.last_loss = loss, r.have_loss = true;
		double ms = (now_s() - t0) * 1e3;
		double tok_s = ms > 0 ? (double)(r.micro * bt) / (ms / 1e3) : 0;
		if (r.log) {
			fprintf(r.log, "{\"step\":%" PRIu64 ",\"loss\":%.9g,\"lr\":%.9g,\"grad_norm\":%.9g,\"tokens_per_s\":%.1f,\"ms\":%.3f}\n",
			        r.step, (double)loss, lr, norm, tok_s, ms);
			if (fflush(r.log) != 0)
				die(REC_E_IO, "%s: write error:", r.log_path);
		}
		saved = false;
		if (r.ckpt_dir && r.ckpt_every && r.step % r.ckpt_every == 0) {
			checkpoint(&r);
			saved = true;
		}
		double now = now_s();
		if (show && (tty || now - last_draw >= 5 || r.step == r.sched.steps)) {
			progress_line(&r, tty, tok_s, now - start, r.step - first_step, r.step == r.sched.steps);
			last_draw = now;
		}
		if (stop_signal) {
			reason = "signal";
			break;
		}
	}
	if (show && tty && r.step != r.sched.steps && r.step != first_step)
		fputc('\n', stderr);
	if (r.ckpt_dir && !saved && r.step != first_step)
		checkpoint(&r);
	if (r.export_path) {
		size_t len;
		void *img = train_model_image(gpt2_cfg(r.m), gpt2_params(r.m, NULL), nparams, &len);
		struct atomic_file af;
		if (atomic_open(&af, r.export_path) != 0)
			die(REC_E_IO, "%s:", r.export_path);
		write_all(af.fd, img, len, r.export_path);
		if (atomic_commit(&af) != 0)
			die(REC_E_IO, "%s:", r.export_path);
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
		die(REC_E_IO, "%s: write error:", r.log_path);
	if (r.events)
		fclose(r.events);
	if (d->in)
		rec_reader_close(d->in);
	free(d->inp);
	free(d->tgt);
	free(d->first_header);
	free(ckpt_path);
	if (d->paths != stdin_name)
		free(d->paths);
	gpt2_free(r.m);
	return 0;
}
