// The CPU backend: streaming bandwidth, OpenBLAS GEMM/GEMV, our quantised GEMV, decode
// attention, RMSNorm, SiLU, GELU and the model-level transformer step, threaded with OpenMP.
#pragma once

#include <string>

#include "validate/runner/core/backend.hpp"

namespace llmsim::bench {

class CpuBackend : public Backend {
 public:
  std::string name() const override { return "cpu"; }
  measurements::Device device() const override;
  std::map<std::string, std::string> libraries() const override;
  std::string unsupported_reason(const KernelSpec& spec) const override;
  std::unique_ptr<Kernel> make_kernel(const KernelSpec& spec) override;
  std::unique_ptr<StepBenchmark> make_step(const KernelSpec& spec) override;
  int resolve_threads(int requested) const override;
};

}  // namespace llmsim::bench
