// One case to measure: the kernel class, operand format and shape, and the CPU threads.
// Suites expand into these; backends build a Kernel from one.
#pragma once

#include <cstdint>
#include <string>

#include "measurement.pb.h"

namespace llmsim::bench {

struct KernelSpec {
  measurements::KernelClass kernel = measurements::KERNEL_CLASS_UNSPECIFIED;
  std::string dtype = "f32";  // operand storage format (f32 f16 bf16 tf32 fp8 q8_0 q4_0)
  std::int64_t m = 0, n = 0, k = 0;
  std::int64_t heads = 0, kv_heads = 0, head_dim = 0, context = 0;
  std::int64_t elements = 0;  // element-wise kernels
  std::int64_t bytes = 0;     // streaming kernels: working set of all arrays
  int threads = 0;            // CPU threads; 0 = every online core (resolved before running)
  std::string model;          // decode_step: model id or config.json path
  // f32 GEMV on the cpu backend: "" or "blas" = OpenBLAS cblas_sgemv; "rows" = our row-by-row
  // dot kernel, the one the model-level step runs (so its f32 matmuls can be calibrated).
  std::string impl;

  /// Stable key: "cpu/gemm/f32/m=1,n=4096,k=4096/t=2" (only the fields the class uses).
  std::string id(const std::string& backend) const;
  /// "gemm f32 m=1 n=4096 k=4096 threads=2" for progress lines.
  std::string describe() const;
  /// The same kernel on a shape small enough to check every output against the reference.
  KernelSpec small_variant() const;
};

/// Short class name ("gemm") of a spec's kernel.
std::string kernel_name(const KernelSpec& spec);

}  // namespace llmsim::bench
