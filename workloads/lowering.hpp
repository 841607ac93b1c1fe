// Lowering: a model plus one step of work (a prefill chunk or a decode step for a
// batch of sequences) becomes an OpGraph whose ops carry FLOPs, bytes and shapes.
#pragma once

#include <cstdint>
#include <compare>
#include <map>
#include <string>
#include <vector>

#include "workloads/kernel_path.hpp"
#include "workloads/model_config.hpp"
#include "workloads/model_weights.hpp"
#include "workloads/op_graph.hpp"
#include "workloads/storage_formats.hpp"

namespace llmsim::workloads {

/// One sequence's share of a step: a prefill chunk (new_tokens > 1) or a decode token.
struct SequenceWork {
  int64_t new_tokens = 1;
  int64_t past_tokens = 0;
  bool produces_token = true;  // false for a prefill chunk that does not end the prompt
};

/// How tokens pick experts: empty popularity = uniform; else one weight per expert (any
/// scale), e.g. Zipf or a measured histogram. A token's chance to pick expert e is
/// min(1, top_k x p_e) with p the normalised popularity.
struct ExpertRouting {
  std::vector<double> popularity;
  std::string basis = "uniform";  // what the popularity is, for the report
};

/// Routing popularity from a spec: "uniform", "zipf:S" (p_e ~ 1 / e^S) or a file listing one
/// count per expert (CSV or whitespace separated). InputError on a bad spec or a count that
/// does not match the expert count.
ExpertRouting parse_expert_routing(const std::string& spec, int64_t experts);

/// Expected number of distinct experts, among experts [first, last), that `tokens` tokens hit,
/// and the share of all routed token-expert pairs that land in that range.
struct ExpertLoad {
  double distinct = 0;
  double share = 0;
};
ExpertLoad expert_load(const ExpertRouting& routing, double tokens, double top_k, int64_t experts, int64_t first,
                       int64_t last);

/// The share of routed work a device cache of the `slots` most popular experts serves.
double cache_hit_rate(const ExpertRouting& routing, int64_t experts, int64_t slots);

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
  int64_t quantised_kernel_max_m = 0;  // quantised matmuls up to this M unpack in-kernel: neither of the two above
  KernelPathRule kernel_path_rule() const {
    return {static_cast<double>(gemv_max_m), static_cast<double>(quantised_kernel_max_m), dequant_before_gemm};
  }
  std::map<std::string, int> kernels_per_op;  // kernel launches per logical op (default 1); "matmul.<family>"
                                              // overrides "matmul" for weights of that format family
  bool sample = true;               // add the sampling op after the LM head
  int tp = 1;                       // tensor-parallel ranks per pipeline stage (Megatron-style splits)
  // Megatron's --sequence-parallel (with tp > 1): norms, residuals and dropout run on each rank's
  // tokens / tp; each tensor-parallel block starts with an all-gather of the sequence and ends
  // with a reduce-scatter, in place of the all-reduce (the same ring volume, less activation
  // memory). Attention-only decoders without expert parallelism.
  bool sequence_parallel = false;
  // Context parallelism (training): cp ranks per tensor rank split each sequence, each taking
  // seq/cp tokens of queries through every op (load-balanced causal chunks, as Megatron's
  // ring attention), and gather the sequence's K and V over the cp ranks for attention.
  // Attention-only decoders without expert parallelism.
  int cp = 1;
  int pp = 1;                       // pipeline stages (contiguous layer ranges)
  // Expert parallelism: 1 = every expert split over the tp ranks; else ep ranks per stage (a
  // multiple of tp) each hold experts/ep whole experts. ep / tp attention data-parallel groups
  // each take batch / (ep / tp) sequences; tokens reach their experts by an all-to-all dispatch
  // and come back by an all-to-all combine. Only the first group's ops are emitted (the groups
  // are alike); the all-to-alls name every rank.
  int ep = 1;
  ExpertRouting routing;
  // Routed experts of the first host_expert_layers layers stay in host memory (llama.cpp
  // --n-cpu-moe); expert_cache_hit of their work finds its expert cached in device memory.
  int64_t host_expert_layers = 0;
  double expert_cache_hit = 0;
  int64_t expert_cache_slots = 0;  // experts per layer the device cache holds (0: ceil(hit x experts))
  int64_t microbatches = 1;         // the batch split into this many pipelined micro-batches
  int64_t vision_tokens = 0;        // image tokens each sequence's cross-attention layers attend to
  bool compute_cross_kv = false;    // this step projects those tokens to cross-attention K and V
  // A ragged batch (serving): when not empty it replaces batch, new_tokens and past_tokens.
  std::vector<SequenceWork> sequences;
  // Lower one layer of each distinct kind (self/cross attention, window size) instead of all;
  // see lower_step_representative. Requires pp == 1 and one micro-batch.
  bool representative_layers = false;
  // Give ops to tensor rank 0 only: when every rank's devices and links are alike, the other
  // ranks do the same work at the same time (collectives still name all ranks).
  bool symmetric_ranks = false;
  // A training forward pass: logits at every position, no KV cache, no sampling.
  bool training = false;
};

/// Sums over the sequences of a step of what attention costs under one window size.
struct AttentionWork {
  double kv = 0;      // cached positions read (sum of min(context, window))
  double keys = 0;    // query-key pairs a causal kernel computes
  double scores = 0;  // query x cached-position rectangle a non-flash kernel computes
  auto operator<=>(const AttentionWork&) const = default;
};

/// Everything about a step's batch that its graph depends on. Two batches with the same
/// StepShape lower to the same graph, so it is an exact memoisation key.
struct StepShape {
  double sequences = 0;
  double tokens = 0;       // new tokens over all sequences
  double logits_rows = 0;  // sequences that produce a token this step
  double max_new = 0;      // the longest chunk (GEMM tiles of attention)
  std::map<int64_t, AttentionWork> by_window;  // window (0 = global) -> sums
  auto operator<=>(const StepShape&) const = default;
};

/// The shape of the options' batch (ragged or uniform), for every window size the model uses.
StepShape step_shape(const ModelConfig& model, const LoweringOptions& options);

/// A step lowered with representative layers, and how many layers each stands for.
struct RepresentativeStep {
  OpGraph graph;
  std::map<int, int> layer_multiplicity;  // representative layer index -> layers of its kind
};

/// Lowers one layer per distinct kind. When every op of a layer depends on the previous
/// layer's output (true without pipeline stages and without offload prefetch), the full
/// step's time is the prologue, plus each representative layer's time times its
/// multiplicity, plus the epilogue: exact, and L/kinds times cheaper to simulate.
RepresentativeStep lower_step_representative(const ModelConfig& model, const ModelWeights& weights,
                                             const LoweringOptions& options);

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

/// The transcendental function an MLP activation (a config's hidden_act) evaluates once per
/// element: "exp" (silu, swish, sigmoid), "tanh" (gelu_new, gelu_pytorch_tanh, gelu_fast),
/// "erf" (exact gelu); "" for relu-like ones that need none.
std::string activation_transcendental(const std::string& activation);

}  // namespace llmsim::workloads
