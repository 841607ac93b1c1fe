// GEMV y = W x with W stored as f16, q8_0 or q4_0 (ggml blocks): the memory-bound kernel
// that sets CPU decode speed. Our own kernels (vec_ops.hpp), rows split over threads.
#pragma once

#include "validate/runner/core/aligned_buffer.hpp"
#include "validate/runner/core/kernel_spec.hpp"
#include "validate/runner/cpu/cpu_kernel.hpp"
#include "validate/runner/cpu/weight_matrix.hpp"

namespace llmsim::bench {

class GemvKernel : public CpuKernel {
 public:
  /// spec.dtype in {f32, f16, q8_0, q4_0}; k a multiple of 32 for the block formats.
  explicit GemvKernel(const KernelSpec& spec);

  Work work() const override;
  std::string implementation() const override { return weights_.implementation(); }
  CheckResult check() override;

 protected:
  void run_once() override { weights_.gemv(x_.data(), y_.data(), threads_); }

 private:
  int threads_;
  WeightMatrix weights_;
  AlignedBuffer<float> x_, y_;
};

}  // namespace llmsim::bench
