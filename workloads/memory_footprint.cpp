#include "workloads/memory_footprint.hpp"

#include <algorithm>

namespace llmsim::workloads {

double kv_cache_bytes(const ModelConfig& model, int64_t batch, int64_t context, const StorageFormat& kv_format) {
  double tokens = 0;
  for (int64_t layer = 0; layer < model.layers; ++layer) {
    const int64_t window = model.attention_window.empty() ? 0 : model.attention_window[static_cast<std::size_t>(layer)];
    tokens += static_cast<double>(window > 0 ? std::min(context, window) : context);
  }
  return static_cast<double>(batch) * tokens * 2.0 * kv_format.bytes(static_cast<double>(model.kv_dim()));
}

MemoryFootprint memory_footprint(const ModelConfig& model, const ModelWeights& weights, int64_t batch,
                                 int64_t context, const StorageFormat& kv_format, const OpGraph& largest_step) {
  MemoryFootprint f;
  f.weights = weights.bytes();
  f.kv_cache = kv_cache_bytes(model, batch, context, kv_format);
  for (OpId v = 0; v < largest_step.size(); ++v) {
    const Op& op = largest_step.op(v);
    f.activations = std::max(f.activations, op.act_read_bytes + op.act_write_bytes);
  }
  return f;
}

}  // namespace llmsim::workloads
