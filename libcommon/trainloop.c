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

