/* lm.c - one interface over GPT-2 and the LSTM; model files. */
#include "model/lm.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/die.h"
#include "base/io.h"
#include "base/parfor.h"
#include "model/ckpt.h"
#include "model/cudaplug.h"
#include "model/gpt2gen.h"
#include "rec/rec.h"

struct lm {
	struct lm_config cfg;
	struct gpt2 *gpt2;
	struct lstm *lstm;
	struct parfor *pool; /* the LSTM's AdamW; GPT-2 brings its own */
	int threads;
	float *adam_m, *adam_v;
	struct adamw_span spans[(int)GPT2_NTENSORS > (int)LSTM_NTENSORS ? (int)GPT2_NTENSORS : (int)LSTM_NTENSORS];
	size_t nspans;
	double loss_sum;            /* the CPU's micro-batch losses of the step */
	struct lm_step_stats stats; /* the CPU's last step */
	struct gpt2cuda *cu;        /* the GPU model, or NULL */
	const struct gpt2cuda_ops *cu_ops; /* the plugin's functions, with cu */
	int device;                 /* LM_DEVICE_CPU or the GPU */
	enum lm_precision prec;
	int B, T;                   /* the last forward's shape (for lm_logits from a GPU) */
	float *host_logits;         /* lm_logits's copy from a GPU */
	size_t host_logits_n;
};

struct lm *lm_new(const struct lm_config *cfg)
{
	struct lm *m = xcalloc(1, sizeof *m);
	m->cfg = *cfg;
	if (cfg->arch == LM_GPT2) {
		m->gpt2 = gpt2_new(&cfg->gpt2);
		m->cfg.gpt2 = *gpt2_cfg(m->gpt2);
		for (int t = 0; t < GPT2_NTENSORS; t++) {
			struct gpt2_tensor_info ti;
			gpt2_tensor_info(m->gpt2, (enum gpt2_tensor)t, &ti);
			m->spans[m->nspans++] = (struct adamw_span){ti.offset, ti.size, ti.decay};
		}
	} else {
		m->lstm = lstm_new(&cfg->lstm);
		for (int t = 0; t < LSTM_NTENSORS; t++) {
			struct lstm_tensor_info ti;
			lstm_tensor_info(m->lstm, (enum lstm_tensor)t, &ti);
			m->spans[m->nspans++] = (struct adamw_span){ti.offset, ti.size, ti.decay};
		}
	}
	m->threads = 1;
	m->pool = parfor_new(1);
	m->device = LM_DEVICE_CPU;
	m->prec = LM_FP32;
	return m;
}

void lm_free(struct lm *m)
{
	if (!m)
		return;
	if (m->cu)
		m->cu_ops->destroy(m->cu);
	free(m->host_logits);
	gpt2_free(m->gpt2);
	if (m->lstm)
		lstm_free(m->lstm);
	parfor_free(m->pool);
	free(m->adam_m);
	free(m->adam_v);
	free(m);
}

const struct lm_config *lm_config(const struct lm *m) { return &m->cfg; }

int lm_vocab(const struct lm *m) { return m->gpt2 ? m->cfg.gpt2.vocab : m->cfg.lstm.vocab; }

int lm_max_seq(const struct lm *m) { return m->gpt2 ? m->cfg.gpt2.max_seq : 0; }

void lm_describe(const struct lm *m, char *out, size_t len)
{
	const struct gpt2_config *g = &m->cfg.gpt2;
	const struct lstm_config *l = &m->cfg.lstm;
	if (m->gpt2)
		snprintf(out, len, "gpt2 L=%d H=%d C=%d T=%d V=%d", g->layers, g->heads, g->channels, g->max_seq,
		         g->vocab);
	else
		snprintf(out, len, "lstm L=%d H=%d V=%d", l->layers, l->hidden, l->vocab);
}

void lm_set_threads(struct lm *m, int threads)
{
	if (m->gpt2)
		gpt2_set_threads(m->gpt2, threads);
	else
		lstm_set_threads(m->lstm, threads);
	if (threads != m->threads) {
		parfor_free(m->pool);
		m->pool = parfor_new(threads);
		m->threads = threads;
	}
	openblas_set_num_threads(threads);
}

void lm_init(struct lm *m, uint64_t seed)
{
	if (m->gpt2)
		gpt2_init(m->gpt2, seed);
	else
		lstm_init(m->lstm, seed);
	size_t n;
	lm_params(m, &n);
	if (m->adam_m) {
		memset(m->adam_m, 0, n * sizeof(float));
		memset(m->adam_v, 0, n * sizeof(float));
	}
	if (m->cu)
		m->cu_ops->upload(m->cu, lm_params(m, NULL), NULL, NULL);
}

float *lm_params(struct lm *m, size_t *n)
{
	return m->gpt2 ? gpt2_params(m->gpt2, n) : lstm_params(m->lstm, n);
}

float *lm_grads(struct lm *m, size_t *n)
{
	return m->gpt2 ? gpt2_grads(m->gpt2, n) : lstm_grads(m->lstm, n);
}

float lm_forward(struct lm *m, const uint32_t *inputs, const uint32_t *targets, int B, int T)
{
	m->B = B, m->T = T;
	/* with targets, a training forward (lm_backward may follow), waiting for its loss */
	if (m->cu)
		return m->cu_ops->forward(m->cu, inputs, targets, B, T, 1, targets != NULL);
	return m->gpt2 ? gpt2_forward(m->gpt2, inputs, targets, B, T) : lstm_forward(m->lstm, inputs, targets, B, T);
}

const float *lm_logits(const struct lm *m, size_t *stride)
{
	if (m->gpt2) {
		*stride = (size_t)m->cfg.gpt2.padded_vocab;
		if (m->cu) {
			struct lm *w = (struct lm *)m; /* the host copy is a cache */
			size_t cnt = (size_t)m->B * (size_t)m->T * *stride;
			if (cnt > w->host_logits_n) {
				free(w->host_logits);
				w->host_logits = xmalloc(cnt * sizeof(float));
				w->host_logits_n = cnt;
			}
			for (int b = 0; b < m->B; b++)
				m->cu_ops->logits(m->cu, b, 0, m->T, w->host_logits + (size_t)b * (size_t)m->T * *stride);
			return w->host_logits;
		}
		return gpt2_logits(m->gpt2);
	}
	*stride = (size_t)m->cfg.lstm.vocab;
	return lstm_logits(m->lstm);
}

void lm_zero_grad(struct lm *m)
{
	m->loss_sum = 0;
	if (m->cu)
		m->cu_ops->zero_grad(m->cu);
	else if (m->gpt2)
		gpt2_zero_grad(m->gpt2);
	else
		lstm_zero_grad(m->lstm);
}

static void lm_backward(struct lm *m)
{
	if (m->cu)
		m->cu_ops->backward(m->cu);
	else if (m->gpt2)
		gpt2_backward(m->gpt2);
	else
		lstm_backward(m->lstm);
}

/* The global L2 norm of the gradients, in an order fixed by the array's
 * length (not by the thread count). */
static double lm_grad_norm(struct lm *m)
{
	if (m->cu) {
		/* not the training path (lm_train_step is): a download */
		size_t n;
		float *g = m->cu_ops->grads(m->cu, &n);
		(void)g;
		float *host = xmalloc(n * sizeof(float));
		m->cu_ops->download_grads(m->cu, host);
		double norm = adamw_grad_norm(host, n - 1);
		free(host);
		return norm;
	}
	if (m->gpt2)
		return gpt2_grad_norm(m->gpt2);
	size_t n;
	const float *g = lm_grads(m, &n);
	return adamw_grad_norm(g, n);
}

void lm_adamw_state(struct lm *m, float **mom, float **vel)
{
	size_t n;
	lm_params(m, &n);
	if (!m->adam_m) {
		m->adam_m = xcalloc(n, sizeof(float));
		m->adam_v = xcalloc(n, sizeof(float));
	}
	if (m->cu)
		m->cu_ops->download(m->cu, NULL, m->adam_m, m->adam_v);
	*mom = m->adam_m;
	*vel = m->adam_v;
}

/* One AdamW step (step >= 1) with the model's decay groups. */
static void lm_adamw(struct lm *m, const struct adamw_hparams *h, uint64_t step)
{
	if (m->cu)
		die(STATUS_FAIL, "lm_adamw: a model on a GPU steps with lm_train_step");
	float *mom, *vel;
	lm_adamw_state(m, &mom, &vel);
	size_t n;
	float *p = lm_params(m, &n);
	const float *g = lm_grads(m, NULL);
	adamw_step(m->gpt2 ? gpt2_pool(m->gpt2) : m->pool, p, g, mom, vel, n, m->spans, m->nspans, h, step);
}

/* ---- model files ---- */

/* float32 to bfloat16, rounding to nearest even as PyTorch and llm.c do;
 * a NaN stays a (quiet) NaN. */
static uint16_t to_bf16(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	if ((u & 0x7fffffffu) > 0x7f800000u)
		return (uint16_t)((u >> 16) | 0x40);
	u += 0x7fffu + ((u >> 16) & 1u);
	return (uint16_t)(u >> 16);
}

static float from_bf16(uint16_t b)
{
	uint32_t u = (uint32_t)b << 16;
	float f;
	memcpy(&f, &u, 4);
	return f;
}

void *lm_image(const struct lm *m, bool bf16, size_t *len)
{
	if (bf16 && !m->gpt2)
		return NULL;
	size_t n;
	if (m->cu)
		lm_sync_host((struct lm *)m); /* the host copy is a cache */
	const float *p = lm_params((struct lm *)m, &n);
	size_t width = bf16 ? 2 : 4;
	*len = LM_FILE_HEADER_BYTES + n * width;
	unsigned char *out = xcalloc(1, *len);
	int32_t h[256] = {0};
	if (m->gpt2) {
		const struct gpt2_config *c = &m->cfg.gpt2;
		int32_t g[8] = {LM_GPT2_MAGIC, bf16 ? LM_GPT2_BF16 : LM_GPT2_FP32, c->max_seq, c->vocab,
		                c->layers, c->heads, c->channels, c->padded_vocab};
		memcpy(h, g, sizeof g);
	} else {
		const struct lstm_config *c = &m->cfg.lstm;
		int32_t l[5] = {LM_LSTM_MAGIC, LM_LSTM_VERSION, c->layers, c->hidden, c->vocab};
		memcpy(h, l, sizeof l);
	}
	memcpy(out, h, sizeof h);
	unsigned char *at = out + LM_FILE_HEADER_BYTES;
	if (bf16) {
		for (size_t i = 0; i < n; i++) {
			uint16_t b = to_bf16(p[i]);
			memcpy(at + 2 * i, &b, 2);
		}
	} else {
		memcpy(at, p, n * sizeof(float));
	}
	return out;
}

static struct lm *fail(char *err, size_t errn, const char *msg, long a, long b)
{
	errorf(err, errn, msg, a, b);
	return NULL;
}

/* Parameter count from a header, checked before any allocation so that a
 * hostile header cannot ask for absurd sizes. */
static int header_fields_ok(const int32_t *h, int from, int to)
{
	for (int i = from; i < to; i++)
		if (h[i] <= 0 || h[i] > (1 << 24))
			return 0;
	return 1;
}

struct lm *lm_load(const void *buf, size_t len, char *err, size_t errn)
{
	if (len < LM_FILE_HEADER_BYTES)
		return fail(err, errn, "too short for a model file header (%ld bytes)", (long)len, 0);
	int32_t h[8];
	memcpy(h, buf, sizeof h);
	struct lm_config cfg = {0};
	size_t width = 4;
	if (h[0] == LM_GPT2_MAGIC) {
		if (h[1] != LM_GPT2_FP32 && h[1] != LM_GPT2_BF16)
			return fail(err, errn, "llm.c model version %ld: versions 3 (float32) and 5 (bfloat16) are read",
			            h[1], 0);
		if (!header_fields_ok(h, 2, 8))
			return fail(err, errn, "bad llm.c model header", 0, 0);
		if (h[6] % h[5] != 0 || h[7] < h[3])
			return fail(err, errn, "bad llm.c model header (channels %ld not a multiple of heads %ld, "
			            "or the padded vocabulary below the vocabulary)", h[6], h[5]);
		cfg.arch = LM_GPT2;
		cfg.gpt2 = (struct gpt2_config){.max_seq = h[2], .vocab = h[3], .layers = h[4], .heads = h[5],
		                                .channels = h[6], .padded_vocab = h[7]};
		width = h[1] == LM_GPT2_BF16 ? 2 : 4;
		/* fields up to 2^24 could overflow the count in 64 bits: bound
		 * it first, in double, by any file this side of a terabyte */
		double Ld = h[4], Cd = h[6];
		if (Ld * (12 * Cd * Cd + 13 * Cd) + ((double)h[7] + h[2] + 2) * Cd > 1e12 / width)
			return fail(err, errn, "bad llm.c model header (%ld layers of %ld channels: too large)", h[4], h[6]);
		uint64_t L = (uint64_t)h[4], C = (uint64_t)h[6];
		uint64_t want = (uint64_t)h[7] * C + (uint64_t)h[2] * C + L * (12 * C * C + 13 * C) + 2 * C;
		if ((uint64_t)(len - LM_FILE_HEADER_BYTES) != want * width)
			return fail(err, errn, "the model file holds %ld bytes of parameters, its header says %ld",
			            (long)(len - LM_FILE_HEADER_BYTES), (long)(want * width));
	} else if (h[0] == LM_LSTM_MAGIC) {
		if (h[1] != LM_LSTM_VERSION)
			return fail(err, errn, "LSTM model version %ld: only version %ld is read", h[1], LM_LSTM_VERSION);
		if (!header_fields_ok(h, 2, 5) || h[3] > (1 << 16))
			return fail(err, errn, "bad LSTM model header", 0, 0);
		cfg.arch = LM_LSTM;
		cfg.lstm = (struct lstm_config){.layers = h[2], .hidden = h[3], .vocab = h[4]};
		double Ld = h[2], Hd = h[3], Vd = h[4];
		if (2 * Vd * Hd + Ld * (8 * Hd * Hd + 8 * Hd) + Vd > 1e12 / 4)
			return fail(err, errn, "bad LSTM model header (%ld layers of %ld hidden: too large)", h[2], h[3]);
		uint64_t L = (uint64_t)h[2], H = (uint64_t)h[3], V = (uint64_t)h[4];
		uint64_t want = 2 * V * H + L * (8 * H * H + 8 * H) + V;
		if ((uint64_t)(len - LM_FILE_HEADER_BYTES) != want * 4)
			return fail(err, errn, "the model file holds %ld bytes of parameters, its header says %ld",
			            (long)(len - LM_FILE_HEADER_BYTES), (long)(want * 4));
	} else {
		return fail(err, errn, "not a model file (magic %ld; llm.c GPT-2 has %ld)", h[0], LM_GPT2_MAGIC);
	}
	struct lm *m = lm_new(&cfg);
	size_t n;
	float *p = lm_params(m, &n);
	const unsigned char *at = (const unsigned char *)buf + LM_FILE_HEADER_BYTES;
	if ((uint64_t)n * width != (uint64_t)(len - LM_FILE_HEADER_BYTES)) {
		lm_free(m);
		return fail(err, errn, "the model file's parameter count does not match its header", 0, 0);
	}
	if (width == 2) {
		for (size_t i = 0; i < n; i++) {
			uint16_t b;
			memcpy(&b, at + 2 * i, 2);
			p[i] = from_bf16(b);
		}
	} else {
		memcpy(p, at, n * sizeof(float));
	}
	return m;
}

struct lm *lm_load_file(const char *path, char *err, size_t errn)
{
	size_t len;
	void *buf = io_read_file(path, &len);
	if (!buf) {
		errorf(err, errn, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char why[512];
	struct lm *m = lm_load(buf, len, why, sizeof why);
	free(buf);
	if (!m)
		errorf(err, errn, "%s: %s", path, why);
	return m;
}

struct lm *lm_load_path(const char *path, int *status, char *err, size_t errn)
{
	struct stat st;
	*status = STATUS_FAIL;
	if (stat(path, &st) != 0) {
		errorf(err, errn, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *file = NULL;
	if (S_ISDIR(st.st_mode) && !(file = ckpt_model_path(path, err, errn)))
		return NULL;
	const char *name = file ? file : path;
	size_t len;
	void *data = io_read_file(name, &len);
	struct lm *m = NULL;
	if (!data) {
		errorf(err, errn, "%s: %s", name, strerror(errno));
	} else {
		*status = STATUS_MALFORMED;
		char why[512];
		m = lm_load(data, len, why, sizeof why);
		free(data);
		if (!m)
			errorf(err, errn, "%s: %s", name, why);
	}
	free(file);
	return m;
}

/* ---- decoding ---- */

struct lm_decoder {
	struct lm *m;
	int cap, len;
	struct gpt2_kv *kv;
	struct lstm_state *st;
	float *scratch; /* the LSTM's logits of tokens before the last; a GPU's padded row */
	uint32_t *hist; /* a GPU's prefix: each feed runs it whole (no cache on the device) */
};

struct lm_decoder *lm_decoder_new(struct lm *m, int cap)
{
	struct lm_decoder *d = xcalloc(1, sizeof *d);
	d->m = m;
	d->cap = cap;
	if (m->cu) {
		d->hist = xmalloc((size_t)cap * sizeof *d->hist);
		d->scratch = xmalloc((size_t)m->cfg.gpt2.padded_vocab * sizeof(float));
	} else if (m->gpt2) {
		d->kv = gpt2_kv_new(m->gpt2, cap);
	} else {
		d->st = lstm_state_new(m->lstm);
		d->scratch = xmalloc((size_t)m->cfg.lstm.vocab * sizeof(float));
	}
	return d;
}

void lm_decoder_free(struct lm_decoder *d)
{
	if (!d)
		return;
	if (d->kv)
		gpt2_kv_free(d->kv);
	if (d->st)
		lstm_state_free(d->st);
	free(d->scratch);
	free(d->hist);
	free(d);
}

void lm_decoder_reset(struct lm_decoder *d)
{
	if (d->kv)
		gpt2_kv_reset(d->kv);
	else if (d->st)
		lstm_state_reset(d->st);
	d->len = 0;
}

int lm_decoder_len(const struct lm_decoder *d) { return d->len; }

int lm_decoder_cap(const struct lm_decoder *d) { return d->cap; }

void lm_decoder_feed(struct lm_decoder *d, const uint32_t *tokens, int n, float *logits)
{
	if (n < 1 || n > d->cap - d->len)
		die(STATUS_FAIL, "lm_decoder_feed: %d tokens after %d of %d", n, d->len, d->cap);
	if (d->hist) {
		memcpy(d->hist + d->len, tokens, (size_t)n * sizeof *tokens);
		int len = d->len + n;
		d->m->B = 1, d->m->T = len;
		d->m->cu_ops->forward(d->m->cu, d->hist, NULL, 1, len, 0, 0);
		d->m->cu_ops->logits(d->m->cu, 0, len - 1, len, d->scratch);
		memcpy(logits, d->scratch, (size_t)d->m->cfg.gpt2.vocab * sizeof *logits);
	} else if (d->kv) {
		gpt2_kv_feed(d->m->gpt2, d->kv, tokens, n, logits);
	} else {
		for (int i = 0; i < n; i++)
			lstm_step(d->m->lstm, d->st, tokens[i], i == n - 1 ? logits : d->scratch);
	}
	d->len += n;
}

struct gpt2 *lm_gpt2(struct lm *m) { return m->gpt2; }

/* ---- devices ---- */

int lm_parse_device(const char *s, int *device)
{
	if (strcmp(s, "auto") == 0)
		*device = LM_DEVICE_AUTO;
	else if (strcmp(s, "cpu") == 0)
		*device = LM_DEVICE_CPU;
	else if (strcmp(s, "cuda") == 0)
		*device = 0;
	else if (strncmp(s, "cuda:", 5) == 0 && s[5] >= '0' && s[5] <= '9' && strlen(s + 5) <= 4 &&
	         strspn(s + 5, "0123456789") == strlen(s + 5))
		*device = atoi(s + 5);
	else
		return -1;
	return 0;
}

int lm_parse_precision(const char *s, enum lm_precision *p)
{
	static const char *const names[] = {"auto", "fp32", "bf16", "fp16"};
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*p = (enum lm_precision)i;
			return 0;
		}
	return -1;
}

const char *lm_precision_name(enum lm_precision p)
{
	switch (p) {
	case LM_FP32: return "fp32";
	case LM_BF16: return "bf16";
	case LM_FP16: return "fp16";
	default: return "auto";
	}
}

int lm_cuda_built(void) { return cudaplug_built(); }

int lm_resolve_device(int *device, enum lm_precision *p, char *err, size_t errn)
{
	char why[512];
	int count = cudaplug_device_count(why, sizeof why);
	if (*device == LM_DEVICE_AUTO)
		*device = count > 0 ? 0 : LM_DEVICE_CPU;
	if (*device == LM_DEVICE_CPU) {
		if (*p == LM_BF16 || *p == LM_FP16)
			return errorf(err, errn, "--precision %s needs a GPU: the CPU trains in fp32", lm_precision_name(*p));
		*p = LM_FP32;
		return 0;
	}
	if (*device >= count) {
		if (count)
			errorf(err, errn, "cuda:%d: only %d GPU%s visible", *device, count, count == 1 ? " is" : "s are");
		else
			errorf(err, errn, "cuda:%d: %s", *device, why);
		return -1;
	}
	const struct gpt2cuda_ops *ops = cudaplug_load(err, errn);
	if (!ops)
		return -1;
	int bf16 = ops->bf16_supported(*device);
	if (*p == LM_PREC_AUTO)
		*p = bf16 ? LM_BF16 : LM_FP32;
	if (*p == LM_BF16 && !bf16)
		return errorf(err, errn, "cuda:%d: bf16 needs compute capability 8.0 or later (try fp16 or fp32)", *device);
	return 0;
}

int lm_to_device(struct lm *m, int device, enum lm_precision p, char *err, size_t errn)
{
	if (device == LM_DEVICE_CPU)
		return 0;
	if (!m->gpt2)
		return errorf(err, errn, "the character LSTM runs on the CPU only (--device cpu)");
	if (m->cu)
		return errorf(err, errn, "the model is on a GPU already");
	const struct gpt2cuda_ops *ops = cudaplug_load(err, errn);
	if (!ops)
		return -1;
	enum gpt2cuda_precision gp = p == LM_BF16 ? GPT2CUDA_BF16 : p == LM_FP16 ? GPT2CUDA_FP16 : GPT2CUDA_FP32;
	size_t offsets[GPT2_NTENSORS + 1];
	gpt2_offsets(m->gpt2, offsets);
	m->cu = ops->create(gpt2_cfg(m->gpt2), offsets, device, gp, err, errn);
	if (!m->cu)
		return -1;
	m->cu_ops = ops;
	m->cu_ops->upload(m->cu, lm_params(m, NULL), m->adam_m, m->adam_v);
	m->device = device;
	m->prec = p == LM_PREC_AUTO ? LM_FP32 : p;
	return 0;
}

enum lm_precision lm_precision(const struct lm *m) { return m->prec; }

void lm_device_describe(const struct lm *m, char *out, size_t len)
{
	if (!m->cu) {
		snprintf(out, len, "cpu");
		return;
	}
	char name[256];
	m->cu_ops->device_name(m->device, name, sizeof name);
	snprintf(out, len, "cuda:%d (%s)", m->device, name[0] ? name : "unknown GPU");
}

void lm_sync_host(struct lm *m)
{
	if (!m->cu)
		return;
	size_t n;
	float *p = lm_params(m, &n);
	if (!m->adam_m) {
		m->adam_m = xcalloc(n, sizeof(float));
		m->adam_v = xcalloc(n, sizeof(float));
	}
	m->cu_ops->download(m->cu, p, m->adam_m, m->adam_v);
}

void lm_train_micro(struct lm *m, const uint32_t *inputs, const uint32_t *targets, int B, int T)
{
	if (m->cu) {
		m->B = B, m->T = T;
		m->cu_ops->forward(m->cu, inputs, targets, B, T, 1, 0);
		m->cu_ops->backward(m->cu);
		return;
	}
	m->loss_sum += lm_forward(m, inputs, targets, B, T);
	lm_backward(m);
}

void lm_train_step(struct lm *m, const struct adamw_hparams *h, uint64_t step, double clip, uint64_t micro)
{
	if (micro < 1)
		micro = 1;
	if (m->cu) {
		struct gpt2cuda_step_args s = {.lr = h->lr, .beta1 = h->beta1, .beta2 = h->beta2, .eps = h->eps,
		                          .weight_decay = h->weight_decay, .clip = (float)clip,
		                          .micro = micro > INT32_MAX ? INT32_MAX : (int)micro, .t = step};
		m->cu_ops->step(m->cu, &s);
		return;
	}
	/* train-step's arithmetic before the GPU came, operation for operation */
	size_t n;
	float *grads = lm_grads(m, &n);
	if (micro > 1)
		adamw_scale_grads(grads, n, 1.0f / (float)micro);
	double norm = lm_grad_norm(m);
	struct adamw_hparams hp = *h;
	hp.grad_scale = clip > 0 && norm > clip ? (float)(clip / norm) : 1.0f;
	lm_adamw(m, &hp, step);
	m->stats = (struct lm_step_stats){.loss = (float)(m->loss_sum / (double)micro), .grad_norm = norm,
	                                  .loss_scale = 1.0f};
}

void lm_train_stats(struct lm *m, struct lm_step_stats *out)
{
	if (!m->cu) {
		*out = m->stats;
		return;
	}
	struct gpt2cuda_step_stats s;
	m->cu_ops->stats(m->cu, &s);
	*out = (struct lm_step_stats){.loss = s.loss, .grad_norm = s.grad_norm, .skipped = s.skipped,
	                              .loss_scale = s.loss_scale, .last_skipped = s.last_skipped};
}

float *lm_device_grads(struct lm *m, size_t *n, void **stream)
{
	if (!m->cu)
		return NULL;
	*stream = m->cu_ops->stream(m->cu);
	return m->cu_ops->grads(m->cu, n);
}

void lm_set_scaler(struct lm *m, uint64_t skipped, float loss_scale)
{
	if (m->cu)
		m->cu_ops->set_scaler(m->cu, skipped, loss_scale);
}
