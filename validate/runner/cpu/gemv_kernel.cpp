#include "validate/runner/cpu/gemv_kernel.hpp"

#include "validate/runner/core/output_checker.hpp"
#include "validate/runner/core/test_data.hpp"

namespace llmsim::bench {

GemvKernel::GemvKernel(const KernelSpec& spec)
    : threads_(spec.threads),
      weights_(spec.dtype, spec.n, spec.k, 21, 1.0f, spec.threads),
      x_(static_cast<std::size_t>(spec.k)),
      y_(static_cast<std::size_t>(spec.n)) {
  fill_test_values(x_.data(), spec.k, 22, 1.0f, 1);
}

Work GemvKernel::work() const {
  const double n = static_cast<double>(weights_.rows()), k = static_cast<double>(weights_.cols());
  return Work{2 * n * k, weights_.bytes() + weights_.activation_bytes(), n * 4};
}

CheckResult GemvKernel::check() {
  run_once();
  OutputChecker checker(1e-4);
  const auto indices = sample_indices(weights_.rows(), 256);
  for (std::int64_t r : indices) {
    double scale = 0;
    const double expected = weights_.reference_row(r, x_.data(), scale);
    checker.add(r, y_[r], expected, scale);
  }
  return checker.result(sample_method(weights_.rows(), static_cast<std::int64_t>(indices.size())));
}

}  // namespace llmsim::bench
