/* trainloop.c - schedule, clipping and the files of train-step (see trainloop.h). */
#include "trainloop.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "die.h"
#include "io.h"

double train_lr(const struct train_sched *sc, uint64_t s)
{
	if (s < sc->warmup)
		return sc->lr * (double)(s + 1) / (double)sc->warmup;
	if (sc->steps <= sc->warmup + 1)
		return sc->lr;
	double frac = (double)(s - sc->warmup) / (double)(sc->steps - 1 - sc->warmup);
	if (frac > 1)
		frac = 1;
	return sc->lr_min + 0.5 * (sc->lr - sc->lr_min) * (1.0 + cos(3.14159265358979323846 * frac));
}

double train_grad_norm(const float *g, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)g[i] * (double)g[i];
	return sqrt(s);
}

void train_scale(float *g, size_t n, float f)
{
	for (size_t i = 0; i < n; i++)
		g[i] *= f;
}

void *train_model_image(const struct gpt2_config *cfg, const float *params, size_t n, size_t *len)
{
	*len = LLMC_MODEL_HEADER_BYTES + n * sizeof(float);
	unsigned char *out = xcalloc(1, *len);
	int32_t h[256] = {LLMC_MODEL_MAGIC, LLMC_MODEL_VERSION, cfg->max_seq, cfg->vocab,
	                  cfg->layers, cfg->heads, cfg->channels, cfg->padded_vocab};
	memcpy(out, h, sizeof h);
	memcpy(out + LLMC_MODEL_HEADER_BYTES, params, n * sizeof(float));
	return out;
}

int train_model_parse(const void *buf, size_t len, struct gpt2_config *cfg, const float **params,
                      size_t *n, char *err, size_t errlen)
{
	if (len < LLMC_MODEL_HEADER_BYTES) {
		snprintf(err, errlen, "too short for an llm.c model header (%zu bytes)", len);
		return -1;
	}
	int32_t h[8];
	memcpy(h, buf, sizeof h);
	if (h[0] != LLMC_MODEL_MAGIC) {
		snprintf(err, errlen, "not an llm.c model file (magic %d, want %d)", h[0], LLMC_MODEL_MAGIC);
		return -1;
	}
	if (h[1] != LLMC_MODEL_VERSION) {
		snprintf(err, errlen, "llm.c model version %d: only version %d (float32) is read", h[1],
		         LLMC_MODEL_VERSION);
		return -1;
	}
	for (int i = 2; i < 8; i++)
		if (h[i] <= 0 || h[i] > (1 << 24)) {
			snprintf(err, errlen, "bad llm.c model header (field %d is %d)", i, h[i]);
			return -1;
		}
	if (h[6] % h[5] != 0 || h[7] < h[3]) {
		snprintf(err, errlen, "bad llm.c model header (channels %d, heads %d, vocab %d, padded %d)", h[6],
		         h[5], h[3], h[7]);
		return -1;
	}
	*cfg = (struct gpt2_config){.max_seq = h[2], .vocab = h[3], .layers = h[4], .heads = h[5],
	                            .channels = h[6], .padded_vocab = h[7]};
	uint64_t L = (uint64_t)h[4], C = (uint64_t)h[6];
	uint64_t want = (uint64_t)h[7] * C + (uint64_t)h[2] * C + L * (12 * C * C + 13 * C) + 2 * C;
	if ((uint64_t)(len - LLMC_MODEL_HEADER_BYTES) != want * sizeof(float)) {
		snprintf(err, errlen, "llm.c model file holds %zu bytes of parameters, its header says %llu",
		         len - LLMC_MODEL_HEADER_BYTES, (unsigned long long)(want * sizeof(float)));
		return -1;
	}
	*params = (const float *)(const void *)((const unsigned char *)buf + LLMC_MODEL_HEADER_BYTES);
	*n = (size_t)want;
	return 0;
}

#define OPTIM_MAGIC "SLUICEAW"

void *train_optim_image(const float *m, const float *v, size_t n, uint64_t step, size_t *len)
{
	*len = 24 + 2 * n * sizeof(float);
	unsigned char *out = xmalloc(*len);
	uint64_t nn = n;
	memcpy(out, OPTIM_MAGIC, 8);
	memcpy(out + 8, &step, 8);
	memcpy(out + 16, &nn, 8);
	memcpy(out + 24, m, n * sizeof(float));
	memcpy(out + 24 + n * sizeof(float), v, n * sizeof(float));
	return out;
}

int train_optim_parse(const void *buf, size_t len, size_t n, float *m, float *v, uint64_t *step,
                      char *err, size_t errlen)
{
	const unsigned char *p = buf;
	uint64_t nn;
	if (len < 24 || memcmp(p, OPTIM_MAGIC, 8) != 0) {
		snprintf(err, errlen, "not an optimizer state file");
		return -1;
	}
	memcpy(step, p + 8, 8);
	memcpy(&nn, p + 16, 8);
	if (nn != n || len != 24 + 2 * n * sizeof(float)) {
		snprintf(err, errlen, "optimizer state for %llu parameters, the model has %zu",
		         (unsigned long long)nn, n);
		return -1;
	}
	memcpy(m, p + 24, n * sizeof(float));
	memcpy(v, p + 24 + n * sizeof(float), n * sizeof(float));
	return 0;
}

void *train_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	size_t n = (size_t)st.st_size;
	void *buf = xmalloc(n ? n : 1);
	ssize_t got = read_full(fd, buf, n);
	int e = errno;
	close(fd);
	if (got < 0 || (size_t)got != n) {
		free(buf);
		errno = got < 0 ? e : EIO;
		return NULL;
	}
	*len = n;
	return buf;
}
