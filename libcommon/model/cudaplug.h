/* cudaplug.h - the CUDA plugin (sluice-cuda.so: gpt2cuda.cu with cuBLAS
 * and the CUDA runtime), opened with dlopen when a program needs a GPU.
 * Nothing CUDA is linked into the programs, so a build with CUDA starts
 * as fast as one without and runs on machines without the CUDA libraries.
 *
 * The plugin is looked for at $SLUICE_CUDA_PLUGIN when that is set, else
 * at ../lib/sluice/sluice-cuda.so from the program's own directory (the
 * build tree and an installed prefix alike), else under the install
 * prefix's lib/sluice. */
#ifndef SLUICE_CUDAPLUG_H
#define SLUICE_CUDAPLUG_H

#include <stddef.h>

#include "model/gpt2cuda.h"

/* 1 when this build made the plugin (nvcc was there). */
int cudaplug_built(void);

/* The plugin's functions; NULL with a one-line reason in err when this
 * build has none or it cannot be loaded (missing, missing CUDA libraries,
 * from another build). */
const struct gpt2cuda_ops *cudaplug_load(char *err, size_t errn);

/* GPUs visible.  0, with the reason in err, when there is no plugin, no
 * CUDA driver (found without loading the plugin, so this is cheap on a
 * machine without one) or no GPU. */
int cudaplug_device_count(char *err, size_t errn);

#endif
