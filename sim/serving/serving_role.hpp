// A kind of replica in a serving simulation (mixed, prefill or decode): one deployment of the
// model, its step timer and its KV cache size, copied `count` times.
#pragma once

#include <memory>
#include <string>

#include "sim/serving/serve_config.hpp"
#include "sim/serving/step_timer.hpp"
#include "sim/simulation_context.hpp"

namespace llmsim::sim::serving {

struct ServingRole {
  std::string name;  // mixed | prefill | decode
  ReplicaSpec spec;
  int count = 1;
  Deployment deployment;
  std::unique_ptr<StepTimer> timer;
  int64_t kv_blocks = 0;
  int devices = 1;
};

}  // namespace llmsim::sim::serving
