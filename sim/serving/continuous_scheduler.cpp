#include "sim/serving/continuous_scheduler.hpp"

#include <algorithm>

namespace llmsim::sim::serving {

int64_t ContinuousScheduler::swap_in(ReplicaQueues& q, std::vector<RequestProgress>& requests, KvBlockManager& kv) {
  int64_t moved = 0;
  while (!q.swapped.empty() && static_cast<int64_t>(q.running.size()) < config_.max_batch) {
    RequestProgress& r = requests[q.swapped.front()];
    if (!kv.allocate(r.blocks)) break;
    moved += r.blocks;
    r.state = RequestState::running;
    q.running.push_back(q.swapped.front());
    q.swapped.pop_front();
  }
  return moved;
}

int64_t ContinuousScheduler::make_room_for_decode(ReplicaQueues& q, std::vector<RequestProgress>& requests,
                                                  KvBlockManager& kv) {
  int64_t swapped_out = 0;
  auto missing = [&](const RequestProgress& r) {
    return std::max<int64_t>(admission_->blocks_needed(r, r.computed + 1 + config_.speculative_tokens, kv) - r.blocks, 0);
  };
  for (std::size_t i = 0; i < q.running.size();) {
    RequestProgress& r = requests[q.running[i]];
    const int64_t more = missing(r);
    if (more == 0 || kv.allocate(more)) {
      r.blocks += more;
      ++i;
      continue;
    }
    // Out of blocks: preempt the most recently admitted request (possibly this one).
    const std::size_t victim_index = q.running.back();
    RequestProgress& victim = requests[victim_index];
    q.running.pop_back();
    kv.release(victim.blocks);
    ++victim.preemptions;
    ++preemptions_;
    if (config_.preemption == "swap") {
      swapped_out += victim.blocks;
      victim.state = RequestState::swapped;
      q.swapped.push_front(victim_index);
    } else {
      victim.blocks = 0;
      victim.computed = 0;  // its KV is recomputed by a later prefill
      victim.state = RequestState::waiting;
      q.waiting.push_front(victim_index);
    }
  }
  return swapped_out;
}

ScheduledStep ContinuousScheduler::schedule(ReplicaQueues& q, std::vector<RequestProgress>& requests,
                                            KvBlockManager& kv, double now) {
  ScheduledStep step;
  step.swapped_in_blocks = swap_in(q, requests, kv);
  // Prefill first: admit from the head of the queue while budgets and blocks allow.
  int64_t tokens = 0;
  while (q.swapped.empty() && !q.waiting.empty() &&
         static_cast<int64_t>(q.running.size()) < config_.max_batch) {
    RequestProgress& r = requests[q.waiting.front()];
    if (r.prefilled()) {
      // Handed over already prefilled (disaggregated serving): it only needs its blocks.
      const int64_t blocks = kv.blocks_for(r.computed);
      if (!kv.allocate(blocks)) break;
      r.blocks = blocks;
      r.state = RequestState::running;
      q.running.push_back(q.waiting.front());
      q.waiting.pop_front();
      continue;
    }
    r.take_cached_prefix();
    const int64_t target = r.prefill_target();
    const int64_t fresh = target - r.computed;
    const int64_t blocks = admission_->blocks_needed(r, target, kv);
    if (tokens + fresh > config_.max_batched_tokens || !kv.allocate(blocks)) break;
    tokens += fresh;
    r.blocks = blocks;
    r.state = RequestState::running;
    if (r.first_scheduled_s < 0) r.first_scheduled_s = now;
    step.slots.push_back({q.waiting.front(), fresh, r.computed, true, false});
    q.running.push_back(q.waiting.front());
    q.waiting.pop_front();
  }
  if (!step.slots.empty()) return step;
  step.swapped_out_blocks = make_room_for_decode(q, requests, kv);
  for (std::size_t index : q.running) {
    const RequestProgress& r = requests[index];
    step.slots.push_back({index, 1 + config_.speculative_tokens, r.computed, true, true});
  }
  return step;
}

}  // namespace llmsim::sim::serving
