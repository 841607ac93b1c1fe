// The builder behind lower_step: one method per block of a layer, each emitting one op per
// tensor-parallel rank. Internal to workloads/ (lowering.cpp and workloads/lowering/*.cpp);
// the public interface is workloads/lowering.hpp.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "workloads/lowering.hpp"

namespace llmsim::workloads::lowering_detail {

using Ranked = std::vector<OpId>;  // one op per tensor-parallel rank of the current stage

// Builds the graph of one step. Every method emits one logical op per tensor-parallel rank
// of the current stage and micro-batch ("SPMD"), with that rank's share of the work.
class StepBuilder {
 public:
  StepBuilder(const ModelConfig& model, const ModelWeights& weights, const LoweringOptions& options)
      : m_(model), w_(weights), o_(options) {
    act_ = o_.activation_format->bits_per_weight / 8.0;
    kv_ = o_.kv_format->bits_per_weight / 8.0;
    h_ = static_cast<double>(m_.hidden);
    tp_ = o_.tp;
    dp_ = std::max(o_.tp, o_.ep) / tp_;
    cp_ = o_.cp;
    ranks_per_stage_ = std::max(o_.tp, o_.ep) * cp_;  // context-parallel rank c's tensor ranks are c*tp..
    emitted_ranks_ = o_.symmetric_ranks ? 1 : tp_;
    kv_heads_rank_ = std::max<int64_t>(m_.kv_heads / tp_, 1);
    sp_ = o_.sequence_parallel && tp_ > 1;
    activation_fn_ = activation_transcendental(m_.activation);
  }

  OpGraph build();

  // The image encoder of a vision-language model for `images` images of `tiles` tiles per
  // sequence: patch embedding, positions, the local and global ViT layers (bidirectional
  // attention over all tiles of an image), and the projection to the text width. It runs
  // unsplit on the first rank.
  OpGraph build_vision(int64_t images, int64_t tiles);

  const std::map<int, int>& multiplicity() const { return multiplicity_; }

 private:
  // Block type, cross-attention, window, and the storage formats of the layer's weights (mixes
  // such as Q4_K_M store some layers' tensors in a wider format, which changes their time).
  using LayerKind = std::tuple<LayerType, bool, int64_t, std::string, bool>;

  LayerKind layer_kind(int layer) const;

  int rank(int t) const { return stage_ * ranks_per_stage_ + t; }

  int kernels(const std::string& key) const {
    auto it = o_.kernels_per_op.find(key);
    return it == o_.kernels_per_op.end() ? 1 : it->second;
  }

  // "key.variant" where the profile has it (e.g. matmul.int8, norm.layer, ffn_act.gelu_new:
  // eager PyTorch launches one kernel for nn.LayerNorm but eight for GPT-2's
  // NewGELUActivation), else key.
  std::string variant_key(const std::string& key, const std::string& variant) const {
    const std::string specific = key + "." + variant;
    return o_.kernels_per_op.count(specific) ? specific : key;
  }

  std::string name(int layer, const std::string& what, int t) const {
    std::string out = layer < 0 ? what : fmt::format("L{}.{}", layer, what);
    if (ranks_per_stage_ * o_.pp > 1) out += fmt::format("@r{}", rank(t));
    if (o_.microbatches > 1) out += fmt::format(".m{}", mb_);
    return out;
  }

  Op make(const std::string& what, OpKind kind, const std::string& group, int layer, const std::string& kernel_key,
          int t) {
    Op op;
    op.name = name(layer, what, t);
    op.kind = kind;
    op.group = group;
    op.layer = layer;
    op.kernels = kernels(kernel_key);
    op.sums_inputs = kernel_key == "residual";
    op.rank = rank(t);
    op.microbatch = static_cast<int>(mb_);
    return op;
  }

  static std::vector<OpId> inputs_of(const std::vector<Ranked>& ranked, int t) {
    std::vector<OpId> out;
    for (const auto& r : ranked) {
      if (!r.empty()) out.push_back(r.size() == 1 ? r[0] : r[static_cast<std::size_t>(t)]);
    }
    return out;
  }

  double vector_bytes(const std::string& role, int layer) const {
    const WeightTensor* t = w_.find(role, layer);
    return t ? t->bytes() : 0.0;
  }

  void set_weights(Op& op, const WeightTensor& wt, double elements, double resident_elements) const {
    op.weight_elements = elements;
    op.weight_bytes = wt.format->bytes(elements);
    op.weight_format = wt.format->name;
    op.weight_family = wt.format->family;
    op.weight_key = fmt::format("{}@{}", wt.role, wt.layer);
    op.weight_resident_bytes = mb_ == 0 ? wt.format->bytes(resident_elements) : 0.0;
  }

  // An all-reduce (or all-gather) of `bytes` per rank among the stage's tensor-parallel ranks;
  // every rank's consumer waits for it. With one rank it is nothing.
  Ranked collective(const std::string& what, int layer, Collective type, double bytes, const Ranked& in);

  Ranked send_from_previous_stage(const Ranked& x);
  // Tokens each rank's norms and residuals see: all, or its 1/tp share under sequence parallelism.
  double sequence_rows() const { return sp_ ? tokens_ / tp_ : tokens_; }
  // The end of a tensor-parallel block: its partial sums all-reduced, or reduce-scattered over the
  // sequence under sequence parallelism; named `block`_allreduce or `block`_reducescatter.
  Ranked reduce_block_output(const std::string& block, int layer, const Ranked& partial);
  // The start of one under sequence parallelism: the sequence shards all-gathered.
  Ranked gather_sequence(const std::string& what, int layer, const Ranked& shard);
  // Under context parallelism, the layer's K and V gathered over the cp ranks (ring attention
  // passes the chunks around, overlapped with the attention of the chunks already there: the
  // same (cp-1)/cp of the sequence's K/V over each link); else `v`.
  Ranked gather_context(int layer, const Ranked& k, const Ranked& v);

  Ranked embedding();

  Ranked norm(const std::string& role, int layer, const std::string& group, const Ranked& input, double width = 0,
              double rows = 0);

  // Activations [m x K] times this rank's shard of a weight: column-parallel splits N,
  // row-parallel splits K (its partial sums need an all-reduce after).
  Ranked matmul(const std::string& role, int layer, const std::string& group, double m,
                const std::vector<Ranked>& inputs, bool row_parallel, const std::string& label = "");

  // llama.cpp CUDA's cuBLAS path for M above the GEMV limit: f16 conversions around the GEMM
  // and, for quantised weights, a kernel expanding them to f16 first. Quantised weights up to
  // quantised_kernel_max_m take the MMQ kernels instead, which unpack blocks in registers.
  void add_gemm_io(Op& op, double rows, double n, double k, double m_per_copy, int layer, const std::string& role,
                   std::vector<OpId>& in, int t);

  Ranked elementwise(const std::string& what, int layer, const std::string& group, const std::string& kernel_key,
                     double elements, double inputs_read, const std::vector<Ranked>& inputs,
                     double ops_per_element = 1.0, const std::string& transcendental_fn = "");

  Ranked attention_block(int layer, const Ranked& normed);

  Ranked finish_attention(int layer, const Ranked& q, const Ranked& kv);

  Ranked fused_qkv(int layer, const Ranked& normed);

  // What one attention op covers, per rank: totals over its sequences.
  struct AttentionShape {
    double queries = 0;  // new tokens
    double kv = 0;       // cached positions read
    double keys = 0;     // query-key pairs a causal (flash) kernel computes
    double scores = 0;   // query x cached-position rectangle a non-flash kernel computes
    double heads = 0;
    double head_dim = 0;
    double kv_dim = 0;     // K (or V) width per rank
    double kv_values = 0;  // values read per cached position (0: K and V, 2 x kv_dim)
    double v_dim = 0;      // value head width (0: head_dim)
    double sequences = 0;
    double kv_bytes = 0;  // per value in the cache read
  };

  Ranked attention_op(const std::string& what, int layer, const std::string& group, const std::vector<Ranked>& in,
                      const AttentionShape& a);

  // This step's queries and the positions layer `layer` attends to (its window or chunk).
  AttentionShape causal_shape(int layer) const;

  Ranked attention(int layer, const Ranked& q, const Ranked& stored);

  // Mllama cross-attention layer: queries from the text, keys and values from the image tokens
  // (projected once, in the step that first sees the image, and cached), tanh-gated outputs.
  Ranked cross_attention_layer(int layer, const Ranked& x);

  Ranked mlp_block(int layer, const Ranked& normed);

  Ranked fused_gate_up(int layer, const Ranked& normed);

  // Attention-free blocks: RWKV-6 time-mix and/or Mamba-2 mixer on the normed input (side by
  // side in a hybrid), residual, then RWKV-6 channel-mix where the block has one.
  Ranked recurrent_layer(int layer, const Ranked& x);

  Ranked weighted_elementwise(const std::string& what, int layer, const std::string& group, double elements,
                              double inputs_read, const std::vector<Ranked>& in, double ops,
                              const std::string& weights);

  Ranked rwkv_time_mix(int layer, const Ranked& normed);

  Ranked rwkv_channel_mix(int layer, const Ranked& normed);

  Ranked mamba_mixer(int layer, const Ranked& normed);

  Ranked transformer_layer(int layer, const Ranked& x);

  OpId lm_head(const Ranked& x);

  void sampling(OpId logits);

  // Defined in workloads/lowering/*.cpp.
  Ranked latent_attention(int layer, const Ranked& normed);  // latent_attention.cpp
  Ranked absorbed_latent_attention(int layer, const Ranked& q, const Ranked& cache);
  Ranked expanded_latent_attention(int layer, const Ranked& q, const Ranked& cache);
  Ranked weight_slice_op(const std::string& what, const std::string& role, int layer, double rows, double n, double k,
                         double heads, const std::vector<Ranked>& in);
  Ranked moe_block(int layer, const Ranked& normed);  // expert_blocks.cpp
  Ranked router(int layer, const Ranked& normed);
  Ranked routed_experts(int layer, const Ranked& normed, const Ranked& routed, double share, bool host,
                        const std::string& suffix);
  Ranked expert_parallel_experts(int layer, const Ranked& normed, const Ranked& routed);
  Ranked expert_ffn(int layer, const Ranked& in, double rows, double distinct, double resident_copies, double split,
                    bool host, const std::string& suffix);
  Ranked shared_expert(int layer, const Ranked& normed, bool split);
  Ranked all_to_all(const std::string& what, int layer, double bytes, const std::vector<OpId>& in);
  Ranked deltanet_block(int layer, const Ranked& normed);  // linear_recurrences.cpp
  Ranked mamba1_layer(int layer, const Ranked& x);
  Ranked rwkv4_layer(int layer, const Ranked& x);

  const ModelConfig& m_;
  const ModelWeights& w_;
  const LoweringOptions& o_;
  OpGraph g_;
  int tp_ = 1;
  bool sp_ = false;          // sequence parallelism (LoweringOptions::sequence_parallel, tp > 1)
  int cp_ = 1;               // context-parallel ranks; only rank 0's ops are emitted, they are alike
  int ranks_per_stage_ = 1;  // max(tp, ep) x cp: every rank of a stage, attention groups included
  int dp_ = 1;               // attention data-parallel groups (ep / tp)
  int emitted_ranks_ = 1;    // tensor ranks given ops: all, or only the first when they are identical
  int stage_ = 0;
  int64_t mb_ = 0;
  int64_t kv_heads_rank_ = 1;
  double batch_ = 0, tokens_ = 0, act_ = 0, kv_ = 0, h_ = 0;
  std::string activation_fn_;  // transcendental of the MLP activation, once per element
  StepShape shape_;
  std::map<LayerKind, int> representative_;
  std::map<int, int> multiplicity_;
};

}  // namespace llmsim::workloads::lowering_detail
