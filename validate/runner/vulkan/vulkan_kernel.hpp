// A kernel on a Vulkan device: one compute pipeline over its buffers, timed by GPU
// timestamps written before and after back-to-back dispatches (with a barrier between
// dispatches, as dependent ops in a model would have).
#pragma once

#include <vulkan/vulkan.h>

#include <functional>
#include <memory>
#include <vector>

#include "validate/runner/core/kernel.hpp"
#include "validate/runner/vulkan/vulkan_buffer.hpp"
#include "validate/runner/vulkan/vulkan_context.hpp"
#include "validate/runner/vulkan/vulkan_pipeline.hpp"

namespace llmsim::bench {

class VulkanKernel : public Kernel {
 public:
  /// Compares the kernel's outputs (downloaded from its buffers) with the reference.
  using Checker = std::function<CheckResult(VulkanKernel&)>;

  struct Launch {
    std::string shader;
    std::vector<std::uint8_t> push;  // push-constant bytes
    std::uint32_t groups_x = 1, groups_y = 1;
  };

  VulkanKernel(VulkanContext& context, std::vector<std::unique_ptr<VulkanBuffer>> buffers, Launch launch, Work work,
               std::string implementation, Checker checker);
  ~VulkanKernel() override;

  Work work() const override { return work_; }
  std::string implementation() const override { return implementation_; }
  std::string timer() const override { return "vulkan_timestamp"; }
  std::map<std::string, std::string> parameters() const override;
  CheckResult check() override;
  double time_calls(std::int64_t calls) override;

  VulkanBuffer& buffer(std::size_t index) { return *buffers_.at(index); }

 private:
  double time_batch(std::int64_t calls);

  VulkanContext& context_;
  std::vector<std::unique_ptr<VulkanBuffer>> buffers_;
  Launch launch_;
  Work work_;
  std::string implementation_;
  Checker checker_;
  std::unique_ptr<VulkanPipeline> pipeline_;
  VkQueryPool queries_ = VK_NULL_HANDLE;
};

}  // namespace llmsim::bench
