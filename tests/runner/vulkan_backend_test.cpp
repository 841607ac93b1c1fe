// Vulkan kernels against the same references, on whatever Vulkan device is present
// (lavapipe on machines with no GPU). Skipped, saying why, with no device or no build.
#include <catch2/catch.hpp>

#include <iostream>

#include "validate/runner/core/backend_registry.hpp"

using namespace llmsim::bench;
using namespace llmsim::measurements;

namespace {

std::unique_ptr<Backend> vulkan_or_skip() {
  try {
    return make_backend("vulkan", BackendOptions{});
  } catch (const BackendUnavailable& e) {
    std::cout << "SKIPPED: " << e.what() << "\n";
    return nullptr;
  }
}

void require_correct(Backend& backend, const KernelSpec& s) {
  INFO(s.describe());
  REQUIRE(backend.unsupported_reason(s).empty());
  auto kernel = backend.make_kernel(s);
  const CheckResult r = kernel->check();
  INFO(r.method << ": " << r.detail);
  CHECK(r.ok);
  CHECK(kernel->time_calls(3) > 0);
}

}  // namespace

TEST_CASE("vulkan kernels match their references on small shapes", "[vulkan]") {
  auto backend = vulkan_or_skip();
  if (!backend) return;
  CHECK_FALSE(backend->device().name().empty());
  KernelSpec copy;
  copy.kernel = KERNEL_CLASS_COPY;
  copy.bytes = 40000;
  require_correct(*backend, copy);
  for (auto kernel : {KERNEL_CLASS_GEMM, KERNEL_CLASS_GEMV}) {
    for (const char* dtype : {"f32", "f16", "q4_0"}) {
      KernelSpec s;
      s.kernel = kernel;
      s.dtype = dtype;
      s.m = kernel == KERNEL_CLASS_GEMM ? 37 : 1;
      s.n = 45;
      s.k = 96;
      if (!backend->unsupported_reason(s).empty()) continue;
      require_correct(*backend, s);
    }
  }
  KernelSpec silu;
  silu.kernel = KERNEL_CLASS_SILU;
  silu.elements = 5000;
  require_correct(*backend, silu);
  KernelSpec norm;
  norm.kernel = KERNEL_CLASS_RMSNORM;
  norm.m = 3;
  norm.n = 1000;
  require_correct(*backend, norm);
}

TEST_CASE("vulkan names the kernels it has no shader for", "[vulkan]") {
  auto backend = vulkan_or_skip();
  if (!backend) return;
  KernelSpec gelu;
  gelu.kernel = KERNEL_CLASS_GELU;
  gelu.elements = 5000;
  CHECK(backend->unsupported_reason(gelu) == "the vulkan backend has no gelu kernel");
}
