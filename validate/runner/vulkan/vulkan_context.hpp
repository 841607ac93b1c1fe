// One Vulkan device opened for compute: instance, device, a compute queue, a command pool
// and what the records need to know about it (name, driver, timestamp period).
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <string>

namespace llmsim::bench {

/// Throws std::runtime_error naming the call and the VkResult when `result` is an error.
void vk_check(VkResult result, const char* call);

class VulkanContext {
 public:
  /// Opens the `device_index`-th physical device. Throws BackendUnavailable when there is
  /// no Vulkan loader/driver, no device, or the device has no compute queue with timestamps.
  explicit VulkanContext(int device_index);
  ~VulkanContext();
  VulkanContext(const VulkanContext&) = delete;
  VulkanContext& operator=(const VulkanContext&) = delete;

  VkDevice device() const { return device_; }
  VkQueue queue() const { return queue_; }
  const VkPhysicalDeviceProperties& properties() const { return properties_; }
  const std::string& driver() const { return driver_; }
  double timestamp_period_ns() const { return timestamp_period_ns_; }
  std::uint32_t timestamp_valid_bits() const { return timestamp_bits_; }
  std::uint64_t device_local_bytes() const { return device_local_bytes_; }

  /// A memory type among `type_bits` with all of `required`; UINT32_MAX when none.
  std::uint32_t memory_type(std::uint32_t type_bits, VkMemoryPropertyFlags required) const;
  VkMemoryPropertyFlags memory_flags(std::uint32_t type) const;

  /// A primary command buffer, begun for one submission.
  VkCommandBuffer begin_commands();
  /// Ends, submits and waits for `commands`, then frees it.
  void submit_and_wait(VkCommandBuffer commands);

 private:
  VkInstance instance_ = VK_NULL_HANDLE;
  VkPhysicalDevice physical_ = VK_NULL_HANDLE;
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  VkCommandPool pool_ = VK_NULL_HANDLE;
  VkFence fence_ = VK_NULL_HANDLE;
  VkPhysicalDeviceProperties properties_{};
  VkPhysicalDeviceMemoryProperties memory_{};
  std::string driver_;
  double timestamp_period_ns_ = 0;
  std::uint32_t timestamp_bits_ = 0;
  std::uint64_t device_local_bytes_ = 0;
};

}  // namespace llmsim::bench
