#include "validate/runner/core/test_data.hpp"

namespace llmsim::bench {

void fill_test_values(float* out, std::int64_t count, std::uint64_t seed, float scale, int threads) {
  // Parallel first touch also places pages near the threads that will stream them.
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::int64_t i = 0; i < count; ++i) out[i] = test_value(seed, static_cast<std::uint64_t>(i)) * scale;
}

}  // namespace llmsim::bench
