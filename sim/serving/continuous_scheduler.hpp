// Continuous batching as vLLM (v0) does it without chunked prefill: a step either
// prefills newly admitted requests (prefill first, FCFS, within the token and sequence
// budgets and the free KV blocks) or decodes every running request by one token; when a
// decode needs a block and none is free, the latest admitted request is preempted, by
// recomputation (its blocks are dropped, it goes back to the head of the queue) or by
// swapping its blocks to host memory.
#pragma once

#include "sim/serving/scheduler.hpp"

namespace llmsim::sim::serving {

class ContinuousScheduler : public Scheduler {
 public:
  using Scheduler::Scheduler;
  ScheduledStep schedule(ReplicaQueues& q, std::vector<RequestProgress>& requests, KvBlockManager& kv,
                         double now) override;

 protected:
  /// Gives every running request room for one more token, preempting from the back of the
  /// running list while blocks are short. Returns the blocks swapped out.
  int64_t make_room_for_decode(ReplicaQueues& q, std::vector<RequestProgress>& requests, KvBlockManager& kv);
  /// Brings swapped requests back while their blocks fit; returns the blocks swapped in.
  int64_t swap_in(ReplicaQueues& q, std::vector<RequestProgress>& requests, KvBlockManager& kv);
};

}  // namespace llmsim::sim::serving
