/* vdist.h - distance kernels over float vectors: the inner loop of vector
 * search, where nearly all of its time goes.
 *
 * The build uses plain -O2 (no -march), so a kernel compiled for the
 * baseline would use SSE2 at best; instead each kernel exists in AVX-512,
 * AVX2+FMA and portable forms, and the fastest one this CPU runs is chosen
 * at run time.  Callers in a hot loop take the function pointer once
 * (vdist_kernel) rather than dispatching per call.  Results are float sums
 * in a different order from a sequential loop: they agree with an exact
 * (double) sum to within float rounding, not bit for bit across ISAs. */
#ifndef SLUICE_VDIST_H
#define SLUICE_VDIST_H

#include <stddef.h>

enum vmetric { VMETRIC_COSINE, VMETRIC_DOT, VMETRIC_L2 };

/* The instruction sets a kernel can be compiled for, best last. */
enum vdist_isa { VDIST_PORTABLE, VDIST_AVX2, VDIST_AVX512 };

typedef float (*vdist_fn)(const float *a, const float *b, size_t dim);

/* Whether this CPU runs kernels for isa. */
int vdist_isa_supported(enum vdist_isa isa);
/* The best instruction set this CPU runs. */
enum vdist_isa vdist_best_isa(void);
const char *vdist_isa_name(enum vdist_isa isa);

/* The kernel for "dot" (sum of a[i]*b[i]) or "l2" (sum of (a[i]-b[i])^2)
 * in the given instruction set, or NULL if this CPU does not run it.
 * VMETRIC_COSINE gives the dot kernel: cosine is a dot product of unit
 * vectors, which the caller normalises. */
vdist_fn vdist_kernel_isa(enum vmetric metric, enum vdist_isa isa);
/* The same in the best instruction set this CPU runs. */
vdist_fn vdist_kernel(enum vmetric metric);

/* One-off conveniences (dispatching on every call). */
float vdist_dot(const float *a, const float *b, size_t dim);
float vdist_l2sq(const float *a, const float *b, size_t dim);

#endif
