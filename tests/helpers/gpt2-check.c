/* gpt2-check - test driver for the GPT-2 numerical core (gpt2.h): builds a
 * model from a seed and a batch of random tokens, and writes what the
 * PyTorch oracle (tests/helpers/gpt2_torch.py) needs to check it.
 *
 *   gpt2-check [-L layers] [-H heads] [-C channels] [-S max_seq] [-V vocab]
 *              [-B batch] [-T seq] [-s seed] [-j threads] [-n steps]
 *              [-i K] [-x] MODE DIR
 *
 *   grads  DIR/params.bin (the initial parameters), DIR/inputs.bin and
 *          DIR/targets.bin ([B, T] u32), DIR/grads.bin (the gradient of
 *          the mean loss): raw little-endian arrays.  Prints
 *          "loss DECIMAL HEXFLOAT".
 *   logits the same files but grads.bin, and DIR/logits.bin: [B, T, V]
 *          float32, gpt2_logits after a forward without targets (the
 *          padding columns left out).
 *   train  the same files but grads.bin, then `steps` AdamW steps
 *          (lr 1e-3, betas 0.9 0.95, eps 1e-8, weight decay 0.1) on that
 *          one batch; prints "loss I DECIMAL HEXFLOAT" for the loss before
 *          each step and after the last (steps + 1 lines), and writes the
 *          final parameters to DIR/final.bin.
 *   norm   after a forward and backward, "norm HEXFLOAT plain HEXFLOAT":
 *          gpt2_grad_norm and a one-thread sum in double, in order.
 *   fdcheck  central finite differences of the loss against
 *          gpt2_backward's gradient, over a random sample of every
 *          tensor's elements (see fdcheck()); prints one line per tensor
 *          and "fdcheck worst ERR tolerance TOL"; status 1 when ERR > TOL.
 *   layout one line per tensor: "name offset size decay d0 d1 d2".
 *   badtoken  a forward pass with an input token equal to the vocab size
 *          (gpt2.c must refuse it).
 *
 * -i K: right padding: row b's last min(T, K (b + 1)) targets are
 * GPT2_IGNORE, so that the rows count different numbers of positions, as
 * padded batches do; K >= T ignores every target.
 * -x (fdcheck): adds 5% of qkvw's largest gradient to one sampled element
 * of its gradient, as a bug would, to show that the check catches it.
 *
 * Defaults: L=2 H=2 C=32 S=16 V=101 B=3 T=16 seed 1, 1 thread, 10 steps.
 * Errors: "gpt2-check: MESSAGE" and status 1 (2 for usage). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/die.h"
#include "base/rng.h"
#include "model/gpt2.h"

static void write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f))
		die(STATUS_FAIL, "%s:", path);
}

static int num(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < 0 || v > 1 << 30)
		die(STATUS_USAGE, "bad number '%s'", s);
	return (int)v;
}

/* The mean cross-entropy in double from the float forward's logits:
 * gpt2_forward's own float return value moves in steps of an ulp of the
 * loss (2.4e-7 here), too coarse a ruler for a difference quotient. */
static double loss_at(struct gpt2 *m, const uint32_t *in, const uint32_t *tg, int B, int T)
{
	gpt2_forward(m, in, NULL, B, T);
	const float *lg = gpt2_logits(m);
	const struct gpt2_config *c = gpt2_cfg(m);
	size_t N = (size_t)B * (size_t)T, V = (size_t)c->vocab, Vp = (size_t)c->padded_vocab;
	double sum = 0;
	size_t counted = 0;
	for (size_t n = 0; n < N; n++) {
		if (tg[n] == GPT2_IGNORE)
			continue;
		const float *z = lg + n * Vp;
		double mx = -INFINITY, se = 0;
		for (size_t i = 0; i < V; i++)
			mx = fmax(mx, (double)z[i]);
		for (size_t i = 0; i < V; i++)
			se += exp((double)z[i] - mx);
		sum += mx + log(se) - (double)z[tg[n]];
		counted++;
	}
	return counted ? sum / (double)counted : 0;
}

/* Five-point central differences,
 *     L'(p) ~ (8 (L(p+h) - L(p-h)) - (L(p+2h) - L(p-2h))) / 12h,
 * whose truncation error is O(h^4) rather than the two-point rule's
 * O(h^2), so h can be large enough that the float forward's rounding
 * noise (about 1e-7 of the logits, divided by h) stays small: measured on
 * eight seeds, the worst error of a correct backward falls from ~7e-3 at
 * h = 1e-2 to ~1e-3 (at most 2.6e-3) at h = 4e-2, and rises again at
 * 8e-2, where the h^4 term takes over.
 * An element's error is |fd - g| / max(|g|, |fd|, FD_FLOOR max|g| of its
 * tensor): relative, but measured against 1% of the tensor's scale for
 * gradients smaller than that, which the noise would swamp.  FD_TOL sits
 * four times above the worst correct error seen, and several times below
 * what -x plants (5% of the tensor's largest gradient: an error of at
 * least ~0.05, usually near 1). */
#define FD_STEP 4e-2f
/* The spread of the noise added to the parameters (see fdcheck). */
#define FD_SCALE 1.0
#define FD_FLOOR 1e-2
#define FD_TOL 1e-2
#define FD_SAMPLES 16

static int fdcheck(struct gpt2 *m, const uint32_t *in, const uint32_t *tg, int B, int T, uint64_t seed,
                   int perturb)
{
	size_t np;
	float *p = gpt2_params(m, &np);
	const struct gpt2_config *c = gpt2_cfg(m);
	struct rng r;
	rng_seed(&r, seed ^ 0x5eedu);
	/* GPT-2's initialisation makes a poor point to differentiate at:
	 * biases 0 and LayerNorm weights 1 hide terms of the gradient, and
	 * weights of 0.02 leave the residual stream so small that LayerNorm's
	 * 1/std is steep and a step of any useful size is not small.  Add
	 * uniform noise of spread FD_SCALE (std 0.29) to every parameter. */
	for (size_t i = 0; i < np; i++) {
		double u = (double)(rng_next(&r) >> 11) * 0x1p-53 - 0.5;
		p[i] += (float)(FD_SCALE * u);
	}
	memset(p + (size_t)c->vocab * (size_t)c->channels, 0,
	       ((size_t)c->padded_vocab - (size_t)c->vocab) * (size_t)c->channels * sizeof *p);
	float *g = xmalloc(np * sizeof *g);
	gpt2_forward(m, in, tg, B, T);
	gpt2_zero_grad(m);
	gpt2_backward(m);
	memcpy(g, gpt2_grads(m, NULL), np * sizeof *g);
	double worst = 0;
	for (int t = 0; t < GPT2_NTENSORS; t++) {
		struct gpt2_tensor_info ti;
		gpt2_tensor_info(m, t, &ti);
		/* wte's padding rows take no part (gradient 0, difference 0):
		 * sample the real rows. */
		size_t size = t == GPT2_WTE ? (size_t)c->vocab * (size_t)c->channels : ti.size;
		float gmax = 0;
		for (size_t i = 0; i < size; i++)
			gmax = fmaxf(gmax, fabsf(g[ti.offset + i]));
		double tworst = 0;
		for (int k = 0; k < FD_SAMPLES; k++) {
			size_t i = ti.offset + (size_t)rng_below(&r, size);
			if (perturb && t == GPT2_QKVW && k == 0)
				g[i] += 0.05f * gmax;
			float keep = p[i];
			p[i] = keep + 2 * FD_STEP;
			double l2 = loss_at(m, in, tg, B, T);
			p[i] = keep + FD_STEP;
			double l1 = loss_at(m, in, tg, B, T);
			p[i] = keep - FD_STEP;
			double lm1 = loss_at(m, in, tg, B, T);
			p[i] = keep - 2 * FD_STEP;
			double lm2 = loss_at(m, in, tg, B, T);
			p[i] = keep;
			double fd = (8 * (l1 - lm1) - (l2 - lm2)) / (12 * (double)FD_STEP);
			double den = fmax(fmax(fabs(fd), fabs((double)g[i])), FD_FLOOR * (double)gmax);
			double err = fabs(fd - (double)g[i]) / den;
			if (err > tworst)
				tworst = err;
		}
		printf("fd %-9s max|g| %.3e worst %.3e\n", ti.name, (double)gmax, tworst);
		if (tworst > worst)
			worst = tworst;
	}
	printf("fdcheck worst %.3e tolerance %.0e\n", worst, FD_TOL);
	free(g);
	return worst <= FD_TOL ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct gpt2_config cfg = {.layers = 2, .heads = 2, .channels = 32, .max_seq = 16, .vocab = 101};
	int B = 3, T = 16, threads = 1, steps = 10, ignore = 0, perturb = 0, opt;
	uint64_t seed = 1;
	while ((opt = getopt(argc, argv, "L:H:C:S:V:B:T:s:j:n:i:x")) != -1) {
		switch (opt) {
		case 'L': cfg.layers = num(optarg); break;
		case 'H': cfg.heads = num(optarg); break;
		case 'C': cfg.channels = num(optarg); break;
		case 'S': cfg.max_seq = num(optarg); break;
		case 'V': cfg.vocab = num(optarg); break;
		case 'B': B = num(optarg); break;
		case 'T': T = num(optarg); break;
		case 's': seed = (uint64_t)num(optarg); break;
		case 'j': threads = num(optarg); break;
		case 'n': steps = num(optarg); break;
		case 'i': ignore = num(optarg); break;
		case 'x': perturb = 1; break;
		default: return 2;
		}
	}
	if (argc - optind != 2)
		die(STATUS_USAGE, "usage: gpt2-check [options] grads|logits|norm|train|fdcheck|layout|badtoken DIR");
	const char *mode = argv[optind], *dir = argv[optind + 1];

	struct gpt2 *m = gpt2_new(&cfg);
	gpt2_set_threads(m, threads);
	gpt2_init(m, seed);
	size_t np;
	float *params = gpt2_params(m, &np);

	if (!strcmp(mode, "layout")) {
		for (int t = 0; t < GPT2_NTENSORS; t++) {
			struct gpt2_tensor_info ti;
			gpt2_tensor_info(m, t, &ti);
			printf("%s %zu %zu %d %d %d %d\n", ti.name, ti.offset, ti.size, ti.decay,
			       ti.shape[0], ti.ndim > 1 ? ti.shape[1] : 0, ti.ndim > 2 ? ti.shape[2] : 0);
		}
		gpt2_free(m);
		return 0;
	}

	size_t N = (size_t)B * (size_t)T;
	uint32_t *in = xmalloc(N * sizeof *in), *tg = xmalloc(N * sizeof *tg);
	struct rng r;
	rng_seed(&r, seed + 0x9e3779b9u); /* data independent of the weights */
	for (size_t i = 0; i < N; i++) {
		in[i] = (uint32_t)rng_below(&r, (uint64_t)cfg.vocab);
		tg[i] = (uint32_t)rng_below(&r, (uint64_t)cfg.vocab);
	}
	for (int b = 0; b < B; b++) {
		int pad = ignore * (b + 1) < T ? ignore * (b + 1) : T;
		for (int t = T - pad; t < T; t++)
			tg[(size_t)b * (size_t)T + (size_t)t] = GPT2_IGNORE;
	}

	if (!strcmp(mode, "badtoken")) {
		in[N - 1] = (uint32_t)cfg.vocab;
		gpt2_forward(m, in, tg, B, T);
		die(STATUS_FAIL, "an out-of-range token was accepted");
	}
	write_file(dir, "params.bin", params, np * sizeof *params);
	write_file(dir, "inputs.bin", in, N * sizeof *in);
	write_file(dir, "targets.bin", tg, N * sizeof *tg);
	if (!strcmp(mode, "grads")) {
		float loss = gpt2_forward(m, in, tg, B, T);
		gpt2_zero_grad(m);
		gpt2_backward(m);
		write_file(dir, "grads.bin", gpt2_grads(m, NULL), np * sizeof(float));
		printf("loss %.9g %a\n", loss, loss);
	} else if (!strcmp(mode, "norm")) {
		gpt2_forward(m, in, tg, B, T);
		gpt2_zero_grad(m);
		gpt2_backward(m);
		const float *g = gpt2_grads(m, NULL);
		double plain = 0;
		for (size_t i = 0; i < np; i++)
			plain += (double)g[i] * (double)g[i];
		printf("norm %a plain %a\n", gpt2_grad_norm(m), sqrt(plain));
	} else if (!strcmp(mode, "logits")) {
		if (gpt2_forward(m, in, NULL, B, T) != -1.0f || !gpt2_logits(m) || gpt2_probs(m))
			die(STATUS_FAIL, "a forward without targets did not leave the logits");
		const float *lg = gpt2_logits(m);
		size_t V = (size_t)cfg.vocab, Vp = (size_t)gpt2_cfg(m)->padded_vocab;
		float *out = xmalloc(N * V * sizeof *out);
		for (size_t n = 0; n < N; n++)
			memcpy(out + n * V, lg + n * Vp, V * sizeof *out);
		write_file(dir, "logits.bin", out, N * V * sizeof *out);
		free(out);
	} else if (!strcmp(mode, "fdcheck")) {
		int bad = fdcheck(m, in, tg, B, T, seed, perturb);
		free(in);
		free(tg);
		gpt2_free(m);
		return bad;
	} else if (!strcmp(mode, "train")) {
		for (int i = 0; i <= steps; i++) {
			float loss = gpt2_forward(m, in, tg, B, T);
			printf("loss %d %.9g %a\n", i, loss, loss);
			if (i == steps)
				break;
			gpt2_zero_grad(m);
			gpt2_backward(m);
			gpt2_adamw(m, 1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, i + 1);
		}
		write_file(dir, "final.bin", params, np * sizeof *params);
	} else {
		die(STATUS_USAGE, "unknown mode '%s'", mode);
	}
	free(in);
	free(tg);
	gpt2_free(m);
	return 0;
}
