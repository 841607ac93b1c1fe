#include "validate/runner/cpu/cpu_backend.hpp"

#include <fmt/format.h>
#include <google/protobuf/stubs/common.h>

#include <thread>

#include "validate/runner/core/data_locator.hpp"
#include "validate/runner/core/host_info.hpp"
#include "validate/runner/cpu/attention_kernel.hpp"
#include "validate/runner/cpu/blas_kernel.hpp"
#include "validate/runner/cpu/cpu_step_benchmark.hpp"
#include "validate/runner/cpu/elementwise_kernel.hpp"
#include "validate/runner/cpu/gemv_kernel.hpp"
#include "validate/runner/cpu/stream_kernel.hpp"
#include "validate/runner/cpu/transformer_config.hpp"
#include "validate/runner/cpu/vec_ops.hpp"

namespace llmsim::bench {

using measurements::KernelClass;

measurements::Device CpuBackend::device() const { return host_cpu_device(); }

std::map<std::string, std::string> CpuBackend::libraries() const {
  return {{"openblas", BlasKernel::library_version()},
          {"openmp", fmt::format("{}", _OPENMP)},
          {"protobuf", google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION)},
          {"vec_ops", vec_ops().isa}};
}

int CpuBackend::resolve_threads(int requested) const {
  return requested > 0 ? requested : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

std::string CpuBackend::unsupported_reason(const KernelSpec& spec) const {
  const std::string& d = spec.dtype;
  auto only = [&](std::initializer_list<const char*> dtypes) -> std::string {
    for (const char* ok : dtypes) {
      if (d == ok) return "";
    }
    return fmt::format("the cpu backend has no {} {} kernel", d, kernel_name(spec));
  };
  switch (spec.kernel) {
    case measurements::KERNEL_CLASS_COPY:
    case measurements::KERNEL_CLASS_TRIAD:
    case measurements::KERNEL_CLASS_GEMM:
    case measurements::KERNEL_CLASS_RMSNORM:
    case measurements::KERNEL_CLASS_SILU:
    case measurements::KERNEL_CLASS_GELU:
      return only({"f32"});
    case measurements::KERNEL_CLASS_GEMV:
    case measurements::KERNEL_CLASS_DECODE_STEP:
      return only({"f32", "f16", "q8_0", "q4_0"});
    case measurements::KERNEL_CLASS_ATTENTION_DECODE:
      return only({"f32", "f16"});
    default:
      return fmt::format("the cpu backend cannot run {} cases", kernel_name(spec));
  }
}

std::unique_ptr<Kernel> CpuBackend::make_kernel(const KernelSpec& spec) {
  switch (spec.kernel) {
    case measurements::KERNEL_CLASS_COPY:
    case measurements::KERNEL_CLASS_TRIAD:
      return std::make_unique<StreamKernel>(spec);
    case measurements::KERNEL_CLASS_GEMM:
      return std::make_unique<BlasKernel>(spec);
    case measurements::KERNEL_CLASS_GEMV:
      // f32 GEMV is what BLAS users run; the other formats are our ggml-layout kernels.
      if (spec.dtype == "f32" && spec.impl != "rows") return std::make_unique<BlasKernel>(spec);
      return std::make_unique<GemvKernel>(spec);
    case measurements::KERNEL_CLASS_ATTENTION_DECODE:
      return std::make_unique<AttentionKernel>(spec);
    case measurements::KERNEL_CLASS_RMSNORM:
    case measurements::KERNEL_CLASS_SILU:
    case measurements::KERNEL_CLASS_GELU:
      return std::make_unique<ElementwiseKernel>(spec);
    default:
      throw UnsupportedCase(unsupported_reason(spec));
  }
}

std::unique_ptr<StepBenchmark> CpuBackend::make_step(const KernelSpec& spec) {
  const DataLocator locator("");
  const TransformerConfig config = read_transformer_config(locator.model_config(spec.model));
  if (spec.context < 0 || spec.context >= config.positions) {
    throw UnsupportedCase(fmt::format("context {} must be below the model's {} positions", spec.context,
                                      config.positions));
  }
  return std::make_unique<CpuStepBenchmark>(config, spec.dtype, spec.context, spec.threads);
}

}  // namespace llmsim::bench
