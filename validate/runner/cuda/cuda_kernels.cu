// Custom CUDA kernels: format conversion, f16 GEMV and decode attention.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include "validate/runner/cuda/cuda_kernels.hpp"

namespace llmsim::bench::cuda {

namespace {

__global__ void from_f32(const float* in, void* out, Storage to, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    switch (to) {
      case Storage::f32: static_cast<float*>(out)[i] = in[i]; break;
      case Storage::f16: static_cast<__half*>(out)[i] = __float2half_rn(in[i]); break;
      case Storage::bf16: static_cast<__nv_bfloat16*>(out)[i] = __float2bfloat16_rn(in[i]); break;
      case Storage::fp8_e4m3: static_cast<__nv_fp8_e4m3*>(out)[i] = __nv_fp8_e4m3(in[i]); break;
    }
  }
}

__global__ void to_f32(const void* in, Storage from, float* out, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    switch (from) {
      case Storage::f32: out[i] = static_cast<const float*>(in)[i]; break;
      case Storage::f16: out[i] = __half2float(static_cast<const __half*>(in)[i]); break;
      case Storage::bf16: out[i] = __bfloat162float(static_cast<const __nv_bfloat16*>(in)[i]); break;
      case Storage::fp8_e4m3: out[i] = float(static_cast<const __nv_fp8_e4m3*>(in)[i]); break;
    }
  }
}

__global__ void gemv_f16_kernel(const __half* w, const float* x, float* y, std::int64_t n, std::int64_t k) {
  const std::int64_t row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= n) return;
  float sum = 0.0f;
  for (std::int64_t i = lane; i < k; i += 32) sum += __half2float(w[row * k + i]) * x[i];
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_down_sync(0xffffffffu, sum, offset);
  if (lane == 0) y[row] = sum;
}

// One block of 256 threads per head: scores in shared memory, block-wide max and sum,
// then each thread accumulates output dimensions over all positions.
__global__ void attention_kernel(const float* q, const void* k, const void* v, bool f16, float* out, int heads,
                                 int kv_heads, int d, int context) {
  extern __shared__ float scores[];  // context floats
  __shared__ float reduce[256];
  const int h = blockIdx.x, t = threadIdx.x, stride = kv_heads * d;
  const int offset = (h / (heads / kv_heads)) * d;
  auto load = [&](const void* cache, std::int64_t at) {
    return f16 ? __half2float(static_cast<const __half*>(cache)[at]) : static_cast<const float*>(cache)[at];
  };
  const float scale = rsqrtf(static_cast<float>(d));
  float local_max = -INFINITY;
  for (int p = t; p < context; p += blockDim.x) {
    float dot = 0.0f;
    for (int i = 0; i < d; ++i) dot += q[h * d + i] * load(k, static_cast<std::int64_t>(p) * stride + offset + i);
    scores[p] = dot * scale;
    local_max = fmaxf(local_max, scores[p]);
  }
  reduce[t] = local_max;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s /= 2) {
    if (t < s) reduce[t] = fmaxf(reduce[t], reduce[t + s]);
    __syncthreads();
  }
  const float max = reduce[0];
  __syncthreads();
  float local_sum = 0.0f;
  for (int p = t; p < context; p += blockDim.x) local_sum += (scores[p] = __expf(scores[p] - max));
  reduce[t] = local_sum;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s /= 2) {
    if (t < s) reduce[t] += reduce[t + s];
    __syncthreads();
  }
  const float inv = 1.0f / reduce[0];
  for (int i = t; i < d; i += blockDim.x) {
    float acc = 0.0f;
    for (int p = 0; p < context; ++p) acc += scores[p] * load(v, static_cast<std::int64_t>(p) * stride + offset + i);
    out[h * d + i] = acc * inv;
  }
}

int blocks_for(std::int64_t n) { return static_cast<int>(n / 256 + 1 < 65535 ? n / 256 + 1 : 65535); }

}  // namespace

void convert_from_f32(const float* in, void* out, Storage to, std::int64_t n) {
  from_f32<<<blocks_for(n), 256>>>(in, out, to, n);
}

void convert_to_f32(const void* in, Storage from, float* out, std::int64_t n) {
  to_f32<<<blocks_for(n), 256>>>(in, from, out, n);
}

void gemv_f16(const void* w, const float* x, float* y, std::int64_t n, std::int64_t k) {
  const int rows_per_block = 8;
  gemv_f16_kernel<<<static_cast<int>((n + rows_per_block - 1) / rows_per_block), 32 * rows_per_block>>>(
      static_cast<const __half*>(w), x, y, n, k);
}

void attention_decode(const float* q, const void* k, const void* v, bool f16, float* out, int heads, int kv_heads,
                      int head_dim, int context) {
  attention_kernel<<<heads, 256, static_cast<std::size_t>(context) * sizeof(float)>>>(q, k, v, f16, out, heads,
                                                                                     kv_heads, head_dim, context);
}

const char* last_error() {
  const cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? "" : cudaGetErrorString(e);
}

}  // namespace llmsim::bench::cuda
