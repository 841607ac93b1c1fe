// The all-reduce cost of an engine's collective implementation (AllReduceImpl): which one
// a message takes, and the alpha-beta time it costs.
#include <fmt/format.h>

#include <algorithm>

#include "hwmodels/efficiency_params.hpp"

namespace llmsim::hwmodels {

const AllReduceImpl* DeviceEfficiency::all_reduce_for(double bytes, const std::string& link_kind) const {
  for (const auto& impl : all_reduce) {
    if (impl.max_bytes > 0 && bytes > impl.max_bytes) continue;
    // An engine's custom kernel needs peer memory access over its fast links (vLLM turns it
    // off without NVLink beyond two GPUs), so an implementation may name the links it runs on.
    if (!impl.link_kinds.empty() &&
        std::find(impl.link_kinds.begin(), impl.link_kinds.end(), link_kind) == impl.link_kinds.end())
      continue;
    return &impl;
  }
  return nullptr;
}

double all_reduce_seconds(const AllReduceImpl& impl, double bytes, int ranks, double link_gbs) {
  if (ranks <= 1) return 0;
  const double n = static_cast<double>(ranks);
  const double moved = bytes * 2 * (n - 1) / n;  // a ring's bytes per link (nccl-tests' busbw factor)
  return impl.latency_us * 1e-6 + moved / (link_gbs * 1e9 * impl.bandwidth_fraction);
}

std::string describe_all_reduce(const DeviceEfficiency& efficiency) {
  if (efficiency.all_reduce.empty()) return "";
  std::string parts;
  for (const auto& impl : efficiency.all_reduce) {
    if (!parts.empty()) parts += "; else ";
    parts += fmt::format("{} ({} us + the ring's 2(N-1)/N x bytes at {:.3g} of the link", impl.name, impl.latency_us,
                         impl.bandwidth_fraction);
    if (impl.max_bytes > 0) parts += fmt::format(", messages up to {:.0f} bytes", impl.max_bytes);
    if (!impl.link_kinds.empty()) parts += fmt::format(", over {}", fmt::join(impl.link_kinds, "/"));
    parts += ")";
  }
  return "tensor-parallel all-reduce: " + parts +
         "; where none applies, a ring of copies at the links' full rate with the route's latency per step "
         "[fitted on published all-reduce tables: the profile's all_reduce bases]";
}

}  // namespace llmsim::hwmodels
