#include "validate/runner/cpu/weight_matrix.hpp"

#include <fmt/format.h>

#include <cmath>
#include <span>
#include <stdexcept>

#include "validate/runner/core/test_data.hpp"
#include "validate/runner/cpu/vec_ops.hpp"

namespace llmsim::bench {

namespace {

bool is_block(const std::string& f) { return f == "q8_0" || f == "q4_0"; }

}  // namespace

bool WeightMatrix::supports(const std::string& format) {
  return format == "f32" || format == "f16" || is_block(format);
}

WeightMatrix::WeightMatrix(std::string format, std::int64_t rows, std::int64_t cols, std::uint64_t seed, float scale,
                           int threads)
    : format_(std::move(format)), rows_(rows), cols_(cols) {
  if (!supports(format_)) throw std::invalid_argument("WeightMatrix: unsupported format " + format_);
  if (is_block(format_) && cols_ % kQuantBlock != 0) {
    throw std::invalid_argument("WeightMatrix: block formats need cols to be a multiple of 32");
  }
  if (format_ == "f16") storage_ = Storage::f16;
  if (format_ == "q8_0") storage_ = Storage::q8_0;
  if (format_ == "q4_0") storage_ = Storage::q4_0;
  const std::int64_t count = rows_ * cols_;
  const std::int64_t blocks = count / kQuantBlock;
  if (format_ == "f32") {
    f32_ = AlignedBuffer<float>(static_cast<std::size_t>(count));
    fill_test_values(f32_.data(), count, seed, scale, threads);
  } else if (format_ == "f16") {
    f16_ = AlignedBuffer<std::uint16_t>(static_cast<std::size_t>(count));
#pragma omp parallel for num_threads(threads) schedule(static)
    for (std::int64_t i = 0; i < count; ++i) f16_[i] = float_to_half(test_value(seed, i) * scale);
  } else {
    if (format_ == "q8_0") q8_ = AlignedBuffer<BlockQ8_0>(static_cast<std::size_t>(blocks));
    if (format_ == "q4_0") q4_ = AlignedBuffer<BlockQ4_0>(static_cast<std::size_t>(blocks));
#pragma omp parallel for num_threads(threads) schedule(static)
    for (std::int64_t b = 0; b < blocks; ++b) {
      float values[kQuantBlock];
      for (int j = 0; j < kQuantBlock; ++j) values[j] = test_value(seed, b * kQuantBlock + j) * scale;
      if (format_ == "q8_0") q8_[b] = quantize_q8_0(values);
      if (format_ == "q4_0") q4_[b] = quantize_q4_0(values);
    }
  }
  if (is_block(format_)) xq_.resize(static_cast<std::size_t>(cols_ / kQuantBlock));
}

double WeightMatrix::bytes() const {
  const double count = static_cast<double>(rows_ * cols_);
  if (format_ == "f32") return count * 4;
  if (format_ == "f16") return count * 2;
  return count / kQuantBlock * static_cast<double>(format_ == "q8_0" ? sizeof(BlockQ8_0) : sizeof(BlockQ4_0));
}

double WeightMatrix::activation_bytes() const {
  const double x = static_cast<double>(cols_) * 4;
  return is_block(format_) ? x + static_cast<double>(cols_) / kQuantBlock * sizeof(BlockQ8_0) : x;
}

std::string WeightMatrix::implementation() const {
  const char* isa = vec_ops().isa;
  if (format_ == "f32") return fmt::format("{} f32 dot, rows over threads", isa);
  if (format_ == "f16") return fmt::format("{} f16 x f32 dot (F16C convert), rows over threads", isa);
  return fmt::format("{} {}.q8_0 int8 dot (activations quantised to q8_0 per call), rows over threads", isa, format_);
}

void WeightMatrix::gemv(const float* x, float* y, int threads) {
  const VecOps& ops = vec_ops();
  const std::int64_t k = cols_;
  if (is_block(format_)) quantize_row_q8_0(x, xq_.data(), k);
  const std::int64_t blocks = k / kQuantBlock;
  const Storage storage = storage_;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::int64_t r = 0; r < rows_; ++r) {
    switch (storage) {
      case Storage::f32: y[r] = ops.dot_f32(f32_.data() + r * k, x, k); break;
      case Storage::f16: y[r] = ops.dot_f16(f16_.data() + r * k, x, k); break;
      case Storage::q8_0: y[r] = ops.dot_q8_0(q8_.data() + r * blocks, xq_.data(), blocks); break;
      case Storage::q4_0: y[r] = ops.dot_q4_0(q4_.data() + r * blocks, xq_.data(), blocks); break;
    }
  }
}

void WeightMatrix::dequantize_row(std::int64_t row, float* out) const {
  const std::int64_t k = cols_, blocks = k / kQuantBlock;
  switch (storage_) {
    case Storage::f32:
      for (std::int64_t i = 0; i < k; ++i) out[i] = f32_[row * k + i];
      break;
    case Storage::f16:
      for (std::int64_t i = 0; i < k; ++i) out[i] = half_to_float(f16_[row * k + i]);
      break;
    case Storage::q8_0:
      for (std::int64_t b = 0; b < blocks; ++b) dequantize(q8_[row * blocks + b], std::span<float, kQuantBlock>(out + b * kQuantBlock, kQuantBlock));
      break;
    case Storage::q4_0:
      for (std::int64_t b = 0; b < blocks; ++b) dequantize(q4_[row * blocks + b], std::span<float, kQuantBlock>(out + b * kQuantBlock, kQuantBlock));
      break;
  }
}

double WeightMatrix::reference_row(std::int64_t row, const float* x, double& scale) const {
  const std::int64_t k = cols_;
  std::vector<float> w(static_cast<std::size_t>(k));
  std::vector<float> xs(x, x + k);
  dequantize_row(row, w.data());
  if (is_block(format_)) {
    for (std::int64_t b = 0; b < k / kQuantBlock; ++b) {
      // The kernel multiplies by q8_0-rounded activations: so does the reference.
      const BlockQ8_0 xb = quantize_q8_0(std::span<const float, kQuantBlock>(x + b * kQuantBlock, kQuantBlock));
      dequantize(xb, std::span<float, kQuantBlock>(xs.data() + b * kQuantBlock, kQuantBlock));
    }
  }
  double sum = 0;
  scale = 0;
  for (std::int64_t i = 0; i < k; ++i) {
    sum += static_cast<double>(w[i]) * xs[i];
    scale += std::abs(static_cast<double>(w[i]) * xs[i]);
  }
  return sum;
}

}  // namespace llmsim::bench
