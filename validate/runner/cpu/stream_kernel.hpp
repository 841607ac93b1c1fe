// Streaming bandwidth, STREAM-style, on f32 arrays: copy (b = a) and triad (a = b + s*c).
// `bytes` is the working set of all arrays; sizes far above the last-level cache measure
// DRAM, small ones the caches. Each thread streams one contiguous chunk.
#pragma once

#include "validate/runner/core/aligned_buffer.hpp"
#include "validate/runner/core/kernel_spec.hpp"
#include "validate/runner/cpu/cpu_kernel.hpp"

namespace llmsim::bench {

class StreamKernel : public CpuKernel {
 public:
  /// spec.kernel is COPY or TRIAD; spec.threads >= 1.
  explicit StreamKernel(const KernelSpec& spec);

  Work work() const override;
  std::string implementation() const override;
  std::map<std::string, std::string> parameters() const override;
  CheckResult check() override;

 protected:
  void run_once() override;

 private:
  bool triad_;
  int threads_;
  std::int64_t n_;  // elements per array
  AlignedBuffer<float> a_, b_, c_;
};

}  // namespace llmsim::bench
