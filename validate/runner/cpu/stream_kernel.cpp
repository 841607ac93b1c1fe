#include "validate/runner/cpu/stream_kernel.hpp"

#include <omp.h>

#include <cmath>

#include "validate/runner/core/output_checker.hpp"
#include "validate/runner/core/test_data.hpp"

namespace llmsim::bench {

namespace {

constexpr float kScalar = 3.0f;

// Cloned per ISA so cache-resident sizes are measured with the machine's widest loads.
// (This file is built with -fno-tree-loop-distribute-patterns: the copy stays a loop
// instead of becoming a memcpy call with its own non-temporal-store policy.)
__attribute__((target_clones("avx512f", "avx2", "default"))) void copy_chunk(const float* __restrict src,
                                                                             float* __restrict dst, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) dst[i] = src[i];
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void triad_chunk(float* __restrict a,
                                                                              const float* __restrict b,
                                                                              const float* __restrict c,
                                                                              std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) a[i] = b[i] + kScalar * c[i];
}

}  // namespace

StreamKernel::StreamKernel(const KernelSpec& spec)
    : triad_(spec.kernel == measurements::KERNEL_CLASS_TRIAD),
      threads_(spec.threads),
      n_(spec.bytes / (triad_ ? 12 : 8)),
      a_(static_cast<std::size_t>(n_)),
      b_(static_cast<std::size_t>(n_)),
      c_(triad_ ? static_cast<std::size_t>(n_) : 0) {
  fill_test_values(a_.data(), n_, 1, 1.0f, threads_);
  fill_test_values(b_.data(), n_, 2, 1.0f, threads_);
  if (triad_) fill_test_values(c_.data(), n_, 3, 1.0f, threads_);
}

Work StreamKernel::work() const {
  const double array = static_cast<double>(n_) * 4;
  Work w;
  w.bytes_read = triad_ ? 2 * array : array;
  w.bytes_written = array;
  w.flops = triad_ ? 2.0 * static_cast<double>(n_) : 0;
  return w;
}

std::string StreamKernel::implementation() const {
  return triad_ ? "openmp triad a=b+s*c, f32, static chunks, ISA-cloned loop"
                : "openmp copy b=a, f32, static chunks, ISA-cloned loop";
}

std::map<std::string, std::string> StreamKernel::parameters() const {
  return {{"elements_per_array", std::to_string(n_)}, {"arrays", triad_ ? "3" : "2"}};
}

void StreamKernel::run_once() {
  const std::int64_t n = n_;
#pragma omp parallel num_threads(threads_)
  {
    // Chunks aligned to 16 floats (one cache line) so no line is shared by two threads.
    const std::int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const std::int64_t per = ((n + nt - 1) / nt + 15) / 16 * 16;
    const std::int64_t begin = std::min(n, t * per), end = std::min(n, begin + per);
    if (triad_) {
      triad_chunk(a_.data() + begin, b_.data() + begin, c_.data() + begin, end - begin);
    } else {
      copy_chunk(a_.data() + begin, b_.data() + begin, end - begin);
    }
  }
}

CheckResult StreamKernel::check() {
  // Fresh inputs, one call, then every (or a sample of) output against its definition.
  fill_test_values(a_.data(), n_, 1, 1.0f, threads_);
  fill_test_values(b_.data(), n_, 2, 1.0f, threads_);
  run_once();
  OutputChecker checker(triad_ ? 1e-6 : 0.0);
  const auto indices = sample_indices(n_, 4096);
  for (std::int64_t i : indices) {
    if (triad_) {
      const double b = test_value(2, i), c = test_value(3, i);
      checker.add(i, a_[i], b + kScalar * c, std::abs(b) + std::abs(kScalar * c) + 1e-30);
    } else {
      checker.add(i, b_[i], test_value(1, i), 1.0);
    }
  }
  return checker.result(sample_method(n_, static_cast<std::int64_t>(indices.size())));
}

}  // namespace llmsim::bench
