/* vdist.c - dot product and squared L2 distance, dispatched at run time to
 * AVX-512, AVX2+FMA or portable code (see vdist.h). */
#include "vdist.h"

#include <stdint.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define VDIST_X86 1
#include <immintrin.h>
#endif

/* Portable kernels: eight independent partial sums, so that the compiler
 * may vectorise them with whatever the baseline offers (SSE2 on x86-64)
 * without reassociating a single sum, which C forbids it to do. */
static float dot_portable(const float *a, const float *b, size_t dim)
{
	float acc[8] = {0};
	size_t i = 0;
	for (; i + 8 <= dim; i += 8)
		for (int j = 0; j < 8; j++)
			acc[j] += a[i + j] * b[i + j];
	float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
	for (; i < dim; i++)
		s += a[i] * b[i];
	return s;
}

static float l2_portable(const float *a, const float *b, size_t dim)
{
	float acc[8] = {0};
	size_t i = 0;
	for (; i + 8 <= dim; i += 8)
		for (int j = 0; j < 8; j++) {
			float d = a[i + j] - b[i + j];
			acc[j] += d * d;
		}
	float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
	for (; i < dim; i++) {
		float d = a[i] - b[i];
		s += d * d;
	}
	return s;
}

#ifdef VDIST_X86

#define TARGET_AVX2 __attribute__((target("avx2,fma")))
#define TARGET_AVX512 __attribute__((target("avx512f,avx2,fma")))

TARGET_AVX2 static inline float hsum256(__m256 v)
{
	__m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
	s = _mm_add_ps(s, _mm_movehl_ps(s, s));
	s = _mm_add_ss(s, _mm_movehdup_ps(s));
	return _mm_cvtss_f32(s);
}

/* A mask for _mm256_maskload_ps with the first n (0..7) lanes on: the tail
 * is loaded in one go without reading past the end of either vector. */
TARGET_AVX2 static inline __m256i tail_mask256(size_t n)
{
	const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
	return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), lanes);
}

/* Four accumulators of eight lanes: enough independent FMAs in flight to
 * hide their latency (four cycles, two issued per cycle). */
TARGET_AVX2 static float dot_avx2(const float *a, const float *b, size_t dim)
{
	__m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
	__m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
	size_t i = 0;
	for (; i + 32 <= dim; i += 32) {
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
		s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
		s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
		s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
	}
	for (; i + 8 <= dim; i += 8)
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
	if (i < dim) {
		__m256i m = tail_mask256(dim - i);
		s1 = _mm256_fmadd_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m), s1);
	}
	return hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
}

TARGET_AVX2 static float l2_avx2(const float *a, const float *b, size_t dim)
{
	__m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
	__m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
	size_t i = 0;
	for (; i + 32 <= dim; i += 32) {
		__m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
		__m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
		__m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16));
		__m256 d3 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24));
		s0 = _mm256_fmadd_ps(d0, d0, s0);
		s1 = _mm256_fmadd_ps(d1, d1, s1);
		s2 = _mm256_fmadd_ps(d2, d2, s2);
		s3 = _mm256_fmadd_ps(d3, d3, s3);
	}
	for (; i + 8 <= dim; i += 8) {
		__m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
		s0 = _mm256_fmadd_ps(d, d, s0);
	}
	if (i < dim) {
		__m256i m = tail_mask256(dim - i);
		__m256 d = _mm256_sub_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m));
		s1 = _mm256_fmadd_ps(d, d, s1);
	}
	return hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
}

/* AVX-512: sixteen lanes, and masked loads make the tail one more step. */
TARGET_AVX512 static float dot_avx512(const float *a, const float *b, size_t dim)
{
	__m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
	__m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
	size_t i = 0;
	for (; i + 64 <= dim; i += 64) {
		s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
		s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
		s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), s2);
		s3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), s3);
	}
	for (; i + 16 <= dim; i += 16)
		s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
	if (i < dim) {
		__mmask16 m = (__mmask16)((1u << (dim - i)) - 1);
		s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s1);
	}
	return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

TARGET_AVX512 static float l2_avx512(const float *a, const float *b, size_t dim)
{
	__m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
	__m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
	size_t i = 0;
	for (; i + 64 <= dim; i += 64) {
		__m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
		__m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
		__m512 d2 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32));
		__m512 d3 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48));
		s0 = _mm512_fmadd_ps(d0, d0, s0);
		s1 = _mm512_fmadd_ps(d1, d1, s1);
		s2 = _mm512_fmadd_ps(d2, d2, s2);
		s3 = _mm512_fmadd_ps(d3, d3, s3);
	}
	for (; i + 16 <= dim; i += 16) {
		__m512 d = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
		s0 = _mm512_fmadd_ps(d, d, s0);
	}
	if (i < dim) {
		__mmask16 m = (__mmask16)((1u << (dim - i)) - 1);
		__m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i));
		s1 = _mm512_fmadd_ps(d, d, s1);
	}
	return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

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
	if (vdist_isa_supported(VDIST_AVX512))
		return VDIST_AVX512;
	if (vdist_isa_supported(VDIST_AVX2))
		return VDIST_AVX2;
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

vdist_fn vdist_kernel(enum vmetric metric) { return vdist_kernel_isa(metric, vdist_best_isa()); }

float vdist_dot(const float *a, const float *b, size_t dim) { return vdist_kernel(VMETRIC_DOT)(a, b, dim); }

float vdist_l2sq(const float *a, const float *b, size_t dim) { return vdist_kernel(VMETRIC_L2)(a, b, dim); }
