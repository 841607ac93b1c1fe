#include "validate/runner/cpu/blas_kernel.hpp"

#include <cblas.h>
#include <fmt/format.h>

#include <cmath>

#include "validate/runner/core/output_checker.hpp"
#include "validate/runner/core/test_data.hpp"

namespace llmsim::bench {

namespace {
constexpr std::uint64_t kSeedA = 11, kSeedW = 12;
}

BlasKernel::BlasKernel(const KernelSpec& spec)
    : gemv_(spec.kernel == measurements::KERNEL_CLASS_GEMV),
      m_(gemv_ ? 1 : spec.m),
      n_(spec.n),
      k_(spec.k),
      threads_(spec.threads),
      a_(static_cast<std::size_t>(m_ * k_)),
      w_(static_cast<std::size_t>(n_ * k_)),
      c_(static_cast<std::size_t>(m_ * n_)) {
  fill_test_values(a_.data(), m_ * k_, kSeedA, 1.0f, threads_);
  fill_test_values(w_.data(), n_ * k_, kSeedW, 1.0f, threads_);
}

std::string BlasKernel::library_version() {
  return fmt::format("{} (core {})", openblas_get_config(), openblas_get_corename());
}

Work BlasKernel::work() const {
  const double m = static_cast<double>(m_), n = static_cast<double>(n_), k = static_cast<double>(k_);
  return Work{2 * m * n * k, (m * k + n * k) * 4, m * n * 4};
}

std::string BlasKernel::implementation() const {
  return fmt::format("openblas {} ({})", gemv_ ? "cblas_sgemv" : "cblas_sgemm, W transposed",
                     openblas_get_corename());
}

void BlasKernel::before_timing() { openblas_set_num_threads(threads_); }

void BlasKernel::run_once() {
  const auto m = static_cast<blasint>(m_), n = static_cast<blasint>(n_), k = static_cast<blasint>(k_);
  if (gemv_) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1.0f, w_.data(), k, a_.data(), 1, 0.0f, c_.data(), 1);
  } else {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a_.data(), k, w_.data(), k, 0.0f,
                c_.data(), n);
  }
}

CheckResult BlasKernel::check() {
  before_timing();
  run_once();
  OutputChecker checker(1e-4);
  const auto indices = sample_indices(m_ * n_, 256);
  for (std::int64_t idx : indices) {
    const std::int64_t i = idx / n_, j = idx % n_;
    double sum = 0, scale = 0;
    for (std::int64_t l = 0; l < k_; ++l) {
      const double p = static_cast<double>(a_[i * k_ + l]) * w_[j * k_ + l];
      sum += p;
      scale += std::abs(p);
    }
    checker.add(idx, c_[idx], sum, scale);
  }
  return checker.result(sample_method(m_ * n_, static_cast<std::int64_t>(indices.size())));
}

}  // namespace llmsim::bench
