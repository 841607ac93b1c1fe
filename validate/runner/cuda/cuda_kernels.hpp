// The custom CUDA kernels (the rest is cuBLAS), behind a plain C++ interface so only
// cuda_kernels.cu needs nvcc. Pointers are device pointers; every launch goes on the
// default stream and returns at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace llmsim::bench::cuda {

enum class Storage { f32, f16, bf16, fp8_e4m3 };

/// out[i] = in[i] stored as `to` (round to nearest; fp8 saturates).
void convert_from_f32(const float* in, void* out, Storage to, std::int64_t n);
/// out[i] = in[i] as float.
void convert_to_f32(const void* in, Storage from, float* out, std::int64_t n);

/// y[n] = W[n x k] x[k] with W in f16, f32 accumulation; one warp per row, 16-byte loads
/// when k is a multiple of 8.
void gemv_f16(const void* w, const float* x, float* y, std::int64_t n, std::int64_t k);

/// Why the attention kernel cannot take this shape, "" when it can.
std::string attention_unsupported(int heads, int kv_heads, int head_dim);
/// Floats of scratch attention_decode needs for this shape (partial results per context chunk).
std::size_t attention_workspace_floats(int heads, int kv_heads, int head_dim, int context);
/// Decode attention for one token, split over the context in chunks and merged: q [heads*d]
/// f32, K/V [context][kv_heads*d] in f32 or f16, out [heads*d]. Two launches.
void attention_decode(const float* q, const void* k, const void* v, bool f16, float* workspace, float* out, int heads,
                      int kv_heads, int head_dim, int context);

/// The last launch's error as text, "" when none.
const char* last_error();

}  // namespace llmsim::bench::cuda
