#include "validate/runner/vulkan/vulkan_backend.hpp"

#include <fmt/format.h>
#include <google/protobuf/stubs/common.h>

#include "validate/runner/vulkan/vulkan_kernels.hpp"

namespace llmsim::bench {

namespace {

std::string version_text(std::uint32_t v) {
  return fmt::format("{}.{}.{}", VK_API_VERSION_MAJOR(v), VK_API_VERSION_MINOR(v), VK_API_VERSION_PATCH(v));
}

std::string kind(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "gpu";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "igpu";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "software_gpu";  // lavapipe, SwiftShader: shaders run on the CPU
    default: return "other";
  }
}

}  // namespace

VulkanBackend::VulkanBackend(int device_index) : context_(std::make_unique<VulkanContext>(device_index)) {}

measurements::Device VulkanBackend::device() const {
  const auto& p = context_->properties();
  measurements::Device d;
  d.set_name(p.deviceName);
  d.set_kind(kind(p.deviceType));
  d.set_vendor(fmt::format("0x{:04x}", p.vendorID));
  d.set_driver(context_->driver());
  d.set_api_version("Vulkan " + version_text(p.apiVersion));
  d.set_memory_bytes(static_cast<std::int64_t>(context_->device_local_bytes()));
  std::string uuid;
  for (std::uint8_t byte : p.pipelineCacheUUID) uuid += fmt::format("{:02x}", byte);
  d.set_uuid(uuid);
  return d;
}

std::map<std::string, std::string> VulkanBackend::libraries() const {
  return {{"vulkan_api", version_text(context_->properties().apiVersion)},
          {"vulkan_headers", std::to_string(VK_HEADER_VERSION)},
          {"vulkan_driver", context_->driver()},
          {"protobuf", google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION)}};
}

std::string VulkanBackend::unsupported_reason(const KernelSpec& spec) const {
  return vulkan_unsupported_reason(*context_, spec);
}

std::unique_ptr<Kernel> VulkanBackend::make_kernel(const KernelSpec& spec) {
  return make_vulkan_kernel(*context_, spec);
}

}  // namespace llmsim::bench
