// f32 GEMM and GEMV through OpenBLAS, shaped like an LLM linear layer: activations
// A [m x k] times weights W [n x k] transposed (the row-major layout model files use).
// m = 1 with the GEMV kind calls cblas_sgemv, otherwise cblas_sgemm.
#pragma once

#include "validate/runner/core/aligned_buffer.hpp"
#include "validate/runner/core/kernel_spec.hpp"
#include "validate/runner/cpu/cpu_kernel.hpp"

namespace llmsim::bench {

class BlasKernel : public CpuKernel {
 public:
  /// spec.kernel is GEMM or GEMV, dtype f32, threads >= 1.
  explicit BlasKernel(const KernelSpec& spec);

  Work work() const override;
  std::string implementation() const override;
  CheckResult check() override;

  /// "OpenBLAS 0.3.21 ... Haswell" as the library reports itself.
  static std::string library_version();

 protected:
  void run_once() override;
  void before_timing() override;

 private:
  bool gemv_;
  std::int64_t m_, n_, k_;
  int threads_;
  AlignedBuffer<float> a_, w_, c_;
};

}  // namespace llmsim::bench
