// Bytes a model needs resident on its device: weights, KV cache for the context,
// and the activation working set of the largest step.
#pragma once

#include <cstdint>

#include "workloads/model_config.hpp"
#include "workloads/model_weights.hpp"
#include "workloads/op_graph.hpp"
#include "workloads/storage_formats.hpp"

namespace llmsim::workloads {

struct MemoryFootprint {
  double weights = 0;
  double kv_cache = 0;
  double activations = 0;
  double total() const { return weights + kv_cache + activations; }
};

/// KV cache for `batch` sequences of `context` tokens; sliding-window layers keep only
/// their window.
double kv_cache_bytes(const ModelConfig& model, int64_t batch, int64_t context, const StorageFormat& kv_format);

/// Cached values one token adds on one tensor-parallel rank over all layers, windows ignored
/// (a paged cache gives every position a slot): K/V heads are split over `tp` ranks (replicated
/// when there are fewer heads than ranks); an MLA latent is one "head" that every rank keeps.
double kv_values_per_token_per_rank(const ModelConfig& model, int tp);

/// Activations are the largest single op's inputs plus outputs in `largest_step`: the
/// working set an allocator that reuses buffers between ops must hold at once.
MemoryFootprint memory_footprint(const ModelConfig& model, const ModelWeights& weights, int64_t batch,
                                 int64_t context, const StorageFormat& kv_format, const OpGraph& largest_step);

}  // namespace llmsim::workloads
