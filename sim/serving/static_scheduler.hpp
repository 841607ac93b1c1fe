// Static batching (TensorRT-LLM v0.6 style): wait until max_batch requests are queued
// (or the oldest has waited static_timeout_s), reserve KV for their whole prompt and
// output, prefill them together, then decode the batch until its longest request ends;
// finished requests keep their slot as padding. Nothing new joins a running batch.
#pragma once

#include "sim/serving/scheduler.hpp"

namespace llmsim::sim::serving {

class StaticScheduler : public Scheduler {
 public:
  using Scheduler::Scheduler;
  ScheduledStep schedule(ReplicaQueues& q, std::vector<RequestProgress>& requests, KvBlockManager& kv,
                         double now) override;
  double wake_up(const ReplicaQueues& q, const std::vector<RequestProgress>& requests, double now) const override;

 private:
  std::vector<std::size_t> batch_;  // members of the running batch, finished ones included
};

}  // namespace llmsim::sim::serving
