/* gpt2cuda.cu - GPT-2 on one CUDA GPU (see gpt2cuda.h).
 *
 * Shapes as in gpt2.c: N = B*T positions, C channels, NH heads of
 * hs = C/NH, Vp the padded vocabulary; activations are row-major [N, C]
 * unless said otherwise.  X is the activation and working-weight type
 * (float, bf16 or fp16); every kernel computes in float and rounds once
 * when it stores.  The fp32 master parameters, the gradients and the
 * AdamW moments are always float.
 *
 * Matmuls: cuBLAS (strided batched GemmEx, fp32 compute; pedantic math in
 * fp32 mode so no TF32 creeps in and results stay comparable with the
 * CPU), and cuBLASLt for the forward linear layers with the bias (and,
 * below fp32, the GELU) fused into the epilogue.  Attention is the
 * matmul form: scores by batched GEMM into a [B, NH, T, T] buffer, a
 * fused causal scale+softmax kernel, then a batched GEMM with the values;
 * the softmax weights are kept for the backward pass.
 *
 * Reductions over positions (bias and LayerNorm parameter gradients, the
 * embeddings' gradients, the loss, the gradient norm) run in a fixed
 * order, without atomics, so a step's results do not change run to run. */
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "model/gpt2cuda.h"
extern "C" {
#include "base/die.h"
}

#define LN_EPS 1e-5f
#define GELU_K 0.7978845608028654f
#define INIT_LOSS_SCALE 65536.0f
#define SCALE_GROWTH_STEPS 2000
#define NORM_BLOCKS 512
#define COLSUM_ROWS 256 /* rows of one partial column sum */
#define LT_WORKSPACE (32u << 20)

/* ---- error checks: one line and exit ---- */

static void cuda_check(cudaError_t e, const char *call, int line)
{
	if (e != cudaSuccess)
		die(STATUS_FAIL, "CUDA error: %s (%s, gpt2cuda.cu:%d)", cudaGetErrorString(e), call, line);
}
static void cublas_check(cublasStatus_t s, const char *call, int line)
{
	if (s != CUBLAS_STATUS_SUCCESS)
		die(STATUS_FAIL, "cuBLAS error: %s (%s, gpt2cuda.cu:%d)", cublasGetStatusString(s), call, line);
}
#define CU(x) cuda_check((x), #x, __LINE__)
#define CB(x) cublas_check((x), #x, __LINE__)
#define LAUNCHED() cuda_check(cudaGetLastError(), "kernel launch", __LINE__)

/* ---- element types ---- */

__device__ __forceinline__ float tof(float x) { return x; }
__device__ __forceinline__ float tof(__nv_bfloat16 x) { return __bfloat162float(x); }
__device__ __forceinline__ float tof(__half x) { return __half2float(x); }
template <typename X> __device__ __forceinline__ X fromf(float x);
template <> __device__ __forceinline__ float fromf<float>(float x) { return x; }
template <> __device__ __forceinline__ __nv_bfloat16 fromf<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }
template <> __device__ __forceinline__ __half fromf<__half>(float x) { return __float2half_rn(x); }

template <typename X> static cudaDataType_t dtype_of();
template <> cudaDataType_t dtype_of<float>() { return CUDA_R_32F; }
template <> cudaDataType_t dtype_of<__nv_bfloat16>() { return CUDA_R_16BF; }
template <> cudaDataType_t dtype_of<__half>() { return CUDA_R_16F; }

static float host_tof(float x) { return x; }
static float host_tof(__nv_bfloat16 x)
{
	uint16_t b;
	memcpy(&b, &x, 2);
	uint32_t u = (uint32_t)b << 16;
	float f;
	memcpy(&f, &u, 4);
	return f;
}
static float host_tof(__half x) { return __half2float(x); }

__device__ __forceinline__ float warp_sum(float v)
{
	for (int o = 16; o > 0; o >>= 1)
		v += __shfl_xor_sync(0xffffffffu, v, o);
	return v;
}

/* Online softmax pairs (max, sum of exp(x - max)); an empty side has max -inf. */
__device__ __forceinline__ void softmax_combine(float &m, float &s, float m2, float s2)
{
	float M = fmaxf(m, m2);
	float a = m == -INFINITY ? 0.0f : s * expf(m - M);
	float b = m2 == -INFINITY ? 0.0f : s2 * expf(m2 - M);
	m = M;
	s = a + b;
}

__device__ __forceinline__ void warp_softmax_pair(float &m, float &s)
{
	for (int o = 16; o > 0; o >>= 1) {
		float m2 = __shfl_xor_sync(0xffffffffu, m, o), s2 = __shfl_xor_sync(0xffffffffu, s, o);
		softmax_combine(m, s, m2, s2);
	}
}

/* The device side of the optimizer and the loss scaler: written only by
 * step_prep and the scaler's setters, read by the other kernels. */
struct dev_state {
	float loss_scale;  /* what the loss's gradient is multiplied by (1 unless fp16) */
	int clean;         /* fp16 steps since the last overflow or growth */
	unsigned long long skipped;
	int skip;          /* the current step overflowed: no update */
	float grad_scale;  /* what AdamW multiplies each gradient by */
	double norm;       /* the current step's gradient norm (of grads/micro) */
	float loss;        /* the current step's mean micro-batch loss */
};

/* ---- kernels ---- */

template <typename X>
__global__ void encoder_fwd(X *out, const uint32_t *tok, const X *wte, const X *wpe, int N, int T, int C)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= (size_t)N * C)
		return;
	size_t n = i / C, c = i % C;
	out[i] = fromf<X>(tof(wte[(size_t)tok[n] * C + c]) + tof(wpe[(n % T) * C + c]));
}

/* dwpe[t] += sum over b of dout[b, t]: one thread per (t, c), b in order. */
template <typename X>
__global__ void encoder_bwd_wpe(float *dwpe, const X *dout, int B, int T, int C)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= (size_t)T * C)
		return;
	size_t t = i / C, c = i % C;
	float s = 0.0f;
	for (int b = 0; b < B; b++)
		s += tof(dout[((size_t)b * T + t) * C + c]);
	dwpe[i] += s;
}

/* dwte[tok] += the rows of dout at the positions holding tok: the host
 * sorted the positions by token (order, grouped by starts), so each
 * (token, channel) is one thread summing in position order. */
template <typename X>
__global__ void encoder_bwd_wte(float *dwte, const X *dout, const uint32_t *uniq, const int *starts, const int *order,
                                int C)
{
	int u = blockIdx.x;
	int c = blockIdx.y * blockDim.x + threadIdx.x;
	if (c >= C)
		return;
	float s = 0.0f;
	for (int j = starts[u]; j < starts[u + 1]; j++)
		s += tof(dout[(size_t)order[j] * C + c]);
	dwte[(size_t)uniq[u] * C + c] += s;
}

/* One warp per row.  With a and b: resid = a + b is stored (rounded) and
 * normalised; with b NULL, a itself is.  out = (x - mean) rstd w + bias. */
template <typename X>
__global__ void residual_layernorm_fwd(X *resid, X *out, float *mean, float *rstd, const X *a, const X *b, const X *w,
                                       const X *bias, int N, int C)
{
	int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x % 32;
	if (row >= N)
		return;
	const X *x = a + (size_t)row * C;
	if (b) {
		const X *y = b + (size_t)row * C;
		X *r = resid + (size_t)row * C;
		for (int c = lane; c < C; c += 32)
			r[c] = fromf<X>(tof(x[c]) + tof(y[c]));
		__syncwarp();
		x = r;
	}
	float s = 0.0f;
	for (int c = lane; c < C; c += 32)
		s += tof(x[c]);
	float mu = warp_sum(s) / (float)C;
	float v = 0.0f;
	for (int c = lane; c < C; c += 32) {
		float d = tof(x[c]) - mu;
		v += d * d;
	}
	float var = warp_sum(v) / (float)C;
	float rs = 1.0f / sqrtf(var + LN_EPS);
	X *o = out + (size_t)row * C;
	for (int c = lane; c < C; c += 32)
		o[c] = fromf<X>((tof(x[c]) - mu) * rs * tof(w[c]) + tof(bias[c]));
	if (lane == 0) {
		mean[row] = mu;
		rstd[row] = rs;
	}
}

/* The LayerNorm's input gradient, added to dres (the residual stream's
 * gradient passes through unchanged): with xhat the normalised input and
 * g = dout w, dx = rstd (g - mean(g) - xhat mean(g xhat)).  Warp per row. */
template <typename X>
__global__ void layernorm_bwd_inp(X *dres, const X *dout, const X *inp, const float *mean, const float *rstd,
                                  const X *w, int N, int C)
{
	int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x % 32;
	if (row >= N)
		return;
	const X *x = inp + (size_t)row * C, *d = dout + (size_t)row * C;
	float mu = mean[row], rs = rstd[row];
	float gm = 0.0f, gxm = 0.0f;
	for (int c = lane; c < C; c += 32) {
		float g = tof(d[c]) * tof(w[c]);
		gm += g;
		gxm += g * (tof(x[c]) - mu) * rs;
	}
	gm = warp_sum(gm) / (float)C;
	gxm = warp_sum(gxm) / (float)C;
	X *dx = dres + (size_t)row * C;
	for (int c = lane; c < C; c += 32) {
		float xhat = (tof(x[c]) - mu) * rs;
		dx[c] = fromf<X>(tof(dx[c]) + rs * (tof(d[c]) * tof(w[c]) - gm - xhat * gxm));
	}
}

/* Column sums of dout [N, C] over chunks of COLSUM_ROWS rows: part[k][0][c]
 * = sum of dout, and with inp (LayerNorm) part[k][1][c] = sum of dout xhat.
 * Block (32, 8): 32 adjacent columns, 8 row lanes combined in order. */
template <typename X>
__global__ void colsum_partial(float *part, const X *dout, const X *inp, const float *mean, const float *rstd, int N,
                               int C)
{
	__shared__ float s1[8][32], s2[8][32];
	int c = blockIdx.x * 32 + threadIdx.x, k = blockIdx.y;
	int r0 = k * COLSUM_ROWS, r1 = min(N, r0 + COLSUM_ROWS);
	float a = 0.0f, b = 0.0f;
	if (c < C)
		for (int r = r0 + threadIdx.y; r < r1; r += 8) {
			float d = tof(dout[(size_t)r * C + c]);
			a += d;
			if (inp)
				b += d * (tof(inp[(size_t)r * C + c]) - mean[r]) * rstd[r];
		}
	s1[threadIdx.y][threadIdx.x] = a;
	s2[threadIdx.y][threadIdx.x] = b;
	__syncthreads();
	if (threadIdx.y == 0 && c < C) {
		for (int y = 1; y < 8; y++) {
			a += s1[y][threadIdx.x];
			b += s2[y][threadIdx.x];
		}
		part[((size_t)k * 2) * C + c] = a;
		if (inp)
			part[((size_t)k * 2 + 1) * C + c] = b;
	}
}

/* db[c] += sum of the chunks' sums, dw[c] likewise (dw may be NULL). */
__global__ void colsum_finish(float *db, float *dw, const float *part, int chunks, int C)
{
	int c = blockIdx.x * blockDim.x + threadIdx.x;
	if (c >= C)
		return;
	float a = 0.0f, b = 0.0f;
	for (int k = 0; k < chunks; k++) {
		a += part[((size_t)k * 2) * C + c];
		if (dw)
			b += part[((size_t)k * 2 + 1) * C + c];
	}
	db[c] += a;
	if (dw)
		dw[c] += b;
}

template <typename X> __global__ void bias_add(X *out, const X *bias, size_t N, int OC)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i < N * OC)
		out[i] = fromf<X>(tof(out[i]) + tof(bias[i % OC]));
}

__device__ __forceinline__ float gelu(float x)
{
	return 0.5f * x * (1.0f + tanhf(GELU_K * (x + 0.044715f * x * x * x)));
}

template <typename X> __global__ void gelu_fwd(X *out, const X *in, size_t n)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i < n)
		out[i] = fromf<X>(gelu(tof(in[i])));
}

/* d = dout gelu'(x), in place over dout. */
template <typename X> __global__ void gelu_bwd(X *d, const X *in, size_t n)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= n)
		return;
	float x = tof(in[i]);
	float th = tanhf(GELU_K * (x + 0.044715f * x * x * x));
	float sech2 = 1.0f - th * th;
	float g = 0.5f * (1.0f + th) + 0.5f * x * sech2 * GELU_K * (1.0f + 3.0f * 0.044715f * x * x);
	d[i] = fromf<X>(g * tof(d[i]));
}

/* qkv [B, T, 3, NH, hs] to q, k, v each [B, NH, T, hs] (dir 0), or back,
 * dq, dk, dv to dqkv (dir 1). */
template <typename X>
__global__ void permute_qkv(X *q, X *k, X *v, X *qkv, int B, int T, int NH, int hs, int dir)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	size_t C = (size_t)NH * hs;
	if (i >= (size_t)B * T * C)
		return;
	size_t d = i % hs, t = (i / hs) % T, h = (i / hs / T) % NH, b = i / hs / T / NH;
	size_t src = (b * T + t) * 3 * C + h * hs + d;
	if (dir == 0) {
		q[i] = qkv[src];
		k[i] = qkv[src + C];
		v[i] = qkv[src + 2 * C];
	} else {
		qkv[src] = q[i];
		qkv[src + C] = k[i];
		qkv[src + 2 * C] = v[i];
	}
}

/* y [B, NH, T, hs] to out [B, T, NH, hs] (dir 0), or back (dir 1). */
template <typename X> __global__ void permute_heads(X *out, X *y, int B, int T, int NH, int hs, int dir)
{
	size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
	if (i >= (size_t)B * T * NH * hs)
		return;
	size_t d = i % hs, t = (i / hs) % T, h = (i / hs / T) % NH, b = i / hs / T / NH;
	size_t o = ((b * T + t) * NH + h) * hs + d;
	if (dir == 0)
		out[o] = y[i];
	else
		y[i] = out[o];
}

/* att[r][t2] = softmax over t2 <= t of pre[r][t2] scale, 0 above the
 * diagonal; rows r over [B, NH, T], t = r % T.  One warp per row. */
template <typename X> __global__ void softmax_causal_fwd(X *att, const X *pre, int rows, int T, float scale)
{
	int r = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x % 32;
	if (r >= rows)
		return;
	int t = r % T;
	const X *p = pre + (size_t)r * T;
	float m = -INFINITY, s = 0.0f;
	for (int j = lane; j <= t; j += 32) {
		float x = tof(p[j]) * scale;
		if (x > m) {
			s = (m == -INFINITY ? 0.0f : s * expf(m - x)) + 1.0f;
			m = x;
		} else {
			s += expf(x - m);
		}
	}
	warp_softmax_pair(m, s);
	float inv = 1.0f / s;
	X *a = att + (size_t)r * T;
	for (int j = lane; j < T; j += 32)
		a[j] = fromf<X>(j <= t ? expf(tof(p[j]) * scale - m) * inv : 0.0f);
}

/* In place over datt: dpre = att (datt - sum of att datt) scale on and
 * below the diagonal, 0 above it. */
template <typename X> __global__ void softmax_causal_bwd(X *datt, const X *att, int rows, int T, float scale)
{
	int r = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x % 32;
	if (r >= rows)
		return;
	int t = r % T;
	X *d = datt + (size_t)r * T;
	const X *a = att + (size_t)r * T;
	float s = 0.0f;
	for (int j = lane; j <= t; j += 32)
		s += tof(a[j]) * tof(d[j]);
	s = warp_sum(s);
	for (int j = lane; j < T; j += 32)
		d[j] = fromf<X>(j <= t ? tof(a[j]) * (tof(d[j]) - s) * scale : 0.0f);
}

__global__ void count_targets(int *count, const uint32_t *targets, int N)
{
	__shared__ int part[32];
	int c = 0;
	for (int i = threadIdx.x; i < N; i += blockDim.x)
		c += targets[i] != GPT2_IGNORE;
	for (int o = 16; o > 0; o >>= 1)
		c += __shfl_xor_sync(0xffffffffu, c, o);
	if (threadIdx.x % 32 == 0)
		part[threadIdx.x / 32] = c;
	__syncthreads();
	if (threadIdx.x == 0) {
		int t = 0;
		for (int w = 0; w < (int)(blockDim.x / 32); w++)
			t += part[w];
		*count = t;
	}
}

/* Softmax cross-entropy, one block per position, the probabilities never
 * stored: an online (max, sum) pass over the first V logits, the loss
 * log(sum) - (logit[target] - max), then (grad) the logits overwritten by
 * their gradient (softmax - onehot) / count times the loss scale, 0 in
 * the padding columns and in ignored rows. */
template <typename X>
__global__ void crossentropy_fused(X *logits, float *losses, const uint32_t *targets, const int *count,
                                   const dev_state *st, int V, int Vp, int grad)
{
	__shared__ float wm[32], ws[32];
	__shared__ float zt_shared;
	size_t row = blockIdx.x;
	X *x = logits + row * Vp;
	uint32_t tg = targets[row];
	float m = -INFINITY, s = 0.0f;
	for (int i = threadIdx.x; i < V; i += blockDim.x) {
		float v = tof(x[i]);
		if (v > m) {
			s = (m == -INFINITY ? 0.0f : s * expf(m - v)) + 1.0f;
			m = v;
		} else {
			s += expf(v - m);
		}
	}
	warp_softmax_pair(m, s);
	int warp = threadIdx.x / 32, nw = blockDim.x / 32;
	if (threadIdx.x % 32 == 0) {
		wm[warp] = m;
		ws[warp] = s;
	}
	if (threadIdx.x == 0)
		zt_shared = tg == GPT2_IGNORE ? 0.0f : tof(x[tg]);
	__syncthreads();
	m = wm[0], s = ws[0];
	for (int w = 1; w < nw; w++)
		softmax_combine(m, s, wm[w], ws[w]);
	if (threadIdx.x == 0)
		losses[row] = tg == GPT2_IGNORE ? 0.0f : logf(s) - (zt_shared - m);
	if (!grad)
		return;
	/* every thread has read what it needs of x (zt too, before the barrier) */
	float dloss = *count > 0 ? 1.0f / (float)*count : 0.0f;
	float ls = st->loss_scale, inv = 1.0f / s;
	for (int i = threadIdx.x; i < Vp; i += blockDim.x) {
		float d = 0.0f;
		if (tg != GPT2_IGNORE && i < V)
			d = (expf(tof(x[i]) - m) * inv - (i == (int)tg ? 1.0f : 0.0f)) * dloss * ls;
		x[i] = fromf<X>(d);
	}
}

/* The mean over counted positions, summed in double in a fixed order;
 * into *last, and added to *accum (the step's loss) when given. */
__global__ void loss_reduce(float *last, float *accum, const float *losses, const int *count, int N)
{
	__shared__ double part[1024];
	double s = 0.0;
	for (int i = threadIdx.x; i < N; i += blockDim.x)
		s += losses[i];
	part[threadIdx.x] = s;
	__syncthreads();
	for (int h = blockDim.x / 2; h > 0; h >>= 1) {
		if ((int)threadIdx.x < h)
			part[threadIdx.x] += part[threadIdx.x + h];
		__syncthreads();
	}
	if (threadIdx.x == 0) {
		float mean = *count > 0 ? (float)(part[0] / (double)*count) : 0.0f;
		*last = mean;
		if (accum)
			*accum += mean;
	}
}

/* Sums of squares of g over a fixed grid (grid-stride), per block. */
__global__ void norm_partial(double *part, const float *g, size_t n)
{
	__shared__ double sh[512];
	double s = 0.0;
	for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
		s += (double)g[i] * (double)g[i];
	sh[threadIdx.x] = s;
	__syncthreads();
	for (int h = blockDim.x / 2; h > 0; h >>= 1) {
		if ((int)threadIdx.x < h)
			sh[threadIdx.x] += sh[threadIdx.x + h];
		__syncthreads();
	}
	if (threadIdx.x == 0)
		part[blockIdx.x] = sh[0];
}

/* The step's scalars, on the device so that the host need not wait:
 * norm of grads/micro without the loss scale, clip factor, overflow. */
__global__ void step_prep(dev_state *st, const double *part, int nparts, const float *loss_slot, int micro,
                          float clip, int fp16)
{
	double ss = 0.0;
	for (int i = 0; i < nparts; i++)
		ss += part[i];
	double unscale = 1.0 / ((double)micro * (double)st->loss_scale);
	double norm = sqrt(ss) * unscale;
	st->norm = norm;
	st->loss = (float)((double)*loss_slot / (double)micro);
	if (fp16 && !isfinite(norm)) {
		st->skip = 1;
		st->skipped++;
		st->clean = 0;
		if (st->loss_scale > 1.0f / 65536.0f)
			st->loss_scale *= 0.5f;
		st->grad_scale = 0.0f;
		return;
	}
	st->skip = 0;
	double clipf = clip > 0.0f && norm > clip ? (double)clip / norm : 1.0;
	st->grad_scale = (float)(unscale * clipf);
	if (fp16 && ++st->clean >= SCALE_GROWTH_STEPS) {
		st->clean = 0;
		if (st->loss_scale < 1.0e30f)
			st->loss_scale *= 2.0f;
	}
}

struct spans {
	unsigned long long end[GPT2_NTENSORS];
	int decay[GPT2_NTENSORS];
};

/* AdamW over the flat array in PyTorch's order (adamw.c's arithmetic),
 * refreshing the working copy wp (NULL in fp32 mode) from the new master. */
template <typename X>
__global__ void adamw_fused(float *p, X *wp, const float *g, float *m, float *v, size_t n, spans sp, float lr,
                            float b1, float b2, float eps, float wd, float stepsize, float rbc2, const dev_state *st)
{
	if (st->skip)
		return;
	float gs = st->grad_scale, c1 = 1.0f - b1, c2 = 1.0f - b2;
	for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
		int t = 0;
		while (t < GPT2_NTENSORS - 1 && i >= sp.end[t])
			t++;
		float decay = 1.0f - lr * (sp.decay[t] ? wd : 0.0f);
		float gi = g[i] * gs;
		float mo = b1 * m[i] + c1 * gi;
		float ve = b2 * v[i] + c2 * gi * gi;
		m[i] = mo;
		v[i] = ve;
		float pn = p[i] * decay - stepsize * mo / (sqrtf(ve) * rbc2 + eps);
		p[i] = pn;
		if (wp)
			wp[i] = fromf<X>(pn);
	}
}

template <typename X> __global__ void to_working(X *wp, const float *p, size_t n)
{
	for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
		wp[i] = fromf<X>(p[i]);
}

/* ---- the model ---- */

static unsigned blocks_for(size_t n, unsigned per)
{
	size_t b = (n + per - 1) / per;
	if (b > 0x7fffffffu)
		die(STATUS_FAIL, "gpt2cuda: a kernel of %zu threads is too large", n);
	return (unsigned)(b ? b : 1);
}

struct impl {
	virtual ~impl() {}
	virtual void upload(const float *p, const float *mom, const float *vel) = 0;
	virtual void download(float *p, float *mom, float *vel) = 0;
	virtual float forward(const uint32_t *in, const uint32_t *tg, int B, int T, int train, int want) = 0;
	virtual void logits(int b, int t0, int t1, float *out) = 0;
	virtual void zero_grad() = 0;
	virtual void backward() = 0;
	virtual void step(const struct gpt2cuda_step_args *s) = 0;
	virtual void stats(struct gpt2cuda_step_stats *out) = 0;
	virtual void set_scaler(uint64_t skipped, float scale) = 0;
	float *grads = nullptr;
	size_t n = 0;
	cudaStream_t stream = nullptr;
};

/* The host's staging of one micro-batch, pinned so the copies are async;
 * two of them alternate so the host fills one while the other's copy
 * may still be queued. */
struct staging {
	uint32_t *inputs, *targets, *uniq;
	int *starts, *order;
	cudaEvent_t copied;
};

template <typename X> struct model final : impl {
	struct gpt2_config cfg;
	size_t off[GPT2_NTENSORS + 1];
	enum gpt2cuda_precision prec;
	float *params = nullptr, *mom = nullptr, *vel = nullptr;
	X *wparams = nullptr; /* == (X *)params in fp32 mode */
	dev_state *st = nullptr;
	double *norm_part = nullptr;
	float *loss_last = nullptr; /* device scalars */
	int *count = nullptr;
	cublasHandle_t blas = nullptr;
	cublasLtHandle_t lt = nullptr;
	void *lt_ws = nullptr;
	/* activations for resB x resT */
	int resB = 0, resT = 0, B = 0, T = 0, have_targets = 0, have_logits = 0, nuniq = 0;
	X *xmem = nullptr;
	float *fmem = nullptr;
	uint32_t *d_inputs = nullptr, *d_targets = nullptr, *d_uniq = nullptr;
	int *d_starts = nullptr, *d_order = nullptr;
	staging stage[2] = {};
	int cur = 0;
	int *tok_count = nullptr; /* host, vocab + 1 */
	X *host_logits = nullptr;
	size_t host_logits_n = 0;

	/* the layout of xmem and fmem for the current B, T */
	struct {
		X *encoded, *ln1, *qkvr, *att, *atty, *resid2, *ln2, *fch, *fch_gelu, *resid3, *lnf, *logits;
		X *qkv, *preatt, *sc1, *sc2, *dres, *dln, *dfch, *datty, *dqkvr;
		float *ln1_mean, *ln1_rstd, *ln2_mean, *ln2_rstd, *lnf_mean, *lnf_rstd, *losses, *part;
	} a;

	X *wt(int t) { return wparams + off[t]; }
	X *wl(int t, int l) { return wparams + off[t] + (size_t)l * ((off[t + 1] - off[t]) / cfg.layers); }
	float *gt(int t) { return grads + off[t]; }
	float *gl(int t, int l) { return grads + off[t] + (size_t)l * ((off[t + 1] - off[t]) / cfg.layers); }

	static void sizes(const struct gpt2_config *c, size_t B, size_t T, size_t *xs, size_t *fs)
	{
		size_t L = c->layers, C = c->channels, NH = c->heads, N = B * T, Vp = c->padded_vocab;
		size_t att = B * NH * T * T;
		xs[0] = N * C;            /* encoded */
		xs[1] = L * N * C;        /* ln1 */
		xs[2] = 3 * L * N * C;    /* qkvr */
		xs[3] = L * att;          /* att */
		xs[4] = L * N * C;        /* atty */
		xs[5] = L * N * C;        /* resid2 */
		xs[6] = L * N * C;        /* ln2 */
		xs[7] = 4 * L * N * C;    /* fch */
		xs[8] = 4 * L * N * C;    /* fch_gelu */
		xs[9] = L * N * C;        /* resid3 */
		xs[10] = N * C;           /* lnf */
		xs[11] = N * Vp;          /* logits */
		xs[12] = 3 * N * C;       /* qkv */
		xs[13] = att;             /* preatt */
		xs[14] = N * C;           /* sc1 */
		xs[15] = N * C;           /* sc2 */
		xs[16] = N * C;           /* dres */
		xs[17] = N * C;           /* dln */
		xs[18] = 4 * N * C;       /* dfch */
		xs[19] = N * C;           /* datty */
		xs[20] = 3 * N * C;       /* dqkvr */
		size_t chunks = (N + COLSUM_ROWS - 1) / COLSUM_ROWS;
		fs[0] = fs[1] = fs[2] = fs[3] = L * N; /* ln1, ln2 mean and rstd */
		fs[4] = fs[5] = N;                     /* lnf */
		fs[6] = N;                             /* losses */
		fs[7] = chunks * 2 * 4 * C;            /* colsum partials */
	}

	void layout()
	{
		size_t xs[21], fs[8];
		sizes(&cfg, (size_t)B, (size_t)T, xs, fs);
		X **xp[21] = {&a.encoded, &a.ln1, &a.qkvr, &a.att, &a.atty, &a.resid2, &a.ln2, &a.fch, &a.fch_gelu,
		              &a.resid3, &a.lnf, &a.logits, &a.qkv, &a.preatt, &a.sc1, &a.sc2, &a.dres, &a.dln,
		              &a.dfch, &a.datty, &a.dqkvr};
		float **fp[8] = {&a.ln1_mean, &a.ln1_rstd, &a.ln2_mean, &a.ln2_rstd, &a.lnf_mean, &a.lnf_rstd,
		                 &a.losses, &a.part};
		/* each array starts 16-byte aligned, as cuBLASLt likes */
		size_t at = 0;
		for (int i = 0; i < 21; i++) {
			*xp[i] = xmem + at;
			at += (xs[i] + 7) / 8 * 8;
		}
		at = 0;
		for (int i = 0; i < 8; i++) {
			*fp[i] = fmem + at;
			at += (fs[i] + 3) / 4 * 4;
		}
	}

	static void totals(const struct gpt2_config *c, int B, int T, size_t *xt, size_t *ft)
	{
		size_t xs[21], fs[8];
		sizes(c, (size_t)B, (size_t)T, xs, fs);
		*xt = *ft = 0;
		for (int i = 0; i < 21; i++)
			*xt += (xs[i] + 7) / 8 * 8;
		for (int i = 0; i < 8; i++)
			*ft += (fs[i] + 3) / 4 * 4;
	}

	void reserve(int nB, int nT)
	{
		if (nB < 1 || nT < 1 || nT > cfg.max_seq || (size_t)nB * nT > 0x7fffffffu)
			die(STATUS_FAIL, "gpt2cuda: bad batch shape %d x %d (max sequence %d)", nB, nT, cfg.max_seq);
		if (nB <= resB && nT <= resT)
			return;
		nB = nB > resB ? nB : resB;
		nT = nT > resT ? nT : resT;
		CU(cudaStreamSynchronize(stream));
		cudaFree(xmem);
		cudaFree(fmem);
		cudaFree(d_inputs);
		cudaFree(d_targets);
		cudaFree(d_uniq);
		cudaFree(d_starts);
		cudaFree(d_order);
		xmem = nullptr, fmem = nullptr;
		for (int k = 0; k < 2; k++) {
			cudaFreeHost(stage[k].inputs);
			cudaFreeHost(stage[k].targets);
			cudaFreeHost(stage[k].uniq);
			cudaFreeHost(stage[k].starts);
			cudaFreeHost(stage[k].order);
		}
		size_t xt, ft, N = (size_t)nB * nT;
		totals(&cfg, nB, nT, &xt, &ft);
		cudaError_t e = cudaMalloc(&xmem, xt * sizeof(X));
		if (e == cudaSuccess)
			e = cudaMalloc(&fmem, ft * sizeof(float));
		if (e != cudaSuccess)
			die(STATUS_FAIL, "CUDA error: %s: the activations of batches of %d x %d need %.1f GiB of GPU memory "
			    "(try a smaller -B with --total-batch)",
			    cudaGetErrorString(e), nB, nT, (double)(xt * sizeof(X) + ft * sizeof(float)) / (1 << 30));
		CU(cudaMalloc(&d_inputs, N * 4));
		CU(cudaMalloc(&d_targets, N * 4));
		CU(cudaMalloc(&d_uniq, N * 4));
		CU(cudaMalloc(&d_starts, (N + 1) * 4));
		CU(cudaMalloc(&d_order, N * 4));
		for (int k = 0; k < 2; k++) {
			CU(cudaHostAlloc((void **)&stage[k].inputs, N * 4, cudaHostAllocDefault));
			CU(cudaHostAlloc((void **)&stage[k].targets, N * 4, cudaHostAllocDefault));
			CU(cudaHostAlloc((void **)&stage[k].uniq, N * 4, cudaHostAllocDefault));
			CU(cudaHostAlloc((void **)&stage[k].starts, (N + 1) * 4, cudaHostAllocDefault));
			CU(cudaHostAlloc((void **)&stage[k].order, N * 4, cudaHostAllocDefault));
		}
		resB = nB, resT = nT;
		B = T = have_targets = have_logits = 0;
	}

	model(const struct gpt2_config *c, const size_t *offsets, enum gpt2cuda_precision p) : cfg(*c), prec(p)
	{
		for (int t = 0; t <= GPT2_NTENSORS; t++)
			off[t] = offsets[t];
		n = off[GPT2_NTENSORS];
	}

	/* 0, or -1 with a message (out of memory, mostly) */
	int init(char *err, size_t errn)
	{
		cudaError_t e = cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
		if (e == cudaSuccess)
			e = cudaMalloc(&params, n * sizeof(float));
		if (e == cudaSuccess)
			e = cudaMalloc(&grads, (n + 1) * sizeof(float));
		if (e == cudaSuccess)
			e = cudaMalloc(&mom, n * sizeof(float));
		if (e == cudaSuccess)
			e = cudaMalloc(&vel, n * sizeof(float));
		if (e == cudaSuccess && !std::is_same<X, float>::value)
			e = cudaMalloc(&wparams, n * sizeof(X));
		if (e == cudaSuccess)
			e = cudaMalloc(&st, sizeof *st);
		if (e == cudaSuccess)
			e = cudaMalloc(&norm_part, NORM_BLOCKS * sizeof(double));
		if (e == cudaSuccess)
			e = cudaMalloc(&loss_last, sizeof(float));
		if (e == cudaSuccess)
			e = cudaMalloc(&count, sizeof(int));
		if (e == cudaSuccess)
			e = cudaMalloc(&lt_ws, LT_WORKSPACE);
		for (int k = 0; k < 2 && e == cudaSuccess; k++)
			e = cudaEventCreateWithFlags(&stage[k].copied, cudaEventDisableTiming);
		if (e != cudaSuccess)
			return errorf(err, errn, "CUDA error: %s (the model's %zu parameters)", cudaGetErrorString(e), n);
		if (std::is_same<X, float>::value)
			wparams = (X *)params;
		cublasStatus_t s = cublasCreate(&blas);
		if (s == CUBLAS_STATUS_SUCCESS)
			s = cublasLtCreate(&lt);
		if (s != CUBLAS_STATUS_SUCCESS)
			return errorf(err, errn, "cuBLAS error: %s", cublasGetStatusString(s));
		CB(cublasSetStream(blas, stream));
		/* fp32 mode: no TF32 or other reduced-precision shortcuts, so the
		 * results stay comparable with the CPU's */
		CB(cublasSetMathMode(blas, prec == GPT2CUDA_FP32 ? CUBLAS_PEDANTIC_MATH : CUBLAS_DEFAULT_MATH));
		tok_count = (int *)xcalloc((size_t)cfg.vocab + 1, sizeof(int));
		/* Everything on the model's stream: it does not wait for the legacy
		 * default stream, so a plain cudaMemcpy or cudaMemset could still be
		 * in flight when its kernels start. */
		dev_state s0 = {};
		s0.loss_scale = prec == GPT2CUDA_FP16 ? INIT_LOSS_SCALE : 1.0f;
		CU(cudaMemcpyAsync(st, &s0, sizeof s0, cudaMemcpyHostToDevice, stream));
		CU(cudaMemsetAsync(params, 0, n * sizeof(float), stream));
		CU(cudaMemsetAsync(mom, 0, n * sizeof(float), stream));
		CU(cudaMemsetAsync(vel, 0, n * sizeof(float), stream));
		CU(cudaMemsetAsync(grads, 0, (n + 1) * sizeof(float), stream));
		refresh_working();
		CU(cudaStreamSynchronize(stream));
		return 0;
	}

	~model() override
	{
		if (stream)
			cudaStreamSynchronize(stream);
		if (blas)
			cublasDestroy(blas);
		if (lt)
			cublasLtDestroy(lt);
		if (!std::is_same<X, float>::value)
			cudaFree(wparams);
		void *dev[] = {params, grads, mom, vel, st, norm_part, loss_last, count, lt_ws, xmem, fmem,
		               d_inputs, d_targets, d_uniq, d_starts, d_order};
		for (void *d : dev)
			cudaFree(d);
		for (int k = 0; k < 2; k++) {
			cudaFreeHost(stage[k].inputs);
			cudaFreeHost(stage[k].targets);
			cudaFreeHost(stage[k].uniq);
			cudaFreeHost(stage[k].starts);
			cudaFreeHost(stage[k].order);
			if (stage[k].copied)
				cudaEventDestroy(stage[k].copied);
		}
		if (stream)
			cudaStreamDestroy(stream);
		free(tok_count);
		free(host_logits);
	}

	void refresh_working()
	{
		if (std::is_same<X, float>::value)
			return;
		to_working<X><<<1024, 256, 0, stream>>>(wparams, params, n);
		LAUNCHED();
	}

	void upload(const float *p, const float *m, const float *v) override
	{
		CU(cudaMemcpyAsync(params, p, n * sizeof(float), cudaMemcpyHostToDevice, stream));
		if (m)
			CU(cudaMemcpyAsync(mom, m, n * sizeof(float), cudaMemcpyHostToDevice, stream));
		else
			CU(cudaMemsetAsync(mom, 0, n * sizeof(float), stream));
		if (v)
			CU(cudaMemcpyAsync(vel, v, n * sizeof(float), cudaMemcpyHostToDevice, stream));
		else
			CU(cudaMemsetAsync(vel, 0, n * sizeof(float), stream));
		refresh_working();
		CU(cudaStreamSynchronize(stream));
	}

	void download(float *p, float *m, float *v) override
	{
		if (p)
			CU(cudaMemcpyAsync(p, params, n * sizeof(float), cudaMemcpyDeviceToHost, stream));
		if (m)
			CU(cudaMemcpyAsync(m, mom, n * sizeof(float), cudaMemcpyDeviceToHost, stream));
		if (v)
			CU(cudaMemcpyAsync(v, vel, n * sizeof(float), cudaMemcpyDeviceToHost, stream));
		CU(cudaStreamSynchronize(stream));
	}

	/* Row-major C[M, Nc] = alpha op(A)[M, K] op(B)[K, Nc] + beta C, batched
	 * with strides; A, B of type X, C of type X or (cfloat) float.  cuBLAS
	 * is column-major, where a row-major matrix is its transpose: so it
	 * computes C^T = op(B)^T op(A)^T, B first. */
	void gemm(bool ta, bool tb, int M, int Nc, int K, const X *A, int lda, long long sa, const X *Bm, int ldb,
	          long long sb, void *Cm, bool cfloat, int ldc, long long sc, int batch, float beta)
	{
		float alpha = 1.0f;
		cudaDataType_t xt = dtype_of<X>(), ct = cfloat ? CUDA_R_32F : xt;
		CB(cublasGemmStridedBatchedEx(blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, Nc, M,
		                              K, &alpha, Bm, xt, ldb, sb, A, xt, lda, sa, &beta, Cm, ct, ldc, sc, batch,
		                              CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
	}

	static uint32_t alignment(const void *p)
	{
		uintptr_t u = (uintptr_t)p;
		uint32_t al = 16;
		while (al > 1 && u % al)
			al /= 2;
		return al;
	}

	/* out [N, OC] = inp [N, IC] w^T + bias through cuBLASLt's bias
	 * epilogue; with pre (below fp32) the GELU epilogue too: pre gets
	 * the pre-activation, out the GELU.  false when cuBLASLt offers no
	 * algorithm for these shapes and alignments (the caller falls back). */
	bool lt_linear(X *out, const X *inp, const X *w, const X *bias, int N, int IC, int OC, X *pre)
	{
		if (alignment(bias) < 16 || (pre && (OC % 8 || alignment(pre) < 16)))
			return false;
		cublasLtMatmulDesc_t desc;
		cublasLtMatrixLayout_t la, lb, lc;
		cublasLtMatmulPreference_t pref;
		cudaDataType_t xt = dtype_of<X>();
		CB(cublasLtMatmulDescCreate(&desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
		cublasOperation_t opt = CUBLAS_OP_T, opn = CUBLAS_OP_N;
		CB(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSA, &opt, sizeof opt));
		CB(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSB, &opn, sizeof opn));
		cublasLtEpilogue_t epi = pre ? CUBLASLT_EPILOGUE_GELU_AUX_BIAS : CUBLASLT_EPILOGUE_BIAS;
		CB(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof epi));
		CB(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof bias));
		CB(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &xt, sizeof xt));
		if (pre) {
			int64_t ld = OC;
			CB(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_POINTER, &pre, sizeof pre));
			CB(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_LD, &ld, sizeof ld));
		}
		/* column-major: D [OC, N] = (w stored [IC, OC])^T inp [IC, N] */
		CB(cublasLtMatrixLayoutCreate(&la, xt, IC, OC, IC));
		CB(cublasLtMatrixLayoutCreate(&lb, xt, IC, N, IC));
		CB(cublasLtMatrixLayoutCreate(&lc, xt, OC, N, OC));
		CB(cublasLtMatmulPreferenceCreate(&pref));
		size_t ws = LT_WORKSPACE;
		CB(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws));
		uint32_t al[3] = {alignment(w), alignment(inp), alignment(out)};
		CB(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &al[0], 4));
		CB(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &al[1], 4));
		CB(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &al[2], 4));
		CB(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &al[2], 4));
		cublasLtMatmulHeuristicResult_t res = {};
		int found = 0;
		cublasStatus_t hs = cublasLtMatmulAlgoGetHeuristic(lt, desc, la, lb, lc, lc, pref, 1, &res, &found);
		bool ok = hs == CUBLAS_STATUS_SUCCESS && found > 0;
		if (ok) {
			float alpha = 1.0f, beta = 0.0f;
			CB(cublasLtMatmul(lt, desc, &alpha, w, la, inp, lb, &beta, out, lc, out, lc, &res.algo, lt_ws,
			                  LT_WORKSPACE, stream));
		}
		cublasLtMatmulPreferenceDestroy(pref);
		cublasLtMatrixLayoutDestroy(la);
		cublasLtMatrixLayoutDestroy(lb);
		cublasLtMatrixLayoutDestroy(lc);
		cublasLtMatmulDescDestroy(desc);
		return ok;
	}

	/* A Linear layer: out = inp w^T + bias; with pre, out = gelu(pre) and
	 * pre = inp w^T + bias. */
	void linear(X *out, const X *inp, const X *w, const X *bias, int N, int IC, int OC, X *pre)
	{
		/* fp32 keeps its own GELU kernel, the CPU's formula */
		if (pre && prec != GPT2CUDA_FP32 && lt_linear(out, inp, w, bias, N, IC, OC, pre))
			return;
		X *dst = pre ? pre : out;
		if (!lt_linear(dst, inp, w, bias, N, IC, OC, nullptr)) {
			gemm(false, true, N, OC, IC, inp, IC, 0, w, IC, 0, dst, false, OC, 0, 1, 0.0f);
			bias_add<X><<<blocks_for((size_t)N * OC, 256), 256, 0, stream>>>(dst, bias, (size_t)N, OC);
			LAUNCHED();
		}
		if (pre) {
			size_t total = (size_t)N * OC;
			gelu_fwd<X><<<blocks_for(total, 256), 256, 0, stream>>>(out, pre, total);
			LAUNCHED();
		}
	}

	/* dinp = dout w; dw += dout^T inp; db += column sums of dout. */
	void linear_bwd(X *dinp, float *dw, float *db, const X *dout, const X *inp, const X *w, int N, int IC, int OC)
	{
		gemm(false, false, N, IC, OC, dout, OC, 0, w, IC, 0, dinp, false, IC, 0, 1, 0.0f);
		gemm(true, false, OC, IC, N, dout, OC, 0, inp, IC, 0, dw, true, IC, 0, 1, 1.0f);
		colsum(db, nullptr, dout, nullptr, nullptr, nullptr, N, OC);
	}

	void colsum(float *db, float *dw, const X *dout, const X *inp, const float *mean, const float *rstd, int N, int C)
	{
		int chunks = (N + COLSUM_ROWS - 1) / COLSUM_ROWS;
		if (chunks > 65535)
			die(STATUS_FAIL, "gpt2cuda: %d positions in one batch are too many", N);
		dim3 grid((unsigned)((C + 31) / 32), (unsigned)chunks), block(32, 8);
		colsum_partial<X><<<grid, block, 0, stream>>>(a.part, dout, inp, mean, rstd, N, C);
		LAUNCHED();
		colsum_finish<<<blocks_for((size_t)C, 256), 256, 0, stream>>>(db, dw, a.part, chunks, C);
		LAUNCHED();
	}

	void ln_fwd(X *resid, X *out, float *mean, float *rstd, const X *x, const X *y, const X *w, const X *b, int N)
	{
		residual_layernorm_fwd<X><<<blocks_for((size_t)N * 32, 256), 256, 0, stream>>>(resid, out, mean, rstd, x, y, w,
		                                                                             b, N, cfg.channels);
		LAUNCHED();
	}

	void ln_bwd(X *dres, float *dw, float *db, const X *dout, const X *inp, const float *mean, const float *rstd,
	            const X *w, int N)
	{
		int C = cfg.channels;
		layernorm_bwd_inp<X><<<blocks_for((size_t)N * 32, 256), 256, 0, stream>>>(dres, dout, inp, mean, rstd, w, N,
		                                                                        C);
		LAUNCHED();
		colsum(db, dw, dout, inp, mean, rstd, N, C);
	}

	/* The host's part of a micro-batch: ids into pinned memory, and for
	 * training the positions grouped by token (a counting sort, stable so
	 * each token's positions stay in order) for the embedding gradient. */
	void stage_batch(const uint32_t *in, const uint32_t *tg, int N, bool buckets)
	{
		cur ^= 1;
		staging *s = &stage[cur];
		CU(cudaEventSynchronize(s->copied)); /* its last copy has left */
		memcpy(s->inputs, in, (size_t)N * 4);
		if (tg)
			memcpy(s->targets, tg, (size_t)N * 4);
		nuniq = 0;
		if (buckets) {
			int V = cfg.vocab;
			memset(tok_count, 0, ((size_t)V + 1) * sizeof *tok_count);
			for (int i = 0; i < N; i++)
				tok_count[in[i]]++;
			int at = 0;
			for (int v = 0; v < V; v++) {
				if (!tok_count[v])
					continue;
				s->uniq[nuniq] = (uint32_t)v;
				s->starts[nuniq++] = at;
				int c = tok_count[v];
				tok_count[v] = at; /* now the next free slot of v */
				at += c;
			}
			s->starts[nuniq] = at;
			for (int i = 0; i < N; i++)
				s->order[tok_count[in[i]]++] = i;
		}
		CU(cudaMemcpyAsync(d_inputs, s->inputs, (size_t)N * 4, cudaMemcpyHostToDevice, stream));
		if (tg)
			CU(cudaMemcpyAsync(d_targets, s->targets, (size_t)N * 4, cudaMemcpyHostToDevice, stream));
		if (buckets) {
			CU(cudaMemcpyAsync(d_uniq, s->uniq, (size_t)nuniq * 4, cudaMemcpyHostToDevice, stream));
			CU(cudaMemcpyAsync(d_starts, s->starts, (size_t)(nuniq + 1) * 4, cudaMemcpyHostToDevice, stream));
			CU(cudaMemcpyAsync(d_order, s->order, (size_t)N * 4, cudaMemcpyHostToDevice, stream));
		}
		CU(cudaEventRecord(s->copied, stream));
	}

	float forward(const uint32_t *in, const uint32_t *tg, int nB, int nT, int train, int want) override
	{
		reserve(nB, nT);
		B = nB, T = nT;
		layout();
		int N = B * T, L = cfg.layers, C = cfg.channels, NH = cfg.heads, hs = C / NH, Vp = cfg.padded_vocab;
		bool grad = tg && train;
		stage_batch(in, tg, N, grad);
		have_targets = have_logits = 0;

		encoder_fwd<X><<<blocks_for((size_t)N * C, 256), 256, 0, stream>>>(a.encoded, d_inputs, wt(GPT2_WTE),
		                                                                 wt(GPT2_WPE), N, T, C);
		LAUNCHED();
		size_t NC = (size_t)N * C, att_l = (size_t)B * NH * T * T, TT = (size_t)T * T, Ths = (size_t)T * hs;
		float scale = 1.0f / sqrtf((float)hs);
		int rows = B * NH * T;
		ln_fwd(nullptr, a.ln1, a.ln1_mean, a.ln1_rstd, a.encoded, nullptr, wl(GPT2_LN1W, 0), wl(GPT2_LN1B, 0), N);
		for (int l = 0; l < L; l++) {
			const X *resid = l == 0 ? a.encoded : a.resid3 + (l - 1) * NC;
			X *ln1 = a.ln1 + l * NC, *qkvr = a.qkvr + 3 * l * NC, *att = a.att + l * att_l;
			X *q = qkvr, *k = qkvr + NC, *v = qkvr + 2 * NC;
			linear(a.qkv, ln1, wl(GPT2_QKVW, l), wl(GPT2_QKVB, l), N, C, 3 * C, nullptr);
			permute_qkv<X><<<blocks_for(NC, 256), 256, 0, stream>>>(q, k, v, a.qkv, B, T, NH, hs, 0);
			LAUNCHED();
			/* scores [B*NH][T, T] = q k^T, then the causal softmax */
			gemm(false, true, T, T, hs, q, hs, (long long)Ths, k, hs, (long long)Ths, a.preatt, false, T,
			     (long long)TT, B * NH, 0.0f);
			softmax_causal_fwd<X><<<blocks_for((size_t)rows * 32, 256), 256, 0, stream>>>(att, a.preatt, rows, T,
			                                                                            scale);
			LAUNCHED();
			/* y [B*NH][T, hs] = att v */
			gemm(false, false, T, hs, T, att, T, (long long)TT, v, hs, (long long)Ths, a.sc1, false, hs,
			     (long long)Ths, B * NH, 0.0f);
			permute_heads<X><<<blocks_for(NC, 256), 256, 0, stream>>>(a.atty + l * NC, a.sc1, B, T, NH, hs, 0);
			LAUNCHED();
			linear(a.sc2, a.atty + l * NC, wl(GPT2_ATTPROJW, l), wl(GPT2_ATTPROJB, l), N, C, C, nullptr);
			ln_fwd(a.resid2 + l * NC, a.ln2 + l * NC, a.ln2_mean + (size_t)l * N, a.ln2_rstd + (size_t)l * N, resid,
			       a.sc2, wl(GPT2_LN2W, l), wl(GPT2_LN2B, l), N);
			linear(a.fch_gelu + 4 * l * NC, a.ln2 + l * NC, wl(GPT2_FCW, l), wl(GPT2_FCB, l), N, C, 4 * C,
			       a.fch + 4 * l * NC);
			linear(a.sc2, a.fch_gelu + 4 * l * NC, wl(GPT2_FCPROJW, l), wl(GPT2_FCPROJB, l), N, 4 * C, C, nullptr);
			/* the residual, and the next LayerNorm (the next block's ln1, or lnf) */
			if (l + 1 < L)
				ln_fwd(a.resid3 + l * NC, a.ln1 + (l + 1) * NC, a.ln1_mean + (size_t)(l + 1) * N,
				       a.ln1_rstd + (size_t)(l + 1) * N, a.resid2 + l * NC, a.sc2, wl(GPT2_LN1W, l + 1),
				       wl(GPT2_LN1B, l + 1), N);
			else
				ln_fwd(a.resid3 + l * NC, a.lnf, a.lnf_mean, a.lnf_rstd, a.resid2 + l * NC, a.sc2, wt(GPT2_LNFW),
				       wt(GPT2_LNFB), N);
		}
		/* the tied head: logits [N, Vp] = lnf wte^T (padding columns unused) */
		gemm(false, true, N, Vp, C, a.lnf, C, 0, wt(GPT2_WTE), C, 0, a.logits, false, Vp, 0, 1, 0.0f);
		if (!tg) {
			have_logits = 1;
			return -1.0f;
		}
		count_targets<<<1, 1024, 0, stream>>>(count, d_targets, N);
		LAUNCHED();
		crossentropy_fused<X><<<(unsigned)N, 512, 0, stream>>>(a.logits, a.losses, d_targets, count, st,
		                                                       cfg.vocab, Vp, grad ? 1 : 0);
		LAUNCHED();
		loss_reduce<<<1, 1024, 0, stream>>>(loss_last, train ? grads + n : nullptr, a.losses, count, N);
		LAUNCHED();
		have_targets = grad;
		if (!want)
			return -1.0f;
		float loss;
		CU(cudaMemcpyAsync(&loss, loss_last, sizeof loss, cudaMemcpyDeviceToHost, stream));
		CU(cudaStreamSynchronize(stream));
		return loss;
	}

	void logits(int b, int t0, int t1, float *out) override
	{
		if (!have_logits)
			die(STATUS_FAIL, "gpt2cuda: logits without a forward pass without targets");
		if (b < 0 || b >= B || t0 < 0 || t1 > T || t0 >= t1)
			die(STATUS_FAIL, "gpt2cuda: logits of row %d positions %d-%d of a %d x %d batch", b, t0, t1, B, T);
		size_t Vp = (size_t)cfg.padded_vocab, cnt = (size_t)(t1 - t0) * Vp;
		const X *src = a.logits + ((size_t)b * T + t0) * Vp;
		if (std::is_same<X, float>::value) {
			CU(cudaMemcpyAsync(out, src, cnt * sizeof(float), cudaMemcpyDeviceToHost, stream));
			CU(cudaStreamSynchronize(stream));
			return;
		}
		if (cnt > host_logits_n) {
			host_logits = (X *)xrealloc(host_logits, cnt * sizeof(X));
			host_logits_n = cnt;
		}
		CU(cudaMemcpyAsync(host_logits, src, cnt * sizeof(X), cudaMemcpyDeviceToHost, stream));
		CU(cudaStreamSynchronize(stream));
		for (size_t i = 0; i < cnt; i++)
			out[i] = host_tof(host_logits[i]);
	}

	void zero_grad() override
	{
		CU(cudaMemsetAsync(grads, 0, (n + 1) * sizeof(float), stream));
	}

	void backward() override
	{
		if (!have_targets)
			die(STATUS_FAIL, "gpt2cuda: backward without a training forward pass with targets");
		int N = B * T, L = cfg.layers, C = cfg.channels, NH = cfg.heads, hs = C / NH, Vp = cfg.padded_vocab;
		size_t NC = (size_t)N * C, att_l = (size_t)B * NH * T * T, TT = (size_t)T * T, Ths = (size_t)T * hs;
		float scale = 1.0f / sqrtf((float)hs);
		int rows = B * NH * T;
		X *dres = a.dres, *dlogits = a.logits;
		CU(cudaMemsetAsync(dres, 0, NC * sizeof(X), stream));
		/* the tied head: dlnf = dlogits wte; dwte += dlogits^T lnf */
		gemm(false, false, N, C, Vp, dlogits, Vp, 0, wt(GPT2_WTE), C, 0, a.dln, false, C, 0, 1, 0.0f);
		gemm(true, false, Vp, C, N, dlogits, Vp, 0, a.lnf, C, 0, gt(GPT2_WTE), true, C, 0, 1, 1.0f);
		ln_bwd(dres, gt(GPT2_LNFW), gt(GPT2_LNFB), a.dln, a.resid3 + (L - 1) * NC, a.lnf_mean, a.lnf_rstd,
		       wt(GPT2_LNFW), N);
		for (int l = L - 1; l >= 0; l--) {
			const X *resid = l == 0 ? a.encoded : a.resid3 + (l - 1) * NC;
			X *qkvr = a.qkvr + 3 * l * NC, *att = a.att + l * att_l;
			X *q = qkvr, *k = qkvr + NC, *v = qkvr + 2 * NC;
			X *dq = a.dqkvr, *dk = a.dqkvr + NC, *dv = a.dqkvr + 2 * NC;
			/* dres is the gradient at the block's output; it reaches the
			 * MLP's output and (after ln2's share is added) resid2 */
			linear_bwd(a.dfch, gl(GPT2_FCPROJW, l), gl(GPT2_FCPROJB, l), dres, a.fch_gelu + 4 * l * NC,
			           wl(GPT2_FCPROJW, l), N, 4 * C, C);
			gelu_bwd<X><<<blocks_for(4 * NC, 256), 256, 0, stream>>>(a.dfch, a.fch + 4 * l * NC, 4 * NC);
			LAUNCHED();
			linear_bwd(a.dln, gl(GPT2_FCW, l), gl(GPT2_FCB, l), a.dfch, a.ln2 + l * NC, wl(GPT2_FCW, l), N, C,
			           4 * C);
			ln_bwd(dres, gl(GPT2_LN2W, l), gl(GPT2_LN2B, l), a.dln, a.resid2 + l * NC, a.ln2_mean + (size_t)l * N,
			       a.ln2_rstd + (size_t)l * N, wl(GPT2_LN2W, l), N);
			/* now dres is the gradient at resid2 */
			linear_bwd(a.datty, gl(GPT2_ATTPROJW, l), gl(GPT2_ATTPROJB, l), dres, a.atty + l * NC,
			           wl(GPT2_ATTPROJW, l), N, C, C);
			permute_heads<X><<<blocks_for(NC, 256), 256, 0, stream>>>(a.datty, a.sc1, B, T, NH, hs, 1);
			LAUNCHED();
			/* dy is a.sc1 [B*NH][T, hs]: datt = dy v^T; dv = att^T dy */
			gemm(false, true, T, T, hs, a.sc1, hs, (long long)Ths, v, hs, (long long)Ths, a.preatt, false, T,
			     (long long)TT, B * NH, 0.0f);
			gemm(true, false, T, hs, T, att, T, (long long)TT, a.sc1, hs, (long long)Ths, dv, false, hs,
			     (long long)Ths, B * NH, 0.0f);
			softmax_causal_bwd<X><<<blocks_for((size_t)rows * 32, 256), 256, 0, stream>>>(a.preatt, att, rows, T,
			                                                                            scale);
			LAUNCHED();
			/* dq = dpre k; dk = dpre^T q */
			gemm(false, false, T, hs, T, a.preatt, T, (long long)TT, k, hs, (long long)Ths, dq, false, hs,
			     (long long)Ths, B * NH, 0.0f);
			gemm(true, false, T, hs, T, a.preatt, T, (long long)TT, q, hs, (long long)Ths, dk, false, hs,
			     (long long)Ths, B * NH, 0.0f);
			permute_qkv<X><<<blocks_for(NC, 256), 256, 0, stream>>>(dq, dk, dv, a.qkv, B, T, NH, hs, 1);
			LAUNCHED();
			linear_bwd(a.dln, gl(GPT2_QKVW, l), gl(GPT2_QKVB, l), a.qkv, a.ln1 + l * NC, wl(GPT2_QKVW, l), N, C,
			           3 * C);
			ln_bwd(dres, gl(GPT2_LN1W, l), gl(GPT2_LN1B, l), a.dln, resid, a.ln1_mean + (size_t)l * N,
			       a.ln1_rstd + (size_t)l * N, wl(GPT2_LN1W, l), N);
			/* now dres is the gradient at the block's input */
		}
		encoder_bwd_wpe<X><<<blocks_for((size_t)T * C, 256), 256, 0, stream>>>(gt(GPT2_WPE), dres, B, T, C);
		LAUNCHED();
		if (nuniq > 0) {
			dim3 grid((unsigned)nuniq, (unsigned)((C + 255) / 256));
			encoder_bwd_wte<X><<<grid, 256, 0, stream>>>(gt(GPT2_WTE), dres, d_uniq, d_starts, d_order, C);
			LAUNCHED();
		}
		have_targets = 0;
	}

	void step(const struct gpt2cuda_step_args *s) override
	{
		if (s->micro < 1)
			die(STATUS_FAIL, "gpt2cuda: a step over %d micro-batches", s->micro);
		norm_partial<<<NORM_BLOCKS, 512, 0, stream>>>(norm_part, grads, n);
		LAUNCHED();
		step_prep<<<1, 1, 0, stream>>>(st, norm_part, NORM_BLOCKS, grads + n, s->micro, s->clip,
		                               prec == GPT2CUDA_FP16 ? 1 : 0);
		LAUNCHED();
		spans sp;
		for (int t = 0; t < GPT2_NTENSORS; t++) {
			sp.end[t] = off[t + 1];
			sp.decay[t] = t == GPT2_WTE || t == GPT2_WPE || t == GPT2_QKVW || t == GPT2_ATTPROJW || t == GPT2_FCW ||
			              t == GPT2_FCPROJW;
		}
		uint64_t t = s->t < 1 ? 1 : s->t;
		/* the bias corrections as adamw.c computes them */
		float bc1 = (float)(1.0 - pow((double)s->beta1, (double)t));
		float bc2 = (float)(1.0 - pow((double)s->beta2, (double)t));
		X *wp = std::is_same<X, float>::value ? nullptr : wparams;
		adamw_fused<X><<<blocks_for(n, 256) < 8192 ? blocks_for(n, 256) : 8192, 256, 0, stream>>>(
			params, wp, grads, mom, vel, n, sp, s->lr, s->beta1, s->beta2, s->eps, s->weight_decay, s->lr / bc1,
			1.0f / sqrtf(bc2), st);
		LAUNCHED();
	}

	void stats(struct gpt2cuda_step_stats *out) override
	{
		dev_state h;
		CU(cudaMemcpyAsync(&h, st, sizeof h, cudaMemcpyDeviceToHost, stream));
		CU(cudaStreamSynchronize(stream));
		out->loss = h.loss;
		out->grad_norm = h.norm;
		out->skipped = h.skipped;
		out->loss_scale = h.loss_scale;
		out->last_skipped = h.skip;
	}

	void set_scaler(uint64_t skipped, float scale) override
	{
		dev_state h;
		CU(cudaMemcpyAsync(&h, st, sizeof h, cudaMemcpyDeviceToHost, stream));
		CU(cudaStreamSynchronize(stream));
		h.skipped = skipped;
		if (scale > 0.0f && prec == GPT2CUDA_FP16)
			h.loss_scale = scale;
		CU(cudaMemcpyAsync(st, &h, sizeof h, cudaMemcpyHostToDevice, stream));
		CU(cudaStreamSynchronize(stream));
	}
};

/* ---- the C interface ---- */

struct gpt2cuda {
	impl *m;
};

static int gpt2cuda_device_count(void)
{
	int n = 0;
	if (cudaGetDeviceCount(&n) != cudaSuccess) {
		cudaGetLastError(); /* clear it: no driver or no device is not an error here */
		return 0;
	}
	return n;
}

static int gpt2cuda_device_name(int device, char *out, size_t len)
{
	cudaDeviceProp p;
	if (len)
		out[0] = 0;
	if (device < 0 || device >= gpt2cuda_device_count() || cudaGetDeviceProperties(&p, device) != cudaSuccess) {
		cudaGetLastError();
		return -1;
	}
	snprintf(out, len, "%s", p.name);
	return 0;
}

static int gpt2cuda_bf16_supported(int device)
{
	int major = 0;
	if (device < 0 || device >= gpt2cuda_device_count() ||
	    cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) != cudaSuccess) {
		cudaGetLastError();
		return 0;
	}
	return major >= 8;
}

static struct gpt2cuda *gpt2cuda_new(const struct gpt2_config *cfg, const size_t *offsets, int device,
                                     enum gpt2cuda_precision p, char *err, size_t errn)
{
	int count = gpt2cuda_device_count();
	if (device < 0 || device >= count) {
		errorf(err, errn, "cuda:%d: %s", device,
		       count ? "no such GPU" : "no CUDA GPU is visible (or the driver is not loaded)");
		return NULL;
	}
	if (p == GPT2CUDA_BF16 && !gpt2cuda_bf16_supported(device)) {
		errorf(err, errn, "cuda:%d: bf16 needs compute capability 8.0 or later", device);
		return NULL;
	}
	cudaError_t e = cudaSetDevice(device);
	if (e != cudaSuccess) {
		errorf(err, errn, "cuda:%d: %s", device, cudaGetErrorString(e));
		return NULL;
	}
	impl *m = nullptr;
	int rc = -1;
	switch (p) {
	case GPT2CUDA_FP32: {
		auto *x = new model<float>(cfg, offsets, p);
		m = x, rc = x->init(err, errn);
		break;
	}
	case GPT2CUDA_BF16: {
		auto *x = new model<__nv_bfloat16>(cfg, offsets, p);
		m = x, rc = x->init(err, errn);
		break;
	}
	case GPT2CUDA_FP16: {
		auto *x = new model<__half>(cfg, offsets, p);
		m = x, rc = x->init(err, errn);
		break;
	}
	}
	if (rc != 0) {
		delete m;
		return NULL;
	}
	struct gpt2cuda *g = (struct gpt2cuda *)xcalloc(1, sizeof *g);
	g->m = m;
	return g;
}

static void gpt2cuda_free(struct gpt2cuda *g)
{
	if (!g)
		return;
	delete g->m;
	free(g);
}

static size_t gpt2cuda_nparams(const struct gpt2cuda *g) { return g->m->n; }

static void gpt2cuda_upload(struct gpt2cuda *g, const float *params, const float *mom, const float *vel)
{
	g->m->upload(params, mom, vel);
}

static void gpt2cuda_download(struct gpt2cuda *g, float *params, float *mom, float *vel)
{
	g->m->download(params, mom, vel);
}

static float gpt2cuda_forward(struct gpt2cuda *g, const uint32_t *inputs, const uint32_t *targets, int B, int T,
                              int train, int want_loss)
{
	return g->m->forward(inputs, targets, B, T, train, want_loss);
}

static void gpt2cuda_logits(struct gpt2cuda *g, int b, int t0, int t1, float *out) { g->m->logits(b, t0, t1, out); }

static void gpt2cuda_zero_grad(struct gpt2cuda *g) { g->m->zero_grad(); }

static void gpt2cuda_backward(struct gpt2cuda *g) { g->m->backward(); }

static float *gpt2cuda_grads(struct gpt2cuda *g, size_t *n)
{
	if (n)
		*n = g->m->n + 1;
	return g->m->grads;
}

static void gpt2cuda_download_grads(struct gpt2cuda *g, float *grads)
{
	CU(cudaMemcpyAsync(grads, g->m->grads, g->m->n * sizeof(float), cudaMemcpyDeviceToHost, g->m->stream));
	CU(cudaStreamSynchronize(g->m->stream));
}

static void *gpt2cuda_stream(struct gpt2cuda *g) { return (void *)g->m->stream; }

static void gpt2cuda_step(struct gpt2cuda *g, const struct gpt2cuda_step_args *s) { g->m->step(s); }

static void gpt2cuda_stats(struct gpt2cuda *g, struct gpt2cuda_step_stats *out) { g->m->stats(out); }

static void gpt2cuda_set_scaler(struct gpt2cuda *g, uint64_t skipped, float loss_scale)
{
	g->m->set_scaler(skipped, loss_scale);
}

static const struct gpt2cuda_ops ops = {
	GPT2CUDA_ABI,
	gpt2cuda_device_count,
	gpt2cuda_device_name,
	gpt2cuda_bf16_supported,
	gpt2cuda_new,
	gpt2cuda_free,
	gpt2cuda_nparams,
	gpt2cuda_upload,
	gpt2cuda_download,
	gpt2cuda_forward,
	gpt2cuda_logits,
	gpt2cuda_zero_grad,
	gpt2cuda_backward,
	gpt2cuda_download_grads,
	gpt2cuda_grads,
	gpt2cuda_stream,
	gpt2cuda_step,
	gpt2cuda_stats,
	gpt2cuda_set_scaler,
};

/* The plugin's one visible symbol (it is built with hidden visibility). */
extern "C" __attribute__((visibility("default"))) const struct gpt2cuda_ops *sluice_gpt2cuda_ops(void) { return &ops; }
