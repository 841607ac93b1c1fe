// The storage formats against values worked out by hand (IEEE half bit patterns, ggml's
// block layouts), so a kernel that reads them is checked against the real format.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>

#include "validate/runner/core/quant_blocks.hpp"

using namespace llmsim::bench;

TEST_CASE("f16 conversion matches IEEE half bit patterns", "[quant]") {
  CHECK(float_to_half(1.0f) == 0x3c00);
  CHECK(float_to_half(-2.0f) == 0xc000);
  CHECK(float_to_half(65504.0f) == 0x7bff);
  CHECK(float_to_half(0.1f) == 0x2e66);  // 0.0999755859375, the nearest half
  CHECK(float_to_half(1e6f) == 0x7c00);  // overflow to infinity
  CHECK(float_to_half(5.9604645e-8f) == 0x0001);  // smallest subnormal
  CHECK(half_to_float(0x3c00) == 1.0f);
  CHECK(half_to_float(0x0001) == Approx(5.9604645e-8f));
  CHECK(half_to_float(0x3555) == Approx(0.333251953125f));
  for (float v : {0.0f, 0.5f, -3.25f, 1024.0f, 6.103515625e-05f}) CHECK(half_to_float(float_to_half(v)) == v);
}

TEST_CASE("block sizes are ggml's: q8_0 34 bytes, q4_0 18 bytes per 32 weights", "[quant]") {
  CHECK(sizeof(BlockQ8_0) == 34);
  CHECK(sizeof(BlockQ4_0) == 18);
}

TEST_CASE("q8_0 scales by max|x|/127 and rounds each weight", "[quant]") {
  std::array<float, 32> x{};
  for (int i = 0; i < 32; ++i) x[i] = static_cast<float>(i - 16) / 16.0f;  // -1 .. 0.9375
  const BlockQ8_0 b = quantize_q8_0(x);
  CHECK(half_to_float(b.d) == Approx(1.0f / 127).epsilon(1e-3));
  CHECK(b.qs[0] == -127);
  CHECK(b.qs[16] == 0);
  CHECK(b.qs[24] == 64);  // 0.5 * 127 = 63.5 -> 64
  std::array<float, 32> back{};
  dequantize(b, back);
  for (int i = 0; i < 32; ++i) CHECK(std::abs(back[i] - x[i]) <= 0.5f / 127 + 1e-3f);
}

TEST_CASE("q4_0 puts weight j in the low nibble and j+16 in the high nibble of byte j", "[quant]") {
  std::array<float, 32> x{};
  x[0] = -8.0f;  // the signed maximum: d = -8 / -8 = 1
  x[1] = 3.0f;
  x[16] = 7.0f;
  x[17] = -1.0f;
  const BlockQ4_0 b = quantize_q4_0(x);
  CHECK(half_to_float(b.d) == 1.0f);
  CHECK((b.qs[0] & 0x0f) == 0);        // -8 + 8
  CHECK((b.qs[0] >> 4) == 15);         // 7 + 8
  CHECK((b.qs[1] & 0x0f) == 11);       // 3 + 8
  CHECK((b.qs[1] >> 4) == 7);          // -1 + 8
  std::array<float, 32> back{};
  dequantize(b, back);
  for (int i = 0; i < 32; ++i) CHECK(back[i] == x[i]);
}
