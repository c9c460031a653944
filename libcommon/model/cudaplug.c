/* cudaplug.c - see cudaplug.h */
#include "model/cudaplug.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/die.h"

#define PLUGIN_NAME "sluice-cuda.so"

#ifndef SLUICE_LIBDIR
#define SLUICE_LIBDIR "/usr/local/lib"
#endif

int cudaplug_built(void)
{
#ifdef SLUICE_CUDA
	return 1;
#else
	return 0;
#endif
}

/* ../lib/sluice/sluice-cuda.so from the directory of the running program;
 * 0, or -1 when that cannot be told. */
static int beside_program(char *out, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -1;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = 0;
	int w = snprintf(out, len, "%s/../lib/sluice/" PLUGIN_NAME, exe);
	return w > 0 && (size_t)w < len ? 0 : -1;
}

static const struct gpt2cuda_ops *open_plugin(const char *path, char *err, size_t errn)
{
	/* Opened again on every call: the loader counts the references and
	 * keeps one copy, and nothing is ever closed while a model may use it.
	 * RTLD_GLOBAL puts the CUDA runtime it brings where ddp.c looks for
	 * cudaSetDevice; of the plugin's own symbols only the entry shows. */
	void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
	if (!h) {
		const char *why = dlerror();
		errorf(err, errn, "the CUDA plugin cannot be loaded: %s", why ? why : path);
		return NULL;
	}
	gpt2cuda_entry_fn *entry;
	entry = (gpt2cuda_entry_fn *)dlsym(h, GPT2CUDA_ENTRY);
	const struct gpt2cuda_ops *ops = entry ? entry() : NULL;
	if (!ops || ops->abi != GPT2CUDA_ABI) {
		errorf(err, errn, "%s: a CUDA plugin of another build (interface %d, this program's %d)", path,
		       ops ? ops->abi : -1, GPT2CUDA_ABI);
		dlclose(h);
		return NULL;
	}
	return ops;
}

const struct gpt2cuda_ops *cudaplug_load(char *err, size_t errn)
{
	if (!cudaplug_built()) {
		errorf(err, errn, "this build has no CUDA (rebuild with nvcc installed, or make CUDA=1)");
		return NULL;
	}
	const char *env = getenv("SLUICE_CUDA_PLUGIN");
	if (env && *env)
		return open_plugin(env, err, errn);
	char near[PATH_MAX + 32];
	if (beside_program(near, sizeof near) != 0)
		snprintf(near, sizeof near, "../lib/sluice/" PLUGIN_NAME " beside the program (whose path could not be read)");
	else if (access(near, F_OK) == 0)
		return open_plugin(near, err, errn);
	const char *installed = SLUICE_LIBDIR "/sluice/" PLUGIN_NAME;
	if (access(installed, F_OK) == 0)
		return open_plugin(installed, err, errn);
	errorf(err, errn, "the CUDA plugin is missing: not at %s nor at %s (or set SLUICE_CUDA_PLUGIN)", near,
	       installed);
	return NULL;
}

int cudaplug_device_count(char *err, size_t errn)
{
	char scratch[8];
	if (!err)
		err = scratch, errn = sizeof scratch;
	if (!cudaplug_built()) {
		errorf(err, errn, "this build has no CUDA (rebuild with nvcc installed, or make CUDA=1)");
		return 0;
	}
	/* The same rule as the CUDA runtime's, without loading it. */
	const char *visible = getenv("CUDA_VISIBLE_DEVICES");
	if (visible && !*visible) {
		errorf(err, errn, "no CUDA GPU is visible (CUDA_VISIBLE_DEVICES is empty)");
		return 0;
	}
	void *driver = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
	if (!driver) {
		errorf(err, errn, "no CUDA GPU is visible (no CUDA driver: libcuda.so.1 is not installed)");
		return 0;
	}
	dlclose(driver);
	const struct gpt2cuda_ops *ops = cudaplug_load(err, errn);
	if (!ops)
		return 0;
	int n = ops->device_count();
	if (n <= 0) {
		errorf(err, errn, "no CUDA GPU is visible (or the driver is not loaded)");
		return 0;
	}
	return n;
}
