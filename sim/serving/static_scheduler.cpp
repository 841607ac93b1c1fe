#include "sim/serving/static_scheduler.hpp"

#include <algorithm>

namespace llmsim::sim::serving {

ScheduledStep StaticScheduler::schedule(ReplicaQueues& q, std::vector<RequestProgress>& requests, KvBlockManager& kv,
                                        double now) {
  ScheduledStep step;
  const bool batch_done = std::all_of(batch_.begin(), batch_.end(), [&](std::size_t i) { return requests[i].done(); });
  if (!batch_.empty() && !batch_done) {
    for (std::size_t index : batch_) {
      const RequestProgress& r = requests[index];
      // A finished request's slot still costs a (padding) token.
      step.slots.push_back({index, 1, r.computed, !r.done(), true});
    }
    return step;
  }
  batch_.clear();
  if (q.waiting.empty()) return step;
  const bool full = static_cast<int64_t>(q.waiting.size()) >= config_.max_batch;
  const bool timed_out = now - requests[q.waiting.front()].request.arrival_s >= config_.static_timeout_s;
  if (!full && !timed_out) return step;
  int64_t tokens = 0;
  while (!q.waiting.empty() && static_cast<int64_t>(batch_.size()) < config_.max_batch) {
    RequestProgress& r = requests[q.waiting.front()];
    // Static batching reserves the whole sequence whatever the admission policy says.
    const int64_t blocks = std::max<int64_t>(
        kv.blocks_for(r.request.prompt_tokens + r.request.output_tokens) - shared_prefix_blocks(r, kv), 0);
    const int64_t fresh = r.request.prompt_tokens - r.cached_prefix;
    if (tokens + fresh > config_.max_batched_tokens || !kv.allocate(blocks)) break;
    tokens += fresh;
    r.take_cached_prefix();
    r.blocks = blocks;
    r.state = RequestState::running;
    r.first_scheduled_s = now;
    step.slots.push_back({q.waiting.front(), fresh, r.computed, true, false});
    batch_.push_back(q.waiting.front());
    q.running.push_back(q.waiting.front());
    q.waiting.pop_front();
  }
  return step;
}

double StaticScheduler::wake_up(const ReplicaQueues& q, const std::vector<RequestProgress>& requests, double) const {
  if (q.waiting.empty()) return -1;
  return requests[q.waiting.front()].request.arrival_s + config_.static_timeout_s;
}

}  // namespace llmsim::sim::serving
