/* gpt2gen.c - GPT-2 inference with a key/value cache (see gpt2gen.h).
 *
 * The same computation as gpt2_forward (gpt2.c) for one sequence (its
 * LayerNorm, GELU and softmax operation for operation; the products through
 * BLAS, so equal to rounding), but each layer's keys and values are kept
 * for every position fed so far, so a new position's attention reads them
 * instead of recomputing the prefix.  Nothing is kept for a backward pass,
 * and the parameters are only read.
 *
 * Shapes: C channels, NH heads of hs = C/NH channels.  The cache holds
 * k and v as [L, cap, C] each (head h at channels h*hs .. h*hs+hs-1, the
 * split of gpt2.c's qkv rows: q, then k, then v, each C wide).  A prompt is
 * fed in chunks of at most CHUNK positions, so the scratch arrays stay
 * small whatever the cap while each chunk is still a matrix-matrix product
 * (a 1024-position prompt of GPT-2 124M would otherwise need ~35 MB of
 * scratch beside the cache). */
#include "model/gpt2gen.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/die.h"

#define LN_EPS 1e-5f
#define GELU_K 0.7978845608028654f /* sqrt(2/pi) */
/* Positions per matrix-matrix product: enough rows for sgemm to run near
 * its peak, few enough that the scratch is a few MB at GPT-2 sizes. */
#define CHUNK 128

struct gpt2_kv {
	int cap, len, rows; /* rows: the scratch's positions, min(cap, CHUNK) */
	int L, C, NH, V, maxT;
	float *k, *v;       /* [L, cap, C] */
	float *x;           /* [rows, C] the residual stream */
	float *a;           /* [rows, C] LayerNorm output, attention output */
	float *b;           /* [rows, C] a sublayer's output before the residual add */
	float *qkv;         /* [rows, 3C] */
	float *h;           /* [rows, 4C] the MLP's hidden layer */
	float *att;         /* [rows, cap] one head's attention weights for a chunk */
};

struct gpt2_kv *gpt2_kv_new(struct gpt2 *m, int cap)
{
	const struct gpt2_config *c = gpt2_cfg(m);
	if (cap < 1 || cap > c->max_seq)
		die(STATUS_FAIL, "gpt2gen: cache size %d is not in 1..%d", cap, c->max_seq);
	struct gpt2_kv *kv = xcalloc(1, sizeof *kv);
	kv->cap = cap;
	kv->rows = cap < CHUNK ? cap : CHUNK;
	kv->L = c->layers;
	kv->C = c->channels;
	kv->NH = c->heads;
	kv->V = c->vocab;
	kv->maxT = c->max_seq;
	size_t C = (size_t)kv->C, rows = (size_t)kv->rows, kvn = (size_t)kv->L * (size_t)cap * C;
	kv->k = xmalloc(kvn * sizeof(float));
	kv->v = xmalloc(kvn * sizeof(float));
	kv->x = xmalloc(rows * C * sizeof(float));
	kv->a = xmalloc(rows * C * sizeof(float));
	kv->b = xmalloc(rows * C * sizeof(float));
	kv->qkv = xmalloc(rows * 3 * C * sizeof(float));
	kv->h = xmalloc(rows * 4 * C * sizeof(float));
	kv->att = xmalloc(rows * (size_t)cap * sizeof(float));
	return kv;
}

void gpt2_kv_free(struct gpt2_kv *kv)
{
	if (!kv)
		return;
	free(kv->k);
	free(kv->v);
	free(kv->x);
	free(kv->a);
	free(kv->b);
	free(kv->qkv);
	free(kv->h);
	free(kv->att);
	free(kv);
}

/* The cached positions are simply overwritten by the next feed. */
void gpt2_kv_reset(struct gpt2_kv *kv) { kv->len = 0; }

int gpt2_kv_len(const struct gpt2_kv *kv) { return kv->len; }

/* Layer l's slice of a stacked parameter tensor. */
static const float *param(struct gpt2 *m, enum gpt2_tensor t, int l)
{
	struct gpt2_tensor_info ti;
	gpt2_tensor_info(m, t, &ti);
	size_t per = ti.ndim == 1 ? 0 : ti.size / (size_t)ti.shape[0];
	return gpt2_params(m, NULL) + ti.offset + (size_t)l * per;
}

/* gpt2.c's LayerNorm, operation for operation, over n rows. */
static void layernorm(float *out, const float *x, const float *w, const float *b, int n, int C)
{
	for (int r = 0; r < n; r++, x += C, out += C) {
		float mu = 0.0f, var = 0.0f;
		for (int c = 0; c < C; c++)
			mu += x[c];
		mu /= (float)C;
		for (int c = 0; c < C; c++)
			var += (x[c] - mu) * (x[c] - mu);
		var /= (float)C;
		float rs = 1.0f / sqrtf(var + LN_EPS);
		for (int c = 0; c < C; c++)
			out[c] = (x[c] - mu) * rs * w[c] + b[c];
	}
}

/* out [n, OC] = inp [n, IC] w^T + b, w [OC, IC].  The bias goes in first
 * and the product adds to it (beta 1), saving a pass over out; one row is
 * a matrix-vector product. */
static void linear(float *out, const float *inp, const float *w, const float *b, int n, int IC, int OC)
{
	for (int r = 0; r < n; r++)
		memcpy(out + (size_t)r * (size_t)OC, b, (size_t)OC * sizeof *b);
	if (n == 1)
		cblas_sgemv(CblasRowMajor, CblasNoTrans, OC, IC, 1.0f, w, IC, inp, 1, 1.0f, out, 1);
	else
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, OC, IC, 1.0f, inp, IC, w, IC,
		            1.0f, out, OC);
}

/* Causal attention of the n positions pos0 .. pos0+n-1, whose keys and
 * values are already in the layer's cache kc, vc [cap, C]: for each head,
 * softmax over t2 <= t of q(t).k(t2)/sqrt(hs), y(t) = sum att(t2) v(t2),
 * the definition of gpt2.c's attention_fwd.  The scores and the weighted
 * sums are BLAS products over the cache (a scalar loop here cost more than
 * all the weights together at a 1000-token context); the scores of keys
 * after a query's own position are computed with the chunk's square and
 * then ignored. */
static void attention(struct gpt2_kv *kv, float *y, const float *qkv, const float *kc,
                      const float *vc, int pos0, int n)
{
	int C = kv->C, NH = kv->NH, hs = C / NH, T = pos0 + n;
	float scale = 1.0f / sqrtf((float)hs);
	for (int h = 0; h < NH; h++) {
		const float *q = qkv + (size_t)h * (size_t)hs, *kh = kc + (size_t)h * (size_t)hs;
		const float *vh = vc + (size_t)h * (size_t)hs;
		float *att = kv->att, *yh = y + (size_t)h * (size_t)hs;
		/* att [n, T] = scale q [n, hs] kh^T */
		if (n == 1)
			cblas_sgemv(CblasRowMajor, CblasNoTrans, T, hs, scale, kh, C, q, 1, 0.0f, att, 1);
		else
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, T, hs, scale, q, 3 * C,
			            kh, C, 0.0f, att, T);
		for (int r = 0; r < n; r++) {
			float *a = att + (size_t)r * (size_t)T, mx = -INFINITY, sum = 0.0f;
			int t = pos0 + r;
			for (int t2 = 0; t2 <= t; t2++)
				if (a[t2] > mx)
					mx = a[t2];
			for (int t2 = 0; t2 <= t; t2++) {
				a[t2] = expf(a[t2] - mx);
				sum += a[t2];
			}
			float inv = 1.0f / sum;
			for (int t2 = 0; t2 <= t; t2++)
				a[t2] *= inv;
			for (int t2 = t + 1; t2 < T; t2++)
				a[t2] = 0.0f;
		}
		/* yh [n, hs] = att [n, T] vh [T, hs] */
		if (n == 1)
			cblas_sgemv(CblasRowMajor, CblasTrans, T, hs, 1.0f, vh, C, att, 1, 0.0f, yh, 1);
		else
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, hs, T, 1.0f, att, T, vh, C,
			            0.0f, yh, C);
	}
}

static void add(float *x, const float *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] += d[i];
}

/* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), in place. */
static void gelu(float *x, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		float v = x[i];
		x[i] = 0.5f * v * (1.0f + tanhf(GELU_K * (v + 0.044715f * v * v * v)));
	}
}

/* Feeds n <= rows tokens at the cache's current length; leaves the last
 * position's block output in the last row of kv->x. */
static void feed_chunk(struct gpt2 *m, struct gpt2_kv *kv, const uint32_t *tok, int n)
{
	int C = kv->C, pos0 = kv->len;
	size_t sC = (size_t)C, nC = (size_t)n * sC;
	const float *wte = param(m, GPT2_WTE, 0), *wpe = param(m, GPT2_WPE, 0);
	for (int r = 0; r < n; r++) {
		const float *te = wte + (size_t)tok[r] * sC, *pe = wpe + (size_t)(pos0 + r) * sC;
		float *o = kv->x + (size_t)r * sC;
		for (int c = 0; c < C; c++)
			o[c] = te[c] + pe[c];
	}
	for (int l = 0; l < kv->L; l++) {
		float *kc = kv->k + (size_t)l * (size_t)kv->cap * sC;
		float *vc = kv->v + (size_t)l * (size_t)kv->cap * sC;
		layernorm(kv->a, kv->x, param(m, GPT2_LN1W, l), param(m, GPT2_LN1B, l), n, C);
		linear(kv->qkv, kv->a, param(m, GPT2_QKVW, l), param(m, GPT2_QKVB, l), n, C, 3 * C);
		for (int r = 0; r < n; r++) {
			const float *row = kv->qkv + (size_t)r * 3 * sC;
			memcpy(kc + (size_t)(pos0 + r) * sC, row + sC, sC * sizeof(float));
			memcpy(vc + (size_t)(pos0 + r) * sC, row + 2 * sC, sC * sizeof(float));
		}
		attention(kv, kv->a, kv->qkv, kc, vc, pos0, n);
		linear(kv->b, kv->a, param(m, GPT2_ATTPROJW, l), param(m, GPT2_ATTPROJB, l), n, C, C);
		add(kv->x, kv->b, nC);
		layernorm(kv->a, kv->x, param(m, GPT2_LN2W, l), param(m, GPT2_LN2B, l), n, C);
		linear(kv->h, kv->a, param(m, GPT2_FCW, l), param(m, GPT2_FCB, l), n, C, 4 * C);
		gelu(kv->h, 4 * nC);
		linear(kv->b, kv->h, param(m, GPT2_FCPROJW, l), param(m, GPT2_FCPROJB, l), n, 4 * C, C);
		add(kv->x, kv->b, nC);
	}
	kv->len += n;
}

void gpt2_kv_feed(struct gpt2 *m, struct gpt2_kv *kv, const uint32_t *tokens, int n, float *logits)
{
	const struct gpt2_config *c = gpt2_cfg(m);
	/* A cache belongs to one model's shape: reading another's weights with
	 * its sizes would run off their ends. */
	if (c->layers != kv->L || c->channels != kv->C || c->heads != kv->NH ||
	    c->vocab != kv->V || c->max_seq != kv->maxT)
		die(STATUS_FAIL, "gpt2gen: the cache was made for a model of another shape");
	if (n < 1 || n > kv->cap - kv->len)
		die(STATUS_FAIL, "gpt2gen: cannot feed %d tokens at position %d of a cache of %d", n, kv->len,
		    kv->cap);
	/* All checked before any is fed, so a refusal leaves the cache as it was. */
	for (int i = 0; i < n; i++)
		if (tokens[i] >= (uint32_t)c->vocab)
			die(STATUS_FAIL, "gpt2gen: token %u at %d is not below the vocab size %d", tokens[i], i,
			    c->vocab);
	for (int i = 0; i < n; i += kv->rows)
		feed_chunk(m, kv, tokens + i, n - i < kv->rows ? n - i : kv->rows);
	int last = (n - 1) % kv->rows;
	int C = kv->C;
	float *xl = kv->x + (size_t)last * (size_t)C;
	layernorm(kv->a, xl, param(m, GPT2_LNFW, 0), param(m, GPT2_LNFB, 0), 1, C);
	/* The tied head over the first V rows of wte only, as gpt2.c does. */
	cblas_sgemv(CblasRowMajor, CblasNoTrans, c->vocab, C, 1.0f, param(m, GPT2_WTE, 0), C,
	            kv->a, 1, 0.0f, logits, 1);
}
