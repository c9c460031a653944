/* gpt2.c - GPT-2 forward, backward and AdamW on the CPU (see gpt2.h).
 *
 * Shapes: N = B*T positions, C channels, NH heads of hs = C/NH channels.
 * Activations are flat arrays, [N, C] row-major unless said otherwise.  The
 * forward pass keeps every layer's activations for the backward pass; the
 * backward pass needs the gradients of only one layer's at a time (struct
 * dacts), and turns the probabilities into the logits' gradient in place.
 *
 * Determinism: every parallel kernel partitions its range statically and
 * each slice writes only its own outputs.  Sums over positions (bias and
 * LayerNorm gradients, embedding gradients) are parallelised over channels
 * and run over positions in order, and the loss is summed in one thread, so
 * those results do not even depend on the thread count; only OpenBLAS's
 * blocking may. */
#include "model/gpt2.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/die.h"
#include "base/parfor.h"
#include "base/rng.h"
#include "model/adamw.h"

#define LN_EPS 1e-5f

/* ---- vectorisable arithmetic ----
 *
 * The elementwise kernels spend their time in expf and tanhf, which are
 * calls the compiler cannot vectorise (and glibc's vector versions need
 * -ffast-math), and in sums, which it may not reorder.  These helpers are
 * plain straight-line float code that it can vectorise, with a fixed order
 * of operations, so results stay bit-identical run to run and across
 * machines. */

/* exp(x) for x <= 0: x = k ln2 + r, |r| <= ln2/2, exp(r) by its Taylor
 * series to r^7 (truncation 5e-9), times 2^k built in the exponent bits.
 * Over every float in [-87, 0] it is at most 1.22 ulp from exp (glibc's
 * expf: 0.5), which the float64 oracle cannot tell apart.  Below -87 it returns exp(-87) (1.6e-38, still
 * normal) instead of a denormal or 0: the softmaxes here add it to a sum
 * of at least 1 and the losses are taken from the logits, not from it. */
static inline float exp_neg(float x)
{
	x = x > -87.0f ? x : -87.0f;
	/* Round x/ln2 to the nearest integer with the 1.5 * 2^23 trick:
	 * branch-free, and exact in float's round-to-nearest. */
	float kf = (x * 1.44269504f + 12582912.0f) - 12582912.0f;
	/* ln2 in two parts, the first with few enough bits that kf times it
	 * is exact (Cody and Waite). */
	float r = (x - kf * 0.693145751953125f) - kf * 1.428606765330187e-06f;
	float p = 1.0f / 5040.0f;
	p = p * r + 1.0f / 720.0f;
	p = p * r + 1.0f / 120.0f;
	p = p * r + 1.0f / 24.0f;
	p = p * r + 1.0f / 6.0f;
	p = p * r + 0.5f;
	p = p * r + 1.0f;
	p = p * r + 1.0f;
	int32_t bits = ((int32_t)kf + 127) << 23;
	float scale;
	memcpy(&scale, &bits, sizeof scale);
	return p * scale;
}

/* tanh(u) = (1 - e^-2|u|) / (1 + e^-2|u|) with u's sign.  Near 0 the
 * difference loses relative (not absolute) precision, ~1e-7 absolute,
 * which is all GELU needs: it adds 1 to it.  Beyond |u| = 9, tanh is 1 to
 * float precision. */
static inline float tanh_fast(float u)
{
	float a = u < 0.0f ? -u : u;
	a = a < 9.0f ? a : 9.0f;
	float t = exp_neg(-2.0f * a);
	float th = (1.0f - t) / (1.0f + t);
	return u < 0.0f ? -th : th;
}

/* Sum of a[i] b[i] in eight interleaved partial sums, then pairwise: the
 * order is fixed, so is the result. */
static inline float dot(const float *restrict a, const float *restrict b, size_t n)
{
	float acc[8] = {0};
	size_t i = 0;
	for (; i + 8 <= n; i += 8)
		for (int l = 0; l < 8; l++)
			acc[l] += a[i + l] * b[i + l];
	for (int l = 0; i < n; i++, l++)
		acc[l] += a[i] * b[i];
	return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* The activations of one forward pass (for B, T as laid out). */
struct acts {
	float *encoded;                      /* [N, C] wte + wpe */
	float *ln1, *ln1_mean, *ln1_rstd;    /* [L, N, C], [L, N], [L, N] */
	float *qkv;                          /* [L, N, 3C] */
	float *atty;                         /* [L, N, C] attention output before proj */
	float *att;                          /* [L, B, NH, T, T] softmax weights, 0 above the diagonal */
	float *attproj;                      /* [L, N, C] */
	float *resid2;                       /* [L, N, C] after the attention residual */
	float *ln2, *ln2_mean, *ln2_rstd;    /* [L, N, C], [L, N], [L, N] */
	float *fch, *fch_gelu;               /* [L, N, 4C] */
	float *fcproj;                       /* [L, N, C] */
	float *resid3;                       /* [L, N, C] after the MLP residual: the block's output */
	float *lnf, *lnf_mean, *lnf_rstd;    /* [N, C], [N], [N] */
	float *logits;                       /* [N, Vp]; softmax probabilities after a forward
	                                      * with targets */
	float *losses;                       /* [N]; 0 at ignored positions */
};
#define NACTS 21

/* The backward pass's scratch: gradients of one layer's activations. */
struct dacts {
	float *dres[2];          /* [N, C] the residual stream's gradient at a block's
	                          * output and at its input, swapping roles per layer */
	float *dresid2;          /* [N, C] */
	float *dln;              /* [N, C] the output of ln2, ln1 or lnf */
	float *dqkv;             /* [N, 3C] */
	float *datty;            /* [N, C] */
	float *datt;             /* [B, NH, T, T] */
	float *dfch, *dfch_gelu; /* [N, 4C] */
};
#define NDACTS 9

struct gpt2 {
	struct gpt2_config cfg;
	size_t off[GPT2_NTENSORS + 1]; /* tensor offsets; off[GPT2_NTENSORS] is the total */
	float *params, *grads;
	float *adam_m, *adam_v;        /* AdamW moments, allocated on the first step */
	struct parfor *pool;
	/* Activations and their gradients, sized for resB x resT. */
	int resB, resT;
	float *act_mem, *gact_mem;
	struct acts a;
	struct dacts g;
	uint32_t *inputs, *targets;    /* the last forward's batch */
	int B, T, have_targets;
	size_t counted;                /* positions whose target is not GPT2_IGNORE */
	int have_logits;               /* a.logits holds logits, not probabilities */
};

/* ---- layout ---- */

static void tensor_shape(const struct gpt2_config *c, int t, int *ndim, int shape[3])
{
	int L = c->layers, C = c->channels;
	static const int rows[GPT2_NTENSORS] = {
		[GPT2_QKVW] = 3, [GPT2_QKVB] = 3, [GPT2_ATTPROJW] = 1, [GPT2_FCW] = 4,
		[GPT2_FCB] = 4, [GPT2_FCPROJW] = 1,
	};
	switch (t) {
	case GPT2_WTE: *ndim = 2, shape[0] = c->padded_vocab, shape[1] = C; break;
	case GPT2_WPE: *ndim = 2, shape[0] = c->max_seq, shape[1] = C; break;
	case GPT2_LNFW: case GPT2_LNFB: *ndim = 1, shape[0] = C; break;
	case GPT2_QKVW: case GPT2_ATTPROJW: case GPT2_FCW:
		*ndim = 3, shape[0] = L, shape[1] = rows[t] * C, shape[2] = C; break;
	case GPT2_FCPROJW: *ndim = 3, shape[0] = L, shape[1] = C, shape[2] = 4 * C; break;
	case GPT2_QKVB: case GPT2_FCB: *ndim = 2, shape[0] = L, shape[1] = rows[t] * C; break;
	default: *ndim = 2, shape[0] = L, shape[1] = C; break; /* LayerNorm and C-wide biases */
	}
}

static const char *const tensor_names[GPT2_NTENSORS] = {
	"wte", "wpe", "ln1w", "ln1b", "qkvw", "qkvb", "attprojw", "attprojb",
	"ln2w", "ln2b", "fcw", "fcb", "fcprojw", "fcprojb", "lnfw", "lnfb",
};

static int tensor_decayed(int t)
{
	return t == GPT2_WTE || t == GPT2_WPE || t == GPT2_QKVW || t == GPT2_ATTPROJW ||
	       t == GPT2_FCW || t == GPT2_FCPROJW;
}

void gpt2_tensor_info(const struct gpt2 *m, enum gpt2_tensor t, struct gpt2_tensor_info *out)
{
	out->name = tensor_names[t];
	out->offset = m->off[t];
	out->size = m->off[t + 1] - m->off[t];
	out->shape[0] = out->shape[1] = out->shape[2] = 1;
	tensor_shape(&m->cfg, t, &out->ndim, out->shape);
	out->decay = tensor_decayed(t);
}

void gpt2_offsets(const struct gpt2 *m, size_t off[GPT2_NTENSORS + 1])
{
	memcpy(off, m->off, (GPT2_NTENSORS + 1) * sizeof *off);
}

/* Layer l's slice of a stacked tensor in array base (params or grads). */
static float *layer_ptr(const struct gpt2 *m, float *base, int t, int l)
{
	size_t per = (m->off[t + 1] - m->off[t]) / (size_t)m->cfg.layers;
	return base + m->off[t] + (size_t)l * per;
}

struct gpt2 *gpt2_new(const struct gpt2_config *cfg)
{
	struct gpt2_config c = *cfg;
	if (c.layers < 1 || c.heads < 1 || c.channels < 1 || c.max_seq < 1 || c.vocab < 1 ||
	    c.channels % c.heads)
		die(STATUS_FAIL, "gpt2: bad configuration (layers %d, heads %d, channels %d, max_seq %d, vocab %d)",
		    c.layers, c.heads, c.channels, c.max_seq, c.vocab);
	if (c.padded_vocab == 0)
		c.padded_vocab = (c.vocab + 127) / 128 * 128;
	if (c.padded_vocab < c.vocab)
		die(STATUS_FAIL, "gpt2: padded vocab %d is smaller than the vocab %d", c.padded_vocab, c.vocab);
	struct gpt2 *m = xcalloc(1, sizeof *m);
	m->cfg = c;
	size_t at = 0;
	for (int t = 0; t < GPT2_NTENSORS; t++) {
		int nd, sh[3] = {1, 1, 1};
		tensor_shape(&c, t, &nd, sh);
		m->off[t] = at;
		at += (size_t)sh[0] * (size_t)sh[1] * (size_t)sh[2];
	}
	m->off[GPT2_NTENSORS] = at;
	m->params = xcalloc(at, sizeof(float));
	m->grads = xcalloc(at, sizeof(float));
	m->pool = parfor_new(1);
	return m;
}

const struct gpt2_config *gpt2_cfg(const struct gpt2 *m) { return &m->cfg; }

void gpt2_free(struct gpt2 *m)
{
	if (!m)
		return;
	parfor_free(m->pool);
	free(m->params);
	free(m->grads);
	free(m->adam_m);
	free(m->adam_v);
	free(m->act_mem);
	free(m->gact_mem);
	free(m->inputs);
	free(m->targets);
	free(m);
}

void gpt2_set_threads(struct gpt2 *m, int threads)
{
	parfor_free(m->pool);
	m->pool = parfor_new(threads);
}

float *gpt2_params(struct gpt2 *m, size_t *n)
{
	if (n)
		*n = m->off[GPT2_NTENSORS];
	return m->params;
}

float *gpt2_grads(struct gpt2 *m, size_t *n)
{
	if (n)
		*n = m->off[GPT2_NTENSORS];
	return m->grads;
}

/* Sizes of the activation arrays for B x T, in struct acts order. */
static void act_sizes(const struct gpt2_config *c, size_t B, size_t T, size_t s[NACTS])
{
	size_t L = (size_t)c->layers, C = (size_t)c->channels, NH = (size_t)c->heads;
	size_t N = B * T;
	size_t i = 0;
	s[i++] = N * C;                                        /* encoded */
	s[i++] = L * N * C, s[i++] = L * N, s[i++] = L * N;     /* ln1 */
	s[i++] = L * N * 3 * C;                                /* qkv */
	s[i++] = L * N * C;                                    /* atty */
	s[i++] = L * B * NH * T * T;                           /* att */
	s[i++] = L * N * C;                                    /* attproj */
	s[i++] = L * N * C;                                    /* resid2 */
	s[i++] = L * N * C, s[i++] = L * N, s[i++] = L * N;     /* ln2 */
	s[i++] = L * N * 4 * C, s[i++] = L * N * 4 * C;         /* fch, fch_gelu */
	s[i++] = L * N * C;                                    /* fcproj */
	s[i++] = L * N * C;                                    /* resid3 */
	s[i++] = N * C, s[i++] = N, s[i++] = N;                /* lnf */
	s[i++] = N * (size_t)c->padded_vocab;                  /* logits */
	s[i++] = N;                                            /* losses */
}

static size_t act_total(const struct gpt2_config *c, int B, int T)
{
	size_t s[NACTS], n = 0;
	act_sizes(c, (size_t)B, (size_t)T, s);
	for (int i = 0; i < NACTS; i++)
		n += s[i];
	return n;
}

/* Points the struct acts at consecutive arrays of mem, laid out for B x T. */
static void act_layout(const struct gpt2_config *c, struct acts *a, float *mem, int B, int T)
{
	float **slot[NACTS] = {
		&a->encoded, &a->ln1, &a->ln1_mean, &a->ln1_rstd, &a->qkv, &a->atty, &a->att,
		&a->attproj, &a->resid2, &a->ln2, &a->ln2_mean, &a->ln2_rstd, &a->fch,
		&a->fch_gelu, &a->fcproj, &a->resid3, &a->lnf, &a->lnf_mean, &a->lnf_rstd,
		&a->logits, &a->losses,
	};
	size_t s[NACTS];
	act_sizes(c, (size_t)B, (size_t)T, s);
	for (int i = 0; i < NACTS; i++) {
		*slot[i] = mem;
		mem += s[i];
	}
}

static void dact_sizes(const struct gpt2_config *c, size_t B, size_t T, size_t s[NDACTS])
{
	size_t C = (size_t)c->channels, N = B * T;
	size_t i = 0;
	s[i++] = N * C, s[i++] = N * C;           /* dres */
	s[i++] = N * C;                           /* dresid2 */
	s[i++] = N * C;                           /* dln */
	s[i++] = N * 3 * C;                       /* dqkv */
	s[i++] = N * C;                           /* datty */
	s[i++] = B * (size_t)c->heads * T * T;    /* datt */
	s[i++] = N * 4 * C, s[i++] = N * 4 * C;   /* dfch, dfch_gelu */
}

static size_t dact_total(const struct gpt2_config *c, int B, int T)
{
	size_t s[NDACTS], n = 0;
	dact_sizes(c, (size_t)B, (size_t)T, s);
	for (int i = 0; i < NDACTS; i++)
		n += s[i];
	return n;
}

static void dact_layout(const struct gpt2_config *c, struct dacts *g, float *mem, int B, int T)
{
	float **slot[NDACTS] = {
		&g->dres[0], &g->dres[1], &g->dresid2, &g->dln, &g->dqkv, &g->datty, &g->datt,
		&g->dfch, &g->dfch_gelu,
	};
	size_t s[NDACTS];
	dact_sizes(c, (size_t)B, (size_t)T, s);
	for (int i = 0; i < NDACTS; i++) {
		*slot[i] = mem;
		mem += s[i];
	}
}

void gpt2_reserve(struct gpt2 *m, int B, int T)
{
	/* B*T is a matrix dimension for cblas, an int. */
	if (B < 1 || T < 1 || T > m->cfg.max_seq || B > INT_MAX / T)
		die(STATUS_FAIL, "gpt2: bad batch shape %d x %d (max sequence %d)", B, T, m->cfg.max_seq);
	if (B <= m->resB && T <= m->resT)
		return;
	/* Every array grows with both B and T, so the largest of each bounds all. */
	if (B < m->resB)
		B = m->resB;
	if (T < m->resT)
		T = m->resT;
	size_t n = act_total(&m->cfg, B, T);
	free(m->act_mem);
	free(m->gact_mem);
	free(m->inputs);
	free(m->targets);
	m->act_mem = xcalloc(n, sizeof(float));
	m->gact_mem = xcalloc(dact_total(&m->cfg, B, T), sizeof(float));
	m->inputs = xcalloc((size_t)B * (size_t)T, sizeof(uint32_t));
	m->targets = xcalloc((size_t)B * (size_t)T, sizeof(uint32_t));
	m->resB = B;
	m->resT = T;
	m->B = m->T = m->have_targets = m->have_logits = 0;
}

/* ---- init ---- */

/* Box-Muller: two standard normals from two uniforms, handed out one at a time. */
struct normals {
	struct rng rng;
	double spare;
	int have_spare;
};

static double normal(struct normals *g)
{
	if (g->have_spare) {
		g->have_spare = 0;
		return g->spare;
	}
	/* u1 in (0, 1] so the log is finite; u2 in [0, 1). */
	double u1 = ((double)(rng_next(&g->rng) >> 11) + 1.0) * 0x1p-53;
	double u2 = (double)(rng_next(&g->rng) >> 11) * 0x1p-53;
	double r = sqrt(-2.0 * log(u1)), th = 6.283185307179586 * u2;
	g->spare = r * sin(th);
	g->have_spare = 1;
	return r * cos(th);
}

void gpt2_init(struct gpt2 *m, uint64_t seed)
{
	struct normals g = {.have_spare = 0};
	rng_seed(&g.rng, seed);
	const struct gpt2_config *c = &m->cfg;
	/* GPT-2 scales the layers that write into the residual stream down by
	 * sqrt(2L), since L blocks each add two of them to it. */
	double resid_std = 0.02 / sqrt(2.0 * c->layers);
	for (int t = 0; t < GPT2_NTENSORS; t++) {
		float *p = m->params + m->off[t];
		size_t n = m->off[t + 1] - m->off[t];
		if (t == GPT2_LN1W || t == GPT2_LN2W || t == GPT2_LNFW) {
			for (size_t i = 0; i < n; i++)
				p[i] = 1.0f;
		} else if (!tensor_decayed(t)) {
			memset(p, 0, n * sizeof *p);
		} else {
			double sd = (t == GPT2_ATTPROJW || t == GPT2_FCPROJW) ? resid_std : 0.02;
			/* wte's padding rows are never read: keep them 0. */
			if (t == GPT2_WTE)
				n = (size_t)c->vocab * (size_t)c->channels;
			for (size_t i = 0; i < n; i++)
				p[i] = (float)(sd * normal(&g));
			if (t == GPT2_WTE)
				memset(p + n, 0, (m->off[t + 1] - m->off[t] - n) * sizeof *p);
		}
	}
	free(m->adam_m);
	free(m->adam_v);
	m->adam_m = m->adam_v = NULL;
}

/* ---- forward kernels ---- */

struct k_encoder {
	float *out, *dwte, *dwpe;
	const float *wte, *wpe, *dout;
	const uint32_t *tok;
	size_t N, T, C;
};

/* out[n] = wte[tok[n]] + wpe[n % T], over positions. */
static void encoder_fwd(void *v, size_t lo, size_t hi, int tid)
{
	struct k_encoder *k = v;
	for (size_t n = lo; n < hi; n++) {
		const float *te = k->wte + (size_t)k->tok[n] * k->C, *pe = k->wpe + (n % k->T) * k->C;
		float *o = k->out + n * k->C;
		for (size_t c = 0; c < k->C; c++)
			o[c] = te[c] + pe[c];
	}
}

/* Over channels: each channel gathers its gradient from all positions in
 * order (a token may repeat, so positions cannot be split). */
static void encoder_bwd(void *v, size_t lo, size_t hi, int tid)
{
	struct k_encoder *k = v;
	for (size_t n = 0; n < k->N; n++) {
		float *dte = k->dwte + (size_t)k->tok[n] * k->C, *dpe = k->dwpe + (n % k->T) * k->C;
		const float *d = k->dout + n * k->C;
		for (size_t c = lo; c < hi; c++) {
			dte[c] += d[c];
			dpe[c] += d[c];
		}
	}
}

struct k_layernorm {
	float *out, *mean, *rstd;                 /* forward */
	float *dinp, *dw, *db;                    /* backward */
	const float *inp, *w, *b, *dout, *cmean, *crstd;
	size_t N, C;
};

/* out = (x - mean) / sqrt(var + eps) * w + b per position, keeping mean and
 * 1/sqrt(var + eps) for the backward pass. */
static void layernorm_fwd(void *v, size_t lo, size_t hi, int tid)
{
	struct k_layernorm *k = v;
	size_t C = k->C;
	for (size_t n = lo; n < hi; n++) {
		const float *x = k->inp + n * C;
		float *o = k->out + n * C;
		float mu = 0.0f, var = 0.0f;
		for (size_t c = 0; c < C; c++)
			mu += x[c];
		mu /= (float)C;
		for (size_t c = 0; c < C; c++)
			var += (x[c] - mu) * (x[c] - mu);
		var /= (float)C;
		float rs = 1.0f / sqrtf(var + LN_EPS);
		for (size_t c = 0; c < C; c++)
			o[c] = (x[c] - mu) * rs * k->w[c] + k->b[c];
		k->mean[n] = mu;
		k->rstd[n] = rs;
	}
}

/* The input gradient, per position: with xhat the normalised input and
 * g = dout * w, dx = rstd * (g - mean(g) - xhat * mean(g * xhat)). */
static void layernorm_bwd_inp(void *v, size_t lo, size_t hi, int tid)
{
	struct k_layernorm *k = v;
	size_t C = k->C;
	for (size_t n = lo; n < hi; n++) {
		const float *x = k->inp + n * C, *d = k->dout + n * C;
		float mu = k->cmean[n], rs = k->crstd[n];
		float gm = 0.0f, gxm = 0.0f;
		for (size_t c = 0; c < C; c++) {
			float g = d[c] * k->w[c];
			gm += g;
			gxm += g * (x[c] - mu) * rs;
		}
		gm /= (float)C;
		gxm /= (float)C;
		float *dx = k->dinp + n * C;
		for (size_t c = 0; c < C; c++) {
			float xhat = (x[c] - mu) * rs;
			dx[c] += rs * (d[c] * k->w[c] - gm - xhat * gxm);
		}
	}
}

/* dw += sum over positions of dout * xhat, db += sum of dout; over channels. */
static void layernorm_bwd_wb(void *v, size_t lo, size_t hi, int tid)
{
	struct k_layernorm *k = v;
	size_t C = k->C;
	for (size_t n = 0; n < k->N; n++) {
		const float *x = k->inp + n * C, *d = k->dout + n * C;
		float mu = k->cmean[n], rs = k->crstd[n];
		for (size_t c = lo; c < hi; c++) {
			k->dw[c] += d[c] * (x[c] - mu) * rs;
			k->db[c] += d[c];
		}
	}
}

static void layernorm_forward(struct parfor *pool, float *out, float *mean, float *rstd,
                              const float *inp, const float *w, const float *b, size_t N, size_t C)
{
	struct k_layernorm k = {.out = out, .mean = mean, .rstd = rstd, .inp = inp, .w = w, .b = b,
	                        .N = N, .C = C};
	parfor_run(pool, N, layernorm_fwd, &k);
}

static void layernorm_backward(struct parfor *pool, float *dinp, float *dw, float *db,
                               const float *dout, const float *inp, const float *w,
                               const float *mean, const float *rstd, size_t N, size_t C)
{
	struct k_layernorm k = {.dinp = dinp, .dw = dw, .db = db, .dout = dout, .inp = inp, .w = w,
	                        .cmean = mean, .crstd = rstd, .N = N, .C = C};
	parfor_run(pool, N, layernorm_bwd_inp, &k);
	parfor_run(pool, C, layernorm_bwd_wb, &k);
}

struct k_bias {
	float *out;      /* forward: [N, OC] outputs; backward: [OC] bias gradient */
	const float *in; /* forward: [OC] bias; backward: [N, OC] output gradient */
	size_t N, OC;
};

static void bias_add(void *v, size_t lo, size_t hi, int tid)
{
	struct k_bias *k = v;
	for (size_t n = lo; n < hi; n++)
		for (size_t o = 0; o < k->OC; o++)
			k->out[n * k->OC + o] += k->in[o];
}

/* db += column sums of dout [N, OC], over output channels, positions in order. */
static void bias_bwd(void *v, size_t lo, size_t hi, int tid)
{
	struct k_bias *k = v;
	for (size_t n = 0; n < k->N; n++)
		for (size_t o = lo; o < hi; o++)
			k->out[o] += k->in[n * k->OC + o];
}

/* out [N, OC] = inp [N, IC] w^T + b, with w [OC, IC] as PyTorch's Linear keeps it. */
static void linear_forward(struct parfor *pool, float *out, const float *inp, const float *w,
                           const float *b, int N, int IC, int OC)
{
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, IC, 1.0f, inp, IC, w, IC,
	            0.0f, out, OC);
	struct k_bias k = {.out = out, .in = b, .N = (size_t)N, .OC = (size_t)OC};
	parfor_run(pool, (size_t)N, bias_add, &k);
}

/* dinp = dout w (beta 0) or dinp += dout w (beta 1); dw += dout^T inp;
 * db += sum of dout's rows (db may be NULL). */
static void linear_backward(struct parfor *pool, float *dinp, float beta, float *dw, float *db,
                            const float *dout, const float *inp, const float *w,
                            int N, int IC, int OC)
{
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, IC, OC, 1.0f, dout, OC, w, IC,
	            beta, dinp, IC);
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, IC, N, 1.0f, dout, OC, inp, IC,
	            1.0f, dw, IC);
	if (db) {
		struct k_bias k = {.out = db, .in = dout, .N = (size_t)N, .OC = (size_t)OC};
		parfor_run(pool, (size_t)OC, bias_bwd, &k);
	}
}

struct k_attn {
	float *atty, *att, *dqkv, *datt;
	const float *qkv, *datty;
	size_t B, T, C, NH;
};

/* Causal attention for one (b, h, t) per index: softmax over t2 <= t of
 * q(t).k(t2)/sqrt(hs), then y(t) = sum of att(t2) v(t2). */
static void attention_fwd(void *v, size_t lo, size_t hi, int tid)
{
	struct k_attn *k = v;
	size_t T = k->T, C = k->C, NH = k->NH, hs = C / NH;
	float scale = 1.0f / sqrtf((float)hs);
	for (size_t i = lo; i < hi; i++) {
		size_t t = i % T, h = (i / T) % NH, b = i / (T * NH);
		const float *q = k->qkv + (b * T + t) * 3 * C + h * hs;
		float *att = k->att + i * T;
		float mx = -INFINITY;
		for (size_t t2 = 0; t2 <= t; t2++) {
			const float *kk = k->qkv + (b * T + t2) * 3 * C + C + h * hs;
			float s = dot(q, kk, hs) * scale;
			att[t2] = s;
			mx = s > mx ? s : mx;
		}
		float sum = 0.0f;
		for (size_t t2 = 0; t2 <= t; t2++) {
			att[t2] = exp_neg(att[t2] - mx);
			sum += att[t2];
		}
		float inv = 1.0f / sum;
		for (size_t t2 = 0; t2 <= t; t2++)
			att[t2] *= inv;
		for (size_t t2 = t + 1; t2 < T; t2++)
			att[t2] = 0.0f;
		float *restrict y = k->atty + (b * T + t) * C + h * hs;
		for (size_t j = 0; j < hs; j++)
			y[j] = 0.0f;
		for (size_t t2 = 0; t2 <= t; t2++) {
			const float *restrict vv = k->qkv + (b * T + t2) * 3 * C + 2 * C + h * hs;
			float a = att[t2];
			for (size_t j = 0; j < hs; j++)
				y[j] += a * vv[j];
		}
	}
}

/* Backward over one (b, h) per index: position t's gradient reaches the
 * keys and values of every t2 <= t, so a whole head stays in one slice.
 * With datt = dy.v and the softmax's Jacobian,
 * dscore(t2) = att(t2) (datt(t2) - sum of att datt). */
static void attention_bwd(void *v, size_t lo, size_t hi, int tid)
{
	struct k_attn *k = v;
	size_t T = k->T, C = k->C, NH = k->NH, hs = C / NH;
	float scale = 1.0f / sqrtf((float)hs);
	for (size_t i = lo; i < hi; i++) {
		size_t h = i % NH, b = i / NH;
		/* This head's q, k and v gradients are this slice's alone: zero
		 * them here, in parallel, rather than the whole array up front. */
		for (size_t t = 0; t < T; t++)
			for (size_t part = 0; part < 3; part++)
				memset(k->dqkv + (b * T + t) * 3 * C + part * C + h * hs, 0, hs * sizeof(float));
		for (size_t t = 0; t < T; t++) {
			const float *att = k->att + (i * T + t) * T;
			float *datt = k->datt + (i * T + t) * T;
			const float *restrict dy = k->datty + (b * T + t) * C + h * hs;
			const float *restrict q = k->qkv + (b * T + t) * 3 * C + h * hs;
			float *restrict dq = k->dqkv + (b * T + t) * 3 * C + h * hs;
			float sdot = 0.0f;
			for (size_t t2 = 0; t2 <= t; t2++) {
				const float *vv = k->qkv + (b * T + t2) * 3 * C + 2 * C + h * hs;
				float *restrict dv = k->dqkv + (b * T + t2) * 3 * C + 2 * C + h * hs;
				float s = dot(dy, vv, hs), a = att[t2];
				for (size_t j = 0; j < hs; j++)
					dv[j] += a * dy[j];
				datt[t2] = s;
				sdot += a * s;
			}
			for (size_t t2 = 0; t2 <= t; t2++) {
				const float *restrict kk = k->qkv + (b * T + t2) * 3 * C + C + h * hs;
				float *restrict dk = k->dqkv + (b * T + t2) * 3 * C + C + h * hs;
				float ds = att[t2] * (datt[t2] - sdot) * scale;
				for (size_t j = 0; j < hs; j++)
					dq[j] += ds * kk[j];
				for (size_t j = 0; j < hs; j++)
					dk[j] += ds * q[j];
			}
		}
	}
}

struct k_elem {
	float *out;
	const float *a, *b;
};

static void residual_fwd(void *v, size_t lo, size_t hi, int tid)
{
	struct k_elem *k = v;
	for (size_t i = lo; i < hi; i++)
		k->out[i] = k->a[i] + k->b[i];
}

static void copy(void *v, size_t lo, size_t hi, int tid)
{
	struct k_elem *k = v;
	memcpy(k->out + lo, k->a + lo, (hi - lo) * sizeof(float));
}

#define GELU_K 0.7978845608028654f /* sqrt(2/pi) */

/* GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
static void gelu_fwd(void *v, size_t lo, size_t hi, int tid)
{
	struct k_elem *k = v;
	for (size_t i = lo; i < hi; i++) {
		float x = k->a[i];
		k->out[i] = 0.5f * x * (1.0f + tanh_fast(GELU_K * (x + 0.044715f * x * x * x)));
	}
}

/* out = dout * gelu'(x), a = x, b = dout. */
static void gelu_bwd(void *v, size_t lo, size_t hi, int tid)
{
	struct k_elem *k = v;
	for (size_t i = lo; i < hi; i++) {
		float x = k->a[i];
		float th = tanh_fast(GELU_K * (x + 0.044715f * x * x * x));
		float sech2 = 1.0f - th * th;
		float d = 0.5f * (1.0f + th) + 0.5f * x * sech2 * GELU_K * (1.0f + 3.0f * 0.044715f * x * x);
		k->out[i] = d * k->b[i];
	}
}

static void elementwise(struct parfor *pool, parfor_fn fn, float *out, const float *a,
                        const float *b, size_t n)
{
	struct k_elem k = {.out = out, .a = a, .b = b};
	parfor_run(pool, n, fn, &k);
}

struct k_softmax {
	float *probs, *losses, *dlogits;
	const uint32_t *targets;
	size_t V, Vp;
	float dloss;
};

/* Softmax over the first V logits of each position, in place, the padding
 * columns set to 0; losses[n] = -log probs[n][target], 0 where the target
 * is ignored, from the logits (log of the sum minus the target's logit,
 * both shifted by the max) rather than from a probability that may have
 * underflowed. */
static void softmax_ce_fwd(void *v, size_t lo, size_t hi, int tid)
{
	struct k_softmax *k = v;
	size_t V = k->V;
	for (size_t n = lo; n < hi; n++) {
		float *restrict p = k->probs + n * k->Vp;
		float mxl[8] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY,
		                -INFINITY, -INFINITY, -INFINITY, -INFINITY};
		size_t i = 0;
		for (; i + 8 <= V; i += 8)
			for (int l = 0; l < 8; l++)
				mxl[l] = p[i + l] > mxl[l] ? p[i + l] : mxl[l];
		for (int l = 0; i < V; i++, l++)
			mxl[l] = p[i] > mxl[l] ? p[i] : mxl[l];
		float mx = mxl[0];
		for (int l = 1; l < 8; l++)
			mx = mxl[l] > mx ? mxl[l] : mx;
		uint32_t tg = k->targets[n];
		float zt = tg == GPT2_IGNORE ? 0.0f : p[tg] - mx;
		float acc[8] = {0};
		for (i = 0; i + 8 <= V; i += 8)
			for (int l = 0; l < 8; l++) {
				float e = exp_neg(p[i + l] - mx);
				p[i + l] = e;
				acc[l] += e;
			}
		for (int l = 0; i < V; i++, l++) {
			p[i] = exp_neg(p[i] - mx);
			acc[l] += p[i];
		}
		float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
		float inv = 1.0f / sum;
		for (i = 0; i < V; i++)
			p[i] *= inv;
		for (i = V; i < k->Vp; i++)
			p[i] = 0.0f;
		k->losses[n] = tg == GPT2_IGNORE ? 0.0f : logf(sum) - zt;
	}
}

/* dlogits = (probs - onehot(target)) * dloss; 0 in the padding columns
 * and in the rows of ignored positions. */
static void softmax_ce_bwd(void *v, size_t lo, size_t hi, int tid)
{
	struct k_softmax *k = v;
	for (size_t n = lo; n < hi; n++) {
		const float *p = k->probs + n * k->Vp;
		float *d = k->dlogits + n * k->Vp;
		if (k->targets[n] == GPT2_IGNORE) {
			memset(d, 0, k->Vp * sizeof *d);
			continue;
		}
		for (size_t i = 0; i < k->V; i++)
			d[i] = (p[i] - (i == k->targets[n] ? 1.0f : 0.0f)) * k->dloss;
		for (size_t i = k->V; i < k->Vp; i++)
			d[i] = 0.0f;
	}
}

/* ---- the passes ---- */

static void check_tokens(const uint32_t *ids, size_t n, int vocab, int targets, const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] >= (uint32_t)vocab && !(targets && ids[i] == GPT2_IGNORE))
			die(STATUS_FAIL, "gpt2: %s token %u at %zu is not below the vocab size %d", what, ids[i], i, vocab);
}

/* The blocks and the final LayerNorm: everything but the head, whose
 * logits an embedding does not need (and which, over GPT-2's vocabulary,
 * cost most of a small model's forward pass). */
static void forward_trunk(struct gpt2 *m, const uint32_t *inputs, const uint32_t *targets, int B, int T)
{
	const struct gpt2_config *c = &m->cfg;
	gpt2_reserve(m, B, T);
	size_t N = (size_t)B * (size_t)T, C = (size_t)c->channels, NH = (size_t)c->heads;
	int L = c->layers, iN = B * T, iC = c->channels;
	check_tokens(inputs, N, c->vocab, 0, "input");
	if (targets)
		check_tokens(targets, N, c->vocab, 1, "target");
	memcpy(m->inputs, inputs, N * sizeof *inputs);
	m->counted = 0;
	if (targets) {
		memcpy(m->targets, targets, N * sizeof *targets);
		for (size_t n = 0; n < N; n++)
			m->counted += targets[n] != GPT2_IGNORE;
	}
	m->B = B;
	m->T = T;
	m->have_targets = targets != NULL;
	m->have_logits = 0;
	act_layout(c, &m->a, m->act_mem, B, T);
	dact_layout(c, &m->g, m->gact_mem, B, T);
	struct acts *a = &m->a;
	float *p = m->params;

	struct k_encoder enc = {.out = a->encoded, .wte = p + m->off[GPT2_WTE],
	                        .wpe = p + m->off[GPT2_WPE], .tok = m->inputs, .N = N,
	                        .T = (size_t)T, .C = C};
	parfor_run(m->pool, N, encoder_fwd, &enc);

	for (int l = 0; l < L; l++) {
		size_t lNC = (size_t)l * N * C, lN = (size_t)l * N;
		const float *resid = l == 0 ? a->encoded : a->resid3 + lNC - N * C;
		layernorm_forward(m->pool, a->ln1 + lNC, a->ln1_mean + lN, a->ln1_rstd + lN, resid,
		                  layer_ptr(m, p, GPT2_LN1W, l), layer_ptr(m, p, GPT2_LN1B, l), N, C);
		float *qkv = a->qkv + 3 * lNC;
		linear_forward(m->pool, qkv, a->ln1 + lNC, layer_ptr(m, p, GPT2_QKVW, l),
		               layer_ptr(m, p, GPT2_QKVB, l), iN, iC, 3 * iC);
		struct k_attn at = {.atty = a->atty + lNC, .att = a->att + lN * NH * (size_t)T,
		                    .qkv = qkv, .B = (size_t)B, .T = (size_t)T, .C = C, .NH = NH};
		parfor_run(m->pool, (size_t)B * NH * (size_t)T, attention_fwd, &at);
		linear_forward(m->pool, a->attproj + lNC, a->atty + lNC,
		               layer_ptr(m, p, GPT2_ATTPROJW, l), layer_ptr(m, p, GPT2_ATTPROJB, l),
		               iN, iC, iC);
		elementwise(m->pool, residual_fwd, a->resid2 + lNC, resid, a->attproj + lNC, N * C);
		layernorm_forward(m->pool, a->ln2 + lNC, a->ln2_mean + lN, a->ln2_rstd + lN,
		                  a->resid2 + lNC, layer_ptr(m, p, GPT2_LN2W, l),
		                  layer_ptr(m, p, GPT2_LN2B, l), N, C);
		linear_forward(m->pool, a->fch + 4 * lNC, a->ln2 + lNC, layer_ptr(m, p, GPT2_FCW, l),
		               layer_ptr(m, p, GPT2_FCB, l), iN, iC, 4 * iC);
		elementwise(m->pool, gelu_fwd, a->fch_gelu + 4 * lNC, a->fch + 4 * lNC, NULL, 4 * N * C);
		linear_forward(m->pool, a->fcproj + lNC, a->fch_gelu + 4 * lNC,
		               layer_ptr(m, p, GPT2_FCPROJW, l), layer_ptr(m, p, GPT2_FCPROJB, l),
		               iN, 4 * iC, iC);
		elementwise(m->pool, residual_fwd, a->resid3 + lNC, a->resid2 + lNC, a->fcproj + lNC, N * C);
	}
	layernorm_forward(m->pool, a->lnf, a->lnf_mean, a->lnf_rstd, a->resid3 + (size_t)(L - 1) * N * C,
	                  p + m->off[GPT2_LNFW], p + m->off[GPT2_LNFB], N, C);
}

float gpt2_forward(struct gpt2 *m, const uint32_t *inputs, const uint32_t *targets, int B, int T)
{
	const struct gpt2_config *c = &m->cfg;
	forward_trunk(m, inputs, targets, B, T);
	size_t N = (size_t)B * (size_t)T;
	int Vp = c->padded_vocab, iN = B * T, iC = c->channels;
	struct acts *a = &m->a;
	float *p = m->params;
	/* Only the first V logits: the padding rows of wte never take part. */
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, iN, c->vocab, iC, 1.0f, a->lnf, iC,
	            p + m->off[GPT2_WTE], iC, 0.0f, a->logits, Vp);
	if (!targets) {
		m->have_logits = 1;
		return -1.0f;
	}
	struct k_softmax sm = {.probs = a->logits, .losses = a->losses, .targets = m->targets,
	                       .V = (size_t)c->vocab, .Vp = (size_t)Vp};
	parfor_run(m->pool, N, softmax_ce_fwd, &sm);
	if (!m->counted)
		return 0.0f;
	/* One thread, in order, whatever the thread count. */
	double sum = 0.0;
	for (size_t n = 0; n < N; n++)
		sum += a->losses[n];
	return (float)(sum / (double)m->counted);
}

const float *gpt2_logits(const struct gpt2 *m) { return m->have_logits ? m->a.logits : NULL; }

const float *gpt2_probs(const struct gpt2 *m) { return m->have_targets ? m->a.logits : NULL; }

const float *gpt2_forward_hidden(struct gpt2 *m, const uint32_t *inputs, int B, int T)
{
	forward_trunk(m, inputs, NULL, B, T);
	return m->a.lnf;
}

struct parfor *gpt2_pool(struct gpt2 *m) { return m->pool; }

void gpt2_zero_grad(struct gpt2 *m)
{
	memset(m->grads, 0, m->off[GPT2_NTENSORS] * sizeof *m->grads);
}

void gpt2_backward(struct gpt2 *m)
{
	if (!m->have_targets)
		die(STATUS_FAIL, "gpt2: backward without a forward pass with targets");
	const struct gpt2_config *c = &m->cfg;
	int B = m->B, T = m->T, L = c->layers, iN = B * T, iC = c->channels, Vp = c->padded_vocab;
	size_t N = (size_t)iN, C = (size_t)iC, NH = (size_t)c->heads;
	struct acts *a = &m->a;
	struct dacts *g = &m->g;
	float *p = m->params, *dp = m->grads;
	/* Each scratch array's first writer below assigns (sgemm with beta 0,
	 * a copy, the GELU and attention kernels), so none needs clearing but
	 * the one the final LayerNorm accumulates into. */
	float *dres = g->dres[0];
	memset(dres, 0, N * C * sizeof *dres);

	/* The probabilities become the logits' gradient, in place. */
	float *dlogits = a->logits;
	/* PyTorch's reduction='mean' with ignore_index: the mean over the
	 * counted positions (none counted: every row of dlogits is 0). */
	float dloss = m->counted ? 1.0f / (float)m->counted : 0.0f;
	struct k_softmax sm = {.probs = a->logits, .dlogits = dlogits, .targets = m->targets,
	                       .V = (size_t)c->vocab, .Vp = (size_t)Vp, .dloss = dloss};
	parfor_run(m->pool, N, softmax_ce_bwd, &sm);
	/* The tied head: dlnf = dlogits wte, dwte += dlogits^T lnf (the
	 * padding columns of dlogits are 0, so are the padding rows' share). */
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, iN, iC, Vp, 1.0f, dlogits, Vp,
	            p + m->off[GPT2_WTE], iC, 0.0f, g->dln, iC);
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Vp, iC, iN, 1.0f, dlogits, Vp,
	            a->lnf, iC, 1.0f, dp + m->off[GPT2_WTE], iC);
	size_t lastNC = (size_t)(L - 1) * N * C;
	layernorm_backward(m->pool, dres, dp + m->off[GPT2_LNFW], dp + m->off[GPT2_LNFB],
	                   g->dln, a->resid3 + lastNC, p + m->off[GPT2_LNFW], a->lnf_mean, a->lnf_rstd,
	                   N, C);

	for (int l = L - 1; l >= 0; l--) {
		size_t lNC = (size_t)l * N * C, lN = (size_t)l * N;
		const float *resid = l == 0 ? a->encoded : a->resid3 + lNC - N * C;
		/* dres: the gradient at this block's output; din: at its input. */
		float *din = g->dres[dres == g->dres[0]];
		/* The MLP's residual: the output's gradient reaches resid2 and the
		 * MLP's output unchanged. */
		elementwise(m->pool, copy, g->dresid2, dres, NULL, N * C);
		linear_backward(m->pool, g->dfch_gelu, 0.0f, layer_ptr(m, dp, GPT2_FCPROJW, l),
		                layer_ptr(m, dp, GPT2_FCPROJB, l), dres, a->fch_gelu + 4 * lNC,
		                layer_ptr(m, p, GPT2_FCPROJW, l), iN, 4 * iC, iC);
		elementwise(m->pool, gelu_bwd, g->dfch, a->fch + 4 * lNC, g->dfch_gelu, 4 * N * C);
		linear_backward(m->pool, g->dln, 0.0f, layer_ptr(m, dp, GPT2_FCW, l),
		                layer_ptr(m, dp, GPT2_FCB, l), g->dfch, a->ln2 + lNC,
		                layer_ptr(m, p, GPT2_FCW, l), iN, iC, 4 * iC);
		layernorm_backward(m->pool, g->dresid2, layer_ptr(m, dp, GPT2_LN2W, l),
		                   layer_ptr(m, dp, GPT2_LN2B, l), g->dln, a->resid2 + lNC,
		                   layer_ptr(m, p, GPT2_LN2W, l), a->ln2_mean + lN, a->ln2_rstd + lN, N, C);
		/* The attention's residual, likewise. */
		elementwise(m->pool, copy, din, g->dresid2, NULL, N * C);
		linear_backward(m->pool, g->datty, 0.0f, layer_ptr(m, dp, GPT2_ATTPROJW, l),
		                layer_ptr(m, dp, GPT2_ATTPROJB, l), g->dresid2, a->atty + lNC,
		                layer_ptr(m, p, GPT2_ATTPROJW, l), iN, iC, iC);
		struct k_attn at = {.att = a->att + lN * NH * (size_t)T, .datt = g->datt,
		                    .qkv = a->qkv + 3 * lNC, .dqkv = g->dqkv, .datty = g->datty,
		                    .B = (size_t)B, .T = (size_t)T, .C = C, .NH = NH};
		parfor_run(m->pool, (size_t)B * NH, attention_bwd, &at);
		linear_backward(m->pool, g->dln, 0.0f, layer_ptr(m, dp, GPT2_QKVW, l),
		                layer_ptr(m, dp, GPT2_QKVB, l), g->dqkv, a->ln1 + lNC,
		                layer_ptr(m, p, GPT2_QKVW, l), iN, iC, 3 * iC);
		layernorm_backward(m->pool, din, layer_ptr(m, dp, GPT2_LN1W, l),
		                   layer_ptr(m, dp, GPT2_LN1B, l), g->dln, resid,
		                   layer_ptr(m, p, GPT2_LN1W, l), a->ln1_mean + lN, a->ln1_rstd + lN, N, C);
		dres = din;
	}
	struct k_encoder enc = {.dwte = dp + m->off[GPT2_WTE], .dwpe = dp + m->off[GPT2_WPE],
	                        .dout = dres, .tok = m->inputs, .N = N, .T = (size_t)T, .C = C};
	parfor_run(m->pool, C, encoder_bwd, &enc);
	/* The probabilities are gone: a second backward needs a new forward. */
	m->have_targets = 0;
}

/* ---- gradient norm ---- */

#define NORM_BLOCK 65536

struct k_norm {
	const float *g;
	double *block;
	size_t n;
};

/* Blocks [lo, hi) of NORM_BLOCK floats: eight interleaved double sums
 * each (so the loop vectorises and is not bound by one add's latency),
 * combined pairwise. */
static void norm_blocks(void *v, size_t lo, size_t hi, int tid)
{
	struct k_norm *k = v;
	for (size_t b = lo; b < hi; b++) {
		size_t i = b * NORM_BLOCK, end = i + NORM_BLOCK < k->n ? i + NORM_BLOCK : k->n;
		const float *g = k->g;
		double acc[8] = {0};
		for (; i + 8 <= end; i += 8)
			for (int l = 0; l < 8; l++)
				acc[l] += (double)g[i + l] * (double)g[i + l];
		for (int l = 0; i < end; i++, l++)
			acc[l] += (double)g[i] * (double)g[i];
		k->block[b] = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
	}
}

double gpt2_grad_norm(struct gpt2 *m)
{
	size_t n = m->off[GPT2_NTENSORS], nb = (n + NORM_BLOCK - 1) / NORM_BLOCK;
	struct k_norm k = {.g = m->grads, .block = xmalloc(nb * sizeof(double)), .n = n};
	parfor_run(m->pool, nb, norm_blocks, &k);
	double s = 0;
	for (size_t b = 0; b < nb; b++)
		s += k.block[b];
	free(k.block);
	return sqrt(s);
}

/* ---- AdamW ---- */

void gpt2_adamw_state(struct gpt2 *m, float **mom, float **vel)
{
	if (!m->adam_m) {
		m->adam_m = xcalloc(m->off[GPT2_NTENSORS], sizeof(float));
		m->adam_v = xcalloc(m->off[GPT2_NTENSORS], sizeof(float));
	}
	*mom = m->adam_m;
	*vel = m->adam_v;
}

void gpt2_adamw(struct gpt2 *m, float lr, float beta1, float beta2, float eps,
                float weight_decay, int step)
{
	float *mom, *vel;
	gpt2_adamw_state(m, &mom, &vel);
	struct adamw_span spans[GPT2_NTENSORS];
	for (int t = 0; t < GPT2_NTENSORS; t++)
		spans[t] = (struct adamw_span){.offset = m->off[t], .size = m->off[t + 1] - m->off[t],
		                               .decay = tensor_decayed(t)};
	struct adamw_hparams h = {.lr = lr, .beta1 = beta1, .beta2 = beta2, .eps = eps,
	                          .weight_decay = weight_decay};
	adamw_step(m->pool, m->params, m->grads, mom, vel, m->off[GPT2_NTENSORS], spans, GPT2_NTENSORS,
	           &h, step < 1 ? 1 : (uint64_t)step);
}
