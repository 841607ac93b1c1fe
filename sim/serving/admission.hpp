// How a batching scheduler takes KV cache blocks for a request. New policies are a subclass
// and one line in make_admission's registry.
//   allocate  vLLM: blocks as the request's tokens arrive; when a decode finds none free, a
//             running request is preempted (recompute or swap).
//   reserve   TensorRT-LLM's in-flight batching with its guaranteed-no-evict policy: a
//             request is admitted only when the blocks for its whole prompt and output are
//             free, and takes them all at once, so nothing is ever preempted.
// Both count shared-prefix blocks held by the prefix cache once per replica, not per request.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/serving/kv_block_manager.hpp"
#include "sim/serving/request.hpp"

namespace llmsim::sim::serving {

class AdmissionPolicy {
 public:
  virtual ~AdmissionPolicy() = default;
  virtual std::string name() const = 0;
  /// Blocks request `r` must hold of its own once `tokens` of it are in the cache.
  virtual int64_t blocks_needed(const RequestProgress& r, int64_t tokens, const KvBlockManager& kv) const = 0;
};

/// Unknown names are an InputError listing the known ones.
std::unique_ptr<AdmissionPolicy> make_admission(const std::string& name);
std::vector<std::string> admission_names();

/// Whole blocks of `r`'s cached prefix, which the prefix cache holds for all requests.
int64_t shared_prefix_blocks(const RequestProgress& r, const KvBlockManager& kv);

}  // namespace llmsim::sim::serving
