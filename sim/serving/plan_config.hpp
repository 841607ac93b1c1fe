// A capacity-planning question (`llmsim plan FILE.yaml`): a serve scenario to start from,
// a grid of configurations to try, and the target each must meet at the scenario's rate.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "sim/serving/serve_config.hpp"

namespace llmsim::sim::serving {

/// The most configurations one plan simulates (docs/reliability.md, "Limits").
inline constexpr double kMaxPlanPoints = 100000;


struct PlanTarget {
  double ttft_p99_s = 1.0;
  double tpot_p99_s = 0;  // 0 = not constrained
};

struct PlanPoint {
  std::string hardware;
  int replicas = 1;
  int tp = 1;
  int64_t max_batch = 256;
  std::string software, dtype, kv_dtype;
  int prefill_replicas = 0;  // > 0: disaggregated, this many prefill replicas of the same tp beside `replicas`
  /// "2x h100 tp2 b64 vllm bf16/bf16" (+ " pd1" when disaggregated).
  std::string label() const;
};

struct PlanConfig {
  std::string file;
  std::string name;
  std::string description;
  ServeConfig base;
  // The grid, expanded with hardware outermost, then software, dtype, kv_dtype, tp, max_batch,
  // prefill replicas and replicas.
  std::vector<PlanPoint> points;
  PlanTarget target;
  std::map<std::string, double> usd_per_device_hour;  // by hardware id; missing = base's value
  int parallel = 2;
};

/// Reads a plan file; InputError with file:line for unknown keys or bad values.
PlanConfig load_plan_config(const std::string& path);

/// The serve configuration of one grid point.
ServeConfig config_for(const PlanConfig& plan, const PlanPoint& point);

}  // namespace llmsim::sim::serving
