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
    : fn_(spec.kernel == measurements::KERNEL_CLASS_RMSNORM ? Function::rmsnorm
          : spec.kernel == measurements::KERNEL_CLASS_GELU  ? Function::gelu
                                                            : Function::silu),
      rows_(fn_ == Function::rmsnorm ? spec.m : 1),
      n_(fn_ == Function::rmsnorm ? spec.n : spec.elements),
      threads_(spec.threads),
      x_(static_cast<std::size_t>(rows_ * n_)),
      w_(fn_ == Function::rmsnorm ? static_cast<std::size_t>(n_) : 0),
      y_(static_cast<std::size_t>(rows_ * n_)) {
  fill_test_values(x_.data(), rows_ * n_, 41, 4.0f, threads_);
  if (fn_ == Function::rmsnorm) fill_test_values(w_.data(), n_, 42, 1.0f, 1);
}

Work ElementwiseKernel::work() const {
  const double count = static_cast<double>(rows_ * n_);
  switch (fn_) {
    case Function::rmsnorm:
      // Square-and-add, then scale and weight: 4 per element; the weight row is read too.
      return Work{4 * count, (count + static_cast<double>(n_)) * 4, count * 4};
    case Function::silu:
      // exp, add, divide, multiply: 4 per element.
      return Work{4 * count, count * 4, count * 4};
    case Function::gelu:
      // tanh, plus 7 multiply/adds (cube, scale, add, scale, 1+, 0.5*x*): 8 per element.
      return Work{8 * count, count * 4, count * 4};
  }
  return Work{};
}

std::string ElementwiseKernel::implementation() const {
  switch (fn_) {
    case Function::rmsnorm:
      return "openmp rmsnorm, rows over threads, simd reduction";
    case Function::silu:
      return "openmp simd silu x/(1+exp(-x))";
    case Function::gelu:
      return "openmp simd gelu tanh approximation 0.5x(1+tanh(sqrt(2/pi)(x+0.044715x^3)))";
  }
  return "";
}

void ElementwiseKernel::run_once() {
  switch (fn_) {
    case Function::rmsnorm:
      rms_norm(x_.data(), w_.data(), y_.data(), rows_, n_, kEps, threads_);
      break;
    case Function::silu:
      silu(x_.data(), y_.data(), n_, threads_);
      break;
    case Function::gelu:
      gelu_tanh(x_.data(), y_.data(), n_, threads_);
      break;
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
    if (fn_ == Function::rmsnorm) {
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
      // Both outputs are at most |x| in size, so |x| is the error scale for either.
      const double expected = fn_ == Function::gelu ? gelu_tanh_reference(x) : silu_reference(x);
      checker.add(i, y_[i], expected, std::abs(x) + 1e-6);
    }
  }
  return checker.result(sample_method(total, static_cast<std::int64_t>(indices.size())));
}

}  // namespace llmsim::bench
