// Lowering: a model plus one step of work (a prefill chunk or a decode step for a
// batch of sequences) becomes an OpGraph whose ops carry FLOPs, bytes and shapes.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "workloads/model_config.hpp"
#include "workloads/model_weights.hpp"
#include "workloads/op_graph.hpp"
#include "workloads/storage_formats.hpp"

namespace llmsim::workloads {

/// How the software stack shapes the graph; filled from a software profile.
struct LoweringOptions {
  int64_t batch = 1;        // sequences in the step
  int64_t new_tokens = 1;   // tokens per sequence processed by this step (1 for decode)
  int64_t past_tokens = 0;  // tokens per sequence already in the KV cache
  const StorageFormat* kv_format = nullptr;          // KV cache storage
  const StorageFormat* activation_format = nullptr;  // activations between ops
  bool flash_attention = false;  // no score matrix in memory; fully masked blocks skipped
  bool fuse_qkv = false;
  bool fuse_gate_up = false;
  int64_t gemv_max_m = 8;           // matmuls with M up to this use GEMV kernels
  bool dequant_before_gemm = false; // larger quantised matmuls first expand weights to f16
  bool gemm_converts_io = false;    // larger matmuls convert inputs to f16 and outputs back to f32
  std::map<std::string, int> kernels_per_op;  // kernel launches per logical op (default 1)
  bool sample = true;               // add the sampling op after the LM head
};

/// One prefill chunk or decode step. Preconditions: batch, new_tokens >= 1, past_tokens >= 0,
/// formats set. Only the last token of each sequence produces logits (as llama.cpp and
/// serving engines do).
OpGraph lower_step(const ModelConfig& model, const ModelWeights& weights, const LoweringOptions& options);

/// Sum over new tokens i = 1..T of the keys each attends to, min(past + i, window)
/// (window 0 = unlimited): the causal attention work of a step.
double attended_keys(int64_t new_tokens, int64_t past_tokens, int64_t window);

/// Expected number of distinct experts hit when `tokens` tokens each pick `top_k` of
/// `experts` uniformly at random: E (1 - (1 - k/E)^tokens).
double expected_distinct_experts(double tokens, double top_k, double experts);

}  // namespace llmsim::workloads
