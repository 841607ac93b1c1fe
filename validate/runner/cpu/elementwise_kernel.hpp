// RMSNorm (m rows of n), SiLU and GELU (n elements) as timed kernels, f32.
#pragma once

#include "validate/runner/core/aligned_buffer.hpp"
#include "validate/runner/core/kernel_spec.hpp"
#include "validate/runner/cpu/cpu_kernel.hpp"

namespace llmsim::bench {

class ElementwiseKernel : public CpuKernel {
 public:
  /// spec.kernel is RMSNORM (m, n), SILU or GELU (elements); dtype f32.
  explicit ElementwiseKernel(const KernelSpec& spec);

  Work work() const override;
  std::string implementation() const override;
  CheckResult check() override;

 protected:
  void run_once() override;

 private:
  // SiLU evaluates exp per element and GELU tanh: calibration times both to tell them apart.
  enum class Function { rmsnorm, silu, gelu };

  Function fn_;
  std::int64_t rows_, n_;
  int threads_;
  AlignedBuffer<float> x_, w_, y_;
};

}  // namespace llmsim::bench
