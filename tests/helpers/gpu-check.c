/* gpu-check - what the GPU suites need to know before they run, and a
 * kernel-level check of the GPU model against the CPU's.
 *
 *   gpu-check
 *     one line, "cuda=1 devices=1 bf16=1 name=NVIDIA H100 80GB HBM3";
 *     never fails for want of a driver or a GPU (devices=0 then).
 *   gpu-check parity fp32|bf16|fp16
 *     a tiny GPT-2 (gpt2.h) and the same parameters on GPU 0 (gpt2cuda.h,
 *     through the plugin that cudaplug.h loads):
 *     the logits, the loss, each tensor's gradient and three AdamW steps
 *     (one of two micro-batches, one clipped), each compared and printed;
 *     exit 1 when one is off by more than the precision allows, so a
 *     failing train-step parity test can be traced to a tensor. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/die.h"
#include "base/parfor.h"
#include "model/adamw.h"
#include "model/cudaplug.h"
#include "model/lm.h"

static int failures;

static void report(const char *what, double v, double tol)
{
	int ok = v <= tol; /* NaN fails */
	printf("%-32s %10.3g  (tolerance %.2g) %s\n", what, v, tol, ok ? "ok" : "FAIL");
	failures += !ok;
}

/* max |a - b| over max |b|: a tensor's error on its own scale */
static double scaled_diff(const float *a, const float *b, size_t n)
{
	double d = 0, m = 1e-30;
	for (size_t i = 0; i < n; i++) {
		double e = fabs((double)a[i] - (double)b[i]);
		if (!(e <= d))
			d = e;
		if (fabs((double)b[i]) > m)
			m = fabs((double)b[i]);
	}
	return d / m;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

static int parity(const struct gpt2cuda_ops *cu, enum gpt2cuda_precision prec)
{
	/* fp32: cuBLAS and OpenBLAS sum in other orders, nothing more;
	 * bf16 and fp16: 8 and 11 bits of mantissa in the activations */
	double tol_logit = prec == GPT2CUDA_FP32 ? 1e-5 : 5e-2, tol_loss = prec == GPT2CUDA_FP32 ? 1e-5 : 2e-2;
	double tol_grad = prec == GPT2CUDA_FP32 ? 1e-3 : 1e-1;
	/* in units of lr: fp32 at the 99.9th percentile, the others at the
	 * median (their noisier small gradients flip more updates) */
	double tol_param = prec == GPT2CUDA_FP32 ? 0.05 : 0.25;
	struct gpt2_config cfg = {.layers = 2, .heads = 2, .channels = 64, .max_seq = 32, .vocab = 300};
	int B = 4, T = 32, N = B * T;
	struct gpt2 *cpu = gpt2_new(&cfg);
	gpt2_init(cpu, 11);
	const struct gpt2_config *c = gpt2_cfg(cpu);
	size_t n, Vp = (size_t)c->padded_vocab;
	float *p = gpt2_params(cpu, &n);
	char err[512];
	size_t offsets[GPT2_NTENSORS + 1];
	gpt2_offsets(cpu, offsets);
	struct gpt2cuda *g = cu->create(c, offsets, 0, prec, err, sizeof err);
	if (!g)
		die(STATUS_FAIL, "%s", err);
	cu->upload(g, p, NULL, NULL);

	uint32_t *in = xmalloc(2 * (size_t)N * sizeof *in), *tg = xmalloc(2 * (size_t)N * sizeof *tg);
	uint64_t s = 7;
	for (int i = 0; i < 2 * N; i++) {
		s = s * 6364136223846793005u + 1442695040888963407u;
		in[i] = (uint32_t)(s >> 33) % (uint32_t)c->vocab;
		s = s * 6364136223846793005u + 1442695040888963407u;
		tg[i] = (uint32_t)(s >> 33) % (uint32_t)c->vocab;
	}
	tg[5] = tg[N + 9] = GPT2_IGNORE;

	/* logits */
	float *gl = xmalloc((size_t)N * Vp * sizeof *gl);
	gpt2_forward(cpu, in, NULL, B, T);
	cu->forward(g, in, NULL, B, T, 0, 0);
	for (int b = 0; b < B; b++)
		cu->logits(g, b, 0, T, gl + (size_t)b * T * Vp);
	const float *cl = gpt2_logits(cpu);
	double dl = 0, ml = 0;
	for (int r = 0; r < N; r++)
		for (int v = 0; v < c->vocab; v++) {
			double d = fabs((double)gl[(size_t)r * Vp + v] - cl[(size_t)r * Vp + v]);
			dl = d > dl ? d : dl;
			ml = fabs(cl[(size_t)r * Vp + v]) > ml ? fabs(cl[(size_t)r * Vp + v]) : ml;
		}
	report("logits (max diff / max)", dl / ml, tol_logit);

	/* training steps */
	float *mom = xcalloc(n, sizeof(float)), *vel = xcalloc(n, sizeof(float));
	float *gg = xmalloc(n * sizeof(float)), *gp = xmalloc(n * sizeof(float));
	float *gm = xmalloc(n * sizeof(float)), *gv = xmalloc(n * sizeof(float));
	struct adamw_span spans[GPT2_NTENSORS];
	struct gpt2_tensor_info info[GPT2_NTENSORS];
	for (int t = 0; t < GPT2_NTENSORS; t++) {
		gpt2_tensor_info(cpu, (enum gpt2_tensor)t, &info[t]);
		spans[t] = (struct adamw_span){info[t].offset, info[t].size, info[t].decay};
	}
	struct parfor *pool = parfor_new(1);
	for (int step = 1; step <= 3; step++) {
		int micro = step == 2 ? 2 : 1;
		float clip = step == 3 ? 0.05f : 1.0f;
		gpt2_zero_grad(cpu);
		cu->zero_grad(g);
		double lsum = 0;
		for (int k = 0; k < micro; k++) {
			lsum += gpt2_forward(cpu, in + k * N, tg + k * N, B, T);
			gpt2_backward(cpu);
			cu->forward(g, in + k * N, tg + k * N, B, T, 1, 0);
			cu->backward(g);
		}
		float *cg = gpt2_grads(cpu, NULL);
		cu->download_grads(g, gg);
		char what[64];
		if (prec == GPT2CUDA_FP16) /* fp16's gradients carry the loss scale */
			for (size_t i = 0; i < n; i++)
				gg[i] /= 65536.0f;
		for (int t = 0; t < GPT2_NTENSORS; t++) {
			snprintf(what, sizeof what, "step %d: d%s", step, info[t].name);
			size_t o = info[t].offset, sz = info[t].size;
			if (t == GPT2_WTE) /* the padding rows: exactly 0 */
				sz = (size_t)c->vocab * (size_t)c->channels;
			report(what, scaled_diff(gg + o, cg + o, sz), tol_grad);
		}
		double pad = 0;
		for (size_t i = (size_t)c->vocab * (size_t)c->channels; i < Vp * (size_t)c->channels; i++)
			pad = fabs(gg[i]) > pad ? fabs(gg[i]) : pad;
		snprintf(what, sizeof what, "step %d: dwte padding rows", step);
		report(what, pad, 0);
		if (micro > 1)
			for (size_t i = 0; i < n; i++)
				cg[i] *= 1.0f / (float)micro;
		double norm = gpt2_grad_norm(cpu);
		struct adamw_hparams h = {.lr = 1e-3f, .beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f, .weight_decay = 0.1f,
		                          .grad_scale = clip > 0 && norm > clip ? (float)(clip / norm) : 1.0f};
		adamw_step(pool, p, cg, mom, vel, n, spans, GPT2_NTENSORS, &h, (uint64_t)step);
		struct gpt2cuda_step_args a = {.lr = 1e-3f, .beta1 = 0.9f, .beta2 = 0.95f, .eps = 1e-8f,
		                               .weight_decay = 0.1f, .clip = clip, .micro = micro, .t = (uint64_t)step};
		cu->step(g, &a);
		struct gpt2cuda_step_stats st;
		cu->stats(g, &st);
		float closs = (float)(lsum / micro);
		printf("step %d: loss cpu %.9g gpu %.9g, norm cpu %.9g gpu %.9g\n", step, closs, st.loss, norm,
		       st.grad_norm);
		snprintf(what, sizeof what, "step %d: loss (relative)", step);
		report(what, fabs((double)st.loss - closs) / closs, tol_loss);
		snprintf(what, sizeof what, "step %d: norm (relative)", step);
		report(what, fabs(st.grad_norm - norm) / norm, tol_grad);
		cu->download(g, gp, gm, gv);
		/* An update moves a parameter by about lr: compare on that scale,
		 * at the 99.9th percentile, since a gradient that is rounding noise
		 * on both sides may flip an update's sign (a systematic error, a
		 * wrong bias correction or decay, moves them all). */
		for (size_t i = 0; i < n; i++)
			gv[i] = (float)(fabs((double)gp[i] - p[i]) / 1e-3);
		qsort(gv, n, sizeof *gv, cmp_float);
		printf("step %d: params (diff / lr): median %.3g, 99.9%% %.3g, max %.3g\n", step, (double)gv[n / 2],
		       (double)gv[n - 1 - n / 1000], (double)gv[n - 1]);
		snprintf(what, sizeof what, "step %d: params %s (diff / lr)", step,
		         prec == GPT2CUDA_FP32 ? "99.9%" : "median");
		report(what, prec == GPT2CUDA_FP32 ? gv[n - 1 - n / 1000] : gv[n / 2], tol_param);
		snprintf(what, sizeof what, "step %d: AdamW m", step);
		report(what, scaled_diff(gm, mom, n), tol_grad);
	}
	cu->destroy(g);
	gpt2_free(cpu);
	parfor_free(pool);
	free(in);
	free(tg);
	free(gl);
	free(mom);
	free(vel);
	free(gg);
	free(gp);
	free(gm);
	free(gv);
	printf("%s\n", failures ? "parity: FAILED" : "parity: ok");
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	char why[512];
	int n = cudaplug_device_count(why, sizeof why);
	const struct gpt2cuda_ops *cu = n > 0 ? cudaplug_load(why, sizeof why) : NULL;
	if (argc == 3 && strcmp(argv[1], "parity") == 0) {
		enum lm_precision p;
		if (lm_parse_precision(argv[2], &p) != 0 || p == LM_PREC_AUTO)
			die(STATUS_USAGE, "parity: '%s' is not fp32, bf16 or fp16", argv[2]);
		if (!cu)
			die(STATUS_USAGE, "parity: %s", why);
		return parity(cu, p == LM_FP32 ? GPT2CUDA_FP32 : p == LM_BF16 ? GPT2CUDA_BF16 : GPT2CUDA_FP16);
	}
	if (argc != 1)
		die(STATUS_USAGE, "usage: gpu-check [parity fp32|bf16|fp16]");
	char name[256] = "";
	if (cu)
		cu->device_name(0, name, sizeof name);
	printf("cuda=%d devices=%d bf16=%d name=%s\n", cudaplug_built(), cu ? n : 0, cu ? cu->bf16_supported(0) : 0,
	       name[0] ? name : "-");
	return 0;
}
