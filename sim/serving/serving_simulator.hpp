// Serving simulation: requests arrive, a router sends each to a replica, each replica's
// scheduler forms batch steps whose durations come from simulating their OpGraphs
// (StepTimer), and requests progress token by token until they finish. This class sets up
// the replica roles (deployments, KV cache sizes) and states its assumptions; ServingRun
// holds one run's state and event loop.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/data_paths.hpp"
#include "sim/serving/kv_block_manager.hpp"
#include "sim/serving/request.hpp"
#include "sim/serving/scheduler.hpp"
#include "sim/serving/serve_config.hpp"
#include "sim/serving/serving_metrics.hpp"
#include "sim/serving/step_timer.hpp"
#include "sim/simulation_context.hpp"

namespace llmsim::sim::serving {

struct ReplicaStats {
  std::string role;  // mixed | prefill | decode
  int64_t steps = 0;
  double busy_s = 0;
  int64_t kv_blocks = 0;
  int64_t kv_blocks_peak = 0;
  int64_t preemptions = 0;
  std::vector<std::pair<double, double>> kv_utilisation;  // (time, used share), at most ~500 points
};

/// One batch step of a replica, kept for `serve --trace`.
struct StepRecord {
  std::size_t replica = 0;
  double start_s = 0, end_s = 0;
  int64_t prefill_sequences = 0, decode_sequences = 0, new_tokens = 0;
};

struct ServingResult {
  std::vector<RequestProgress> requests;
  ServingMetrics metrics;
  std::vector<ReplicaStats> replicas;
  int devices = 0;
  std::size_t simulated_steps = 0;
  std::size_t memo_hits = 0;
  double simulated_ops = 0;
  std::vector<std::string> assumptions;
  std::vector<StepRecord> steps;  // every step, when recording was asked for
};

struct ServingRole;

class ServingSimulator {
 public:
  /// Loads the model and system, builds the deployments and sizes each replica's KV cache;
  /// InputError when the model does not fit or a request could never be scheduled.
  ServingSimulator(const DataPaths& paths, ServeConfig config);
  ~ServingSimulator();

  /// Keep every step's record in the result (for a trace); off by default.
  void record_steps(bool on) { record_steps_ = on; }

  /// The configuration as simulated: the scenario with the engine profile's defaults filled in.
  const ServeConfig& config() const { return config_; }

  /// Serves `requests` (sorted by arrival). `progress(done, total)` is called as requests finish and after every step.
  ServingResult run(std::vector<Request> requests,
                    const std::function<void(std::size_t, std::size_t)>& progress = {});

 private:
  /// InputError for a request no step or KV cache could ever hold.
  void check_requests(const std::vector<Request>& requests) const;
  void state_engine_and_traffic();

  ServeConfig config_;
  std::unique_ptr<SimulationContext> context_;
  std::vector<std::unique_ptr<ServingRole>> roles_;
  std::vector<std::string> assumptions_;
  bool record_steps_ = false;
};

}  // namespace llmsim::sim::serving
