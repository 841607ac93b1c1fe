#include "validate/runner/cpu/elementwise_kernel.hpp"

#include <cmath>

#include "validate/runner/core/output_checker.hpp"
#include "validate/runner/core/test_data.hpp"
#include "validate/runner/cpu/elementwise_math.hpp"

namespace llmsim::bench {

namespace {
constexpr float kEps = 1e-5f;
}

ElementwiseKernel::ElementwiseKernel(const KernelSpec& spec)
    : rms_(spec.kernel == measurements::KERNEL_CLASS_RMSNORM),
      rows_(rms_ ? spec.m : 1),
      n_(rms_ ? spec.n : spec.elements),
      threads_(spec.threads),
      x_(static_cast<std::size_t>(rows_ * n_)),
      w_(rms_ ? static_cast<std::size_t>(n_) : 0),
      y_(static_cast<std::size_t>(rows_ * n_)) {
  fill_test_values(x_.data(), rows_ * n_, 41, 4.0f, threads_);
  if (rms_) fill_test_values(w_.data(), n_, 42, 1.0f, 1);
}

Work ElementwiseKernel::work() const {
  const double count = static_cast<double>(rows_ * n_);
  // RMSNorm: square-and-add, then scale and weight: 4 per element. SiLU: exp, add,
  // divide, multiply counted as 4 per element.
  return rms_ ? Work{4 * count, (count + static_cast<double>(n_)) * 4, count * 4} : Work{4 * count, count * 4, count * 4};
}

std::string ElementwiseKernel::implementation() const {
  return rms_ ? "openmp rmsnorm, rows over threads, simd reduction" : "openmp simd silu x/(1+exp(-x))";
}

void ElementwiseKernel::run_once() {
  if (rms_) {
    rms_norm(x_.data(), w_.data(), y_.data(), rows_, n_, kEps, threads_);
  } else {
    silu(x_.data(), y_.data(), n_, threads_);
  }
}

CheckResult ElementwiseKernel::check() {
  run_once();
  OutputChecker checker(1e-4);
  const std::int64_t total = rows_ * n_;
  const auto indices = sample_indices(total, 1024);
  std::int64_t row_done = -1;
  double inv = 0;
  for (std::int64_t i : indices) {
    const double x = x_[i];
    if (rms_) {
      const std::int64_t r = i / n_;
      if (r != row_done) {
        double squares = 0;
        for (std::int64_t j = 0; j < n_; ++j) squares += static_cast<double>(x_[r * n_ + j]) * x_[r * n_ + j];
        inv = 1.0 / std::sqrt(squares / static_cast<double>(n_) + kEps);
        row_done = r;
      }
      const double w = w_[i % n_];
      checker.add(i, y_[i], x * inv * w, std::abs(x * inv * w) + 1e-6);
    } else {
      checker.add(i, y_[i], silu_reference(x), std::abs(x) + 1e-6);
    }
  }
  return checker.result(sample_method(total, static_cast<std::int64_t>(indices.size())));
}

}  // namespace llmsim::bench
