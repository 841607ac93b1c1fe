// The KV cache hand-off of disaggregated serving: each prefill rank's shard of a prefilled
// request's cache is copied over the link to the matching decode rank. The copies run
// concurrently in SimGrid, so shared links split their bandwidth; times are memoised by length.
#pragma once

#include <cstdint>
#include <map>

#include "sim/executor.hpp"
#include "sim/serving/serving_role.hpp"

namespace llmsim::sim::serving {

class KvHandoff {
 public:
  KvHandoff(const SimulationContext& context, const ServingRole& prefill, const ServingRole& decode);
  /// Seconds to move the cache of `tokens` tokens (0 when both roles share the memories).
  double seconds(int64_t tokens);

 private:
  const SimulationContext& context_;
  const ServingRole& prefill_;
  const ServingRole& decode_;
  Executor executor_;
  std::map<int64_t, double> memo_;
};

}  // namespace llmsim::sim::serving
