#include "sim/memory_accounting.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace llmsim::sim {

using workloads::OpKind;

std::vector<MemoryUse> account_memory(const Platform& platform, const Placer& placer, const PlacedStep& final_decode,
                                      const PlacedStep& largest, int tp, double staging) {
  std::vector<MemoryUse> uses(platform.memory_count());
  for (std::size_t m = 0; m < uses.size(); ++m) uses[m].memory = platform.memory_name(m);

  // Weights: every stored tensor (shard) once per memory that holds it.
  std::set<std::tuple<std::size_t, std::string, int>> stored;
  const bool offload = placer.has_offload();
  for (std::size_t v = 0; v < final_decode.graph.size(); ++v) {
    const auto& op = final_decode.graph.op(v);
    if (op.weight_key.empty() || op.weight_resident_bytes <= 0 || op.is_communication()) continue;
    // Offloaded layers' tensors live in the offload memory; their copies are staging.
    bool in_offload = false;
    if (offload) {
      for (auto u : final_decode.graph.inputs(v)) {
        if (final_decode.graph.op(u).kind == OpKind::transfer && final_decode.graph.op(u).group == "offload") {
          in_offload = true;
        }
      }
    }
    const std::size_t memory = op.host_expert ? placer.host_memory()
                               : in_offload   ? placer.offload_memory()
                                              : final_decode.memory[v];
    if (stored.insert({memory, op.weight_key, op.rank % tp}).second) uses[memory].weights += op.weight_resident_bytes;
  }
  // KV cache (and recurrent state): what the step reads of it at the full context.
  for (std::size_t v = 0; v < final_decode.graph.size(); ++v) {
    const auto& op = final_decode.graph.op(v);
    if (!op.is_communication()) uses[final_decode.memory[v]].kv_cache += op.kv_read_bytes;
  }
  // Activations: each device's largest op, summed over the devices sharing a memory.
  std::map<std::size_t, double> per_device;
  for (std::size_t v = 0; v < largest.graph.size(); ++v) {
    const auto& op = largest.graph.op(v);
    if (op.is_communication()) continue;
    double& peak = per_device[largest.device[v]];
    peak = std::max(peak, op.act_read_bytes + op.act_write_bytes);
  }
  for (const auto& [device, bytes] : per_device) uses[platform.memory_of_device(device)].activations += bytes;
  if (staging > 0) uses[platform.memory_of_device(placer.used_devices().front())].staging += staging;

  std::vector<MemoryUse> out;
  for (auto& use : uses) {
    if (use.total() > 0) out.push_back(use);
  }
  return out;
}

}  // namespace llmsim::sim
