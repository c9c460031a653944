/* schedule.c - the learning-rate schedule (see schedule.h). */
#include "train/schedule.h"

#include <math.h>

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
