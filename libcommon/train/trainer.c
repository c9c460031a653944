/* trainer.c - the training run of train-step (see trainer.h). */
#define _GNU_SOURCE /* sigaction, isatty with c11 */
#include "train/trainer.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "base/die.h"
#include "base/io.h"
#include "model/ckpt.h"
#include "train/batchsrc.h"
#include "train/ddp.h"
#include "train/resume.h"
#include "train/runlog.h"

struct trainer {
	struct trainer_opts o;
	struct lm *m;
	struct lm_config cfg;
	uint64_t total_batch, micro;
	struct runlog log;
	uint64_t step; /* steps done */
	uint64_t tokens;
	double last_loss, last_val;
	bool have_loss, have_val;
	struct batchsrc *data, *val;
	bool pending; /* data holds a batch not yet trained on */
	uint32_t T;   /* of every batch */
	struct resume resume;
	bool show, tty;
	/* the device, and the ranks of a multi-GPU run (world 1 otherwise) */
	int device;
	enum lm_precision prec;
	int asked_device; /* before auto was settled */
	enum lm_precision asked_prec;
	struct ddp_info ddp;
	struct ddp_nccl *nccl;
	bool lead; /* rank 0: writes the log, events, checkpoints and export */
	struct lm_step_stats stats;
	bool stats_fresh; /* stats are the last step's */
	bool finished;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void event(struct trainer *t, const char *what, const char *extra)
{
	if (t->lead)
		runlog_event(&t->log, what, t->step, extra);
}

void trainer_failed(struct trainer *t)
{
	if (t && !t->finished)
		event(t, "failed", NULL);
}

static void fetch_stats(struct trainer *t)
{
	if (t->stats_fresh)
		return;
	lm_train_stats(t->m, &t->stats);
	t->last_loss = t->stats.loss;
	t->stats_fresh = true;
}

/* A rank that cannot use its GPU: with other ranks waiting to meet it in
 * ddp_nccl_open, it meets them with its reason so they fail at once
 * instead of at the timeout.  128 is the size of the NCCL unique id that
 * ddp_nccl_open's rendezvous hands round. */
SLUICE_NORETURN static void device_fail(const struct trainer *t, int status, const char *why)
{
	if (t->ddp.world > 1) {
		char err[1024];
		ddp_rendezvous_abort(&t->ddp, 128, DDP_NCCL_TIMEOUT_S, why, err, sizeof err);
		die(status, "rank %d: --device: %s", t->ddp.rank, why);
	}
	die(status, "--device: %s", why);
}

/* The device, settled before any data is read: a GPU that is not there is
 * a usage error (2), as is a precision the CPU lacks.  An LSTM trains on
 * the CPU, which auto picks for it. */
static void settle_device(struct trainer *t)
{
	char err[1024];
	bool is_lstm = t->o.want.arch == LM_LSTM;
	if (ddp_from_env(&t->ddp, err, sizeof err) != 0)
		cli_usage_error("%s", err);
	if (t->ddp.world > 1) {
		if (t->device == LM_DEVICE_CPU || is_lstm || !lm_cuda_built())
			cli_usage_error("%d processes (rank %d): training on several processes needs a CUDA build and "
			                "GPT-2 on GPUs (--device auto or cuda)",
			                t->ddp.world, t->ddp.rank);
		t->device = t->ddp.local_rank; /* one GPU per process */
		t->lead = t->ddp.rank == 0;
	}
	if (is_lstm && t->device == LM_DEVICE_AUTO)
		t->device = LM_DEVICE_CPU;
	if (is_lstm && t->device >= 0)
		cli_usage_error("--device cuda: the character LSTM trains on the CPU only");
	t->asked_device = t->device;
	t->asked_prec = t->prec;
	if (lm_resolve_device(&t->device, &t->prec, err, sizeof err) != 0)
		device_fail(t, STATUS_USAGE, err);
}

struct trainer *trainer_new(const struct trainer_opts *o)
{
	struct trainer *t = xcalloc(1, sizeof *t);
	t->o = *o;
	t->device = o->device;
	t->prec = o->prec;
	t->lead = true;
	t->stats_fresh = true;
	t->ddp = (struct ddp_info){.rank = 0, .world = 1, .local_rank = 0};
	settle_device(t);
	struct batchsrc_opts bo = {.B = o->B, .T = o->T, .raw_width = o->raw_width, .cycle = true, .option = "--data"};
	t->data = batchsrc_new(o->data_paths, o->n_data, &bo);
	if (o->n_val) {
		bo.option = "--val";
		bo.cycle = false;
		t->val = batchsrc_new(o->val_paths, o->n_val, &bo);
	}
	struct sigaction sa = {0};
	sa.sa_handler = o->on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (t->lead && o->events_path)
		runlog_open_events(&t->log, o->events_path);
	return t;
}

void trainer_free(struct trainer *t)
{
	if (!t)
		return;
	batchsrc_free(t->data);
	batchsrc_free(t->val);
	resume_free(&t->resume);
	ddp_nccl_close(t->nccl);
	lm_free(t->m);
	free(t);
}

static void checkpoint(struct trainer *t)
{
	if (!t->lead)
		return;
	fetch_stats(t);
	const struct trainer_opts *o = &t->o;
	struct ckpt_contents c = {.argc = o->argc, .argv = o->argv, .paths = o->data_paths, .npaths = o->n_data,
	                          .have_val = t->have_val, .last_val = t->last_val};
	if (t->cfg.arch == LM_LSTM)
		c.lstm = &t->cfg.lstm;
	else
		c.gpt2 = &t->cfg.gpt2;
	lm_params(t->m, &c.n);
	float *mom, *vel;
	lm_adamw_state(t->m, &mom, &vel);
	c.m = mom, c.v = vel;
	void *model = lm_image(t->m, false, &c.model_len);
	c.model = model;
	struct batchsrc_pos pos;
	batchsrc_pos(t->data, &pos);
	c.state = (struct ckpt_state){.step = t->step, .tokens = t->tokens, .have_loss = t->have_loss,
	                              .last_loss = t->last_loss, .fp16 = t->prec == LM_FP16,
	                              .loss_scale = t->stats.loss_scale, .skipped = t->stats.skipped};
	c.state.data.input = pos.input;
	c.state.data.path = o->data_paths[pos.input];
	c.state.data.batch = pos.batch;
	c.state.data.offset = pos.offset;
	c.state.data.epoch = pos.epoch;
	c.header = batchsrc_header(t->data);
	c.training = (struct ckpt_training){
		.lr = o->sched.lr, .lr_min = o->sched.lr_min, .warmup = o->sched.warmup, .steps = o->sched.steps,
		.beta1 = o->beta1, .beta2 = o->beta2, .eps = o->eps, .weight_decay = o->weight_decay,
		.grad_clip = o->grad_clip, .total_batch = t->total_batch, .micro_steps = t->micro, .seed = o->seed,
		.threads = o->threads};
	char err[1024];
	if (ckpt_write(o->ckpt_dir, o->keep, &c, err, sizeof err) != 0)
		die(STATUS_FAIL, "%s", err);
	free(model);
	char extra[64];
	snprintf(extra, sizeof extra, "\"dir\":\"step-%08" PRIu64 "\"", t->step);
	event(t, "checkpoint", extra);
}

/* The validation loss: the mean of the per-batch mean losses of the first
 * eval_batches batches of --val (all of them by default). */
static void evaluate(struct trainer *t)
{
	batchsrc_rewind(t->val);
	double sum = 0;
	uint64_t k = 0;
	while ((!t->o.eval_batches || k < t->o.eval_batches) && batchsrc_next(t->val)) {
		uint32_t T = batchsrc_T(t->val);
		if (lm_max_seq(t->m) && T > (uint32_t)lm_max_seq(t->m))
			die_at(STATUS_USAGE, batchsrc_name(t->val), batchsrc_offset(t->val),
			       "validation batches of T=%u are longer than the model's context of %d", T, lm_max_seq(t->m));
		sum += lm_forward(t->m, batchsrc_inputs(t->val), batchsrc_targets(t->val), (int)batchsrc_B(t->val),
		                  (int)T);
		k++;
	}
	if (!k)
		die(STATUS_NO_END, "%s: no validation batches", t->o.val_paths[0]);
	t->last_val = sum / (double)k;
	t->have_val = true;
	double ppl = exp(t->last_val);
	if (t->lead)
		runlog_eval(&t->log, t->step, t->last_val, ppl, k);
	char extra[128];
	snprintf(extra, sizeof extra, "\"val_loss\":%.6g,\"val_ppl\":%.6g", t->last_val, ppl);
	event(t, "eval", extra);
	if (t->show && t->lead)
		fprintf(stderr, "%sstep %" PRIu64 "  val loss %.4f  val ppl %.2f\n", t->tty ? "\r\033[K" : "", t->step,
		        t->last_val, ppl);
}

static void progress_line(struct trainer *t, double tok_s, double elapsed, uint64_t done_here, bool final)
{
	uint64_t steps = t->o.sched.steps;
	double eta = done_here ? elapsed / (double)done_here * (double)(steps - t->step) : 0;
	fprintf(stderr, "%sstep %" PRIu64 "/%" PRIu64 "  loss %.4f  %.0f tok/s  ETA %d:%02d:%02d%s", t->tty ? "\r" : "",
	        t->step, steps, t->last_loss, tok_s, (int)(eta / 3600), (int)fmod(eta / 60, 60),
	        (int)fmod(eta, 60), t->tty ? (final ? "\n" : "") : "\n");
	fflush(stderr);
}

/* The model, when a checkpoint or --init gives it. */
static void open_model(struct trainer *t)
{
	const struct trainer_opts *o = &t->o;
	char err[1024];
	if (o->resume)
		resume_find(&t->resume, o->ckpt_dir);
	if (t->resume.path) {
		t->m = resume_model(&t->resume, o->want_given ? &o->want : NULL);
	} else if (o->init_path) {
		t->m = lm_load_file(o->init_path, err, sizeof err);
		if (!t->m)
			die(STATUS_MALFORMED, "--init: %s", err);
	} else if (!o->want_named) {
		cli_usage_error("--resume without a checkpoint starts afresh: give the model too");
	}
}

/* The data: back to the checkpoint's position, then the first batch,
 * whose shape the rest must have; the model, when nothing gave it yet,
 * from the options and the data; then the steps' micro-batches. */
static void open_data(struct trainer *t)
{
	const struct trainer_opts *o = &t->o;
	if (t->resume.path) {
		const struct ckpt_state *st = &t->resume.state;
		t->step = st->step;
		t->tokens = st->tokens;
		if (st->have_loss)
			t->last_loss = st->last_loss, t->have_loss = true;
		struct batchsrc_pos pos = {st->data.input, st->data.batch, st->data.offset, st->data.epoch};
		batchsrc_seek(t->data, &pos);
	}
	t->pending = batchsrc_next(t->data);
	if (!t->pending && t->step < o->sched.steps)
		die(STATUS_NO_END, "%s: no batch records to train on", o->data_paths[o->n_data - 1]);
	int64_t header_vocab = batchsrc_header_vocab(t->data);
	uint32_t B = batchsrc_B(t->data), T = batchsrc_T(t->data);
	t->T = T;

	if (!t->m) {
		struct lm_config want = o->want;
		bool is_lstm = want.arch == LM_LSTM;
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
		t->m = lm_new(&want);
		lm_init(t->m, o->seed);
	}
	t->cfg = *lm_config(t->m);
	if (header_vocab > lm_vocab(t->m))
		die(STATUS_USAGE, "%s: the input's vocab_size %" PRId64 " does not fit the model's vocabulary of %d",
		    o->data_paths[0], header_vocab, lm_vocab(t->m));
	if (t->pending && lm_max_seq(t->m) && T > (uint32_t)lm_max_seq(t->m))
		die(STATUS_USAGE, "%s: batches of T=%u are longer than the model's context of %d (--ctx)",
		    batchsrc_name(t->data), T, lm_max_seq(t->m));
	batchsrc_set_vocab(t->data, lm_vocab(t->m));
	if (t->val)
		batchsrc_set_vocab(t->val, lm_vocab(t->m));
	uint64_t bt = (uint64_t)B * T;
	t->total_batch = o->total_batch ? o->total_batch : bt;
	if (bt && t->total_batch % bt)
		die(STATUS_USAGE, "--total-batch %" PRIu64 " is not a multiple of B*T = %u*%u = %" PRIu64, t->total_batch, B,
		    T, bt);
	t->micro = bt ? t->total_batch / bt : 1;
}

/* The model on its device, and the ranks met. */
static void open_device(struct trainer *t)
{
	char err[1024];
	/* A model from --init or a checkpoint may be an LSTM that auto put
	 * on the CPU; a GPU for it was refused above only when --model said so. */
	if (t->device >= 0 && lm_config(t->m)->arch == LM_LSTM) {
		if (t->asked_device != LM_DEVICE_AUTO || t->ddp.world > 1)
			die(STATUS_USAGE, "--device cuda: the character LSTM trains on the CPU only");
		if (t->asked_prec == LM_BF16 || t->asked_prec == LM_FP16)
			die(STATUS_USAGE, "--precision %s: the character LSTM trains on the CPU, in fp32",
			    lm_precision_name(t->asked_prec));
		t->device = LM_DEVICE_CPU, t->prec = LM_FP32;
	}
	if (t->device >= 0) {
		if (lm_to_device(t->m, t->device, t->prec, err, sizeof err) != 0)
			device_fail(t, STATUS_FAIL, err);
		const struct ckpt_state *st = &t->resume.state;
		if (st->loss_scale > 0 || st->skipped)
			lm_set_scaler(t->m, st->skipped, st->loss_scale);
	}
	if (t->ddp.world > 1) {
		t->nccl = ddp_nccl_open(&t->ddp, t->device, err, sizeof err);
		if (!t->nccl)
			die(STATUS_FAIL, "rank %d: %s", t->ddp.rank, err);
	}
}

/* The metrics log, the started event and the progress line's first line. */
static void start(struct trainer *t, size_t nparams)
{
	const struct trainer_opts *o = &t->o;
	if (t->lead && o->log_path)
		runlog_open_metrics(&t->log, o->log_path, t->resume.path != NULL, t->resume.step);
	char extra[768], desc[128], dev[320];
	lm_describe(t->m, desc, sizeof desc);
	lm_device_describe(t->m, dev, sizeof dev);
	json_t *devj = json_string(dev);
	char *devs = json_dumps(devj, JSON_ENCODE_ANY);
	json_decref(devj);
	if (!devs)
		die(STATUS_FAIL, "out of memory");
	snprintf(extra, sizeof extra,
	         "\"steps\":%" PRIu64 ",\"params\":%zu,\"model\":\"%s\",\"resumed\":%s,\"device\":%s,"
	         "\"precision\":\"%s\",\"world\":%d",
	         o->sched.steps, nparams, desc, t->resume.path ? "true" : "false", devs, lm_precision_name(t->prec),
	         t->ddp.world);
	event(t, "started", extra);
	free(devs);
	t->show = t->lead && (o->progress == CLI_PROGRESS_ON || (o->progress == CLI_PROGRESS_AUTO && isatty(2)));
	if (t->show)
		fprintf(stderr, "train-step: %s on %s, %s%s\n", desc, dev, lm_precision_name(t->prec),
		        t->ddp.world > 1 ? ", every rank on its own GPU" : "");
}

/* One step's gradients: rank R of W takes batches R, R+W, R+2W... of the
 * stream (the rule of --shard I/N): each micro-batch reads W batches.
 * false when the data ended first. */
static bool accumulate(struct trainer *t, uint64_t *step_tokens)
{
	lm_zero_grad(t->m);
	for (uint64_t k = 0; k < t->micro; k++) {
		for (int w = 0; w < t->ddp.world; w++) {
			if (!t->pending && !batchsrc_next(t->data))
				return false;
			t->pending = false;
			uint32_t rows = batchsrc_B(t->data);
			if (w == t->ddp.rank)
				lm_train_micro(t->m, batchsrc_inputs(t->data), batchsrc_targets(t->data), (int)rows, (int)t->T);
			*step_tokens += (uint64_t)rows * t->T;
		}
	}
	if (t->nccl) {
		char err[1024];
		size_t gn;
		void *stream;
		float *g = lm_device_grads(t->m, &gn, &stream);
		if (ddp_nccl_allreduce_avg_f32(t->nccl, g, gn, stream, err, sizeof err) != 0)
			die(STATUS_FAIL, "rank %d: %s", t->ddp.rank, err);
	}
	return true;
}

static void export_model(const struct trainer *t)
{
	const char *path = t->o.export_path;
	size_t len;
	void *img = lm_image(t->m, t->o.export_bf16, &len);
	/* Static: atomic_guard holds it until exit, and removes the temporary
	 * file when a write dies (a full disk left model.bin.tmp.XXXXXX). */
	static struct atomic_file af;
	if (atomic_open(&af, path) != 0)
		die(STATUS_FAIL, "%s:", path);
	atomic_guard(&af);
	write_all(af.fd, img, len, path);
	if (atomic_commit(&af) != 0)
		die(STATUS_FAIL, "%s:", path);
	free(img);
}

void trainer_run(struct trainer *t)
{
	const struct trainer_opts *o = &t->o;
	open_model(t);
	open_data(t);
	lm_set_threads(t->m, o->threads);
	size_t nparams;
	lm_params(t->m, &nparams);
	if (t->resume.path)
		resume_optimizer(&t->resume, t->m);
	open_device(t);
	start(t, nparams);

	t->tty = isatty(2);
	double start_s = now_s(), last_draw = 0;
	uint64_t first_step = t->step, steps = o->sched.steps;
	const char *reason = "steps";
	bool saved = false, evaluated = false;
	struct adamw_hparams hp = {.beta1 = (float)o->beta1, .beta2 = (float)o->beta2, .eps = (float)o->eps,
	                           .weight_decay = (float)o->weight_decay};
	char dev_label[32];
	if (t->device >= 0)
		snprintf(dev_label, sizeof dev_label, "cuda:%d", t->device);
	else
		snprintf(dev_label, sizeof dev_label, "cpu");
	while (t->step < steps) {
		double t0 = now_s();
		uint64_t step_tokens = 0;
		if (!accumulate(t, &step_tokens)) {
			reason = "data";
			if (t->lead)
				warn("the input ended after step %" PRIu64 " of %" PRIu64 " (standard input is not read again)",
				     t->step, steps);
			break;
		}
		double lr = train_lr(&o->sched, t->step);
		hp.lr = (float)lr;
		lm_train_step(t->m, &hp, t->step + 1, o->grad_clip, t->micro);
		t->stats_fresh = false;
		t->step++;
		t->tokens += step_tokens;
		t->have_loss = true;
		double now = now_s();
		bool draw = t->show && (t->tty || now - last_draw >= 5 || t->step == steps);
		/* on a GPU this waits for the step: only when something shows it */
		if (t->log.log || draw)
			fetch_stats(t);
		now = now_s();
		double ms = (now - t0) * 1e3;
		double tok_s = ms > 0 ? (double)step_tokens / (ms / 1e3) : 0;
		const struct lm_step_stats *st = &t->stats;
		runlog_step(&t->log, &(struct runlog_step){.step = t->step, .loss = st->loss, .lr = lr,
		                                           .grad_norm = st->grad_norm, .tokens_per_s = tok_s, .ms = ms,
		                                           .device = dev_label, .precision = lm_precision_name(t->prec),
		                                           .fp16 = t->prec == LM_FP16, .skipped = st->skipped,
		                                           .loss_scale = st->loss_scale});
		if (draw) {
			progress_line(t, tok_s, now - start_s, t->step - first_step, t->step == steps);
			last_draw = now;
		}
		evaluated = false;
		if (t->val && ((o->eval_every && t->step % o->eval_every == 0) || t->step == steps)) {
			evaluate(t);
			evaluated = true;
		}
		saved = false;
		if (o->ckpt_dir && o->ckpt_every && t->step % o->ckpt_every == 0) {
			checkpoint(t);
			saved = true;
		}
		if (*o->stop_signal) {
			reason = "signal";
			break;
		}
	}
	if (t->show && t->tty && t->step != steps && t->step != first_step)
		fputc('\n', stderr);
	if (t->val && !evaluated && t->step != first_step)
		evaluate(t);
	if (o->ckpt_dir && !saved && t->step != first_step)
		checkpoint(t);
	if (o->export_path && t->lead)
		export_model(t);
	if (*o->stop_signal)
		warn("stopped by %s after step %" PRIu64 "%s", *o->stop_signal == SIGINT ? "SIGINT" : "SIGTERM", t->step,
		     o->ckpt_dir ? "; checkpoint written" : "");
	char extra[64];
	snprintf(extra, sizeof extra, "\"reason\":\"%s\"", reason);
	event(t, "finished", extra);
	t->finished = true;
	runlog_close(&t->log);
}
