// A compute pipeline over N storage buffers (bindings 0..N-1) and a push-constant block,
// with its own descriptor set bound to the kernel's buffers.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <vector>

#include "validate/runner/vulkan/vulkan_context.hpp"

namespace llmsim::bench {

class VulkanPipeline {
 public:
  VulkanPipeline(VulkanContext& context, const std::vector<std::uint32_t>& spirv, const std::vector<VkBuffer>& buffers,
                 std::uint32_t push_bytes);
  ~VulkanPipeline();
  VulkanPipeline(const VulkanPipeline&) = delete;
  VulkanPipeline& operator=(const VulkanPipeline&) = delete;

  /// Binds the pipeline and its buffers, pushes the constants and dispatches.
  void record(VkCommandBuffer commands, const void* push, std::uint32_t gx, std::uint32_t gy) const;

 private:
  VulkanContext& context_;
  std::uint32_t push_bytes_;
  VkShaderModule module_ = VK_NULL_HANDLE;
  VkDescriptorSetLayout set_layout_ = VK_NULL_HANDLE;
  VkPipelineLayout layout_ = VK_NULL_HANDLE;
  VkPipeline pipeline_ = VK_NULL_HANDLE;
  VkDescriptorPool pool_ = VK_NULL_HANDLE;
  VkDescriptorSet set_ = VK_NULL_HANDLE;
};

}  // namespace llmsim::bench
