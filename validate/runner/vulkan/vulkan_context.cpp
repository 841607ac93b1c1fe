#include "validate/runner/vulkan/vulkan_context.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <vector>

#include "validate/runner/core/bench_errors.hpp"

namespace llmsim::bench {

void vk_check(VkResult result, const char* call) {
  if (result != VK_SUCCESS) throw std::runtime_error(fmt::format("{} failed (VkResult {})", call, static_cast<int>(result)));
}

VulkanContext::VulkanContext(int device_index) {
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "llmsim-bench";
  app.apiVersion = VK_API_VERSION_1_2;
  VkInstanceCreateInfo instance_info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  instance_info.pApplicationInfo = &app;
  if (VkResult r = vkCreateInstance(&instance_info, nullptr, &instance_); r != VK_SUCCESS) {
    throw BackendUnavailable(fmt::format("no Vulkan driver found (vkCreateInstance returned {}); install a Vulkan "
                                         "driver, e.g. Debian's mesa-vulkan-drivers for lavapipe",
                                         static_cast<int>(r)));
  }
  std::uint32_t count = 0;
  vkEnumeratePhysicalDevices(instance_, &count, nullptr);
  std::vector<VkPhysicalDevice> devices(count);
  if (count > 0) vkEnumeratePhysicalDevices(instance_, &count, devices.data());
  if (count == 0 || device_index >= static_cast<int>(count)) {
    vkDestroyInstance(instance_, nullptr);
    throw BackendUnavailable(fmt::format("no Vulkan device {} on this machine ({} found); install a Vulkan driver, "
                                         "e.g. Debian's mesa-vulkan-drivers for lavapipe",
                                         device_index, count));
  }
  physical_ = devices[static_cast<std::size_t>(device_index)];

  VkPhysicalDeviceDriverProperties driver{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
  VkPhysicalDeviceProperties2 props2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  props2.pNext = &driver;
  vkGetPhysicalDeviceProperties2(physical_, &props2);
  properties_ = props2.properties;
  driver_ = fmt::format("{} {}", driver.driverName, driver.driverInfo);
  vkGetPhysicalDeviceMemoryProperties(physical_, &memory_);
  for (std::uint32_t h = 0; h < memory_.memoryHeapCount; ++h) {
    if (memory_.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) device_local_bytes_ += memory_.memoryHeaps[h].size;
  }

  std::uint32_t families = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(physical_, &families, nullptr);
  std::vector<VkQueueFamilyProperties> family(families);
  vkGetPhysicalDeviceQueueFamilyProperties(physical_, &families, family.data());
  std::uint32_t chosen = UINT32_MAX;
  for (std::uint32_t f = 0; f < families; ++f) {
    if ((family[f].queueFlags & VK_QUEUE_COMPUTE_BIT) && family[f].timestampValidBits > 0) {
      chosen = f;
      timestamp_bits_ = family[f].timestampValidBits;
      break;
    }
  }
  if (chosen == UINT32_MAX) {
    vkDestroyInstance(instance_, nullptr);
    throw BackendUnavailable(fmt::format("Vulkan device '{}' has no compute queue with timestamps",
                                         properties_.deviceName));
  }
  timestamp_period_ns_ = properties_.limits.timestampPeriod;

  const float priority = 1.0f;
  VkDeviceQueueCreateInfo queue_info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  queue_info.queueFamilyIndex = chosen;
  queue_info.queueCount = 1;
  queue_info.pQueuePriorities = &priority;
  VkDeviceCreateInfo device_info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  device_info.queueCreateInfoCount = 1;
  device_info.pQueueCreateInfos = &queue_info;
  vk_check(vkCreateDevice(physical_, &device_info, nullptr, &device_), "vkCreateDevice");
  vkGetDeviceQueue(device_, chosen, 0, &queue_);
  VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool_info.queueFamilyIndex = chosen;
  pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  vk_check(vkCreateCommandPool(device_, &pool_info, nullptr, &pool_), "vkCreateCommandPool");
  VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  vk_check(vkCreateFence(device_, &fence_info, nullptr, &fence_), "vkCreateFence");
}

VulkanContext::~VulkanContext() {
  if (device_) {
    vkDeviceWaitIdle(device_);
    vkDestroyFence(device_, fence_, nullptr);
    vkDestroyCommandPool(device_, pool_, nullptr);
    vkDestroyDevice(device_, nullptr);
  }
  if (instance_) vkDestroyInstance(instance_, nullptr);
}

std::uint32_t VulkanContext::memory_type(std::uint32_t type_bits, VkMemoryPropertyFlags required) const {
  for (std::uint32_t t = 0; t < memory_.memoryTypeCount; ++t) {
    if ((type_bits & (1u << t)) && (memory_.memoryTypes[t].propertyFlags & required) == required) return t;
  }
  return UINT32_MAX;
}

VkMemoryPropertyFlags VulkanContext::memory_flags(std::uint32_t type) const {
  return memory_.memoryTypes[type].propertyFlags;
}

VkCommandBuffer VulkanContext::begin_commands() {
  VkCommandBufferAllocateInfo info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  info.commandPool = pool_;
  info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  info.commandBufferCount = 1;
  VkCommandBuffer commands = VK_NULL_HANDLE;
  vk_check(vkAllocateCommandBuffers(device_, &info, &commands), "vkAllocateCommandBuffers");
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  vk_check(vkBeginCommandBuffer(commands, &begin), "vkBeginCommandBuffer");
  return commands;
}

void VulkanContext::submit_and_wait(VkCommandBuffer commands) {
  vk_check(vkEndCommandBuffer(commands), "vkEndCommandBuffer");
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &commands;
  vk_check(vkResetFences(device_, 1, &fence_), "vkResetFences");
  vk_check(vkQueueSubmit(queue_, 1, &submit, fence_), "vkQueueSubmit");
  vk_check(vkWaitForFences(device_, 1, &fence_, VK_TRUE, UINT64_MAX), "vkWaitForFences");
  vkFreeCommandBuffers(device_, pool_, 1, &commands);
}

}  // namespace llmsim::bench
