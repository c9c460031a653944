/* ckpt.c - atomic checkpoint directories and the files of train-step's
 * checkpoints (see ckpt.h). */
#define _GNU_SOURCE /* O_DIRECTORY with c11 */
#include "model/ckpt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/die.h"
#include "base/io.h"
#include "base/status.h"

static int fail(char *err, size_t errn, const char *fmt, ...) SLUICE_PRINTF(3, 4);
static int fail(char *err, size_t errn, const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(err, errn, fmt, ap);
	va_end(ap);
	if (e && k >= 0 && (size_t)k < errn)
		snprintf(err + k, errn - (size_t)k, ": %s", strerror(e));
	return -1;
}

static int fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	close(fd);
	return r;
}

/* Removes a directory of plain files. */
static void remove_dir(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	struct buf p = {0};
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		buf_clear(&p);
		buf_printf(&p, "%s/%s", path, e->d_name);
		buf_addc(&p, '\0');
		unlink(p.data);
	}
	closedir(d);
	buf_free(&p);
	rmdir(path);
}

/* "step-NNNNNNNN" -> NNNNNNNN; -1 for any other name. */
static int64_t step_of(const char *name)
{
	if (strncmp(name, "step-", 5) != 0 || !name[5])
		return -1;
	int64_t v = 0;
	for (const char *s = name + 5; *s; s++) {
		if (*s < '0' || *s > '9' || v > INT64_MAX / 10 - 9)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static int by_step(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Steps of the complete checkpoints in dir, ascending; *n of them. */
static int64_t *list_steps(const char *dir, size_t *n, bool remove_partial)
{
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	int64_t *steps = NULL;
	struct dirent *e;
	struct buf p = {0};
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (remove_partial && e->d_name[0] == '.' && len > 8 && !strcmp(e->d_name + len - 8, ".partial")) {
			buf_clear(&p);
			buf_printf(&p, "%s/%s", dir, e->d_name);
			buf_addc(&p, '\0');
			remove_dir(p.data);
			continue;
		}
		int64_t s = step_of(e->d_name);
		if (s < 0)
			continue;
		steps = xrealloc(steps, (*n + 1) * sizeof *steps);
		steps[(*n)++] = s;
	}
	closedir(d);
	buf_free(&p);
	if (*n)
		qsort(steps, *n, sizeof *steps, by_step);
	return steps;
}

int ckpt_save(const char *dir, uint64_t step, const struct ckpt_file *files, size_t n, unsigned keep,
              char *err, size_t errn)
{
	errno = 0;
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		return fail(err, errn, "%s", dir);
	size_t nsteps;
	free(list_steps(dir, &nsteps, true)); /* clears what a crash left */
	struct buf tmp = {0}, final = {0}, p = {0};
	buf_printf(&tmp, "%s/.step-%08" PRIu64 ".partial", dir, step);
	buf_addc(&tmp, '\0');
	buf_printf(&final, "%s/step-%08" PRIu64, dir, step);
	buf_addc(&final, '\0');
	int rc = 0;
	errno = 0;
	if (mkdir(tmp.data, 0777) != 0) {
		rc = fail(err, errn, "%s", tmp.data);
		goto out;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		buf_clear(&p);
		buf_printf(&p, "%s/%s", tmp.data, files[i].name);
		buf_addc(&p, '\0');
		errno = 0;
		int fd = open(p.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (fd < 0) {
			rc = fail(err, errn, "%s", p.data);
			break;
		}
		const char *data = files[i].data;
		size_t left = files[i].len;
		while (left && rc == 0) {
			ssize_t w = write(fd, data, left);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				rc = fail(err, errn, "%s: write error", p.data);
			else
				data += w, left -= (size_t)w;
		}
		if (rc == 0 && fsync(fd) != 0)
			rc = fail(err, errn, "%s: fsync", p.data);
		if (close(fd) != 0 && rc == 0)
			rc = fail(err, errn, "%s: close", p.data);
	}
	if (rc == 0 && fsync_dir(tmp.data) != 0)
		rc = fail(err, errn, "%s: fsync", tmp.data);
	if (rc == 0) {
		remove_dir(final.data); /* the same step saved again replaces it */
		errno = 0;
		if (rename(tmp.data, final.data) != 0 || fsync_dir(dir) != 0)
			rc = fail(err, errn, "%s", final.data);
	}
	if (rc != 0) {
		remove_dir(tmp.data);
		goto out;
	}
	if (keep) {
		int64_t *steps = list_steps(dir, &nsteps, false);
		for (size_t i = 0; i + keep < nsteps; i++) {
			buf_clear(&p);
			buf_printf(&p, "%s/step-%08" PRId64, dir, steps[i]);
			buf_addc(&p, '\0');
			remove_dir(p.data);
		}
		free(steps);
		fsync_dir(dir);
	}
out:
	buf_free(&tmp);
	buf_free(&final);
	buf_free(&p);
	return rc;
}

char *ckpt_latest(const char *dir, uint64_t *step)
{
	size_t n;
	int64_t *steps = list_steps(dir, &n, false);
	char *path = NULL;
	if (n) {
		struct buf p = {0};
		buf_printf(&p, "%s/step-%08" PRId64, dir, steps[n - 1]);
		buf_addc(&p, '\0');
		path = p.data;
		*step = (uint64_t)steps[n - 1];
	}
	free(steps);
	return path;
}

void *ckpt_load(const char *ckpt_path, const char *name, size_t *len, char *err, size_t errn)
{
	struct buf p = {0};
	buf_printf(&p, "%s/%s", ckpt_path, name);
	buf_addc(&p, '\0');
	errno = 0;
	int fd = open(p.data, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fail(err, errn, "%s", p.data);
		buf_free(&p);
		return NULL;
	}
	struct buf data = {0};
	for (;;) {
		buf_reserve(&data, 1 << 20);
		ssize_t r = read_full(fd, data.data + data.len, data.cap - data.len);
		if (r < 0) {
			fail(err, errn, "%s: read error", p.data);
			close(fd);
			buf_free(&data);
			buf_free(&p);
			return NULL;
		}
		if (r == 0)
			break;
		data.len += (size_t)r;
	}
	close(fd);
	buf_free(&p);
	*len = data.len;
	if (!data.data)
		data.data = xmalloc(1);
	return data.data;
}

char *ckpt_model_path(const char *dir, char *err, size_t errn)
{
	struct buf b = {0};
	buf_printf(&b, "%s/" CKPT_MODEL, dir);
	buf_addc(&b, 0);
	if (access(b.data, R_OK) != 0) {
		uint64_t step;
		char *ck = ckpt_latest(dir, &step);
		if (!ck) {
			errorf(err, errn, "%s: neither a checkpoint (no model.bin) nor a directory of checkpoints", dir);
			buf_free(&b);
			return NULL;
		}
		buf_clear(&b);
		buf_printf(&b, "%s/" CKPT_MODEL, ck);
		buf_addc(&b, 0);
		free(ck);
	}
	return b.data;
}

#define OPTIM_MAGIC "SLUICEAW"

static void *optim_image(const float *m, const float *v, size_t n, uint64_t step, size_t *len)
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

static int optim_parse(const void *buf, size_t len, size_t n, float *m, float *v, uint64_t *step, char *err,
                       size_t errn)
{
	const unsigned char *p = buf;
	uint64_t nn;
	if (len < 24 || memcmp(p, OPTIM_MAGIC, 8) != 0)
		return errorf(err, errn, "not an optimizer state file");
	memcpy(step, p + 8, 8);
	memcpy(&nn, p + 16, 8);
	if (nn != n || len != 24 + 2 * n * sizeof(float))
		return errorf(err, errn, "optimizer state for %llu parameters, the model has %zu",
		              (unsigned long long)nn, n);
	memcpy(m, p + 24, n * sizeof(float));
	memcpy(v, p + 24 + n * sizeof(float), n * sizeof(float));
	return 0;
}

static json_t *config_json(const struct ckpt_contents *c)
{
	if (c->lstm)
		return json_pack("{s:s,s:i,s:i,s:i}", "arch", "lstm", "layers", c->lstm->layers, "hidden",
		                 c->lstm->hidden, "vocab", c->lstm->vocab);
	const struct gpt2_config *g = c->gpt2;
	return json_pack("{s:s,s:i,s:i,s:i,s:i,s:i,s:i}", "arch", "gpt2", "layers", g->layers, "heads", g->heads,
	                 "channels", g->channels, "max_seq", g->max_seq, "vocab", g->vocab, "padded_vocab",
	                 g->padded_vocab);
}

static char *dump(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!s)
		die(STATUS_FAIL, "out of memory");
	json_decref(j);
	return s;
}

static char *state_json(const struct ckpt_state *st)
{
	json_t *state = json_pack("{s:I,s:I,s:n,s:{s:i,s:s,s:I,s:I,s:I}}", "step", (json_int_t)st->step, "tokens_seen",
	                          (json_int_t)st->tokens, "rng", "data", "input", st->data.input, "path",
	                          st->data.path, "batch", (json_int_t)st->data.batch, "offset",
	                          (json_int_t)st->data.offset, "epoch", (json_int_t)st->data.epoch);
	if (st->have_loss)
		json_object_set_new(state, "last_loss", json_real(st->last_loss));
	if (st->fp16) {
		json_object_set_new(state, "loss_scale", json_real(st->loss_scale));
		json_object_set_new(state, "skipped_steps", json_integer((json_int_t)st->skipped));
	}
	return dump(state);
}

static char *manifest_json(const struct ckpt_contents *c)
{
	const struct ckpt_training *t = &c->training;
	json_t *args = json_array(), *paths = json_array();
	for (int i = 0; i < c->argc; i++)
		json_array_append_new(args, json_string(c->argv[i]));
	for (int i = 0; i < c->npaths; i++)
		json_array_append_new(paths, json_string(c->paths[i]));
	json_t *hdr = c->header ? json_loads(c->header, 0, NULL) : NULL;
	json_t *lineage = json_object_get(hdr, "lineage");
	json_t *man = json_pack("{s:s,s:s,s:s,s:o,s:o,s:{s:f,s:f,s:I,s:I,s:f,s:f,s:f,s:f,s:f,s:I,s:I,s:I,s:i}}",
	                        "format", "sluice-checkpoint", "program", "train-step", "sluice_version",
	                        SLUICE_VERSION, "config", config_json(c), "arguments", args, "training",
	                        "lr", t->lr, "lr_min", t->lr_min, "warmup", (json_int_t)t->warmup,
	                        "steps", (json_int_t)t->steps, "beta1", t->beta1, "beta2", t->beta2, "eps",
	                        t->eps, "weight_decay", t->weight_decay, "grad_clip", t->grad_clip, "total_batch",
	                        (json_int_t)t->total_batch, "micro_steps", (json_int_t)t->micro_steps, "seed",
	                        (json_int_t)t->seed, "threads", t->threads);
	json_object_set_new(man, "input", json_pack("{s:o,s:O}", "paths", paths, "lineage",
	                                             lineage ? lineage : json_null()));
	const struct ckpt_state *st = &c->state;
	json_t *metrics = json_pack("{s:I,s:I}", "step", (json_int_t)st->step, "tokens_seen", (json_int_t)st->tokens);
	json_object_set_new(metrics, "last_loss", st->have_loss ? json_real(st->last_loss) : json_null());
	json_object_set_new(metrics, "last_val_loss", c->have_val ? json_real(c->last_val) : json_null());
	json_object_set_new(man, "metrics", metrics);
	json_decref(hdr);
	return dump(man);
}

int ckpt_write(const char *dir, unsigned keep, const struct ckpt_contents *c, char *err, size_t errn)
{
	size_t olen;
	void *optim = optim_image(c->m, c->v, c->n, c->state.step, &olen);
	char *state_s = state_json(&c->state);
	char *man_s = manifest_json(c);
	struct ckpt_file files[] = {
		{CKPT_MANIFEST, man_s, strlen(man_s)},
		{CKPT_MODEL, c->model, c->model_len},
		{CKPT_OPTIM, optim, olen},
		{CKPT_STATE, state_s, strlen(state_s)},
	};
	int rc = ckpt_save(dir, c->state.step, files, sizeof files / sizeof *files, keep, err, errn);
	free(optim);
	free(state_s);
	free(man_s);
	return rc;
}

int ckpt_read_state(const char *ckpt_path, uint64_t step, struct ckpt_state *st, int *status, char *err,
                    size_t errn)
{
	*status = STATUS_FAIL;
	size_t len;
	char *text = ckpt_load(ckpt_path, CKPT_STATE, &len, err, errn);
	if (!text)
		return -1;
	*status = STATUS_MALFORMED;
	json_t *state = json_loadb(text, len, 0, NULL);
	free(text);
	if (!json_is_object(state)) {
		json_decref(state);
		return errorf(err, errn, "%s/" CKPT_STATE ": not a JSON object", ckpt_path);
	}
	json_t *dj = json_object_get(state, "data");
	json_int_t idx, batch, off, epoch, st_step, tokens;
	if (json_unpack(dj, "{s:I,s:I,s:I,s:I}", "input", &idx, "batch", &batch, "offset", &off, "epoch",
	                &epoch) != 0 ||
	    json_unpack(state, "{s:I,s:I}", "step", &st_step, "tokens_seen", &tokens) != 0 || idx < 0 ||
	    idx > INT32_MAX || batch < 0 || off < 0 || epoch < 0 || st_step < 0 || tokens < 0) {
		json_decref(state);
		return errorf(err, errn, "%s/" CKPT_STATE ": no step or data position", ckpt_path);
	}
	if ((uint64_t)st_step != step) {
		json_decref(state);
		return errorf(err, errn, "%s/" CKPT_STATE ": step %" PRId64 " in checkpoint %" PRIu64, ckpt_path,
		              (int64_t)st_step, step);
	}
	*st = (struct ckpt_state){.step = (uint64_t)st_step, .tokens = (uint64_t)tokens};
	json_t *ll = json_object_get(state, "last_loss");
	if (json_is_number(ll))
		st->last_loss = json_number_value(ll), st->have_loss = true;
	json_t *ls = json_object_get(state, "loss_scale"), *sk = json_object_get(state, "skipped_steps");
	if (json_is_number(ls) && json_number_value(ls) > 0 && json_number_value(ls) < 1e30)
		st->loss_scale = (float)json_number_value(ls);
	if (json_is_integer(sk) && json_integer_value(sk) >= 0)
		st->skipped = (uint64_t)json_integer_value(sk);
	st->data.input = (int)idx;
	st->data.batch = (uint64_t)batch;
	st->data.offset = (uint64_t)off;
	st->data.epoch = (uint64_t)epoch;
	json_decref(state);
	return 0;
}

int ckpt_read_optim(const char *ckpt_path, uint64_t step, size_t n, float *m, float *v, int *status, char *err,
                    size_t errn)
{
	*status = STATUS_FAIL;
	size_t len;
	void *buf = ckpt_load(ckpt_path, CKPT_OPTIM, &len, err, errn);
	if (!buf)
		return -1;
	*status = STATUS_MALFORMED;
	uint64_t ostep = 0;
	char why[512];
	int rc = 0;
	/* a file cut short before its step reads as step 0 */
	if (optim_parse(buf, len, n, m, v, &ostep, why, sizeof why) != 0 || ostep != step)
		rc = errorf(err, errn, "%s/" CKPT_OPTIM ": %s", ckpt_path,
		            ostep != step ? "not of the checkpoint's step" : why);
	free(buf);
	return rc;
}
