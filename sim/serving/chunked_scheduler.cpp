#include "sim/serving/chunked_scheduler.hpp"

#include <algorithm>

namespace llmsim::sim::serving {

bool ChunkedScheduler::add_chunk(ScheduledStep& step, std::vector<RequestProgress>& requests, std::size_t index,
                                 int64_t& budget, KvBlockManager& kv, double now) const {
  RequestProgress& r = requests[index];
  r.take_cached_prefix();
  const int64_t chunk = std::min({config_.chunk_tokens, r.prefill_target() - r.computed, budget});
  if (chunk <= 0) return false;
  const int64_t extra = admission_->blocks_needed(r, r.computed + chunk, kv) - r.blocks;
  if (extra > 0 && !kv.allocate(extra)) return false;
  r.blocks += std::max<int64_t>(extra, 0);
  if (r.first_scheduled_s < 0) r.first_scheduled_s = now;
  step.slots.push_back({index, chunk, r.computed, r.computed + chunk == r.prefill_target(), false});
  budget -= chunk;
  return true;
}

void ChunkedScheduler::add_prompt_chunks(ScheduledStep& step, ReplicaQueues& q, std::vector<RequestProgress>& requests,
                                         int64_t& budget, KvBlockManager& kv, double now) const {
  for (std::size_t index : q.running) {
    if (budget == 0) break;
    if (!requests[index].prefilled()) add_chunk(step, requests, index, budget, kv, now);
  }
  while (budget > 0 && q.swapped.empty() && !q.waiting.empty() &&
         static_cast<int64_t>(q.running.size()) < config_.max_batch) {
    const std::size_t index = q.waiting.front();
    if (requests[index].prefilled()) {  // handed over already prefilled (disaggregated serving)
      const int64_t blocks = kv.blocks_for(requests[index].computed);
      if (!kv.allocate(blocks)) break;
      requests[index].blocks = blocks;
      requests[index].state = RequestState::running;
      q.running.push_back(index);
      q.waiting.pop_front();
      continue;
    }
    requests[index].state = RequestState::running;
    if (!add_chunk(step, requests, index, budget, kv, now)) {
      requests[index].state = RequestState::waiting;
      break;
    }
    q.running.push_back(index);
    q.waiting.pop_front();
  }
}

ScheduledStep ChunkedScheduler::schedule(ReplicaQueues& q, std::vector<RequestProgress>& requests, KvBlockManager& kv,
                                         double now) {
  ScheduledStep step;
  step.swapped_in_blocks = swap_in(q, requests, kv);
  // Decodes first: room for one token each (preempting if blocks are short). Partly prefilled
  // requests continue in add_prompt_chunks.
  auto prefilled = [&] {
    std::vector<std::size_t> out;
    for (std::size_t index : q.running)
      if (requests[index].prefilled()) out.push_back(index);
    return out;
  };
  std::vector<std::size_t> decoding = prefilled();
  if (!decoding.empty()) {
    // Only decoding requests need a block now; preemption works on the whole running list.
    step.swapped_out_blocks = make_room_for_decode(q, requests, kv);
    decoding = prefilled();
  }
  int64_t budget = config_.max_batched_tokens;
  const int64_t verify = 1 + config_.speculative_tokens;  // the last token and the proposed ones
  for (std::size_t index : decoding) {
    if (budget < verify) break;
    step.slots.push_back({index, verify, requests[index].computed, true, true});
    budget -= verify;
  }
  add_prompt_chunks(step, q, requests, budget, kv, now);
  return step;
}

}  // namespace llmsim::sim::serving
