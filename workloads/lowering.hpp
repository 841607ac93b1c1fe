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
  std::map<std::string, int> kernels_per_op;  // kernel launches per logical op (default 1); "matmul.<family>"
                                              // overrides "matmul" for weights of that format family
  bool sample = true;               // add the sampling op after the LM head
  int tp = 1;                       // tensor-parallel ranks per pipeline stage (Megatron-style splits)
  int pp = 1;                       // pipeline stages (contiguous layer ranges)
  int64_t microbatches = 1;         // the batch split into this many pipelined micro-batches
  int64_t vision_tokens = 0;        // image tokens each sequence's cross-attention layers attend to
  bool compute_cross_kv = false;    // this step projects those tokens to cross-attention K and V
};

/// Checks that the model can be split as asked: heads and intermediate size divisible by
/// tp, KV heads divisible by tp (or tp a multiple of them: KV heads are then replicated),
/// at least one layer per stage, 1 <= microbatches <= batch. Throws InputError naming the flag.
void check_parallelism(const ModelConfig& model, const LoweringOptions& options);

/// The layers pipeline stage `stage` of `stages` runs: [first, last).
std::pair<int, int> stage_layers(int layers, int stage, int stages);

/// One prefill chunk or decode step. Preconditions: batch, new_tokens >= 1, past_tokens >= 0,
/// formats set, check_parallelism passes. Only the last token of each sequence produces
/// logits (as llama.cpp and serving engines do). With tp > 1 every op exists once per rank
/// with its shard of the work, and attention/MLP outputs meet in all-reduce collectives;
/// with pp > 1 stages hand activations on with send ops, per micro-batch.
OpGraph lower_step(const ModelConfig& model, const ModelWeights& weights, const LoweringOptions& options);

/// The image encoder (Mllama) for `images` images of `tiles` tiles per sequence, batch from
/// `options`; its output is what cross-attention layers attend to. InputError if the model has
/// no encoder or tiles exceed its maximum.
OpGraph lower_vision_encoder(const ModelConfig& model, const ModelWeights& weights, const LoweringOptions& options,
                             int64_t images, int64_t tiles);

/// Sum over new tokens i = 1..T of the keys each attends to, min(past + i, window)
/// (window 0 = unlimited): the causal attention work of a step.
double attended_keys(int64_t new_tokens, int64_t past_tokens, int64_t window);

/// Expected number of distinct experts hit when `tokens` tokens each pick `top_k` of
/// `experts` uniformly at random: E (1 - (1 - k/E)^tokens).
double expected_distinct_experts(double tokens, double top_k, double experts);

}  // namespace llmsim::workloads
