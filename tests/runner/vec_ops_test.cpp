// The SIMD inner loops agree with their portable definitions and with double precision,
// on lengths that exercise the vector body and the scalar tail.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "validate/runner/core/test_data.hpp"
#include "validate/runner/cpu/vec_ops.hpp"

using namespace llmsim::bench;

namespace {

std::vector<float> values(std::int64_t n, std::uint64_t seed) {
  std::vector<float> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v[i] = test_value(seed, i);
  return v;
}

}  // namespace

TEST_CASE("f32 and f16 dot products and axpy match double precision", "[vec_ops]") {
  for (const VecOps* ops : {&vec_ops(true), &vec_ops(false)}) {
    for (std::int64_t n : {1, 7, 8, 33, 100, 4096}) {
      const auto w = values(n, 1), x = values(n, 2);
      std::vector<std::uint16_t> wh(w.size());
      double ref = 0, ref_h = 0, scale = 0;
      for (std::int64_t i = 0; i < n; ++i) {
        wh[i] = float_to_half(w[i]);
        ref += static_cast<double>(w[i]) * x[i];
        ref_h += static_cast<double>(half_to_float(wh[i])) * x[i];
        scale += std::abs(static_cast<double>(w[i]) * x[i]);
      }
      INFO(ops->isa << " n=" << n);
      CHECK(std::abs(ops->dot_f32(w.data(), x.data(), n) - ref) <= 1e-5 * scale);
      CHECK(std::abs(ops->dot_f16(wh.data(), x.data(), n) - ref_h) <= 1e-5 * scale);
      std::vector<float> y(x), yh(x);
      ops->axpy_f32(0.5f, w.data(), y.data(), n);
      ops->axpy_f16(0.5f, wh.data(), yh.data(), n);
      for (std::int64_t i = 0; i < n; ++i) {
        CHECK(y[i] == Approx(x[i] + 0.5 * w[i]).margin(1e-6));
        CHECK(yh[i] == Approx(x[i] + 0.5 * half_to_float(wh[i])).margin(1e-6));
      }
    }
  }
}

TEST_CASE("q8_0 and q4_0 dot products are the integer sums of the blocks, scaled", "[vec_ops]") {
  const std::int64_t blocks = 5, n = blocks * kQuantBlock;
  const auto w = values(n, 3), x = values(n, 4);
  std::vector<BlockQ8_0> w8(blocks), x8(blocks);
  std::vector<BlockQ4_0> w4(blocks);
  quantize_row_q8_0(w.data(), w8.data(), n);
  quantize_row_q8_0(x.data(), x8.data(), n);
  for (std::int64_t b = 0; b < blocks; ++b) {
    w4[b] = quantize_q4_0(std::span<const float, kQuantBlock>(w.data() + b * kQuantBlock, kQuantBlock));
  }
  double ref8 = 0, ref4 = 0, scale = 0;
  for (std::int64_t b = 0; b < blocks; ++b) {
    std::array<float, 32> wd{}, w4d{}, xd{};
    dequantize(w8[b], wd);
    dequantize(w4[b], w4d);
    dequantize(x8[b], xd);
    for (int j = 0; j < 32; ++j) {
      ref8 += static_cast<double>(wd[j]) * xd[j];
      ref4 += static_cast<double>(w4d[j]) * xd[j];
      scale += std::abs(static_cast<double>(wd[j]) * xd[j]);
    }
  }
  for (const VecOps* ops : {&vec_ops(true), &vec_ops(false)}) {
    INFO(ops->isa);
    CHECK(std::abs(ops->dot_q8_0(w8.data(), x8.data(), blocks) - ref8) <= 1e-5 * scale);
    CHECK(std::abs(ops->dot_q4_0(w4.data(), x8.data(), blocks) - ref4) <= 1e-5 * scale);
  }
  // Quantisation itself stays close to the f32 product (a sanity bound, not the check).
  double exact = 0;
  for (std::int64_t i = 0; i < n; ++i) exact += static_cast<double>(w[i]) * x[i];
  CHECK(std::abs(ref8 - exact) <= 0.02 * scale);
  CHECK(std::abs(ref4 - exact) <= 0.2 * scale);
}
