/* gpt2-check - test driver for the GPT-2 numerical core (gpt2.h): builds a
 * model from a seed and a batch of random tokens, and writes what the
 * PyTorch oracle (tests/helpers/gpt2_torch.py) needs to check it.
 *
 *   gpt2-check [-L layers] [-H heads] [-C channels] [-S max_seq] [-V vocab]
 *              [-B batch] [-T seq] [-s seed] [-j threads] [-n steps] MODE DIR
 *
 *   grads  DIR/params.bin (the initial parameters), DIR/inputs.bin and
 *          DIR/targets.bin ([B, T] u32), DIR/grads.bin (the gradient of
 *          the mean loss): raw little-endian arrays.  Prints
 *          "loss DECIMAL HEXFLOAT".
 *   train  the same files but grads.bin, then `steps` AdamW steps
 *          (lr 1e-3, betas 0.9 0.95, eps 1e-8, weight decay 0.1) on that
 *          one batch; prints "loss I DECIMAL HEXFLOAT" for the loss before
 *          each step and after the last (steps + 1 lines).
 *   layout one line per tensor: "name offset size decay d0 d1 d2".
 *   badtoken  a forward pass with an input token equal to the vocab size
 *          (gpt2.c must refuse it).
 *
 * Defaults: L=2 H=2 C=32 S=16 V=101 B=3 T=16 seed 1, 1 thread, 10 steps.
 * Errors: "gpt2-check: MESSAGE" and status 1 (2 for usage). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "die.h"
#include "gpt2.h"
#include "rng.h"

static void write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f))
		die(1, "%s:", path);
}

static int num(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < 0 || v > 1 << 30)
		die(2, "bad number '%s'", s);
	return (int)v;
}

int main(int argc, char **argv)
{
	struct gpt2_config cfg = {.layers = 2, .heads = 2, .channels = 32, .max_seq = 16, .vocab = 101};
	int B = 3, T = 16, threads = 1, steps = 10, opt;
	uint64_t seed = 1;
	while ((opt = getopt(argc, argv, "L:H:C:S:V:B:T:s:j:n:")) != -1) {
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
		default: return 2;
		}
	}
	if (argc - optind != 2)
		die(2, "usage: gpt2-check [options] grads|train|layout|badtoken DIR");
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

	if (!strcmp(mode, "badtoken")) {
		in[N - 1] = (uint32_t)cfg.vocab;
		gpt2_forward(m, in, tg, B, T);
		die(1, "an out-of-range token was accepted");
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
	} else {
		die(2, "unknown mode '%s'", mode);
	}
	free(in);
	free(tg);
	gpt2_free(m);
	return 0;
}
