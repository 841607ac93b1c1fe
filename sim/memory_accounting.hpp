// What each memory must hold for a placed workload: weights (each stored tensor shard
// once per memory), the KV cache of the attention ops it serves, the activation working
// set of the devices reading it, and staging buffers for offloaded weights.
#pragma once

#include <vector>

#include "sim/placement.hpp"
#include "sim/prediction.hpp"

namespace llmsim::sim {

/// `final_decode`: a step at the request's full context (its KV reads are the whole cache);
/// `largest`: the step with the most activations (first prefill chunk). `tp` tells tensor
/// shards apart. `staging` is added to the offloading device's memory.
std::vector<MemoryUse> account_memory(const Platform& platform, const Placer& placer, const PlacedStep& final_decode,
                                      const PlacedStep& largest, int tp, double staging);

}  // namespace llmsim::sim
