/* vdist.h - distance kernels over float vectors: the inner loop of vector
 * search, where nearly all of its time goes.
 *
 * One summation order, whatever the caller and the CPU.  The terms of a
 * dot product (a[k]*b[k]) or a squared distance ((a[k]-b[k])^2) go to
 * VDIST_LANES = 16 partial sums by k mod 16, as if both vectors were
 * padded with zeros to a multiple of 16; partial sum j is
 *
 *     s_j = fma(x[j+16r], y[j+16r], ... fma(x[j], y[j], +0))   (r ascending)
 *
 * one fused multiply-add per term (for l2, x = y = a - b), and the result
 * is the sixteen combined adjacent pair first:
 *
 *     ((((s0+s1)+(s2+s3))+((s4+s5)+(s6+s7)))+(((s8+s9)+(s10+s11))+((s12+s13)+(s14+s15))))
 *
 * Each step is one correctly rounded IEEE operation (an fma, a subtraction
 * or an addition, both commutative), so every implementation that does
 * these operations gets the same bits: the AVX-512 kernel (one register
 * of 16 lanes), the AVX2 one (two of 8), the portable one (fmaf), and the
 * batch kernels (vdist_many), which vectorise across points instead of
 * along the vector.  A score therefore does not depend on the instruction
 * set, on how many queries were searched together, on where the point lies
 * in the store or on the thread that computed it; and an exact scan and
 * an HNSW search agree on every (query, point) pair.  Nothing here may be
 * built with -ffast-math, and no expression may mix a product and a sum
 * (a compiler may contract it into an fma on one path and not another).
 *
 * The build uses plain -O2 (no -march), so each kernel exists in AVX-512,
 * AVX2+FMA and portable forms, and the fastest one this CPU runs is chosen
 * at run time (SLUICE_SIMD=portable|avx2|avx512 caps it, for tests and
 * comparisons).  Callers in a hot loop take the function pointer once
 * (vdist_kernel) rather than dispatching per call.  The portable form
 * calls fmaf for each term: fast where the CPU has FMA (glibc uses the
 * instruction), slow on x86-64 CPUs older than AVX2, the price of agreeing
 * with the others bit for bit. */
#ifndef SLUICE_VDIST_H
#define SLUICE_VDIST_H

#include <stddef.h>

enum vmetric { VMETRIC_COSINE, VMETRIC_DOT, VMETRIC_L2 };

/* The instruction sets a kernel can be compiled for, best last. */
enum vdist_isa { VDIST_PORTABLE, VDIST_AVX2, VDIST_AVX512 };

#define VDIST_LANES 16

typedef float (*vdist_fn)(const float *a, const float *b, size_t dim);

/* Scores of nq queries against nv points: out[i * ldo + j] is the kernel
 * of query i and point j, bit for bit what the vdist_fn of the same metric
 * returns.  Query i starts at q + i * qstride and is padded with zeros to
 * vdist_padded(dim) floats (qstride at least that); the points lie one
 * after the other, dim floats each.  pack is scratch of
 * vdist_pack_floats(dim) floats, aligned to 64 bytes. */
typedef void (*vdist_many_fn)(const float *q, size_t nq, size_t qstride, const float *v, size_t nv, size_t dim,
                              float *out, size_t ldo, float *pack);

/* dim rounded up to a multiple of VDIST_LANES. */
size_t vdist_padded(size_t dim);
size_t vdist_pack_floats(size_t dim);

/* Whether this CPU runs kernels for isa. */
int vdist_isa_supported(enum vdist_isa isa);
/* The best instruction set this CPU runs, no better than SLUICE_SIMD. */
enum vdist_isa vdist_best_isa(void);
const char *vdist_isa_name(enum vdist_isa isa);

/* The kernel for "dot" (sum of a[i]*b[i]) or "l2" (sum of (a[i]-b[i])^2)
 * in the given instruction set, or NULL if this CPU does not run it.
 * VMETRIC_COSINE gives the dot kernel: cosine is a dot product of unit
 * vectors, which the caller normalises. */
vdist_fn vdist_kernel_isa(enum vmetric metric, enum vdist_isa isa);
vdist_many_fn vdist_many_isa(enum vmetric metric, enum vdist_isa isa);
/* The same in the best instruction set this CPU runs. */
vdist_fn vdist_kernel(enum vmetric metric);
vdist_many_fn vdist_many(enum vmetric metric);

#endif
