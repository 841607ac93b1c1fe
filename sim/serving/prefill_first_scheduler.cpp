#include "sim/serving/prefill_first_scheduler.hpp"

namespace llmsim::sim::serving {

ScheduledStep PrefillFirstScheduler::schedule(ReplicaQueues& q, std::vector<RequestProgress>& requests,
                                              KvBlockManager& kv, double now) {
  ScheduledStep step;
  step.swapped_in_blocks = swap_in(q, requests, kv);
  int64_t budget = config_.max_batched_tokens;
  add_prompt_chunks(step, q, requests, budget, kv, now);
  if (!step.slots.empty()) return step;
  // No prompt could start or continue: decode every prefilled request (preempting from the
  // back of the running list while blocks are short).
  step.swapped_out_blocks = make_room_for_decode(q, requests, kv);
  const int64_t verify = 1 + config_.speculative_tokens;
  for (std::size_t index : q.running) {
    if (requests[index].prefilled()) step.slots.push_back({index, verify, requests[index].computed, true, true});
  }
  return step;
}

}  // namespace llmsim::sim::serving
