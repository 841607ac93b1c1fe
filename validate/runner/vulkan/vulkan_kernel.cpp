#include "validate/runner/vulkan/vulkan_kernel.hpp"

#include <algorithm>

#include "validate/runner/vulkan/spirv_shaders.hpp"

namespace llmsim::bench {

namespace {
// Dispatches recorded in one command buffer; longer batches are split into submissions.
constexpr std::int64_t kMaxDispatchesPerSubmit = 4096;
}  // namespace

VulkanKernel::VulkanKernel(VulkanContext& context, std::vector<std::unique_ptr<VulkanBuffer>> buffers, Launch launch,
                           Work work, std::string implementation, Checker checker)
    : context_(context),
      buffers_(std::move(buffers)),
      launch_(std::move(launch)),
      work_(work),
      implementation_(std::move(implementation)),
      checker_(std::move(checker)) {
  std::vector<VkBuffer> handles;
  for (const auto& b : buffers_) handles.push_back(b->handle());
  pipeline_ = std::make_unique<VulkanPipeline>(context_, spirv_shader(launch_.shader), handles,
                                               static_cast<std::uint32_t>(launch_.push.size()));
  VkQueryPoolCreateInfo info{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
  info.queryType = VK_QUERY_TYPE_TIMESTAMP;
  info.queryCount = 2;
  vk_check(vkCreateQueryPool(context_.device(), &info, nullptr, &queries_), "vkCreateQueryPool");
}

VulkanKernel::~VulkanKernel() { vkDestroyQueryPool(context_.device(), queries_, nullptr); }

std::map<std::string, std::string> VulkanKernel::parameters() const {
  return {{"shader", launch_.shader},
          {"workgroups", std::to_string(launch_.groups_x) + "x" + std::to_string(launch_.groups_y)}};
}

CheckResult VulkanKernel::check() {
  time_batch(1);
  return checker_(*this);
}

double VulkanKernel::time_calls(std::int64_t calls) {
  double seconds = 0;
  for (std::int64_t done = 0; done < calls; done += kMaxDispatchesPerSubmit) {
    seconds += time_batch(std::min(kMaxDispatchesPerSubmit, calls - done));
  }
  return seconds;
}

double VulkanKernel::time_batch(std::int64_t calls) {
  VkCommandBuffer commands = context_.begin_commands();
  vkCmdResetQueryPool(commands, queries_, 0, 2);
  vkCmdWriteTimestamp(commands, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, queries_, 0);
  VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
  barrier.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
  for (std::int64_t i = 0; i < calls; ++i) {
    pipeline_->record(commands, launch_.push.data(), launch_.groups_x, launch_.groups_y);
    vkCmdPipelineBarrier(commands, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1,
                         &barrier, 0, nullptr, 0, nullptr);
  }
  vkCmdWriteTimestamp(commands, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries_, 1);
  context_.submit_and_wait(commands);
  std::uint64_t stamps[2] = {0, 0};
  vk_check(vkGetQueryPoolResults(context_.device(), queries_, 0, 2, sizeof(stamps), stamps, sizeof(std::uint64_t),
                                 VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT),
           "vkGetQueryPoolResults");
  const std::uint32_t bits = context_.timestamp_valid_bits();
  const std::uint64_t mask = bits >= 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << bits) - 1);
  const std::uint64_t ticks = (stamps[1] - stamps[0]) & mask;
  return static_cast<double>(ticks) * context_.timestamp_period_ns() * 1e-9;
}

}  // namespace llmsim::bench
