// Prefill first, prompts chunked, decodes never mixed in (SGLang's default scheduler: its
// get_next_batch_to_run returns a new prefill batch whenever one can be formed, and decodes
// the running batch only when none can; enable_mixed_chunk is off by default). A step either
// runs prompt chunks, continuing a partly prefilled prompt before admitting new ones, within
// the token budget (a prompt longer than what is left is chunked, as SGLang's
// chunked_prefill_size does), or decodes every prefilled request by one token. Under load the
// decodes wait behind each prefill step, which is what lengthens SGLang's inter-token latency
// where vLLM's mixed steps keep it short.
#pragma once

#include "sim/serving/chunked_scheduler.hpp"

namespace llmsim::sim::serving {

class PrefillFirstScheduler : public ChunkedScheduler {
 public:
  using ChunkedScheduler::ChunkedScheduler;
  ScheduledStep schedule(ReplicaQueues& q, std::vector<RequestProgress>& requests, KvBlockManager& kv,
                         double now) override;
};

}  // namespace llmsim::sim::serving
