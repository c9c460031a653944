/* lmopen.c - the model, its device and tokenizer, and the output, as
 * lm-run and lm-embed open them (lmopen.h). */
#include "model/lmopen.h"

#include <unistd.h>

#include "base/cli.h"
#include "base/die.h"
#include "net/sink.h"

/* The model file of PATH: itself, PATH/model.bin (a checkpoint), or the
 * newest checkpoint's model.bin under PATH (a --ckpt-dir). */
static struct lm *load_model(const char *path)
{
	char err[1024];
	int status;
	struct lm *m = lm_load_path(path, &status, err, sizeof err);
	if (!m)
		die(status, "%s", err);
	return m;
}

struct lm *lm_open(const struct lm_open_opts *o, struct model_tokenizer *mt, bool *have_tok)
{
	/* the device before the model: a GPU that is not there is a usage error */
	char err[1024];
	int device = o->cpu_only ? LM_DEVICE_CPU : o->device;
	enum lm_precision prec = o->prec;
	if (!o->cpu_only && lm_resolve_device(&device, &prec, err, sizeof err) != 0)
		die(STATUS_USAGE, "--device: %s", err);
	struct lm *m = load_model(o->model_path);
	if (o->gpt2_only && !lm_gpt2(m))
		die(STATUS_USAGE, "%s: an LSTM model: %s", o->model_path, o->gpt2_only);
	lm_set_threads(m, o->threads);
	if (device >= 0 && lm_config(m)->arch == LM_LSTM) {
		if (o->device != LM_DEVICE_AUTO)
			die(STATUS_USAGE, "--device cuda: the character LSTM runs on the CPU only");
		if (o->prec == LM_BF16 || o->prec == LM_FP16)
			die(STATUS_USAGE, "--precision %s: the character LSTM runs on the CPU, in fp32",
			    lm_precision_name(o->prec));
		device = LM_DEVICE_CPU;
	}
	if (device >= 0 && lm_to_device(m, device, prec, err, sizeof err) != 0)
		die(STATUS_FAIL, "--device: %s", err);
	*have_tok = false;
	if (o->tokenizer) {
		int status = model_tokenizer_open(mt, o->tokenizer, (uint32_t)lm_vocab(m), o->offline, err, sizeof err);
		if (status)
			die(status, "%s", err);
		*have_tok = true;
	}
	return m;
}

int lm_open_output(struct atomic_file *f, const char *path, const char *tty_refusal)
{
	if (path) {
		if (sink_open(f, path) != 0)
			die(STATUS_FAIL, "%s:", path);
		atomic_guard(f);
		return f->fd;
	}
	if (tty_refusal && isatty(STDOUT_FILENO))
		cli_usage_error("%s", tty_refusal);
	return STDOUT_FILENO;
}
