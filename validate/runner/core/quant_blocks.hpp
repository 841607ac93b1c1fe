// Weight storage formats CPU LLM inference runs, in ggml's block layout:
//   q8_0: f16 scale d + 32 int8 q;            x = d * q                  (34 bytes / 32 weights)
//   q4_0: f16 scale d + 16 bytes of nibbles;  x = d * (nibble - 8), with weight j in the low
//         nibble of byte j and weight j+16 in its high nibble         (18 bytes / 32 weights)
//   f16:  IEEE half, converted here without relying on the compiler's _Float16.
#pragma once

#include <cstdint>
#include <span>

namespace llmsim::bench {

inline constexpr int kQuantBlock = 32;

#pragma pack(push, 1)
struct BlockQ8_0 {
  std::uint16_t d;
  std::int8_t qs[kQuantBlock];
};
struct BlockQ4_0 {
  std::uint16_t d;
  std::uint8_t qs[kQuantBlock / 2];
};
#pragma pack(pop)
static_assert(sizeof(BlockQ8_0) == 34, "ggml q8_0 block is 34 bytes");
static_assert(sizeof(BlockQ4_0) == 18, "ggml q4_0 block is 18 bytes");

std::uint16_t float_to_half(float value);  // round to nearest even
float half_to_float(std::uint16_t bits);

/// Quantises 32 floats (ggml's rounding: d = max|x| / 127, or / -8 of the signed max for q4_0).
BlockQ8_0 quantize_q8_0(std::span<const float, kQuantBlock> x);
BlockQ4_0 quantize_q4_0(std::span<const float, kQuantBlock> x);
void dequantize(const BlockQ8_0& block, std::span<float, kQuantBlock> out);
void dequantize(const BlockQ4_0& block, std::span<float, kQuantBlock> out);

}  // namespace llmsim::bench
