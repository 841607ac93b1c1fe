// Builds the Vulkan kernel for a case: operands filled with the shared test values and
// uploaded, the pipeline chosen, and a checker that compares downloaded outputs with the
// same double-precision references the CPU kernels use.
#pragma once

#include <memory>
#include <string>

#include "validate/runner/core/kernel.hpp"
#include "validate/runner/core/kernel_spec.hpp"
#include "validate/runner/vulkan/vulkan_context.hpp"

namespace llmsim::bench {

/// "" when a Vulkan kernel exists for `spec` on `context`'s device, else why not.
std::string vulkan_unsupported_reason(const VulkanContext& context, const KernelSpec& spec);

/// Precondition: vulkan_unsupported_reason(context, spec) is "".
std::unique_ptr<Kernel> make_vulkan_kernel(VulkanContext& context, const KernelSpec& spec);

}  // namespace llmsim::bench
