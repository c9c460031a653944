/* lstm.c - a character-level LSTM language model on the CPU: forward,
 * backpropagation through time, and a one-token step (see lstm.h).
 *
 * Shapes: N = B*T positions, H hidden units, V vocab, L layers.  The
 * activations are batch-first like the inputs, [B, T, width] row-major, so
 * position n = b*T + t.  The input-to-hidden products of a layer are one
 * [N, H] x [H, 4H] matmul for all time steps; the hidden-to-hidden products
 * go one time step at a time, split by chunks of hidden units over the
 * thread pool together with the gate math (see CHUNK), and pick the B rows
 * of step t out of the batch-first arrays with a leading dimension of
 * T*width rather than by copying them.  The weight gradients are again one
 * matmul each over all N positions.  The forward pass keeps every layer's activated gates,
 * cells and outputs; the backward pass needs the gradients of only one
 * layer at a time.
 *
 * Determinism: every kernel here computes each output from its inputs
 * alone (gate math, per-row softmax, a chunk's own matmuls) or sums over
 * positions in position order within a slice of columns (bias and
 * embedding gradients), and the loss is summed in one thread; so no result
 * depends on how a range is split, nor on the thread count.  Only
 * OpenBLAS's blocking might. */
#include "model/lstm.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/die.h"
#include "base/parfor.h"
#include "base/rng.h"

/* Sanity bounds: far beyond any model this CPU code could train, small
 * enough that 4H, V and the tensor sizes stay well inside int and size_t. */
#define MAX_LAYERS 1024
#define MAX_HIDDEN 65536
#define MAX_VOCAB (1 << 24)

/* Below this many elements a kernel runs in the caller: waking the pool
 * costs more than the work (the per-time-step gate math of a small batch).
 * Harmless for determinism, as no kernel's result depends on the split. */
#define MIN_PARALLEL 4096

struct lstm {
	struct lstm_config cfg;
	size_t off[LSTM_NTENSORS + 1]; /* tensor offsets; off[LSTM_NTENSORS] is the total */
	float *params, *grads;
	struct parfor *pool;
	/* Activations, for up to cap positions, in one allocation. */
	size_t cap;
	float *mem;
	float *x0;      /* [N, H] the embedded inputs */
	float *gates;   /* [L, N, 4H] activated gates i, f, g, o (pre-activations
	                 * while a layer's forward is under way) */
	float *c, *tc;  /* [L, N, H] cell state and tanh of it */
	float *h;       /* [L, N, H] layer outputs */
	float *logits;  /* [N, V] */
	float *lse;     /* [N] log-sum-exp of each row of logits */
	/* The backward pass's scratch. */
	float *dlogits; /* [N, V] */
	float *dg;      /* [N, 4H] gradient of one layer's gate pre-activations */
	float *dh;      /* [N, H] gradient of one layer's output (then its input) */
	float *hprev;   /* [N, H] a layer's output shifted one step later, 0 at t = 0 */
	float *dc;      /* [B, H] the cell gradient carried back from step t+1, times f */
	float *colbuf;  /* [max(4H, V)] column sums */
	uint32_t *inputs, *targets; /* the last forward's batch */
	int B, T, have_targets;
	size_t counted; /* targets that are not LSTM_IGNORE */
};

/* ---- layout ---- */

static const char *const tensor_names[LSTM_NTENSORS] = {
	"emb", "wih", "whh", "bih", "bhh", "wout", "bout",
};

static int tensor_decayed(int t)
{
	return t == LSTM_EMB || t == LSTM_WIH || t == LSTM_WHH || t == LSTM_WOUT;
}

static void tensor_shape(const struct lstm_config *c, int t, int *ndim, int shape[3])
{
	int L = c->layers, H = c->hidden, V = c->vocab;
	switch (t) {
	case LSTM_EMB: case LSTM_WOUT: *ndim = 2, shape[0] = V, shape[1] = H; break;
	case LSTM_WIH: case LSTM_WHH: *ndim = 3, shape[0] = L, shape[1] = 4 * H, shape[2] = H; break;
	case LSTM_BIH: case LSTM_BHH: *ndim = 2, shape[0] = L, shape[1] = 4 * H; break;
	default: *ndim = 1, shape[0] = V; break; /* bout */
	}
}

void lstm_tensor_info(const struct lstm *m, enum lstm_tensor t, struct lstm_tensor_info *out)
{
	if ((int)t < 0 || t >= LSTM_NTENSORS)
		die(STATUS_FAIL, "lstm: no tensor %d", (int)t);
	out->name = tensor_names[t];
	out->offset = m->off[t];
	out->size = m->off[t + 1] - m->off[t];
	out->shape[0] = out->shape[1] = out->shape[2] = 1;
	tensor_shape(&m->cfg, t, &out->ndim, out->shape);
	out->decay = tensor_decayed(t);
}

/* Layer l's slice of a stacked tensor in array base (params or grads). */
static float *layer_ptr(const struct lstm *m, float *base, int t, int l)
{
	size_t per = (m->off[t + 1] - m->off[t]) / (size_t)m->cfg.layers;
	return base + m->off[t] + (size_t)l * per;
}

/* a * b, dying rather than wrapping. */
static size_t mul(size_t a, size_t b)
{
	if (b && a > SIZE_MAX / b)
		die(STATUS_FAIL, "lstm: sizes overflow");
	return a * b;
}

static size_t add(size_t a, size_t b)
{
	if (a > SIZE_MAX - b)
		die(STATUS_FAIL, "lstm: sizes overflow");
	return a + b;
}

struct lstm *lstm_new(const struct lstm_config *cfg)
{
	struct lstm_config c = *cfg;
	if (c.layers < 1 || c.layers > MAX_LAYERS || c.hidden < 1 || c.hidden > MAX_HIDDEN ||
	    c.vocab < 1 || c.vocab > MAX_VOCAB)
		die(STATUS_FAIL, "lstm: bad configuration (layers %d, hidden %d, vocab %d)", c.layers, c.hidden,
		    c.vocab);
	struct lstm *m = xcalloc(1, sizeof *m);
	m->cfg = c;
	size_t at = 0;
	for (int t = 0; t < LSTM_NTENSORS; t++) {
		int nd, sh[3] = {1, 1, 1};
		tensor_shape(&c, t, &nd, sh);
		m->off[t] = at;
		at = add(at, mul(mul((size_t)sh[0], (size_t)sh[1]), (size_t)sh[2]));
	}
	m->off[LSTM_NTENSORS] = at;
	mul(at, 2 * sizeof(float)); /* params and grads must be addressable */
	m->params = xcalloc(at, sizeof(float));
	m->grads = xcalloc(at, sizeof(float));
	m->colbuf = xcalloc(c.vocab > 4 * c.hidden ? (size_t)c.vocab : 4 * (size_t)c.hidden,
	                    sizeof(float));
	m->pool = parfor_new(1);
	return m;
}

const struct lstm_config *lstm_cfg(const struct lstm *m) { return &m->cfg; }

void lstm_free(struct lstm *m)
{
	if (!m)
		return;
	parfor_free(m->pool);
	free(m->params);
	free(m->grads);
	free(m->mem);
	free(m->colbuf);
	free(m->inputs);
	free(m->targets);
	free(m);
}

void lstm_set_threads(struct lstm *m, int threads)
{
	if (threads < 1)
		die(STATUS_FAIL, "lstm: bad thread count %d", threads);
	parfor_free(m->pool);
	m->pool = parfor_new(threads);
}

float *lstm_params(struct lstm *m, size_t *n)
{
	if (n)
		*n = m->off[LSTM_NTENSORS];
	return m->params;
}

float *lstm_grads(struct lstm *m, size_t *n)
{
	if (n)
		*n = m->off[LSTM_NTENSORS];
	return m->grads;
}

/* Makes room for N positions (keeping the largest seen); growing forgets
 * the last forward pass. */
static void reserve(struct lstm *m, size_t N)
{
	if (N <= m->cap)
		return;
	size_t L = (size_t)m->cfg.layers, H = (size_t)m->cfg.hidden, V = (size_t)m->cfg.vocab;
	/* Floats per position, in the order of the arrays below. */
	size_t widths[] = {H, L * 4 * H, L * H, L * H, L * H, V, 1, V, 4 * H, H, H, H};
	size_t per = 0;
	for (size_t i = 0; i < sizeof widths / sizeof *widths; i++)
		per = add(per, widths[i]);
	float *mem = xmalloc(mul(mul(N, per), sizeof(float)));
	float **slot[] = {&m->x0, &m->gates, &m->c, &m->tc, &m->h, &m->logits, &m->lse,
	                  &m->dlogits, &m->dg, &m->dh, &m->hprev, &m->dc};
	float *p = mem;
	for (size_t i = 0; i < sizeof slot / sizeof *slot; i++) {
		*slot[i] = p;
		p += N * widths[i];
	}
	free(m->mem);
	free(m->inputs);
	free(m->targets);
	m->mem = mem;
	m->inputs = xmalloc(mul(N, sizeof(uint32_t)));
	m->targets = xmalloc(mul(N, sizeof(uint32_t)));
	m->cap = N;
	m->B = m->T = m->have_targets = 0;
}

/* ---- init ---- */

/* Uniform in [0, 1) from the top 53 bits. */
static double uniform(struct rng *r) { return (double)(rng_next(r) >> 11) * 0x1p-53; }

/* Box-Muller: two standard normals from two uniforms, handed out one at a
 * time (PyTorch's own normal_ draws differently; only the distribution is
 * promised to match). */
struct normals {
	struct rng *rng;
	double spare;
	int have_spare;
};

static double normal(struct normals *g)
{
	if (g->have_spare) {
		g->have_spare = 0;
		return g->spare;
	}
	/* u1 in (0, 1] so the log is finite. */
	double u1 = uniform(g->rng) + 0x1p-53, u2 = uniform(g->rng);
	double r = sqrt(-2.0 * log(u1)), th = 6.283185307179586 * u2;
	g->spare = r * sin(th);
	g->have_spare = 1;
	return r * cos(th);
}

/* One stream, the tensors drawn in storage order: nn.LSTM draws all its
 * weights and biases from U(-k, k), k = 1/sqrt(H), and nn.Linear(H, V)'s
 * default (Kaiming uniform with a = sqrt(5), and its bias rule) comes to
 * the same bound for fan-in H; nn.Embedding is N(0, 1). */
void lstm_init(struct lstm *m, uint64_t seed)
{
	struct rng r;
	rng_seed(&r, seed);
	struct normals g = {.rng = &r};
	double k = 1.0 / sqrt((double)m->cfg.hidden);
	for (int t = 0; t < LSTM_NTENSORS; t++) {
		float *p = m->params + m->off[t];
		size_t n = m->off[t + 1] - m->off[t];
		for (size_t i = 0; i < n; i++)
			p[i] = t == LSTM_EMB ? (float)normal(&g) : (float)(k * (2.0 * uniform(&r) - 1.0));
	}
}

/* ---- kernels ---- */

/* parfor_run over [0, n), or the caller alone when the whole job is fewer
 * than MIN_PARALLEL elements of work. */
static void run(struct parfor *pool, size_t n, size_t work, parfor_fn fn, void *arg)
{
	if (work < MIN_PARALLEL)
		fn(arg, 0, n, 0);
	else
		parfor_run(pool, n, fn, arg);
}

static inline float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

/* tanh through one expf: glibc's tanhf (by expm1f) took an eighth of a
 * training step.  Within 1.8e-7 of tanh (measured over [-20, 20]; tanhf:
 * 1.0e-7), about one float32 ulp at 1; exactly +-1 in the limits, as expf
 * saturates. */
static inline float tanh_fast(float x) { return 1.0f - 2.0f / (expf(2.0f * x) + 1.0f); }

/* One unit of one cell: from the pre-activations p[0..3] (i, f, g, o, biases
 * included) and the previous cell state, the activated gates a[0..3], the
 * new cell state, its tanh, and the output; shared by the batch forward
 * and lstm_step so that both compute alike. */
static inline float cell_unit(const float p[4], float cprev, float a[4], float *c, float *tc)
{
	a[0] = sigmoid(p[0]);
	a[1] = sigmoid(p[1]);
	a[2] = tanh_fast(p[2]);
	a[3] = sigmoid(p[3]);
	*c = a[1] * cprev + a[0] * a[2];
	*tc = tanh_fast(*c);
	return a[3] * *tc;
}

struct k_embed {
	float *x, *demb;
	const float *emb, *dx;
	const uint32_t *tok;
	size_t N, H;
};

/* x[n] = emb[tok[n]], over positions. */
static void embed_fwd(void *v, size_t lo, size_t hi, int tid)
{
	struct k_embed *k = v;
	for (size_t n = lo; n < hi; n++)
		memcpy(k->x + n * k->H, k->emb + (size_t)k->tok[n] * k->H, k->H * sizeof(float));
}

/* Over columns: a token may repeat, so each column gathers its gradient
 * from all positions, in order. */
static void embed_bwd(void *v, size_t lo, size_t hi, int tid)
{
	struct k_embed *k = v;
	for (size_t n = 0; n < k->N; n++) {
		float *d = k->demb + (size_t)k->tok[n] * k->H;
		const float *s = k->dx + n * k->H;
		for (size_t j = lo; j < hi; j++)
			d[j] += s[j];
	}
}

/* One layer at one time step t, over chunks of CHUNK hidden units: a
 * chunk's share of the recurrent matmul (the rows of W_hh that feed its
 * units' four gates forward; the columns of W_hh that its units' h gets
 * back from step t+1's gates), then its units' gate math, for all B rows.
 * A chunk needs nothing of the other chunks of the same step, so one pool
 * call per step does it all; and as each chunk's work is the same however
 * the chunks are dealt out, so are the results.  Chunks of 32 units keep
 * each matmul small (B x 32 x H, B x 32 x 4H), the size OpenBLAS 0.3 hands
 * to its small-matrix kernels (no packing, no threads of its own), and were
 * the fastest width measured: at H = 256, B = 16, one layer's 127 steps
 * took 12.5 ms each way, against 14.5 to 17 ms for chunks of 16, 64, 128
 * or whole gates, and 25 to 36 ms for the whole step in one call. */
#define CHUNK 32

struct k_cell {
	float *gates, *c, *tc, *h;  /* the layer's [N, 4H], [N, H] x 3 */
	float *dg, *dh, *dc;        /* backward: [N, 4H], [N, H], [B, H] */
	const float *whh, *bih, *bhh; /* the layer's */
	int B, T, H, t;
};

/* gates hold W_ih x for step t: add W_hh h(t-1) and the biases, activate. */
static void cell_fwd(void *v, size_t lo, size_t hi, int tid)
{
	struct k_cell *k = v;
	int B = k->B, T = k->T, iH = k->H, t = k->t;
	size_t H = (size_t)iH;
	for (size_t ch = lo; ch < hi; ch++) {
		size_t j0 = ch * CHUNK, j1 = j0 + CHUNK < H ? j0 + CHUNK : H;
		int w = (int)(j1 - j0);
		/* the B rows of step t: gates[b, t] += h[b, t-1] W_hh^T */
		for (size_t q = 0; t && q < 4; q++)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, w, iH, 1.0f,
			            k->h + (size_t)(t - 1) * H, T * iH, k->whh + (q * H + j0) * H, iH, 1.0f,
			            k->gates + (size_t)t * 4 * H + q * H + j0, T * 4 * iH);
		for (size_t b = 0; b < (size_t)B; b++) {
			size_t n = b * (size_t)T + (size_t)t;
			float *g = k->gates + n * 4 * H;
			for (size_t j = j0; j < j1; j++) {
				float p[4], a[4];
				for (size_t q = 0; q < 4; q++)
					p[q] = g[q * H + j] + (k->bih[q * H + j] + k->bhh[q * H + j]);
				float cprev = t ? k->c[(n - 1) * H + j] : 0.0f;
				k->h[n * H + j] = cell_unit(p, cprev, a, &k->c[n * H + j], &k->tc[n * H + j]);
				for (size_t q = 0; q < 4; q++)
					g[q * H + j] = a[q];
			}
		}
	}
}

/* dh holds the gradient of h at step t from the layer above; add what step
 * t+1's gates send back through W_hh, then, with c = f c' + i g and
 * h = o tanh(c):
 *     dc = dh o (1 - tanh^2 c) + (dc of step t+1) f(t+1)
 *     di = dc g, df = dc c', dg = dc i, do = dh tanh c
 * each times its nonlinearity's derivative (s(1-s), or 1-g^2 for tanh). */
static void cell_bwd(void *v, size_t lo, size_t hi, int tid)
{
	struct k_cell *k = v;
	int B = k->B, T = k->T, iH = k->H, t = k->t;
	size_t H = (size_t)iH;
	for (size_t ch = lo; ch < hi; ch++) {
		size_t j0 = ch * CHUNK, j1 = j0 + CHUNK < H ? j0 + CHUNK : H;
		if (t + 1 < T)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, (int)(j1 - j0), 4 * iH,
			            1.0f, k->dg + (size_t)(t + 1) * 4 * H, T * 4 * iH, k->whh + j0, iH, 1.0f,
			            k->dh + (size_t)t * H + j0, T * iH);
		for (size_t b = 0; b < (size_t)B; b++) {
			size_t n = b * (size_t)T + (size_t)t;
			const float *a = k->gates + n * 4 * H;
			float *d = k->dg + n * 4 * H;
			for (size_t j = j0; j < j1; j++) {
				float i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j];
				float dh = k->dh[n * H + j], tc = k->tc[n * H + j];
				float dc = dh * o * (1.0f - tc * tc) + (t + 1 < T ? k->dc[b * H + j] : 0.0f);
				float cprev = t ? k->c[(n - 1) * H + j] : 0.0f;
				d[j] = dc * g * i * (1.0f - i);
				d[H + j] = dc * cprev * f * (1.0f - f);
				d[2 * H + j] = dc * i * (1.0f - g * g);
				d[3 * H + j] = dh * tc * o * (1.0f - o);
				k->dc[b * H + j] = dc * f;
			}
		}
	}
}

struct k_shift {
	float *out;
	const float *in;
	size_t T, H;
};

/* out[b, t] = in[b, t-1], 0 at t = 0, over positions. */
static void shift_fwd(void *v, size_t lo, size_t hi, int tid)
{
	struct k_shift *k = v;
	for (size_t n = lo; n < hi; n++) {
		float *o = k->out + n * k->H;
		if (n % k->T)
			memcpy(o, k->in + (n - 1) * k->H, k->H * sizeof(float));
		else
			memset(o, 0, k->H * sizeof(float));
	}
}

struct k_colsum {
	float *out1, *out2; /* out2 may be NULL */
	float *sum;         /* [W] scratch */
	const float *in;    /* [N, W] */
	size_t N, W;
};

/* out1 += column sums of in (and out2 likewise), over columns; row by row
 * for the cache, each column summed in position order. */
static void colsum(void *v, size_t lo, size_t hi, int tid)
{
	struct k_colsum *k = v;
	float *s = k->sum;
	memset(s + lo, 0, (hi - lo) * sizeof *s);
	for (size_t n = 0; n < k->N; n++) {
		const float *r = k->in + n * k->W;
		for (size_t j = lo; j < hi; j++)
			s[j] += r[j];
	}
	for (size_t j = lo; j < hi; j++) {
		k->out1[j] += s[j];
		if (k->out2)
			k->out2[j] += s[j];
	}
}

struct k_softmax {
	float *logits, *lse, *dlogits;
	const float *bout;
	const uint32_t *targets;
	size_t V;
	float scale; /* 1 / counted positions */
};

/* Adds the output bias and keeps each row's log-sum-exp. */
static void softmax_fwd(void *v, size_t lo, size_t hi, int tid)
{
	struct k_softmax *k = v;
	size_t V = k->V;
	for (size_t n = lo; n < hi; n++) {
		float *z = k->logits + n * V;
		float mx = -INFINITY;
		for (size_t i = 0; i < V; i++) {
			z[i] += k->bout[i];
			if (z[i] > mx)
				mx = z[i];
		}
		float sum = 0.0f;
		for (size_t i = 0; i < V; i++)
			sum += expf(z[i] - mx);
		k->lse[n] = mx + logf(sum);
	}
}

/* dlogits = (softmax - onehot(target)) / counted; 0 for ignored rows. */
static void softmax_bwd(void *v, size_t lo, size_t hi, int tid)
{
	struct k_softmax *k = v;
	size_t V = k->V;
	for (size_t n = lo; n < hi; n++) {
		const float *z = k->logits + n * V;
		float *d = k->dlogits + n * V;
		uint32_t tg = k->targets[n];
		if (tg == LSTM_IGNORE) {
			memset(d, 0, V * sizeof *d);
			continue;
		}
		for (size_t i = 0; i < V; i++)
			d[i] = expf(z[i] - k->lse[n]) * k->scale;
		d[tg] -= k->scale;
	}
}

/* ---- the passes ---- */

static void check_tokens(const uint32_t *ids, size_t n, int vocab, const char *what, int ignore_ok)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] >= (uint32_t)vocab && !(ignore_ok && ids[i] == LSTM_IGNORE))
			die(STATUS_FAIL, "lstm: %s token %u at %zu is not below the vocab size %d", what, ids[i], i,
			    vocab);
}

float lstm_forward(struct lstm *m, const uint32_t *inputs, const uint32_t *targets, int B, int T)
{
	const struct lstm_config *c = &m->cfg;
	int L = c->layers, iH = c->hidden, iV = c->vocab, i4H = 4 * iH;
	/* N and the per-step leading dimension T*4H are ints to cblas. */
	if (B < 1 || T < 1 || B > INT_MAX / T || T > INT_MAX / i4H)
		die(STATUS_FAIL, "lstm: bad batch shape %d x %d", B, T);
	int iN = B * T;
	size_t N = (size_t)iN, H = (size_t)iH, V = (size_t)iV;
	check_tokens(inputs, N, iV, "input", 0);
	if (targets)
		check_tokens(targets, N, iV, "target", 1);
	reserve(m, N);
	memcpy(m->inputs, inputs, N * sizeof *inputs);
	m->counted = 0;
	if (targets) {
		memcpy(m->targets, targets, N * sizeof *targets);
		for (size_t n = 0; n < N; n++)
			m->counted += targets[n] != LSTM_IGNORE;
	}
	m->B = B;
	m->T = T;
	m->have_targets = targets != NULL;
	float *p = m->params;

	size_t chunks = (H + CHUNK - 1) / CHUNK, step_work = (size_t)B * 4 * H * H;
	struct k_embed ke = {.x = m->x0, .emb = p + m->off[LSTM_EMB], .tok = m->inputs, .H = H};
	run(m->pool, N, N * H, embed_fwd, &ke);
	for (int l = 0; l < L; l++) {
		const float *x = l ? m->h + (size_t)(l - 1) * N * H : m->x0;
		float *gates = m->gates + (size_t)l * N * 4 * H;
		/* Every step's input contribution at once. */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, iN, i4H, iH, 1.0f, x, iH,
		            layer_ptr(m, p, LSTM_WIH, l), iH, 0.0f, gates, i4H);
		struct k_cell k = {.gates = gates, .c = m->c + (size_t)l * N * H,
		                   .tc = m->tc + (size_t)l * N * H, .h = m->h + (size_t)l * N * H,
		                   .whh = layer_ptr(m, p, LSTM_WHH, l), .bih = layer_ptr(m, p, LSTM_BIH, l),
		                   .bhh = layer_ptr(m, p, LSTM_BHH, l), .B = B, .T = T, .H = iH};
		for (k.t = 0; k.t < T; k.t++)
			run(m->pool, chunks, step_work, cell_fwd, &k);
	}
	const float *top = m->h + (size_t)(L - 1) * N * H;
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, iN, iV, iH, 1.0f, top, iH,
	            p + m->off[LSTM_WOUT], iH, 0.0f, m->logits, iV);
	struct k_softmax ks = {.logits = m->logits, .lse = m->lse, .bout = p + m->off[LSTM_BOUT], .V = V};
	run(m->pool, N, N * V, softmax_fwd, &ks);
	if (!targets)
		return -1.0f;
	if (!m->counted)
		return 0.0f;
	/* One thread, in order, whatever the thread count. */
	double sum = 0.0;
	for (size_t n = 0; n < N; n++)
		if (targets[n] != LSTM_IGNORE)
			sum += (double)m->lse[n] - (double)m->logits[n * V + targets[n]];
	return (float)(sum / (double)m->counted);
}

const float *lstm_logits(const struct lstm *m) { return m->logits; }

void lstm_zero_grad(struct lstm *m)
{
	memset(m->grads, 0, m->off[LSTM_NTENSORS] * sizeof *m->grads);
}

void lstm_backward(struct lstm *m)
{
	if (!m->have_targets)
		die(STATUS_FAIL, "lstm: backward without a forward pass with targets");
	const struct lstm_config *c = &m->cfg;
	int B = m->B, T = m->T, L = c->layers, iH = c->hidden, i4H = 4 * iH, iV = c->vocab;
	int iN = B * T;
	size_t N = (size_t)iN, H = (size_t)iH, V = (size_t)iV;
	float *p = m->params, *dp = m->grads;
	size_t chunks = (H + CHUNK - 1) / CHUNK, step_work = (size_t)B * 4 * H * H;

	/* The head: dlogits, then dW_out += dlogits^T h_L, db_out += its column
	 * sums, and the top layer's output gradient dh = dlogits W_out. */
	struct k_softmax ks = {.logits = m->logits, .lse = m->lse, .dlogits = m->dlogits,
	                       .targets = m->targets, .V = V,
	                       .scale = m->counted ? 1.0f / (float)m->counted : 0.0f};
	run(m->pool, N, N * V, softmax_bwd, &ks);
	const float *top = m->h + (size_t)(L - 1) * N * H;
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, iV, iH, iN, 1.0f, m->dlogits, iV, top,
	            iH, 1.0f, dp + m->off[LSTM_WOUT], iH);
	struct k_colsum kb = {.out1 = dp + m->off[LSTM_BOUT], .sum = m->colbuf,
	                     .in = m->dlogits, .N = N, .W = V};
	run(m->pool, V, N * V, colsum, &kb);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, iN, iH, iV, 1.0f, m->dlogits, iV,
	            p + m->off[LSTM_WOUT], iH, 0.0f, m->dh, iH);

	for (int l = L - 1; l >= 0; l--) {
		const float *x = l ? m->h + (size_t)(l - 1) * N * H : m->x0;
		const float *wih = layer_ptr(m, p, LSTM_WIH, l);
		struct k_cell k = {.gates = m->gates + (size_t)l * N * 4 * H,
		                   .c = m->c + (size_t)l * N * H, .tc = m->tc + (size_t)l * N * H,
		                   .dg = m->dg, .dh = m->dh, .dc = m->dc,
		                   .whh = layer_ptr(m, p, LSTM_WHH, l), .B = B, .T = T, .H = iH};
		/* Through time, backwards. */
		for (k.t = T - 1; k.t >= 0; k.t--)
			run(m->pool, chunks, step_work, cell_bwd, &k);
		/* The weights, for all steps at once: dW_hh pairs step t's gate
		 * gradient with h at t-1, hence the shifted copy. */
		struct k_shift sh = {.out = m->hprev, .in = m->h + (size_t)l * N * H, .T = (size_t)T, .H = H};
		run(m->pool, N, N * H, shift_fwd, &sh);
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, i4H, iH, iN, 1.0f, m->dg, i4H,
		            m->hprev, iH, 1.0f, layer_ptr(m, dp, LSTM_WHH, l), iH);
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, i4H, iH, iN, 1.0f, m->dg, i4H, x,
		            iH, 1.0f, layer_ptr(m, dp, LSTM_WIH, l), iH);
		/* Both biases enter the gates alike, so share one gradient. */
		struct k_colsum kc = {.out1 = layer_ptr(m, dp, LSTM_BIH, l),
		                      .out2 = layer_ptr(m, dp, LSTM_BHH, l), .sum = m->colbuf,
		                      .in = m->dg, .N = N, .W = 4 * H};
		run(m->pool, 4 * H, N * 4 * H, colsum, &kc);
		/* The input's gradient: the output gradient of the layer below. */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, iN, iH, i4H, 1.0f, m->dg, i4H,
		            wih, iH, 0.0f, m->dh, iH);
	}
	struct k_embed ke = {.demb = dp + m->off[LSTM_EMB], .dx = m->dh, .tok = m->inputs, .N = N,
	                     .H = H};
	run(m->pool, H, N * H, embed_bwd, &ke);
}

/* ---- sampling ---- */

struct lstm_state {
	int layers, hidden;
	float *h, *c;   /* [L, H] */
	float *gates;   /* [4H] scratch */
};

struct lstm_state *lstm_state_new(const struct lstm *m)
{
	struct lstm_state *s = xcalloc(1, sizeof *s);
	size_t LH = (size_t)m->cfg.layers * (size_t)m->cfg.hidden;
	s->layers = m->cfg.layers;
	s->hidden = m->cfg.hidden;
	s->h = xcalloc(LH, sizeof(float));
	s->c = xcalloc(LH, sizeof(float));
	s->gates = xcalloc(4 * (size_t)m->cfg.hidden, sizeof(float));
	return s;
}

void lstm_state_reset(struct lstm_state *s)
{
	size_t LH = (size_t)s->layers * (size_t)s->hidden;
	memset(s->h, 0, LH * sizeof(float));
	memset(s->c, 0, LH * sizeof(float));
}

void lstm_state_free(struct lstm_state *s)
{
	if (!s)
		return;
	free(s->h);
	free(s->c);
	free(s->gates);
	free(s);
}

/* The batch forward for B = T = 1, with matrix-vector products; one
 * thread, as a single token's work is too small to share. */
void lstm_step(struct lstm *m, struct lstm_state *s, uint32_t token, float *logits)
{
	const struct lstm_config *c = &m->cfg;
	int L = c->layers, iH = c->hidden, iV = c->vocab;
	size_t H = (size_t)iH;
	if (s->layers != L || s->hidden != iH)
		die(STATUS_FAIL, "lstm: a state for another model shape");
	if (token >= (uint32_t)iV)
		die(STATUS_FAIL, "lstm: step token %u is not below the vocab size %d", token, iV);
	const float *p = m->params;
	const float *x = p + m->off[LSTM_EMB] + (size_t)token * H;
	for (int l = 0; l < L; l++) {
		float *h = s->h + (size_t)l * H, *cs = s->c + (size_t)l * H;
		const float *bih = layer_ptr(m, m->params, LSTM_BIH, l);
		const float *bhh = layer_ptr(m, m->params, LSTM_BHH, l);
		cblas_sgemv(CblasRowMajor, CblasNoTrans, 4 * iH, iH, 1.0f,
		            layer_ptr(m, m->params, LSTM_WIH, l), iH, x, 1, 0.0f, s->gates, 1);
		cblas_sgemv(CblasRowMajor, CblasNoTrans, 4 * iH, iH, 1.0f,
		            layer_ptr(m, m->params, LSTM_WHH, l), iH, h, 1, 1.0f, s->gates, 1);
		for (size_t j = 0; j < H; j++) {
			float pre[4], a[4], tc;
			for (int q = 0; q < 4; q++)
				pre[q] = s->gates[q * H + j] + (bih[q * H + j] + bhh[q * H + j]);
			h[j] = cell_unit(pre, cs[j], a, &cs[j], &tc);
		}
		x = h;
	}
	memcpy(logits, p + m->off[LSTM_BOUT], (size_t)iV * sizeof *logits);
	cblas_sgemv(CblasRowMajor, CblasNoTrans, iV, iH, 1.0f, p + m->off[LSTM_WOUT], iH, x, 1, 1.0f,
	            logits, 1);
}
