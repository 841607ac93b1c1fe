#include "validate/runner/core/quant_blocks.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace llmsim::bench {

std::uint16_t float_to_half(float value) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  const std::uint32_t sign = (bits >> 16) & 0x8000u;
  const std::uint32_t abs = bits & 0x7fffffffu;
  if (abs >= 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
  if (abs >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // overflows to infinity
  if (abs < 0x38800000u) {
    // Subnormal half (or zero): scale into the 10-bit mantissa with round-to-nearest-even.
    const float magnitude = std::bit_cast<float>(abs);
    const auto scaled = static_cast<std::uint32_t>(std::nearbyint(magnitude * 16777216.0f));  // 2^24
    return static_cast<std::uint16_t>(sign | scaled);
  }
  std::uint32_t half = ((abs - 0x38000000u) >> 13);
  const std::uint32_t rest = abs & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;
  return static_cast<std::uint16_t>(sign | half);
}

float half_to_float(std::uint16_t bits) {
  const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
  const std::uint32_t exponent = (bits >> 10) & 0x1fu;
  const std::uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0) {
    const float magnitude = static_cast<float>(mantissa) / 16777216.0f;
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

BlockQ8_0 quantize_q8_0(std::span<const float, kQuantBlock> x) {
  float amax = 0;
  for (float v : x) amax = std::max(amax, std::abs(v));
  const float d = amax / 127.0f;
  const float id = d != 0 ? 1.0f / d : 0.0f;
  BlockQ8_0 block{};
  block.d = float_to_half(d);
  for (int j = 0; j < kQuantBlock; ++j) block.qs[j] = static_cast<std::int8_t>(std::lround(x[j] * id));
  return block;
}

BlockQ4_0 quantize_q4_0(std::span<const float, kQuantBlock> x) {
  // The value of largest magnitude maps to -8, so the full signed range is used.
  float amax = 0, max = 0;
  for (float v : x) {
    if (std::abs(v) > amax) {
      amax = std::abs(v);
      max = v;
    }
  }
  const float d = max / -8.0f;
  const float id = d != 0 ? 1.0f / d : 0.0f;
  BlockQ4_0 block{};
  block.d = float_to_half(d);
  for (int j = 0; j < kQuantBlock / 2; ++j) {
    const auto lo = static_cast<std::uint8_t>(std::min(15.0f, x[j] * id + 8.5f));
    const auto hi = static_cast<std::uint8_t>(std::min(15.0f, x[j + kQuantBlock / 2] * id + 8.5f));
    block.qs[j] = static_cast<std::uint8_t>(lo | (hi << 4));
  }
  return block;
}

void dequantize(const BlockQ8_0& block, std::span<float, kQuantBlock> out) {
  const float d = half_to_float(block.d);
  for (int j = 0; j < kQuantBlock; ++j) out[j] = d * static_cast<float>(block.qs[j]);
}

void dequantize(const BlockQ4_0& block, std::span<float, kQuantBlock> out) {
  const float d = half_to_float(block.d);
  for (int j = 0; j < kQuantBlock / 2; ++j) {
    out[j] = d * static_cast<float>((block.qs[j] & 0x0f) - 8);
    out[j + kQuantBlock / 2] = d * static_cast<float>((block.qs[j] >> 4) - 8);
  }
}

}  // namespace llmsim::bench
