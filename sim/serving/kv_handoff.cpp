#include "sim/serving/kv_handoff.hpp"

#include <algorithm>
#include <string>

namespace llmsim::sim::serving {

KvHandoff::KvHandoff(const SimulationContext& context, const ServingRole& prefill, const ServingRole& decode)
    : context_(context), prefill_(prefill), decode_(decode), executor_(*context.platform) {}

double KvHandoff::seconds(int64_t tokens) {
  auto it = memo_.find(tokens);
  if (it != memo_.end()) return it->second;
  const Platform& p = *context_.platform;
  workloads::OpGraph graph;
  std::vector<PlannedOp> plan;
  const double bytes = static_cast<double>(tokens) * prefill_.timer->kv_bytes_per_token();
  const auto& from = prefill_.spec.placement.devices;
  const auto& to = decode_.spec.placement.devices;
  for (std::size_t r = 0; r < from.size(); ++r) {
    const std::size_t src = p.memory_of_device(p.device_index(from[r]));
    const std::size_t dst = p.memory_of_device(p.device_index(to[r % to.size()]));
    if (src == dst) continue;
    workloads::Op op;
    op.name = "kv_handoff" + std::to_string(r);
    op.kind = workloads::OpKind::transfer;
    graph.add(op, {});
    plan.push_back(PlannedOp::copy(r, p.memory_host(src), p.memory_host(dst), 0.0, bytes));
  }
  double t = 0;
  if (!plan.empty()) {
    const double begin = p.now();
    const std::size_t streams = std::max(plan.size(), prefill_.deployment.placer->stream_limits().size());
    executor_.run(graph, plan, std::vector<int>(streams, 1));
    t = p.now() - begin;
  }
  memo_[tokens] = t;
  return t;
}

}  // namespace llmsim::sim::serving
