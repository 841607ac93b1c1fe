// A weight matrix W [rows x cols] stored in one of the formats CPU inference runs (f32,
// f16, q8_0, q4_0), filled with deterministic test values, with the GEMV y = W x that
// LLM decoding spends its time in and a double-precision reference of each output.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "validate/runner/core/aligned_buffer.hpp"
#include "validate/runner/core/quant_blocks.hpp"

namespace llmsim::bench {

class WeightMatrix {
 public:
  /// Formats: f32, f16, q8_0, q4_0 (cols a multiple of 32 for the block formats).
  /// Values are test_value(seed, row * cols + col) * scale, then stored in the format.
  WeightMatrix(std::string format, std::int64_t rows, std::int64_t cols, std::uint64_t seed, float scale,
               int threads);

  static bool supports(const std::string& format);

  /// y[rows] = W x[cols] with `threads` threads (block formats quantise x to q8_0 first).
  void gemv(const float* x, float* y, int threads);

  /// Output `row` of gemv in double from the stored weights and the activations the kernel
  /// actually multiplies (q8_0-rounded for block formats); `scale` gets sum |w_i x_i|.
  double reference_row(std::int64_t row, const float* x, double& scale) const;

  /// Row `row` as floats (an embedding lookup reads rows this way).
  void dequantize_row(std::int64_t row, float* out) const;

  std::int64_t rows() const { return rows_; }
  std::int64_t cols() const { return cols_; }
  const std::string& format() const { return format_; }
  /// Bytes of the stored weights (including block scales).
  double bytes() const;
  /// Bytes one call reads besides the weights: the activations (and their q8_0 copy).
  double activation_bytes() const;
  std::string implementation() const;

 private:
  enum class Storage { f32, f16, q8_0, q4_0 };
  std::string format_;
  Storage storage_ = Storage::f32;
  std::int64_t rows_, cols_;
  AlignedBuffer<float> f32_;
  AlignedBuffer<std::uint16_t> f16_;
  AlignedBuffer<BlockQ8_0> q8_;
  AlignedBuffer<BlockQ4_0> q4_;
  std::vector<BlockQ8_0> xq_;  // the activations as q8_0 blocks, refreshed by each gemv
};

}  // namespace llmsim::bench
