/* lstm-check - test driver for the LSTM language model (lstm.h): builds a
 * model from a seed and a batch of random tokens, writes what the PyTorch
 * oracle (tests/helpers/lstm_torch.py) needs to check it, and runs the
 * checks that need no oracle.
 *
 *   lstm-check [-L layers] [-H hidden] [-V vocab] [-B batch] [-T seq]
 *              [-s seed] [-j threads] [-I ignored] [-n steps] [-P tensor]
 *              MODE DIR
 *
 *   grads  DIR/params.bin (the initial parameters), DIR/inputs.bin and
 *          DIR/targets.bin ([B, T] u32; `ignored` random targets are
 *          LSTM_IGNORE), DIR/logits.bin ([B, T, V]) and DIR/grads.bin (the
 *          gradient of the mean loss): raw little-endian arrays.  Prints
 *          "loss DECIMAL HEXFLOAT".
 *   step   feeds each row of the batch to lstm_step token by token (the
 *          state reset between rows) and compares the logits with
 *          lstm_forward's; fails beyond 1e-5 relative to the largest logit,
 *          or when a reset state does not repeat the first row bit for bit.
 *   gradcheck  central differences of the loss against lstm_backward's
 *          gradient for a sample of every tensor's parameters; -P NAME
 *          first makes the largest sampled gradient of tensor NAME 10% larger (the
 *          check must then fail, naming it).
 *   bench  `steps` forward+backward passes; prints "ms/step X".
 *   layout one line per tensor: "name offset size decay ndim d0 d1 d2".
 *   badtoken, badtarget, badstep  an id equal to the vocab size given to
 *          lstm_forward as an input or a target, or to lstm_step (lstm.c
 *          must refuse it).
 *
 * Defaults: L=2 H=32 V=256 B=3 T=16 seed 1, 1 thread, 0 ignored, 10 steps.
 * Errors: "lstm-check: MESSAGE" and status 1 (2 for usage). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/die.h"
#include "base/rng.h"
#include "model/lstm.h"

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

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int step_check(struct lstm *m, const uint32_t *in, int B, int T)
{
	int V = lstm_cfg(m)->vocab;
	size_t N = (size_t)B * (size_t)T;
	lstm_forward(m, in, NULL, B, T);
	float *want = xmalloc(N * (size_t)V * sizeof *want);
	memcpy(want, lstm_logits(m), N * (size_t)V * sizeof *want);
	float *got = xmalloc(N * (size_t)V * sizeof *got);
	struct lstm_state *s = lstm_state_new(m);
	double diff = 0.0, big = 0.0;
	for (int b = 0; b < B; b++) {
		lstm_state_reset(s);
		for (int t = 0; t < T; t++) {
			size_t n = (size_t)b * (size_t)T + (size_t)t;
			lstm_step(m, s, in[n], got + n * (size_t)V);
		}
	}
	for (size_t i = 0; i < N * (size_t)V; i++) {
		diff = fmax(diff, fabs((double)got[i] - (double)want[i]));
		big = fmax(big, fabs((double)want[i]));
	}
	/* A reset state starts the first row over, exactly. */
	lstm_state_reset(s);
	float *again = xmalloc((size_t)V * sizeof *again);
	int same = 1;
	for (int t = 0; t < T; t++) {
		lstm_step(m, s, in[t], again);
		same &= !memcmp(again, got + (size_t)t * (size_t)V, (size_t)V * sizeof *again);
	}
	double rel = diff / fmax(big, 1e-30);
	printf("step max|logit|=%.3e max|diff|=%.3e rel=%.3e reset %s\n", big, diff, rel,
	       same ? "repeats" : "DIFFERS");
	lstm_state_free(s);
	free(want);
	free(got);
	free(again);
	return rel < 1e-5 && same;
}

/* Central differences in float32 with a step of 1e-2.  The loss (~log V,
 * about 2) is a float32 result, good to a few 1e-7, so the difference of
 * two losses carries ~2.5e-7 of rounding and their quotient by the 2e-2
 * between the points ~1.3e-5: measured, the worst error over every one of
 * the 383 parameters of the micro model (L=2 H=4 V=7, 2 x 5), seeds 1 to 5,
 * was 1.5e-5, and it grows as the step shrinks (3.5e-5 at 3e-3), so it is
 * this rounding and not the eps^2 truncation error.  The tolerance is
 * 5e-5 + 1e-2 |g|: three times that floor, the relative part for the
 * truncation of the larger gradients.  A 10% error in a sampled gradient
 * of 6e-4 or more (each tensor's largest sample is; the perturbation
 * check uses that) exceeds it. */
#define FD_EPS 1e-2f
#define FD_ATOL 5e-5
#define FD_RTOL 1e-2
#define FD_SAMPLES 32

static int grad_check(struct lstm *m, const uint32_t *in, const uint32_t *tg, int B, int T,
                      uint64_t seed, const char *perturb)
{
	size_t np;
	float *p = lstm_params(m, &np);
	lstm_forward(m, in, tg, B, T);
	lstm_zero_grad(m);
	lstm_backward(m);
	float *g = xmalloc(np * sizeof *g);
	memcpy(g, lstm_grads(m, NULL), np * sizeof *g);
	struct rng r;
	rng_seed(&r, seed ^ 0x5eedu);
	int ok = 1, found = !perturb;
	for (int t = 0; t < LSTM_NTENSORS; t++) {
		struct lstm_tensor_info ti;
		lstm_tensor_info(m, t, &ti);
		size_t idx[FD_SAMPLES] = {0};
		int ns = ti.size < FD_SAMPLES ? (int)ti.size : FD_SAMPLES;
		for (int i = 0; i < ns; i++)
			idx[i] = ti.offset + (ti.size <= FD_SAMPLES ? (size_t)i : rng_below(&r, ti.size));
		if (perturb && !strcmp(perturb, ti.name)) {
			/* 10% off on the largest sampled entry */
			int at = 0;
			for (int i = 1; i < ns; i++)
				if (fabsf(g[idx[i]]) > fabsf(g[idx[at]]))
					at = i;
			g[idx[at]] *= 1.1f;
			found = 1;
		}
		double worst = 0.0, gmax = 0.0;
		int bad = 0;
		for (int i = 0; i < ns; i++) {
			size_t k = idx[i];
			float p0 = p[k], xp = p0 + FD_EPS, xm = p0 - FD_EPS;
			p[k] = xp;
			double lp = lstm_forward(m, in, tg, B, T);
			p[k] = xm;
			double lm = lstm_forward(m, in, tg, B, T);
			p[k] = p0;
			/* over the step the floats really took */
			double fd = (lp - lm) / ((double)xp - (double)xm);
			double err = fabs(fd - (double)g[k]);
			double excess = err / (FD_ATOL + FD_RTOL * fabs((double)g[k]));
			worst = fmax(worst, excess);
			gmax = fmax(gmax, fabs((double)g[k]));
			if (excess > 1.0) {
				bad = 1;
				printf("  %s[%zu]: analytic %.6e numeric %.6e\n", ti.name, k - ti.offset,
				       (double)g[k], fd);
			}
		}
		printf("gradcheck %-4s samples=%d max|g|=%.3e worst err/tol=%.3f%s\n", ti.name, ns, gmax,
		       worst, bad ? " MISMATCH" : "");
		if (bad)
			ok = 0;
	}
	free(g);
	if (!found)
		die(STATUS_USAGE, "no tensor '%s'", perturb);
	return ok;
}

int main(int argc, char **argv)
{
	struct lstm_config cfg = {.layers = 2, .hidden = 32, .vocab = 256};
	int B = 3, T = 16, threads = 1, steps = 10, ignored = 0, opt;
	const char *perturb = NULL;
	uint64_t seed = 1;
	while ((opt = getopt(argc, argv, "L:H:V:B:T:s:j:I:n:P:")) != -1) {
		switch (opt) {
		case 'L': cfg.layers = num(optarg); break;
		case 'H': cfg.hidden = num(optarg); break;
		case 'V': cfg.vocab = num(optarg); break;
		case 'B': B = num(optarg); break;
		case 'T': T = num(optarg); break;
		case 's': seed = (uint64_t)num(optarg); break;
		case 'j': threads = num(optarg); break;
		case 'I': ignored = num(optarg); break;
		case 'n': steps = num(optarg); break;
		case 'P': perturb = optarg; break;
		default: return 2;
		}
	}
	if (argc - optind != 2)
		die(STATUS_USAGE, "usage: lstm-check [options] grads|step|gradcheck|bench|layout|badtoken|badtarget|badstep DIR");
	const char *mode = argv[optind], *dir = argv[optind + 1];

	struct lstm *m = lstm_new(&cfg);
	lstm_set_threads(m, threads);
	lstm_init(m, seed);
	size_t np;
	float *params = lstm_params(m, &np);

	if (!strcmp(mode, "layout")) {
		for (int t = 0; t < LSTM_NTENSORS; t++) {
			struct lstm_tensor_info ti;
			lstm_tensor_info(m, t, &ti);
			printf("%s %zu %zu %d %d %d %d %d\n", ti.name, ti.offset, ti.size, ti.decay, ti.ndim,
			       ti.shape[0], ti.ndim > 1 ? ti.shape[1] : 0, ti.ndim > 2 ? ti.shape[2] : 0);
		}
		lstm_free(m);
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
	if ((size_t)ignored > N)
		die(STATUS_USAGE, "more ignored targets than positions");
	for (int i = 0; i < ignored;) {
		size_t at = (size_t)rng_below(&r, N);
		if (tg[at] != LSTM_IGNORE) {
			tg[at] = LSTM_IGNORE;
			i++;
		}
	}

	int ok = 1;
	if (!strcmp(mode, "badtoken") || !strcmp(mode, "badtarget")) {
		(strcmp(mode, "badtoken") ? tg : in)[N - 1] = (uint32_t)cfg.vocab;
		lstm_forward(m, in, tg, B, T);
		die(STATUS_FAIL, "an out-of-range token was accepted");
	} else if (!strcmp(mode, "badstep")) {
		float *logits = xmalloc((size_t)cfg.vocab * sizeof *logits);
		struct lstm_state *s = lstm_state_new(m);
		lstm_step(m, s, in[0], logits);
		lstm_step(m, s, (uint32_t)cfg.vocab, logits);
		die(STATUS_FAIL, "an out-of-range token was accepted");
	} else if (!strcmp(mode, "grads")) {
		float loss = lstm_forward(m, in, tg, B, T);
		write_file(dir, "params.bin", params, np * sizeof *params);
		write_file(dir, "inputs.bin", in, N * sizeof *in);
		write_file(dir, "targets.bin", tg, N * sizeof *tg);
		write_file(dir, "logits.bin", lstm_logits(m), N * (size_t)cfg.vocab * sizeof(float));
		lstm_zero_grad(m);
		lstm_backward(m);
		write_file(dir, "grads.bin", lstm_grads(m, NULL), np * sizeof(float));
		printf("loss %.9g %a\n", loss, loss);
	} else if (!strcmp(mode, "step")) {
		ok = step_check(m, in, B, T);
	} else if (!strcmp(mode, "gradcheck")) {
		ok = grad_check(m, in, tg, B, T, seed, perturb);
	} else if (!strcmp(mode, "bench")) {
		lstm_forward(m, in, tg, B, T); /* warm up: allocations, OpenBLAS's threads */
		lstm_backward(m);
		double t0 = now();
		for (int i = 0; i < steps; i++) {
			lstm_forward(m, in, tg, B, T);
			lstm_zero_grad(m);
			lstm_backward(m);
		}
		printf("ms/step %.2f\n", 1e3 * (now() - t0) / (steps ? steps : 1));
	} else {
		die(STATUS_USAGE, "unknown mode '%s'", mode);
	}
	free(in);
	free(tg);
	lstm_free(m);
	return ok ? 0 : 1;
}
