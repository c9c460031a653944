/* adamw.c - AdamW over a flat parameter array (see adamw.h).
 *
 * One parfor over the whole array rather than one per span: the spans of
 * a model are many and some tiny (biases, LayerNorm), and the update is
 * elementwise, so where the slices fall changes no result.  Each slice
 * walks the spans that overlap it. */
#include "model/adamw.h"

#include <math.h>

#include "base/die.h"
#include "base/parfor.h"

struct k_adamw {
	float *p, *m, *v;
	const float *g;
	const struct adamw_span *spans;
	size_t nspans;
	float lr, b1, b2, eps, wd, step, rbc2, gs;
};

/* PyTorch's order of operations (torch.optim.AdamW, single-tensor path):
 * decay first, p *= 1 - lr wd; then the Adam update with the bias
 * corrections folded into the step size, lr/(1-b1^t), and the
 * denominator, sqrt(v)/sqrt(1-b2^t) + eps.  The loop body has no branch
 * and no call but sqrtf, so the compiler can vectorise it. */
static void update(const struct k_adamw *k, size_t lo, size_t hi, float decay)
{
	float *restrict p = k->p, *restrict m = k->m, *restrict v = k->v;
	const float *restrict g = k->g;
	float b1 = k->b1, b2 = k->b2, c1 = 1.0f - k->b1, c2 = 1.0f - k->b2;
	float step = k->step, rbc2 = k->rbc2, eps = k->eps, gs = k->gs;
	for (size_t i = lo; i < hi; i++) {
		float gi = g[i] * gs; /* exact when gs is 1 */
		float mo = b1 * m[i] + c1 * gi;
		float ve = b2 * v[i] + c2 * gi * gi;
		m[i] = mo;
		v[i] = ve;
		p[i] = p[i] * decay - step * mo / (sqrtf(ve) * rbc2 + eps);
	}
}

static void adamw_kernel(void *arg, size_t lo, size_t hi, int tid)
{
	const struct k_adamw *k = arg;
	/* The first span that reaches past lo (binary search: a model has
	 * a few hundred spans at most, but the search is cheap). */
	size_t a = 0, b = k->nspans;
	while (a < b) {
		size_t mid = a + (b - a) / 2;
		if (k->spans[mid].offset + k->spans[mid].size <= lo)
			a = mid + 1;
		else
			b = mid;
	}
	for (size_t s = a; s < k->nspans && lo < hi; s++) {
		size_t end = k->spans[s].offset + k->spans[s].size;
		if (end > hi)
			end = hi;
		/* 1 - lr wd as PyTorch computes it, in float: 1 exactly when
		 * the span does not decay. */
		float decay = 1.0f - k->lr * (k->spans[s].decay ? k->wd : 0.0f);
		update(k, lo, end, decay);
		lo = end;
	}
}

void adamw_step(struct parfor *pool, float *params, const float *grads, float *m, float *v, size_t n,
                const struct adamw_span *spans, size_t nspans, const struct adamw_hparams *h,
                uint64_t step)
{
	size_t at = 0;
	for (size_t s = 0; s < nspans; s++) {
		if (spans[s].offset != at)
			die(STATUS_FAIL, "adamw: span %zu starts at %zu, not %zu", s, spans[s].offset, at);
		at += spans[s].size;
	}
	if (at != n)
		die(STATUS_FAIL, "adamw: the spans cover %zu floats, not %zu", at, n);
	if (step < 1)
		step = 1;
	/* The bias corrections in double, then rounded, as before: at large
	 * steps b^t underflows float's precision long before double's. */
	float bc1 = (float)(1.0 - pow(h->beta1, (double)step));
	float bc2 = (float)(1.0 - pow(h->beta2, (double)step));
	struct k_adamw k = {.p = params, .m = m, .v = v, .g = grads, .spans = spans, .nspans = nspans,
	                    .lr = h->lr, .b1 = h->beta1, .b2 = h->beta2, .eps = h->eps,
	                    .wd = h->weight_decay, .step = h->lr / bc1, .rbc2 = 1.0f / sqrtf(bc2),
	                    .gs = h->grad_scale != 0.0f ? h->grad_scale : 1.0f};
	parfor_run(pool, n, adamw_kernel, &k);
}

double adamw_grad_norm(const float *g, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)g[i] * (double)g[i];
	return sqrt(s);
}

void adamw_scale_grads(float *g, size_t n, float f)
{
	for (size_t i = 0; i < n; i++)
		g[i] *= f;
}
