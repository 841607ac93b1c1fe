#include "validate/runner/vulkan/vulkan_buffer.hpp"

#include <cstring>
#include <new>
#include <stdexcept>

namespace llmsim::bench {

namespace {
constexpr VkMemoryPropertyFlags kHostAccess = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
}

void VulkanBuffer::create(VulkanContext& context, std::size_t bytes, VkMemoryPropertyFlags want, VkBuffer& buffer,
                          VkDeviceMemory& memory, VkMemoryPropertyFlags& got) {
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = bytes;
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  vk_check(vkCreateBuffer(context.device(), &info, nullptr, &buffer), "vkCreateBuffer");
  VkMemoryRequirements req{};
  vkGetBufferMemoryRequirements(context.device(), buffer, &req);
  // Device-local and host-visible first (one copy of the data), then device-local, then anything.
  std::uint32_t type = context.memory_type(req.memoryTypeBits, want | kHostAccess);
  if (type == UINT32_MAX) type = context.memory_type(req.memoryTypeBits, want);
  if (type == UINT32_MAX) type = context.memory_type(req.memoryTypeBits, 0);
  VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  alloc.allocationSize = req.size;
  alloc.memoryTypeIndex = type;
  if (vkAllocateMemory(context.device(), &alloc, nullptr, &memory) != VK_SUCCESS) {
    vkDestroyBuffer(context.device(), buffer, nullptr);
    throw std::bad_alloc();
  }
  vk_check(vkBindBufferMemory(context.device(), buffer, memory, 0), "vkBindBufferMemory");
  got = context.memory_flags(type);
}

VulkanBuffer::VulkanBuffer(VulkanContext& context, std::size_t bytes) : context_(context), bytes_(bytes) {
  create(context_, bytes_, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, buffer_, memory_, flags_);
}

VulkanBuffer::~VulkanBuffer() {
  vkDestroyBuffer(context_.device(), buffer_, nullptr);
  vkFreeMemory(context_.device(), memory_, nullptr);
}

void VulkanBuffer::copy(VkBuffer from, VkBuffer to, std::size_t bytes) {
  VkCommandBuffer commands = context_.begin_commands();
  VkBufferCopy region{0, 0, bytes};
  vkCmdCopyBuffer(commands, from, to, 1, &region);
  context_.submit_and_wait(commands);
}

void VulkanBuffer::upload(const void* data, std::size_t bytes) {
  if ((flags_ & kHostAccess) == kHostAccess) {
    void* mapped = nullptr;
    vk_check(vkMapMemory(context_.device(), memory_, 0, bytes, 0, &mapped), "vkMapMemory");
    std::memcpy(mapped, data, bytes);
    vkUnmapMemory(context_.device(), memory_);
    return;
  }
  VkBuffer staging = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  VkMemoryPropertyFlags got = 0;
  create(context_, bytes, kHostAccess, staging, memory, got);
  void* mapped = nullptr;
  vk_check(vkMapMemory(context_.device(), memory, 0, bytes, 0, &mapped), "vkMapMemory");
  std::memcpy(mapped, data, bytes);
  vkUnmapMemory(context_.device(), memory);
  copy(staging, buffer_, bytes);
  vkDestroyBuffer(context_.device(), staging, nullptr);
  vkFreeMemory(context_.device(), memory, nullptr);
}

void VulkanBuffer::download(void* data, std::size_t bytes) {
  if ((flags_ & kHostAccess) == kHostAccess) {
    void* mapped = nullptr;
    vk_check(vkMapMemory(context_.device(), memory_, 0, bytes, 0, &mapped), "vkMapMemory");
    std::memcpy(data, mapped, bytes);
    vkUnmapMemory(context_.device(), memory_);
    return;
  }
  VkBuffer staging = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  VkMemoryPropertyFlags got = 0;
  create(context_, bytes, kHostAccess, staging, memory, got);
  copy(buffer_, staging, bytes);
  void* mapped = nullptr;
  vk_check(vkMapMemory(context_.device(), memory, 0, bytes, 0, &mapped), "vkMapMemory");
  std::memcpy(data, mapped, bytes);
  vkUnmapMemory(context_.device(), memory);
  vkDestroyBuffer(context_.device(), staging, nullptr);
  vkFreeMemory(context_.device(), memory, nullptr);
}

}  // namespace llmsim::bench
