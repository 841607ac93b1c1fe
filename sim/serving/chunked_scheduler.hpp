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
};

}  // namespace llmsim::sim::serving
