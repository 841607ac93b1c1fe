// Deterministic pseudo-random inputs: the same (seed, index) always gives the same value,
// so any element can be regenerated without storing it, and threads fill arrays in parallel.
#pragma once

#include <cstdint>

namespace llmsim::bench {

/// A value in [-1, 1) from a counter-based hash (splitmix64) of seed and index.
inline float test_value(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t z = seed * 0x9e3779b97f4a7c15ull + index + 0x632be59bd9b4e019ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<float>(static_cast<double>(z >> 40) / static_cast<double>(1ull << 23)) - 1.0f;
}

/// Fills `out[0..count)` with test_value(seed, i) * scale, using `threads` threads.
void fill_test_values(float* out, std::int64_t count, std::uint64_t seed, float scale, int threads);

}  // namespace llmsim::bench
