// A storage buffer in device memory. Where that memory is host-visible (integrated GPUs,
// lavapipe) it is mapped directly; otherwise uploads and downloads go through a staging copy.
#pragma once

#include <vulkan/vulkan.h>

#include <cstddef>

#include "validate/runner/vulkan/vulkan_context.hpp"

namespace llmsim::bench {

class VulkanBuffer {
 public:
  VulkanBuffer(VulkanContext& context, std::size_t bytes);
  ~VulkanBuffer();
  VulkanBuffer(const VulkanBuffer&) = delete;
  VulkanBuffer& operator=(const VulkanBuffer&) = delete;

  void upload(const void* data, std::size_t bytes);
  void download(void* data, std::size_t bytes);

  VkBuffer handle() const { return buffer_; }
  std::size_t bytes() const { return bytes_; }

 private:
  void copy(VkBuffer from, VkBuffer to, std::size_t bytes);
  static void create(VulkanContext& context, std::size_t bytes, VkMemoryPropertyFlags want, VkBuffer& buffer,
                     VkDeviceMemory& memory, VkMemoryPropertyFlags& got);

  VulkanContext& context_;
  std::size_t bytes_;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  VkMemoryPropertyFlags flags_ = 0;
};

}  // namespace llmsim::bench
