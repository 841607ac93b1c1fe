// The Vulkan backend: compute shaders on any Vulkan device (lavapipe where there is no GPU).
#pragma once

#include <memory>

#include "validate/runner/core/backend.hpp"
#include "validate/runner/vulkan/vulkan_context.hpp"

namespace llmsim::bench {

class VulkanBackend : public Backend {
 public:
  /// Throws BackendUnavailable when no Vulkan device `device_index` exists.
  explicit VulkanBackend(int device_index);

  std::string name() const override { return "vulkan"; }
  measurements::Device device() const override;
  std::map<std::string, std::string> libraries() const override;
  std::string unsupported_reason(const KernelSpec& spec) const override;
  std::unique_ptr<Kernel> make_kernel(const KernelSpec& spec) override;

 private:
  std::unique_ptr<VulkanContext> context_;
};

}  // namespace llmsim::bench
