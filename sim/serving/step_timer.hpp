// How long one serving step takes on a deployment: the step's ragged batch is lowered to an
// OpGraph and simulated on the deployment's devices with SimGrid. Steps are memoised by
// their StepShape, which determines the graph exactly (see workloads/lowering.hpp), so a
// memo hit returns what a new simulation would. Without pipeline stages or offload, each
// distinct layer kind is simulated once and its time multiplied (exact, see
// lower_step_representative), which is what makes long traces affordable.
#pragma once

#include <map>
#include <vector>

#include "sim/executor.hpp"
#include "sim/serving/scheduler.hpp"
#include "sim/simulation_context.hpp"

namespace llmsim::sim::serving {

class StepTimer {
 public:
  /// `block_tokens`: tokens per KV block, for the size of swapped blocks.
  StepTimer(const SimulationContext& context, const Deployment& deployment, int64_t block_tokens);

  /// Seconds for the step's slots, padded to the engine's captured graph size, plus the
  /// engine's host work and swap copies (at the host link's bandwidth).
  double seconds(const ScheduledStep& step);
  /// The engine's host work for the step (profile `host`), included in seconds(step).
  double host_seconds(const ScheduledStep& step) const;
  /// Sequences the step runs with after captured-graph padding.
  int64_t padded_batch(const ScheduledStep& step) const;
  /// Whether the step replays a captured graph: decode-only, within the largest graph size and
  /// the engine's graph_max_context.
  bool captured(const ScheduledStep& step) const;
  /// Host time of the step's kernel launches beyond a graph replay's when it runs eagerly
  /// (profile serving.eager_kernel_us x kernels per step), 0 when captured; in seconds(step).
  double eager_seconds(const ScheduledStep& step) const;
  /// Kernels one step launches on a rank (the model's ops x their kernels, plus one per collective).
  double kernels_per_step() const { return kernels_per_step_; }
  /// Seconds for a batch lowered from `options` (uniform or ragged), memoised.
  double seconds(const workloads::LoweringOptions& options);

  /// Bytes of KV cache one token takes on each rank's memory.
  double kv_bytes_per_token() const { return kv_bytes_per_token_; }

  std::size_t simulated_steps() const { return simulated_; }
  std::size_t memo_hits() const { return hits_; }
  double simulated_ops() const { return ops_; }
  bool representative() const { return representative_; }
  bool symmetric() const { return symmetric_; }

 private:
  double simulate(const workloads::LoweringOptions& options);

  const SimulationContext& context_;
  const Deployment& deployment_;
  Executor executor_;
  bool representative_ = true;
  bool symmetric_ = false;  // tensor ranks alike: simulate rank 0 only
  double swap_bytes_per_s_ = 0;
  double kv_bytes_per_token_ = 0;  // per rank, its stage's layers (read per request and per swap)
  int64_t block_tokens_ = 16;
  double kernels_per_step_ = 0;
  std::map<workloads::StepShape, double> memo_;
  std::size_t simulated_ = 0;
  std::size_t hits_ = 0;
  double ops_ = 0;
};

}  // namespace llmsim::sim::serving
