// Custom CUDA kernels: format conversion, f16 GEMV and split-K decode attention.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include <algorithm>

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

// One warp per row. When k is a multiple of 8 every row starts 16-byte aligned, so each
// lane loads 8 halves at a time (a warp moves 512 contiguous bytes per load), which is what
// it takes to approach the memory bandwidth; otherwise 2-byte loads.
__global__ void gemv_f16_kernel(const __half* w, const float* x, float* y, std::int64_t n, std::int64_t k) {
  const std::int64_t row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= n) return;
  float sum = 0.0f;
  if (k % 8 == 0) {
    const auto* packed = reinterpret_cast<const uint4*>(w + row * k);
    const auto* xv = reinterpret_cast<const float4*>(x);
#pragma unroll 4
    for (std::int64_t i = lane; i < k / 8; i += 32) {
      const uint4 bits = packed[i];
      const auto* h = reinterpret_cast<const __half2*>(&bits);
      const float4 x0 = xv[2 * i], x1 = xv[2 * i + 1];
      const float2 a = __half22float2(h[0]), b = __half22float2(h[1]);
      const float2 c = __half22float2(h[2]), d = __half22float2(h[3]);
      sum += a.x * x0.x + a.y * x0.y + b.x * x0.z + b.y * x0.w + c.x * x1.x + c.y * x1.y + d.x * x1.z + d.y * x1.w;
    }
  } else {
    for (std::int64_t i = lane; i < k; i += 32) sum += __half2float(w[row * k + i]) * x[i];
  }
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_down_sync(0xffffffffu, sum, offset);
  if (lane == 0) y[row] = sum;
}

// Decode attention in two passes (split-K over the context, "flash-decoding"), because one
// block per head leaves most of a large GPU idle: pass 1 gives each (KV head, context chunk)
// a block whose warps stream K and V rows once for all query heads of the group, keeping an
// online softmax (running max, sum and weighted V) per head; pass 2 merges the chunks.
constexpr int kAttentionWarps = 8;
constexpr int kMaxGroup = 8;          // query heads per KV head
constexpr int kMaxGroupDims = 1024;   // group x head_dim, bounded by the block's shared memory
constexpr int kPositionsPerLoad = 4;  // K/V rows a warp loads before using them (memory parallelism)

__device__ __forceinline__ float to_float(float x) { return x; }
__device__ __forceinline__ float to_float(__half x) { return __half2float(x); }

// Partial results per (query head, split): d weighted-V sums, then the max and the sum.
// GroupCap: a power of two >= the query heads per KV head, so register arrays are sized at
// compile time without paying for 8 heads when there are 4.
template <int PerLane, int GroupCap, typename T>
__global__ void __launch_bounds__(kAttentionWarps * 32)
    attention_split_kernel(const float* q, const T* k, const T* v, float* partial, int heads, int kv_heads, int d,
                           int context, int chunk, int splits) {
  __shared__ float shared_acc[kAttentionWarps][kMaxGroupDims];
  __shared__ float shared_max[kAttentionWarps][GroupCap], shared_sum[kAttentionWarps][GroupCap];
  const int kv_head = blockIdx.x, split = blockIdx.y, group = heads / kv_heads;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int begin = split * chunk, end = min(context, begin + chunk);
  const std::int64_t stride = static_cast<std::int64_t>(kv_heads) * d, column = kv_head * d + lane * PerLane;
  const float scale = rsqrtf(static_cast<float>(d));
  float qr[GroupCap][PerLane], acc[GroupCap][PerLane], run_max[GroupCap], run_sum[GroupCap];
#pragma unroll
  for (int g = 0; g < GroupCap; ++g) {
    run_max[g] = -INFINITY;
    run_sum[g] = 0.0f;
#pragma unroll
    for (int j = 0; j < PerLane; ++j) {
      acc[g][j] = 0.0f;
      qr[g][j] = g < group ? q[(kv_head * group + g) * d + lane * PerLane + j] * scale : 0.0f;
    }
  }
  for (int p0 = begin + warp * kPositionsPerLoad; p0 < end; p0 += kAttentionWarps * kPositionsPerLoad) {
    float kr[kPositionsPerLoad][PerLane], vr[kPositionsPerLoad][PerLane];
#pragma unroll
    for (int u = 0; u < kPositionsPerLoad; ++u) {
      const std::int64_t at = static_cast<std::int64_t>(min(p0 + u, end - 1)) * stride + column;
#pragma unroll
      for (int j = 0; j < PerLane; ++j) {
        kr[u][j] = to_float(k[at + j]);
        vr[u][j] = to_float(v[at + j]);
      }
    }
    // All dot products of the loaded rows first: their warp reductions are independent, so
    // their shuffles overlap; then one online-softmax update per head for the rows together.
    const int valid = min(kPositionsPerLoad, end - p0);
    float dots[kPositionsPerLoad][GroupCap];
#pragma unroll
    for (int u = 0; u < kPositionsPerLoad; ++u) {
#pragma unroll
      for (int g = 0; g < GroupCap; ++g) {
        dots[u][g] = 0.0f;
#pragma unroll
        for (int j = 0; j < PerLane; ++j) dots[u][g] += qr[g][j] * kr[u][j];
      }
    }
    for (int offset = 16; offset > 0; offset /= 2) {
#pragma unroll
      for (int u = 0; u < kPositionsPerLoad; ++u) {
#pragma unroll
        for (int g = 0; g < GroupCap; ++g) dots[u][g] += __shfl_xor_sync(0xffffffffu, dots[u][g], offset);
      }
    }
#pragma unroll
    for (int g = 0; g < GroupCap; ++g) {
      if (g >= group) break;
      float new_max = run_max[g];
#pragma unroll
      for (int u = 0; u < kPositionsPerLoad; ++u) {
        if (u < valid) new_max = fmaxf(new_max, dots[u][g]);
      }
      const float rescale = __expf(run_max[g] - new_max);
      run_sum[g] *= rescale;
#pragma unroll
      for (int j = 0; j < PerLane; ++j) acc[g][j] *= rescale;
#pragma unroll
      for (int u = 0; u < kPositionsPerLoad; ++u) {
        const float weight = u < valid ? __expf(dots[u][g] - new_max) : 0.0f;
        run_sum[g] += weight;
#pragma unroll
        for (int j = 0; j < PerLane; ++j) acc[g][j] += weight * vr[u][j];
      }
      run_max[g] = new_max;
    }
  }
#pragma unroll
  for (int g = 0; g < GroupCap; ++g) {
    if (g >= group) break;
#pragma unroll
    for (int j = 0; j < PerLane; ++j) shared_acc[warp][g * d + lane * PerLane + j] = acc[g][j];
    if (lane == 0) {
      shared_max[warp][g] = run_max[g];
      shared_sum[warp][g] = run_sum[g];
    }
  }
  __syncthreads();
  for (int i = threadIdx.x; i < group * d; i += blockDim.x) {
    const int g = i / d, dim = i % d;
    float block_max = -INFINITY, sum = 0.0f, value = 0.0f;
    for (int w = 0; w < kAttentionWarps; ++w) block_max = fmaxf(block_max, shared_max[w][g]);
    if (block_max != -INFINITY) {  // a warp that saw no position has max -inf and weighs 0
      for (int w = 0; w < kAttentionWarps; ++w) {
        const float c = __expf(shared_max[w][g] - block_max);
        sum += shared_sum[w][g] * c;
        value += shared_acc[w][i] * c;
      }
    }
    float* out = partial + (static_cast<std::int64_t>(kv_head * group + g) * splits + split) * (d + 2);
    out[dim] = value;
    if (dim == 0) {
      out[d] = block_max;
      out[d + 1] = sum;
    }
  }
}

__global__ void attention_merge_kernel(const float* partial, float* out, int d, int splits) {
  const float* head = partial + static_cast<std::int64_t>(blockIdx.x) * splits * (d + 2);
  for (int dim = threadIdx.x; dim < d; dim += blockDim.x) {
    float max = -INFINITY, sum = 0.0f, value = 0.0f;
    for (int s = 0; s < splits; ++s) max = fmaxf(max, head[s * (d + 2) + d]);
    for (int s = 0; s < splits; ++s) {
      const float c = __expf(head[s * (d + 2) + d] - max);
      sum += head[s * (d + 2) + d + 1] * c;
      value += head[s * (d + 2) + dim] * c;
    }
    out[blockIdx.x * d + dim] = value / sum;
  }
}

struct AttentionPlan {
  int chunk, splits;
};

// Enough blocks for two per multiprocessor, but at least 32 positions per block. Every
// split holds at least one position: (splits - 1) * chunk < context.
AttentionPlan plan_attention(int kv_heads, int context) {
  static const int multiprocessors = [] {
    int device = 0, count = 0;
    cudaGetDevice(&device);
    cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device);
    return count > 0 ? count : 1;
  }();
  const int wanted = std::max(1, (2 * multiprocessors + kv_heads - 1) / kv_heads);
  const int chunk = std::max(kAttentionWarps * kPositionsPerLoad, (context + wanted - 1) / wanted);
  return {chunk, (context + chunk - 1) / chunk};
}

template <int PerLane, int GroupCap, typename T>
void launch_attention_split(dim3 grid, const float* q, const void* k, const void* v, float* partial, int heads,
                            int kv_heads, int d, int context, AttentionPlan plan) {
  attention_split_kernel<PerLane, GroupCap, T><<<grid, kAttentionWarps * 32>>>(
      q, static_cast<const T*>(k), static_cast<const T*>(v), partial, heads, kv_heads, d, context, plan.chunk,
      plan.splits);
}

template <int PerLane, typename T>
void launch_attention_split(dim3 grid, const float* q, const void* k, const void* v, float* partial, int heads,
                            int kv_heads, int d, int context, AttentionPlan plan) {
  const int group = heads / kv_heads;
  if (group == 1) {
    launch_attention_split<PerLane, 1, T>(grid, q, k, v, partial, heads, kv_heads, d, context, plan);
  } else if (group == 2) {
    launch_attention_split<PerLane, 2, T>(grid, q, k, v, partial, heads, kv_heads, d, context, plan);
  } else if (group <= 4) {
    launch_attention_split<PerLane, 4, T>(grid, q, k, v, partial, heads, kv_heads, d, context, plan);
  } else if constexpr (PerLane < 8) {  // head_dim 256 never has more than 4 (group x head_dim <= 1024)
    launch_attention_split<PerLane, 8, T>(grid, q, k, v, partial, heads, kv_heads, d, context, plan);
  }
}

template <typename T>
void launch_attention_split(dim3 grid, const float* q, const void* k, const void* v, float* partial, int heads,
                            int kv_heads, int d, int context, AttentionPlan plan) {
  switch (d / 32) {
    case 1: launch_attention_split<1, T>(grid, q, k, v, partial, heads, kv_heads, d, context, plan); break;
    case 2: launch_attention_split<2, T>(grid, q, k, v, partial, heads, kv_heads, d, context, plan); break;
    case 4: launch_attention_split<4, T>(grid, q, k, v, partial, heads, kv_heads, d, context, plan); break;
    default: launch_attention_split<8, T>(grid, q, k, v, partial, heads, kv_heads, d, context, plan); break;
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

std::string attention_unsupported(int heads, int kv_heads, int head_dim) {
  if (kv_heads <= 0 || heads % kv_heads != 0) return "query heads must be a multiple of KV heads";
  if (head_dim != 32 && head_dim != 64 && head_dim != 128 && head_dim != 256) {
    return "the attention kernel takes head_dim 32, 64, 128 or 256";
  }
  const int group = heads / kv_heads;
  if (group > kMaxGroup || group * head_dim > kMaxGroupDims) {
    return "the attention kernel takes at most 8 query heads per KV head and group x head_dim <= 1024";
  }
  return "";
}

std::size_t attention_workspace_floats(int heads, int kv_heads, int head_dim, int context) {
  return static_cast<std::size_t>(heads) * plan_attention(kv_heads, context).splits * (head_dim + 2);
}

void attention_decode(const float* q, const void* k, const void* v, bool f16, float* workspace, float* out, int heads,
                      int kv_heads, int head_dim, int context) {
  const AttentionPlan plan = plan_attention(kv_heads, context);
  const dim3 grid(kv_heads, plan.splits);
  if (f16) {
    launch_attention_split<__half>(grid, q, k, v, workspace, heads, kv_heads, head_dim, context, plan);
  } else {
    launch_attention_split<float>(grid, q, k, v, workspace, heads, kv_heads, head_dim, context, plan);
  }
  attention_merge_kernel<<<heads, head_dim < 256 ? head_dim : 256>>>(workspace, out, head_dim, plan.splits);
}

const char* last_error() {
  const cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? "" : cudaGetErrorString(e);
}

}  // namespace llmsim::bench::cuda
