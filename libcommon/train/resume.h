/* resume.h - continuing a training run from the newest checkpoint of
 * --ckpt-dir: the checkpoint's model, checked against the one the options
 * ask for, and where the run stood (state); once the model is set up,
 * AdamW's moments.  The files and their format are model/ckpt.h's; this
 * is the policy on top: which checkpoint, what must agree, and the exit
 * status of each failure (it dies, as train-step does). */
#ifndef SLUICE_RESUME_H
#define SLUICE_RESUME_H

#include <stdint.h>

#include "model/ckpt.h"
#include "model/lm.h"

struct resume {
	char *path; /* the checkpoint; NULL when there is none to resume from */
	uint64_t step;
	struct ckpt_state state;
};

/* The newest checkpoint of dir; without one a warning, and rs->path NULL. */
void resume_find(struct resume *rs, const char *dir);
/* The checkpoint's model, and its state.  want (NULL: none) is the model
 * the options give, its fields left 0 free; a checkpoint of another model
 * is a usage error (2). */
struct lm *resume_model(struct resume *rs, const struct lm_config *want);
/* AdamW's moments of m from the checkpoint, before m moves to a device
 * (which takes them along). */
void resume_optimizer(const struct resume *rs, struct lm *m);
void resume_free(struct resume *rs);

#endif
