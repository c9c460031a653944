/* resume.c - a run resumed from its newest checkpoint (see resume.h). */
#include "train/resume.h"

#include <stdbool.h>
#include <stdlib.h>

#include "base/die.h"

void resume_find(struct resume *rs, const char *dir)
{
	*rs = (struct resume){0};
	rs->path = ckpt_latest(dir, &rs->step);
	if (!rs->path)
		warn("--resume: no checkpoint in %s yet: starting from step 0", dir);
}

/* a is the model of b, whose fields left 0 are free. */
static bool same_model(const struct lm_config *a, const struct lm_config *b)
{
	if (a->arch != b->arch)
		return false;
	if (a->arch == LM_LSTM)
		return a->lstm.layers == b->lstm.layers && a->lstm.hidden == b->lstm.hidden &&
		       (!b->lstm.vocab || a->lstm.vocab == b->lstm.vocab);
	const struct gpt2_config *x = &a->gpt2, *y = &b->gpt2;
	return (!y->layers || (x->layers == y->layers && x->heads == y->heads && x->channels == y->channels)) &&
	       (!y->max_seq || x->max_seq == y->max_seq) && (!y->vocab || x->vocab == y->vocab);
}

struct lm *resume_model(struct resume *rs, const struct lm_config *want)
{
	char err[1024];
	size_t len;
	void *buf = ckpt_load(rs->path, CKPT_MODEL, &len, err, sizeof err);
	if (!buf)
		die(STATUS_FAIL, "%s", err);
	struct lm *m = lm_load(buf, len, err, sizeof err);
	free(buf);
	if (!m)
		die(STATUS_MALFORMED, "%s/" CKPT_MODEL ": %s", rs->path, err);
	if (want && !same_model(lm_config(m), want)) {
		char d[128];
		lm_describe(m, d, sizeof d);
		lm_free(m); /* nothing holds it once this frame is gone */
		die(STATUS_USAGE, "%s: the checkpoint's model (%s) is not the one the options give", rs->path, d);
	}
	int status;
	if (ckpt_read_state(rs->path, rs->step, &rs->state, &status, err, sizeof err) != 0)
		die(status, "%s", err);
	return m;
}

void resume_optimizer(const struct resume *rs, struct lm *m)
{
	size_t n;
	lm_params(m, &n);
	float *mom, *vel;
	lm_adamw_state(m, &mom, &vel);
	char err[1024];
	int status;
	if (ckpt_read_optim(rs->path, rs->step, n, mom, vel, &status, err, sizeof err) != 0)
		die(status, "%s", err);
}

void resume_free(struct resume *rs)
{
	free(rs->path);
	rs->path = NULL;
}
