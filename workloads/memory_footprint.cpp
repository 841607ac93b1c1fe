#include "workloads/memory_footprint.hpp"

#include <algorithm>

namespace llmsim::workloads {

double kv_cache_bytes(const ModelConfig& model, int64_t batch, int64_t context, const StorageFormat& kv_format) {
  double values = 0;  // cached values per sequence over all layers
  for (int64_t layer = 0; layer < model.layers; ++layer) {
    values += static_cast<double>(model.cached_positions(layer, context)) *
              static_cast<double>(model.cached_values_per_token(layer));
  }
  return static_cast<double>(batch) * kv_format.bytes(values);
}

double kv_values_per_token_per_rank(const ModelConfig& model, int tp) {
  double values = 0;
  for (int64_t layer = 0; layer < model.layers; ++layer) {
    const double per_token = static_cast<double>(model.cached_values_per_token(layer));
    if (per_token == 0 || model.mla) {
      values += per_token;
      continue;
    }
    const double heads_rank = std::max<double>(static_cast<double>(model.kv_heads) / tp, 1.0);
    values += per_token * heads_rank / static_cast<double>(model.kv_heads);
  }
  return values;
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
