// What observers (trace writer, per-op table, progress display) see of each simulated
// step. They subscribe to the predictor; none is wired into the executor.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "sim/executor.hpp"
#include "sim/op_cost.hpp"
#include "workloads/op_graph.hpp"

namespace llmsim::sim {

struct StepView {
  std::string phase;  // "prefill" or "decode"
  int64_t index = 0;  // chunk or step number within the phase
  int64_t steps_in_phase = 0;
  int64_t past_tokens = 0;
  int64_t new_tokens = 0;
  const workloads::OpGraph* graph = nullptr;
  const std::vector<OpCost>* costs = nullptr;
  const std::vector<PlannedOp>* plan = nullptr;
  const std::vector<OpTiming>* timings = nullptr;
  const Platform* platform = nullptr;
  const std::vector<std::string>* stream_names = nullptr;  // by PlannedOp::stream
};

using StepObserver = std::function<void(const StepView&)>;

}  // namespace llmsim::sim
