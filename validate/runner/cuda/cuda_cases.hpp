// Builds the CUDA kernel for a case: cuBLAS/cuBLASLt GEMM (f32, tf32, f16, bf16, fp8),
// GEMV (cuBLAS f32, our f16), device-to-device copy and our decode attention, each with a
// checker against double-precision references on the device-rounded operands.
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>

#include <memory>
#include <string>

#include "validate/runner/core/kernel.hpp"
#include "validate/runner/core/kernel_spec.hpp"

namespace llmsim::bench {

struct CudaHandles {
  cublasHandle_t blas = nullptr;
  cublasLtHandle_t lt = nullptr;
  void* workspace = nullptr;  // for cuBLASLt
  std::size_t workspace_bytes = 0;
  int cc_major = 0, cc_minor = 0;  // compute capability
};

std::string cuda_unsupported_reason(const CudaHandles& handles, const KernelSpec& spec);
std::unique_ptr<Kernel> make_cuda_kernel(const CudaHandles& handles, const KernelSpec& spec);

}  // namespace llmsim::bench
