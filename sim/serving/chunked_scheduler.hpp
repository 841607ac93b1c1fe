// Chunked prefill mixed with decodes (Sarathi-Serve; vLLM's chunked prefill): every step
// first decodes all prefilled requests, then spends the rest of the token budget on prompt
// chunks of at most chunk_tokens, continuing partly prefilled requests before admitting
// new ones. Decodes are never stalled by a long prompt.
#pragma once

#include "sim/serving/continuous_scheduler.hpp"

namespace llmsim::sim::serving {

class ChunkedScheduler : public ContinuousScheduler {
 public:
  using ContinuousScheduler::ContinuousScheduler;
  ScheduledStep schedule(ReplicaQueues& q, std::vector<RequestProgress>& requests, KvBlockManager& kv,
                         double now) override;

 protected:
  /// Adds the next prompt chunk of running request `index` (at most chunk_tokens, the rest of
  /// its prompt and `budget`) with its blocks; false when nothing fits.
  bool add_chunk(ScheduledStep& step, std::vector<RequestProgress>& requests, std::size_t index, int64_t& budget,
                 KvBlockManager& kv, double now) const;
  /// Continues the partly prefilled running requests, then admits waiting ones in arrival
  /// order, each with its first chunk, while the budget, the sequence limit and blocks allow.
  void add_prompt_chunks(ScheduledStep& step, ReplicaQueues& q, std::vector<RequestProgress>& requests,
                         int64_t& budget, KvBlockManager& kv, double now) const;
};

}  // namespace llmsim::sim::serving
