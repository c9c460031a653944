/* gen-check - test driver for generation: the key/value-cached GPT-2
 * (gpt2gen.h) against gpt2_forward, and the sampler (sample.h).
 *
 *   gen-check [-L layers] [-H heads] [-C channels] [-S max_seq] [-V vocab]
 *             [-s seed] [-g gain] [-c cap] [-T tokens] [-P schedule]
 *             [-t temperature] [-k top_k] [-p top_p] [-n count] [-j threads]
 *             MODE [FILE]
 *
 * Model modes (a model from gpt2_init(seed), its matmul weights and
 * embeddings times `gain` to make its distributions peaked, and a random
 * sequence of T tokens):
 *   logits    feeds the sequence by `schedule` (comma-separated feed sizes,
 *             the last repeated: "1", "5,1", "3", "32") and after each feed
 *             compares softmax(logits) with gpt2_probs of one gpt2_forward
 *             over the whole sequence at that position.  Prints
 *             "positions N maxabs E maxrel R" (probabilities; rel is relative
 *             to the reference) and "maxlogp D" (log-probabilities), and
 *             fails if maxrel > 1e-5 or maxlogp > 1e-5.
 *   reset     feeds by schedule, gpt2_kv_reset, feeds again: every logit
 *             must be the same bits.  Prints "identical N".
 *   overflow  a cache of cap, fed cap tokens one at a time, then one more
 *             (must die).
 *   badtoken  feeds a token equal to the vocab size (must die).
 *   speed     a prompt of T tokens, then n tokens one at a time (greedy);
 *             prints "prompt T tokens MS ms; N steps: MS ms/token, R tokens/s".
 *             -j sets OpenBLAS's threads.
 * Sampler modes, on the logits in FILE (whitespace-separated decimals, read
 * as floats) with options -t -k -p (defaults 1, 0, 1) and seed -s:
 *   probs     sampler_probs: "id prob" per kept token, by id.
 *   draw      n picks: "id count" per token drawn, by id.
 *   seq       n picks: one id per line.
 *   logprob   sample_logprob of every token, one per line.
 *
 * Errors: "gen-check: MESSAGE" and status 1 (2 for usage). */
#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/die.h"
#include "base/rng.h"
#include "model/gpt2.h"
#include "model/gpt2gen.h"
#include "model/sample.h"

static int num(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < 0 || v > 1 << 30)
		die(STATUS_USAGE, "bad number '%s'", s);
	return (int)v;
}

static double real(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (*end || !isfinite(v))
		die(STATUS_USAGE, "bad number '%s'", s);
	return v;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The feed sizes of a schedule: "5,1" -> 5, 1, 1, ... */
struct schedule {
	int size[64], n, at;
};

static void schedule_parse(struct schedule *s, const char *spec)
{
	memset(s, 0, sizeof *s);
	char *copy = xstrdup(spec), *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (s->n == 64)
			die(STATUS_USAGE, "schedule too long");
		s->size[s->n] = num(t);
		if (s->size[s->n] < 1)
			die(STATUS_USAGE, "bad schedule '%s'", spec);
		s->n++;
	}
	free(copy);
	if (!s->n)
		die(STATUS_USAGE, "bad schedule '%s'", spec);
}

static int schedule_next(struct schedule *s)
{
	int v = s->size[s->at];
	if (s->at < s->n - 1)
		s->at++;
	return v;
}

/* Feeds seq[0..T) by schedule, calling back after each feed with the
 * logits following position len-1. */
struct feeder {
	struct gpt2 *m;
	struct gpt2_kv *kv;
	const uint32_t *seq;
	int T;
	float *logits;
};

static int feed_next(struct feeder *f, struct schedule *s)
{
	int len = gpt2_kv_len(f->kv);
	if (len >= f->T)
		return 0;
	int n = schedule_next(s);
	if (n > f->T - len)
		n = f->T - len;
	gpt2_kv_feed(f->m, f->kv, f->seq + len, n, f->logits);
	return 1;
}

static float *read_logits(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	if (!f)
		die(STATUS_FAIL, "%s:", path);
	size_t cap = 16, len = 0;
	float *v = xmalloc(cap * sizeof *v);
	char word[128];
	while (fscanf(f, "%127s", word) == 1) {
		char *end;
		errno = 0;
		float x = strtof(word, &end);
		if (*end)
			die(STATUS_FAIL, "%s: bad logit '%s'", path, word);
		if (len == cap)
			v = xrealloc(v, (cap *= 2) * sizeof *v);
		v[len++] = x;
	}
	fclose(f);
	if (!len)
		die(STATUS_FAIL, "%s: no logits", path);
	*n = len;
	return v;
}

static int sampler_mode(const char *mode, const char *path, const struct sample_opts *o,
                        uint64_t seed, int count)
{
	size_t n;
	float *logits = read_logits(path, &n);
	struct sampler *s = sampler_new(o, n, seed);
	if (!strcmp(mode, "probs")) {
		uint32_t *ids = xmalloc(n * sizeof *ids);
		double *p = xmalloc(n * sizeof *p), *byid = xcalloc(n, sizeof *byid);
		char *kept = xcalloc(n, 1);
		size_t m = sampler_probs(s, logits, ids, p);
		for (size_t i = 0; i < m; i++) {
			byid[ids[i]] = p[i];
			kept[ids[i]] = 1;
		}
		for (size_t i = 0; i < n; i++)
			if (kept[i])
				printf("%zu %.17g\n", i, byid[i]);
		free(ids);
		free(p);
		free(byid);
		free(kept);
	} else if (!strcmp(mode, "draw")) {
		uint64_t *cnt = xcalloc(n, sizeof *cnt);
		for (int i = 0; i < count; i++)
			cnt[sampler_pick(s, logits)]++;
		for (size_t i = 0; i < n; i++)
			if (cnt[i])
				printf("%zu %llu\n", i, (unsigned long long)cnt[i]);
		free(cnt);
	} else if (!strcmp(mode, "seq")) {
		for (int i = 0; i < count; i++)
			printf("%u\n", sampler_pick(s, logits));
	} else if (!strcmp(mode, "logprob")) {
		for (size_t i = 0; i < n; i++)
			printf("%.17g\n", sample_logprob(logits, n, (uint32_t)i));
	} else {
		die(STATUS_USAGE, "unknown mode '%s'", mode);
	}
	sampler_free(s);
	free(logits);
	return 0;
}

int main(int argc, char **argv)
{
	struct gpt2_config cfg = {.layers = 2, .heads = 4, .channels = 64, .max_seq = 32, .vocab = 1000};
	struct sample_opts so = {.temperature = 1.0, .top_k = 0, .top_p = 1.0};
	int T = 32, cap = 0, count = 1000, threads = 1, opt;
	double gain = 1.0;
	uint64_t seed = 1;
	const char *sched = "1";
	while ((opt = getopt(argc, argv, "L:H:C:S:V:s:g:c:T:P:t:k:p:n:j:")) != -1) {
		switch (opt) {
		case 'L': cfg.layers = num(optarg); break;
		case 'H': cfg.heads = num(optarg); break;
		case 'C': cfg.channels = num(optarg); break;
		case 'S': cfg.max_seq = num(optarg); break;
		case 'V': cfg.vocab = num(optarg); break;
		case 's': seed = (uint64_t)num(optarg); break;
		case 'g': gain = real(optarg); break;
		case 'c': cap = num(optarg); break;
		case 'T': T = num(optarg); break;
		case 'P': sched = optarg; break;
		case 't': so.temperature = real(optarg); break;
		case 'k': so.top_k = num(optarg); break;
		case 'p': so.top_p = real(optarg); break;
		case 'n': count = num(optarg); break;
		case 'j': threads = num(optarg); break;
		default: return 2;
		}
	}
	if (argc - optind < 1)
		die(STATUS_USAGE, "usage: gen-check [options] MODE [FILE]");
	const char *mode = argv[optind];
	if (!strcmp(mode, "probs") || !strcmp(mode, "draw") || !strcmp(mode, "seq") ||
	    !strcmp(mode, "logprob")) {
		if (argc - optind != 2)
			die(STATUS_USAGE, "usage: gen-check [options] %s FILE", mode);
		return sampler_mode(mode, argv[optind + 1], &so, seed, count);
	}
	if (argc - optind != 1)
		die(STATUS_USAGE, "usage: gen-check [options] MODE");
	if (threads > 0)
		openblas_set_num_threads(threads);

	struct gpt2 *m = gpt2_new(&cfg);
	gpt2_init(m, seed);
	if (gain != 1.0) {
		float *p = gpt2_params(m, NULL);
		for (int t = 0; t < GPT2_NTENSORS; t++) {
			struct gpt2_tensor_info ti;
			gpt2_tensor_info(m, t, &ti);
			if (ti.decay)
				for (size_t i = 0; i < ti.size; i++)
					p[ti.offset + i] *= (float)gain;
		}
	}
	if (!cap)
		cap = !strcmp(mode, "speed") || T > cfg.max_seq ? cfg.max_seq : T;
	if (T < 1 || T > cfg.max_seq)
		die(STATUS_USAGE, "bad sequence length %d", T);
	int V = cfg.vocab, Vp = gpt2_cfg(m)->padded_vocab;
	uint32_t *seq = xmalloc((size_t)T * sizeof *seq);
	struct rng r;
	rng_seed(&r, seed + 0x9e3779b9u);
	for (int i = 0; i < T; i++)
		seq[i] = (uint32_t)rng_below(&r, (uint64_t)V);
	float *logits = xmalloc((size_t)V * sizeof *logits);
	struct gpt2_kv *kv = gpt2_kv_new(m, cap);
	struct feeder f = {.m = m, .kv = kv, .seq = seq, .T = T, .logits = logits};
	struct schedule s;
	schedule_parse(&s, sched);
	int status = 0;

	if (!strcmp(mode, "logits")) {
		/* Any valid targets: only the probabilities are used. */
		gpt2_forward(m, seq, seq, 1, T);
		const float *probs = gpt2_probs(m);
		double maxabs = 0, maxrel = 0, maxlogp = 0;
		int positions = 0;
		while (feed_next(&f, &s)) {
			int pos = gpt2_kv_len(kv) - 1;
			const float *ref = probs + (size_t)pos * (size_t)Vp;
			double mx = -INFINITY, sum = 0;
			for (int i = 0; i < V; i++)
				if (logits[i] > mx)
					mx = logits[i];
			for (int i = 0; i < V; i++)
				sum += exp((double)logits[i] - mx);
			for (int i = 0; i < V; i++) {
				double lp = (double)logits[i] - mx - log(sum), p = exp(lp);
				double d = fabs(p - ref[i]);
				if (d > maxabs)
					maxabs = d;
				if (d / ref[i] > maxrel)
					maxrel = d / ref[i];
				if (fabs(lp - log(ref[i])) > maxlogp)
					maxlogp = fabs(lp - log(ref[i]));
			}
			positions++;
		}
		printf("positions %d maxabs %.3g maxrel %.3g\nmaxlogp %.3g\n", positions, maxabs, maxrel,
		       maxlogp);
		if (!(maxrel <= 1e-5 && maxlogp <= 1e-5)) {
			fprintf(stderr, "gen-check: the cached logits differ from gpt2_forward's\n");
			status = 1;
		}
	} else if (!strcmp(mode, "reset")) {
		size_t per = (size_t)V;
		float *first = xmalloc((size_t)T * per * sizeof *first);
		int feeds = 0;
		while (feed_next(&f, &s))
			memcpy(first + (size_t)feeds++ * per, logits, per * sizeof *logits);
		gpt2_kv_reset(kv);
		if (gpt2_kv_len(kv) != 0)
			die(STATUS_FAIL, "the cache is not empty after a reset");
		s.at = 0;
		int again = 0;
		while (feed_next(&f, &s)) {
			if (again >= feeds || memcmp(first + (size_t)again * per, logits, per * sizeof *logits))
				die(STATUS_FAIL, "feed %d after the reset gave other logits", again);
			again++;
		}
		if (again != feeds)
			die(STATUS_FAIL, "%d feeds after the reset, %d before", again, feeds);
		printf("identical %d\n", feeds);
		free(first);
	} else if (!strcmp(mode, "overflow")) {
		for (int i = 0; i < cap; i++)
			gpt2_kv_feed(m, kv, seq + i % T, 1, logits);
		printf("fed %d\n", gpt2_kv_len(kv));
		fflush(stdout);
		gpt2_kv_feed(m, kv, seq, 1, logits);
		die(STATUS_FAIL, "a token beyond the cache was accepted");
	} else if (!strcmp(mode, "badtoken")) {
		uint32_t bad[2] = {seq[0], (uint32_t)V};
		gpt2_kv_feed(m, kv, bad, 2, logits);
		die(STATUS_FAIL, "an out-of-range token was accepted");
	} else if (!strcmp(mode, "speed")) {
		if (T + count > cap)
			die(STATUS_USAGE, "prompt %d and %d steps do not fit a cache of %d", T, count, cap);
		double t0 = now_ms();
		gpt2_kv_feed(m, kv, seq, T, logits);
		double t1 = now_ms();
		for (int i = 0; i < count; i++) {
			uint32_t next = 0;
			for (int j = 1; j < V; j++)
				if (logits[j] > logits[next])
					next = (uint32_t)j;
			gpt2_kv_feed(m, kv, &next, 1, logits);
		}
		double t2 = now_ms(), per = count ? (t2 - t1) / count : 0;
		printf("prompt %d tokens %.1f ms; %d steps: %.2f ms/token, %.1f tokens/s\n", T, t1 - t0,
		       count, per, per > 0 ? 1e3 / per : 0.0);
	} else {
		die(STATUS_USAGE, "unknown mode '%s'", mode);
	}
	gpt2_kv_free(kv);
	free(logits);
	free(seq);
	gpt2_free(m);
	return status;
}
