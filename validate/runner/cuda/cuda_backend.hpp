// The CUDA backend: cuBLAS/cuBLASLt GEMMs, GEMV, copy and decode attention on an NVIDIA GPU.
#pragma once

#include "validate/runner/core/backend.hpp"
#include "validate/runner/cuda/cuda_cases.hpp"

namespace llmsim::bench {

class CudaBackend : public Backend {
 public:
  /// Throws BackendUnavailable when there is no CUDA driver or no device `device_index`.
  explicit CudaBackend(int device_index);
  ~CudaBackend() override;

  std::string name() const override { return "cuda"; }
  measurements::Device device() const override;
  std::map<std::string, std::string> libraries() const override;
  std::string unsupported_reason(const KernelSpec& spec) const override;
  std::unique_ptr<Kernel> make_kernel(const KernelSpec& spec) override;

 private:
  int device_index_;
  CudaHandles handles_;
};

}  // namespace llmsim::bench
