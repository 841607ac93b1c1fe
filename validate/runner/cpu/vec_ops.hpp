// The inner loops of CPU LLM inference: dot products of a weight row (f32, f16, q8_0 or
// q4_0 blocks) with an activation vector, and y += a * v. Each has a portable version and
// an AVX2/FMA/F16C one chosen at run time, so one binary runs anywhere and uses the SIMD
// the machine has; isa() says which was chosen.
#pragma once

#include <cstdint>

#include "validate/runner/core/quant_blocks.hpp"

namespace llmsim::bench {

struct VecOps {
  float (*dot_f32)(const float* w, const float* x, std::int64_t n);
  float (*dot_f16)(const std::uint16_t* w, const float* x, std::int64_t n);
  /// Blocks of 32: q8_0 weights against q8_0-quantised activations (int8 products, as ggml).
  float (*dot_q8_0)(const BlockQ8_0* w, const BlockQ8_0* x, std::int64_t blocks);
  float (*dot_q4_0)(const BlockQ4_0* w, const BlockQ8_0* x, std::int64_t blocks);
  void (*axpy_f32)(float a, const float* v, float* y, std::int64_t n);
  void (*axpy_f16)(float a, const std::uint16_t* v, float* y, std::int64_t n);
  const char* isa;  // "avx2" or "scalar"
};

/// The fastest set this CPU supports (decided once). `force_scalar` is for tests.
const VecOps& vec_ops(bool force_scalar = false);

/// x (n floats, n a multiple of 32) to q8_0 blocks, as llama.cpp does to activations
/// before a quantised matmul.
void quantize_row_q8_0(const float* x, BlockQ8_0* out, std::int64_t n);

}  // namespace llmsim::bench
