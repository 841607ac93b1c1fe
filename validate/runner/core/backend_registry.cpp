#include "validate/runner/core/backend_registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "common/name_listing.hpp"
#include "validate/runner/cpu/cpu_backend.hpp"
#ifdef LLMSIM_BENCH_HAVE_VULKAN
#include "validate/runner/vulkan/vulkan_backend.hpp"
#endif
#ifdef LLMSIM_BENCH_HAVE_CUDA
#include "validate/runner/cuda/cuda_backend.hpp"
#endif

namespace llmsim::bench {

std::vector<std::string> backend_names() { return {"cpu", "vulkan", "cuda"}; }

std::vector<std::string> built_backends() {
  std::vector<std::string> names{"cpu"};
#ifdef LLMSIM_BENCH_HAVE_VULKAN
  names.push_back("vulkan");
#endif
#ifdef LLMSIM_BENCH_HAVE_CUDA
  names.push_back("cuda");
#endif
  return names;
}

std::unique_ptr<Backend> make_backend(const std::string& name, const BackendOptions& options) {
  const auto known = backend_names();
  if (std::find(known.begin(), known.end(), name) == known.end()) {
    throw std::invalid_argument(fmt::format("unknown backend '{}'; known: {}", name, join_names(known)));
  }
  (void)options;
  if (name == "cpu") return std::make_unique<CpuBackend>();
#ifdef LLMSIM_BENCH_HAVE_VULKAN
  if (name == "vulkan") return std::make_unique<VulkanBackend>(options.device_index);
#endif
#ifdef LLMSIM_BENCH_HAVE_CUDA
  if (name == "cuda") return std::make_unique<CudaBackend>(options.device_index);
#endif
  throw BackendUnavailable(fmt::format(
      "the {} backend was not built into this llmsim-bench (built: {}); {}", name, join_names(built_backends()),
      name == "vulkan" ? "install libvulkan-dev and glslc and rebuild"
                       : "install the CUDA toolkit (nvcc) and rebuild"));
}

}  // namespace llmsim::bench
