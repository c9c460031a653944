/* vdist.c - dot product and squared L2 distance in one summation order
 * (vdist.h), dispatched at run time to AVX-512, AVX2+FMA or portable code.
 *
 * Two shapes of the same arithmetic.  One pair at a time (vdist_fn, for
 * HNSW and sparse scans) vectorises along the vector: lane j of a register
 * is partial sum s_j, and the tree is done with shuffles at the end.  Many
 * queries against many points (vdist_many_fn, the exact scan) vectorise
 * across points instead: sixteen (AVX-512) or eight (AVX2) points are
 * packed transposed, so a register holds partial sum s_j of as many
 * points, one broadcast query element times one packed row is the fma of
 * term k for all of them, and the tree is plain additions of registers.
 * Either way each s_j is the same chain of fmas, in k order, and the tree
 * the same additions, so the two agree bit for bit. */
#include "vs/vdist.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __clang__
/* No product and sum is written as one expression here, but should one
 * appear, clang (which contracts them by default where FMA is enabled, as
 * in the AVX2 and AVX-512 functions; gcc's -std=c11 does not) must not
 * fuse it on one path and not another. */
#pragma STDC FP_CONTRACT OFF
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define VDIST_X86 1
#include <immintrin.h>
#endif

size_t vdist_padded(size_t dim) { return (dim + VDIST_LANES - 1) / VDIST_LANES * VDIST_LANES; }

size_t vdist_pack_floats(size_t dim) { return VDIST_LANES * vdist_padded(dim); }

/* The tree of vdist.h over the sixteen partial sums. */
static float tree16(const float *s)
{
	float t[8], u[4];
	for (int j = 0; j < 8; j++)
		t[j] = s[2 * j] + s[2 * j + 1];
	for (int j = 0; j < 4; j++)
		u[j] = t[2 * j] + t[2 * j + 1];
	return (u[0] + u[1]) + (u[2] + u[3]);
}

/* Portable kernels: the definition written out.  Terms past dim are
 * fma(0, 0, s), as the vector kernels' zero-padded loads make them (it
 * turns a -0 partial sum into +0, so it is not skipped). */
static float dot_portable(const float *a, const float *b, size_t dim)
{
	float s[VDIST_LANES] = {0};
	for (size_t i = 0; i < dim; i += VDIST_LANES)
		for (size_t j = 0; j < VDIST_LANES; j++) {
			int in = i + j < dim;
			s[j] = fmaf(in ? a[i + j] : 0.0f, in ? b[i + j] : 0.0f, s[j]);
		}
	return tree16(s);
}

static float l2_portable(const float *a, const float *b, size_t dim)
{
	float s[VDIST_LANES] = {0};
	for (size_t i = 0; i < dim; i += VDIST_LANES)
		for (size_t j = 0; j < VDIST_LANES; j++) {
			float d = i + j < dim ? a[i + j] - b[i + j] : 0.0f;
			s[j] = fmaf(d, d, s[j]);
		}
	return tree16(s);
}

/* Many against many, one pair at a time: the same bits by definition. */
static void many_pairs(vdist_fn f, const float *q, size_t nq, size_t qstride, const float *v, size_t nv, size_t dim,
                       float *out, size_t ldo)
{
	for (size_t i = 0; i < nq; i++)
		for (size_t j = 0; j < nv; j++)
			out[i * ldo + j] = f(q + i * qstride, v + j * dim, dim);
}

static void dot_many_portable(const float *q, size_t nq, size_t qstride, const float *v, size_t nv, size_t dim,
                              float *out, size_t ldo, float *pack)
{
	(void)pack;
	many_pairs(dot_portable, q, nq, qstride, v, nv, dim, out, ldo);
}

static void l2_many_portable(const float *q, size_t nq, size_t qstride, const float *v, size_t nv, size_t dim,
                             float *out, size_t ldo, float *pack)
{
	(void)pack;
	many_pairs(l2_portable, q, nq, qstride, v, nv, dim, out, ldo);
}

/* Below this many queries, packing the points costs more than the batch
 * kernel saves; the pairwise kernel gives the same bits. */
#define MANY_MIN_QUERIES 4

/* Packs nv (at most w) points of dim floats transposed, w to a row:
 * pack[k * w + p] = v[p * dim + k], zeros past dim and past nv, padded
 * rows to vdist_padded(dim). */
static void pack_points(const float *v, size_t nv, size_t dim, size_t w, float *pack)
{
	size_t dp = vdist_padded(dim);
	if (nv < w || dim < dp)
		memset(pack, 0, dp * w * sizeof *pack);
	for (size_t p = 0; p < nv; p++)
		for (size_t k = 0; k < dim; k++)
			pack[k * w + p] = v[p * dim + k];
}

/* r (1..rmax) queries against the w points packed by pack_points,
 * scores to out[i * ldo + p]. */
typedef void (*tile_fn)(size_t r, const float *q, size_t qstride, const float *pack, size_t dp, float *out,
                        size_t ldo);

#define TILE_MAX 48 /* w * rmax */

/* The batch kernel's loop: each row of w points packed once, then scored
 * against all the queries, rmax at a time; a short last row is scored into
 * part and copied. */
static void many_tiled(tile_fn tile, size_t w, size_t rmax, const float *q, size_t nq, size_t qstride,
                       const float *v, size_t nv, size_t dim, float *out, size_t ldo, float *pack)
{
	size_t dp = vdist_padded(dim);
	float part[TILE_MAX];
	for (size_t p0 = 0; p0 < nv; p0 += w) {
		size_t np = nv - p0 < w ? nv - p0 : w;
		pack_points(v + p0 * dim, np, dim, w, pack);
		for (size_t i = 0; i < nq;) {
			size_t r = nq - i >= rmax ? rmax : nq - i;
			if (np == w) {
				tile(r, q + i * qstride, qstride, pack, dp, out + i * ldo + p0, ldo);
			} else {
				tile(r, q + i * qstride, qstride, pack, dp, part, w);
				for (size_t t = 0; t < r; t++)
					memcpy(out + (i + t) * ldo + p0, part + t * w, np * sizeof *out);
			}
			i += r;
		}
	}
}

#ifdef VDIST_X86

#define TARGET_AVX2 __attribute__((target("avx2,fma")))
#define TARGET_AVX512 __attribute__((target("avx512f,avx2,fma")))
#define INLINE inline __attribute__((always_inline))

/* ---- one pair: lane j of the accumulator is s_j ---- */

/* The tree over eight lanes, adjacent first; every lane ends with the
 * sum (the two orders of an addition are the same bits). */
TARGET_AVX2 static INLINE __m256 tree8_256(__m256 v)
{
	v = _mm256_add_ps(v, _mm256_permute_ps(v, 0xB1));          /* lanes 1,0,3,2 */
	v = _mm256_add_ps(v, _mm256_permute_ps(v, 0x4E));          /* lanes 2,3,0,1 */
	return _mm256_add_ps(v, _mm256_permute2f128_ps(v, v, 1)); /* halves swapped */
}

/* The first n (may be <= 0 or > 8) lanes on, for _mm256_maskload_ps: the
 * tail is read without reading past the end of either vector. */
TARGET_AVX2 static INLINE __m256i tail_mask256(long n)
{
	const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
	return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n < 0 ? 0 : n > 8 ? 8 : n)), lanes);
}

/* AVX2: s_0..s_7 in lo, s_8..s_15 in hi. */
TARGET_AVX2 static float dot_avx2(const float *a, const float *b, size_t dim)
{
	__m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
	size_t i = 0;
	for (; i + VDIST_LANES <= dim; i += VDIST_LANES) {
		lo = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), lo);
		hi = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), hi);
	}
	if (i < dim) {
		long n = (long)(dim - i);
		__m256i m0 = tail_mask256(n), m1 = tail_mask256(n - 8);
		lo = _mm256_fmadd_ps(_mm256_maskload_ps(a + i, m0), _mm256_maskload_ps(b + i, m0), lo);
		hi = _mm256_fmadd_ps(_mm256_maskload_ps(a + i + 8, m1), _mm256_maskload_ps(b + i + 8, m1), hi);
	}
	return _mm256_cvtss_f32(_mm256_add_ps(tree8_256(lo), tree8_256(hi)));
}

TARGET_AVX2 static float l2_avx2(const float *a, const float *b, size_t dim)
{
	__m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
	size_t i = 0;
	for (; i + VDIST_LANES <= dim; i += VDIST_LANES) {
		__m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
		__m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
		lo = _mm256_fmadd_ps(d0, d0, lo);
		hi = _mm256_fmadd_ps(d1, d1, hi);
	}
	if (i < dim) {
		long n = (long)(dim - i);
		__m256i m0 = tail_mask256(n), m1 = tail_mask256(n - 8);
		__m256 d0 = _mm256_sub_ps(_mm256_maskload_ps(a + i, m0), _mm256_maskload_ps(b + i, m0));
		__m256 d1 = _mm256_sub_ps(_mm256_maskload_ps(a + i + 8, m1), _mm256_maskload_ps(b + i + 8, m1));
		lo = _mm256_fmadd_ps(d0, d0, lo);
		hi = _mm256_fmadd_ps(d1, d1, hi);
	}
	return _mm256_cvtss_f32(_mm256_add_ps(tree8_256(lo), tree8_256(hi)));
}

/* AVX-512: the tree over sixteen lanes in four shuffles. */
TARGET_AVX512 static INLINE float tree16_512(__m512 v)
{
	v = _mm512_add_ps(v, _mm512_permute_ps(v, 0xB1));          /* lanes 1,0,3,2 in each 128 bits */
	v = _mm512_add_ps(v, _mm512_permute_ps(v, 0x4E));          /* lanes 2,3,0,1 */
	v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, 0xB1));    /* 128-bit blocks 1,0,3,2 */
	v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, 0x4E));    /* blocks 2,3,0,1 */
	return _mm512_cvtss_f32(v);
}

TARGET_AVX512 static float dot_avx512(const float *a, const float *b, size_t dim)
{
	__m512 s = _mm512_setzero_ps();
	size_t i = 0;
	for (; i + VDIST_LANES <= dim; i += VDIST_LANES)
		s = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s);
	if (i < dim) {
		__mmask16 m = (__mmask16)((1u << (dim - i)) - 1);
		s = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s);
	}
	return tree16_512(s);
}

TARGET_AVX512 static float l2_avx512(const float *a, const float *b, size_t dim)
{
	__m512 s = _mm512_setzero_ps();
	size_t i = 0;
	for (; i + VDIST_LANES <= dim; i += VDIST_LANES) {
		__m512 d = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
		s = _mm512_fmadd_ps(d, d, s);
	}
	if (i < dim) {
		__mmask16 m = (__mmask16)((1u << (dim - i)) - 1);
		__m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i));
		s = _mm512_fmadd_ps(d, d, s);
	}
	return tree16_512(s);
}

/* ---- many against many: a register holds s_j of a row of packed points ----
 *
 * The lanes of vdist.h are taken eight (AVX-512) or four (AVX2) at a time,
 * so that R queries' worth of accumulators fit in registers: for lanes
 * j0..j0+G-1, acc[i][g] is s_{j0+g} of query i and the packed points, fed
 * term k = 16r + j0 + g for r ascending (its fma chain, in order).  Once
 * the chains are done, the G sums are combined adjacent first, which is a
 * subtree of the tree; the subtrees are then combined as the tree does. */

/* Keeps a packed row in a register: without it gcc reloads the row as a
 * memory operand of each of the R fmas, and the loads, not the fmas, set
 * the pace (1000 queries x 200k points: 0.62 -> 0.40 s).  Changes no value. */
#define PIN(y) __asm__("" : "+x"(y))

/* acc = fma(x, y, acc), or for l2 with d = y - x, fma(d, d, acc). */
#define TERM512(l2, x, y, acc)                                                                                 \
	((l2) ? _mm512_fmadd_ps(_mm512_sub_ps(y, x), _mm512_sub_ps(y, x), acc) : _mm512_fmadd_ps(x, y, acc))
#define TERM256(l2, x, y, acc)                                                                                 \
	((l2) ? _mm256_fmadd_ps(_mm256_sub_ps(y, x), _mm256_sub_ps(y, x), acc) : _mm256_fmadd_ps(x, y, acc))

/* R (1..3) queries against the 16 packed points; lanes 8 at a time. */
TARGET_AVX512 static INLINE void tile512(int l2, int R, const float *q, size_t qstride, const float *pack, size_t dp,
                                         float *out, size_t ldo)
{
	__m512 half[3];
	for (int h = 0; h < 2; h++) {
		__m512 acc[3][8];
#pragma GCC unroll 8
		for (int g = 0; g < 8; g++)
#pragma GCC unroll 3
			for (int i = 0; i < R; i++)
				acc[i][g] = _mm512_setzero_ps();
		for (size_t r = 0; r < dp; r += VDIST_LANES) {
			size_t k0 = r + 8 * (size_t)h;
#pragma GCC unroll 8
			for (int g = 0; g < 8; g++) {
				__m512 y = _mm512_load_ps(pack + (k0 + (size_t)g) * VDIST_LANES);
				PIN(y);
#pragma GCC unroll 3
				for (int i = 0; i < R; i++) {
					__m512 x = _mm512_set1_ps(q[(size_t)i * qstride + k0 + (size_t)g]);
					acc[i][g] = TERM512(l2, x, y, acc[i][g]);
				}
			}
		}
#pragma GCC unroll 3
		for (int i = 0; i < R; i++) {
			__m512 t = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(acc[i][0], acc[i][1]), _mm512_add_ps(acc[i][2], acc[i][3])),
			                         _mm512_add_ps(_mm512_add_ps(acc[i][4], acc[i][5]), _mm512_add_ps(acc[i][6], acc[i][7])));
			half[i] = h ? _mm512_add_ps(half[i], t) : t;
		}
	}
#pragma GCC unroll 3
	for (int i = 0; i < R; i++)
		_mm512_storeu_ps(out + (size_t)i * ldo, half[i]);
}

TARGET_AVX512 static void dot_tile512(size_t r, const float *q, size_t qstride, const float *pack, size_t dp,
                                      float *out, size_t ldo)
{
	if (r == 3)
		tile512(0, 3, q, qstride, pack, dp, out, ldo);
	else if (r == 2)
		tile512(0, 2, q, qstride, pack, dp, out, ldo);
	else
		tile512(0, 1, q, qstride, pack, dp, out, ldo);
}

TARGET_AVX512 static void l2_tile512(size_t r, const float *q, size_t qstride, const float *pack, size_t dp,
                                     float *out, size_t ldo)
{
	if (r == 3)
		tile512(1, 3, q, qstride, pack, dp, out, ldo);
	else if (r == 2)
		tile512(1, 2, q, qstride, pack, dp, out, ldo);
	else
		tile512(1, 1, q, qstride, pack, dp, out, ldo);
}

/* AVX2: 2 queries against 8 packed points, lanes 4 at a time (sixteen
 * registers: 8 accumulators, 4 subtrees, a row and a broadcast). */
#define W2 8
TARGET_AVX2 static INLINE void tile256(int l2, int R, const float *q, size_t qstride, const float *pack, size_t dp,
                                       float *out, size_t ldo)
{
	__m256 sub[2][2]; /* per query: lanes 0-7 and 8-15 */
	for (int h = 0; h < 4; h++) {
		__m256 acc[2][4];
#pragma GCC unroll 4
		for (int g = 0; g < 4; g++)
#pragma GCC unroll 2
			for (int i = 0; i < R; i++)
				acc[i][g] = _mm256_setzero_ps();
		for (size_t r = 0; r < dp; r += VDIST_LANES) {
			size_t k0 = r + 4 * (size_t)h;
#pragma GCC unroll 4
			for (int g = 0; g < 4; g++) {
				__m256 y = _mm256_load_ps(pack + (k0 + (size_t)g) * W2);
				PIN(y);
#pragma GCC unroll 2
				for (int i = 0; i < R; i++) {
					__m256 x = _mm256_set1_ps(q[(size_t)i * qstride + k0 + (size_t)g]);
					acc[i][g] = TERM256(l2, x, y, acc[i][g]);
				}
			}
		}
#pragma GCC unroll 2
		for (int i = 0; i < R; i++) {
			__m256 t = _mm256_add_ps(_mm256_add_ps(acc[i][0], acc[i][1]), _mm256_add_ps(acc[i][2], acc[i][3]));
			if (h % 2 == 0)
				sub[i][h / 2] = t;
			else
				sub[i][h / 2] = _mm256_add_ps(sub[i][h / 2], t);
		}
	}
#pragma GCC unroll 2
	for (int i = 0; i < R; i++)
		_mm256_storeu_ps(out + (size_t)i * ldo, _mm256_add_ps(sub[i][0], sub[i][1]));
}

TARGET_AVX2 static void dot_tile256(size_t r, const float *q, size_t qstride, const float *pack, size_t dp,
                                    float *out, size_t ldo)
{
	if (r == 2)
		tile256(0, 2, q, qstride, pack, dp, out, ldo);
	else
		tile256(0, 1, q, qstride, pack, dp, out, ldo);
}

TARGET_AVX2 static void l2_tile256(size_t r, const float *q, size_t qstride, const float *pack, size_t dp,
                                   float *out, size_t ldo)
{
	if (r == 2)
		tile256(1, 2, q, qstride, pack, dp, out, ldo);
	else
		tile256(1, 1, q, qstride, pack, dp, out, ldo);
}

/* The batch kernels: pairwise for few queries, else tiled. */
#define MANY(name, pairfn, tilefn, w, rmax)                                                                    \
	static void name(const float *q, size_t nq, size_t qstride, const float *v, size_t nv, size_t dim,        \
	                 float *out, size_t ldo, float *pack)                                                        \
	{                                                                                                          \
		if (nq < MANY_MIN_QUERIES)                                                                         \
			many_pairs(pairfn, q, nq, qstride, v, nv, dim, out, ldo);                                  \
		else                                                                                               \
			many_tiled(tilefn, w, rmax, q, nq, qstride, v, nv, dim, out, ldo, pack);                   \
	}
MANY(dot_many_avx512, dot_avx512, dot_tile512, 16, 3)
MANY(l2_many_avx512, l2_avx512, l2_tile512, 16, 3)
MANY(dot_many_avx2, dot_avx2, dot_tile256, 8, 2)
MANY(l2_many_avx2, l2_avx2, l2_tile256, 8, 2)

#endif /* VDIST_X86 */

int vdist_isa_supported(enum vdist_isa isa)
{
	switch (isa) {
	case VDIST_PORTABLE:
		return 1;
#ifdef VDIST_X86
	case VDIST_AVX2:
		return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
	case VDIST_AVX512:
		return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") &&
		       __builtin_cpu_supports("fma");
#endif
	default:
		return 0;
	}
}

enum vdist_isa vdist_best_isa(void)
{
	/* The kernels all give the same bits, so a cap changes speed only. */
	const char *cap = getenv("SLUICE_SIMD");
	enum vdist_isa top = VDIST_AVX512;
	if (cap && !strcmp(cap, "portable"))
		top = VDIST_PORTABLE;
	else if (cap && !strcmp(cap, "avx2"))
		top = VDIST_AVX2;
	for (int isa = top; isa > VDIST_PORTABLE; isa--)
		if (vdist_isa_supported((enum vdist_isa)isa))
			return (enum vdist_isa)isa;
	return VDIST_PORTABLE;
}

const char *vdist_isa_name(enum vdist_isa isa)
{
	switch (isa) {
	case VDIST_AVX512:
		return "avx512";
	case VDIST_AVX2:
		return "avx2";
	default:
		return "portable";
	}
}

vdist_fn vdist_kernel_isa(enum vmetric metric, enum vdist_isa isa)
{
	if (!vdist_isa_supported(isa))
		return NULL;
	int l2 = metric == VMETRIC_L2;
	switch (isa) {
#ifdef VDIST_X86
	case VDIST_AVX512:
		return l2 ? l2_avx512 : dot_avx512;
	case VDIST_AVX2:
		return l2 ? l2_avx2 : dot_avx2;
#endif
	default:
		return l2 ? l2_portable : dot_portable;
	}
}

vdist_many_fn vdist_many_isa(enum vmetric metric, enum vdist_isa isa)
{
	if (!vdist_isa_supported(isa))
		return NULL;
	int l2 = metric == VMETRIC_L2;
	switch (isa) {
#ifdef VDIST_X86
	case VDIST_AVX512:
		return l2 ? l2_many_avx512 : dot_many_avx512;
	case VDIST_AVX2:
		return l2 ? l2_many_avx2 : dot_many_avx2;
#endif
	default:
		return l2 ? l2_many_portable : dot_many_portable;
	}
}

vdist_fn vdist_kernel(enum vmetric metric) { return vdist_kernel_isa(metric, vdist_best_isa()); }

vdist_many_fn vdist_many(enum vmetric metric) { return vdist_many_isa(metric, vdist_best_isa()); }
