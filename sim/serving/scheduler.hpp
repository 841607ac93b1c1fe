// Per-replica batch schedulers. A scheduler looks at the replica's queues and KV cache and
// picks the next step's work: which requests, how many new tokens each. New schedulers are
// a subclass and one line in make_scheduler's registry.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "sim/serving/admission.hpp"
#include "sim/serving/kv_block_manager.hpp"
#include "sim/serving/request.hpp"

namespace llmsim::sim::serving {

struct SchedulerConfig {
  std::string policy = "continuous";  // static | continuous | chunked | see make_scheduler
  int64_t max_batch = 256;            // sequences in one step (vLLM max_num_seqs)
  int64_t max_batched_tokens = 8192;  // new tokens in one step (vLLM max_num_batched_tokens)
  int64_t chunk_tokens = 512;         // chunked: prefill chunk per request per step
  double static_timeout_s = 0.5;      // static: start a partial batch after the oldest waited this long
  std::string preemption = "recompute";  // recompute | swap
  std::string admission = "allocate";    // see admission.hpp: allocate (vLLM) | reserve (TensorRT-LLM)
  int64_t speculative_tokens = 0;        // tokens proposed per decode step and verified with it (0 = none)
};

/// One sequence's share of a step.
struct Slot {
  std::size_t request = 0;  // index into the simulation's request table
  int64_t new_tokens = 1;
  int64_t past_tokens = 0;
  bool produces_token = true;
  bool decode = false;      // feeds back the last output token (else a prompt chunk)
};

struct ScheduledStep {
  std::vector<Slot> slots;
  int64_t swapped_in_blocks = 0;   // blocks copied back from host memory before the step
  int64_t swapped_out_blocks = 0;  // blocks copied to host memory (swap preemption)
  bool empty() const { return slots.empty(); }
};

/// A replica's queues; requests themselves live in the simulation's table.
struct ReplicaQueues {
  std::deque<std::size_t> waiting;  // arrival order; preempted (recompute) requests go to the front
  std::vector<std::size_t> running; // admission order
  std::deque<std::size_t> swapped;  // preempted by swapping, resumed first
};

class Scheduler {
 public:
  explicit Scheduler(SchedulerConfig config)
      : config_(std::move(config)), admission_(make_admission(config_.admission)) {}
  virtual ~Scheduler() = default;

  /// The next step at time `now`, or an empty step when nothing can run yet. May admit
  /// waiting requests, allocate KV blocks and preempt running requests.
  virtual ScheduledStep schedule(ReplicaQueues& q, std::vector<RequestProgress>& requests, KvBlockManager& kv,
                                 double now) = 0;
  /// Earliest time a waiting request could start although nothing can run now (static
  /// batching's timeout), or a negative value when only a new event can change that.
  virtual double wake_up(const ReplicaQueues&, const std::vector<RequestProgress>&, double) const { return -1; }

  const SchedulerConfig& config() const { return config_; }
  int64_t preemptions() const { return preemptions_; }

 protected:
  SchedulerConfig config_;
  std::unique_ptr<AdmissionPolicy> admission_;
  int64_t preemptions_ = 0;
};

/// Unknown policies are an InputError listing the known ones.
std::unique_ptr<Scheduler> make_scheduler(const SchedulerConfig& config);
std::vector<std::string> scheduler_names();

}  // namespace llmsim::sim::serving
