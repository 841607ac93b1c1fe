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


inline bool is_quantised(const std::string& family) { return family == "ggml" || family == "int4" || family == "int8"; }

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
    ranks_per_stage_ = std::max(o_.tp, o_.ep);
    dp_ = ranks_per_stage_ / tp_;
    emitted_ranks_ = o_.symmetric_ranks ? 1 : tp_;
    kv_heads_rank_ = std::max<int64_t>(m_.kv_heads / tp_, 1);
    activation_fn_ = activation_transcendental(m_.activation);
  }

  OpGraph build() {
    for (mb_ = 0; mb_ < o_.microbatches; ++mb_) {
      if (o_.sequences.empty()) {
        LoweringOptions part = o_;
        const int64_t group = o_.batch / dp_;  // the sequences of one attention data-parallel group
        part.batch = group / o_.microbatches + (mb_ < group % o_.microbatches ? 1 : 0);
        shape_ = step_shape(m_, part);
      } else {
        shape_ = step_shape(m_, o_);
      }
      batch_ = shape_.sequences;
      tokens_ = shape_.tokens;
      stage_ = 0;
      Ranked x = embedding();
      std::set<LayerKind> kinds;  // already lowered
      for (stage_ = 0; stage_ < o_.pp; ++stage_) {
        if (stage_ > 0) x = send_from_previous_stage(x);
        const auto [first, last] = stage_layers(static_cast<int>(m_.layers), stage_, o_.pp);
        for (int layer = first; layer < last; ++layer) {
          if (o_.representative_layers) {
            const auto kind = layer_kind(layer);
            if (!kinds.insert(kind).second) {
              ++multiplicity_[representative_[kind]];
              continue;
            }
            representative_[kind] = layer;
            multiplicity_[layer] = 1;
          }
          x = transformer_layer(layer, x);
        }
      }
      stage_ = o_.pp - 1;
      x = norm("output_norm", -1, "norm", x);
      OpId logits = lm_head(x);
      if (o_.sample && !o_.training) sampling(logits);
    }
    return std::move(g_);
  }

  // The image encoder of a vision-language model for `images` images of `tiles` tiles per
  // sequence: patch embedding, positions, the local and global ViT layers (bidirectional
  // attention over all tiles of an image), and the projection to the text width. It runs
  // unsplit on the first rank.
  OpGraph build_vision(int64_t images, int64_t tiles) {
    const VisionTower& v = *m_.vision;
    tp_ = 1;
    emitted_ranks_ = 1;
    batch_ = static_cast<double>(o_.batch * images);
    const double per_image = static_cast<double>(tiles * v.tokens_per_tile());
    tokens_ = batch_ * per_image;
    const double h = static_cast<double>(v.hidden);
    const double hd = h / static_cast<double>(v.heads);
    Ranked x = matmul("vision.patch_embd", -1, "vision", batch_ * static_cast<double>(tiles * v.patches_per_tile()),
                      {}, false);
    {
      Op op = make("vision.positions", OpKind::elementwise, "vision", -1, "residual", 0);
      const auto& pos = w_.get("vision.pos_embd", -1);
      const auto& tile_pos = w_.get("vision.tile_pos_embd", -1);
      // The position table and the row of the tile-layout table this image uses.
      op.weight_bytes = pos.bytes() + tile_pos.bytes() / tile_pos.rows;
      op.vector_ops = tokens_ * h * 3;
      op.act_read_bytes = tokens_ * h * act_;
      op.act_write_bytes = tokens_ * h * act_;
      op.output_bytes = op.act_write_bytes;
      x = {g_.add(op, {x[0]})};
    }
    x = norm("vision.ln_pre", -1, "vision", x, h);
    for (int l = 0; l < static_cast<int>(v.layers + v.global_layers); ++l) {
      Ranked normed = norm("vision.attn_norm", l, "vision", x, h);
      Ranked q = matmul("vision.attn_q", l, "vision", tokens_, {normed}, false);
      Ranked k = matmul("vision.attn_k", l, "vision", tokens_, {normed}, false);
      Ranked val = matmul("vision.attn_v", l, "vision", tokens_, {normed}, false);
      AttentionShape a;
      a.queries = tokens_;
      a.kv = tokens_;
      a.keys = tokens_ * per_image;  // bidirectional within each image
      a.scores = a.keys;
      a.heads = static_cast<double>(v.heads);
      a.head_dim = hd;
      a.kv_dim = h;
      a.sequences = batch_;
      a.kv_bytes = act_;
      Ranked attn = attention_op("vision.attention", l, "vision", {q, k, val}, a);
      Ranked o = matmul("vision.attn_output", l, "vision", tokens_, {attn}, true);
      x = elementwise("vision.attn_residual", l, "vision", "residual", tokens_ * h, 2.0, {x, o});
      Ranked up = matmul("vision.ffn_up", l, "vision", tokens_, {norm("vision.ffn_norm", l, "vision", x, h)}, false);
      up = elementwise("vision.ffn_act", l, "vision", "ffn_act", tokens_ * static_cast<double>(v.intermediate), 1.0,
                       {up}, 8.0, activation_transcendental(v.activation));
      Ranked down = matmul("vision.ffn_down", l, "vision", tokens_, {up}, true);
      x = elementwise("vision.ffn_residual", l, "vision", "residual", tokens_ * h, 2.0, {x, down});
    }
    x = norm("vision.ln_post", -1, "vision", x, h);
    // The final and intermediate layers' outputs, concatenated (output_dim wide), projected.
    matmul("vision.projector", -1, "vision", tokens_, {x}, false);
    return std::move(g_);
  }

  const std::map<int, int>& multiplicity() const { return multiplicity_; }

 private:
  // Block type, cross-attention, window, and the storage formats of the layer's weights (mixes
  // such as Q4_K_M store some layers' tensors in a wider format, which changes their time).
  using LayerKind = std::tuple<std::string, bool, int64_t, std::string, bool>;

  LayerKind layer_kind(int layer) const {
    const int64_t window = m_.attention_window.empty() ? 0 : m_.attention_window[static_cast<std::size_t>(layer)];
    std::string formats;
    for (const auto& t : w_.tensors()) {
      if (t.layer == layer) formats += t.role + "=" + t.format->name + ";";
    }
    return {m_.layer_type(layer), m_.is_cross_attention_layer(layer), window, formats,
            layer < o_.host_expert_layers};
  }

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
  Ranked collective(const std::string& what, int layer, const std::string& type, double bytes, const Ranked& in) {
    if (tp_ == 1) return in;
    Op op = make(what, OpKind::collective, "comm", layer, "collective", 0);
    op.name = name(layer, what, 0);
    op.collective = type;
    op.comm_bytes = bytes;
    op.output_bytes = bytes;
    for (int t = 0; t < tp_; ++t) op.ranks.push_back(rank(t));  // all ranks take part, emitted or not
    const OpId id = g_.add(op, in);
    return Ranked(static_cast<std::size_t>(emitted_ranks_), id);
  }

  Ranked send_from_previous_stage(const Ranked& x) {
    Ranked out;
    for (int t = 0; t < emitted_ranks_; ++t) {
      Op op = make("stage_send", OpKind::send, "comm", -1, "send", t);
      op.comm_bytes = tokens_ * h_ * act_;
      op.output_bytes = op.comm_bytes;
      op.ranks = {(stage_ - 1) * ranks_per_stage_ + t, rank(t)};
      out.push_back(g_.add(op, {x[static_cast<std::size_t>(t)]}));
    }
    return out;
  }

  Ranked embedding() {
    const WeightTensor& table = w_.get("token_embd", -1);
    Ranked out;
    for (int t = 0; t < emitted_ranks_; ++t) {
      // Vocabulary-parallel: each rank holds vocab/tp rows and gathers the ones it owns.
      Op op = make("embedding", OpKind::embedding, "embedding", -1, "embedding", t);
      set_weights(op, table, tokens_ * h_ / tp_, table.elements() / tp_);
      if (const WeightTensor* pos = w_.find("pos_embd", -1)) {
        op.weight_bytes += tokens_ * pos->format->bytes(h_);
        op.weight_resident_bytes += mb_ == 0 ? pos->bytes() : 0.0;
        op.vector_ops += tokens_ * h_;
      }
      if (m_.scale_embeddings) op.vector_ops += tokens_ * h_;
      op.act_write_bytes = tokens_ * h_ * act_;
      op.output_bytes = op.act_write_bytes;
      out.push_back(g_.add(op, {}));
    }
    return collective("embedding_allreduce", -1, "all_reduce", tokens_ * h_ * act_, out);
  }

  Ranked norm(const std::string& role, int layer, const std::string& group, const Ranked& input, double width = 0,
              double rows = 0) {
    width = width > 0 ? width : h_;
    rows = rows > 0 ? rows : tokens_;
    Ranked out;
    for (int t = 0; t < emitted_ranks_; ++t) {
      Op op = make(role, OpKind::norm, group, layer, variant_key("norm", m_.norm == NormKind::layer ? "layer" : "rms"), t);
      op.vector_ops = rows * width * (m_.norm == NormKind::layer ? 7.0 : 5.0);
      op.act_read_bytes = rows * width * act_;
      op.act_write_bytes = rows * width * act_;
      op.output_bytes = op.act_write_bytes;
      op.weight_bytes = vector_bytes(role, layer) + vector_bytes(role + ".bias", layer);
      op.weight_key = fmt::format("{}@{}", role, layer);
      op.weight_resident_bytes = mb_ == 0 ? op.weight_bytes : 0.0;
      out.push_back(g_.add(op, {input.size() == 1 ? input[0] : input[static_cast<std::size_t>(t)]}));
    }
    return out;
  }

  // Activations [m x K] times this rank's shard of a weight: column-parallel splits N,
  // row-parallel splits K (its partial sums need an all-reduce after).
  Ranked matmul(const std::string& role, int layer, const std::string& group, double m,
                const std::vector<Ranked>& inputs, bool row_parallel, const std::string& label = "") {
    const WeightTensor& wt = w_.get(role, layer);
    // KV projections are replicated when there are fewer KV heads than ranks.
    const bool kv_role = role == "attn_k" || role == "attn_v";
    // MLA's down-projections feed the latent every rank keeps whole: replicated, not split.
    // Under expert parallelism each rank runs the shared expert whole on its own tokens.
    const bool replicated = role == "attn_q_a" || role == "attn_kv_a_mqa" || role == "ffn_gate_inp_shexp" ||
                            (o_.ep > 1 && role.find("_shexp") != std::string::npos);
    const double split = kv_role      ? static_cast<double>(m_.kv_heads) / static_cast<double>(kv_heads_rank_)
                         : replicated ? 1.0
                                      : tp_;
    const double n = row_parallel ? wt.rows : wt.rows / split;
    const double k = row_parallel ? wt.cols / split : wt.cols;
    Ranked out;
    for (int t = 0; t < emitted_ranks_; ++t) {
      // Some stacks launch more kernels for some weight formats ("matmul.int8").
      Op op = make(label.empty() ? role : label, OpKind::matmul, group, layer, variant_key("matmul", wt.format->family),
                   t);
      const double rows_out = m;
      op.flops = 2.0 * rows_out * n * k;
      op.m = m;
      op.n = n;
      op.k = k;
      set_weights(op, wt, n * k, n * k);
      op.act_read_bytes = rows_out * k * act_;
      op.act_write_bytes = rows_out * n * act_;
      op.output_bytes = op.act_write_bytes;
      if (const WeightTensor* bias = w_.find(role + ".bias", layer)) {
        const double bias_bytes = row_parallel ? bias->bytes() : bias->bytes() / split;
        op.weight_bytes += bias_bytes;
        op.weight_resident_bytes += mb_ == 0 ? bias_bytes : 0.0;
        op.vector_ops += rows_out * n;
      }
      std::vector<OpId> in = inputs_of(inputs, t);
      add_gemm_io(op, rows_out, n, k, m, layer, role, in, t);
      out.push_back(g_.add(op, in));
    }
    return out;
  }

  // llama.cpp CUDA's cuBLAS path for M above the GEMV limit: f16 conversions around the GEMM
  // and, for quantised weights, a kernel expanding them to f16 first. Quantised weights up to
  // quantised_kernel_max_m take the MMQ kernels instead, which unpack blocks in registers.
  void add_gemm_io(Op& op, double rows, double n, double k, double m_per_copy, int layer, const std::string& role,
                   std::vector<OpId>& in, int t) {
    const bool in_kernel_unpacking =
        is_quantised(op.weight_family) && m_per_copy <= static_cast<double>(o_.quantised_kernel_max_m);
    const bool gemm_path = m_per_copy > static_cast<double>(o_.gemv_max_m) && !in_kernel_unpacking;
    op.unpacks_in_kernel = in_kernel_unpacking && m_per_copy > static_cast<double>(o_.gemv_max_m);
    if (gemm_path && o_.gemm_converts_io) {
      op.kernels += 2;
      op.act_read_bytes += rows * (k + n) * 2.0;
      op.act_write_bytes += rows * (k + n) * 2.0;
    }
    if (o_.dequant_before_gemm && gemm_path && is_quantised(op.weight_family)) {
      Op dq = make(role + ".dequant", OpKind::dequantize, op.group, layer, "dequantize", t);
      dq.host_expert = op.host_expert;  // expands where the packed weights are
      dq.weight_bytes = op.weight_bytes;
      dq.weight_elements = op.weight_elements;
      dq.weight_format = op.weight_format;
      dq.weight_family = op.weight_family;
      dq.weight_key = op.weight_key;
      dq.weight_resident_bytes = op.weight_resident_bytes;
      dq.act_write_bytes = op.weight_elements * 2.0;
      dq.output_bytes = dq.act_write_bytes;
      in.push_back(g_.add(dq, in));
      op.weight_bytes = op.weight_elements * 2.0;
      op.weight_family = "float16";
      op.weight_format = "f16";
      op.weight_key.clear();  // the expanded copy is a temporary, the packed tensor is stored once
      op.weight_resident_bytes = 0;
      op.reads_expanded_weights = true;
    }
  }

  Ranked elementwise(const std::string& what, int layer, const std::string& group, const std::string& kernel_key,
                     double elements, double inputs_read, const std::vector<Ranked>& inputs,
                     double ops_per_element = 1.0, const std::string& transcendental_fn = "") {
    Ranked out;
    for (int t = 0; t < emitted_ranks_; ++t) {
      Op op = make(what, OpKind::elementwise, group, layer, kernel_key, t);
      op.vector_ops = elements * ops_per_element;
      if (!transcendental_fn.empty()) {
        op.transcendentals = elements;  // one evaluation per element
        op.transcendental_fn = transcendental_fn;
      }
      op.act_read_bytes = elements * inputs_read * act_;
      op.act_write_bytes = elements * act_;
      op.output_bytes = op.act_write_bytes;
      out.push_back(g_.add(op, inputs_of(inputs, t)));
    }
    return out;
  }

  Ranked attention_block(int layer, const Ranked& normed) {
    if (m_.mla) return latent_attention(layer, normed);
    const double q_dim = static_cast<double>(m_.q_dim()) / tp_;
    const double kv_dim = static_cast<double>(kv_heads_rank_ * m_.head_dim);
    Ranked q, k, v;
    if (w_.find("attn_qkv", layer)) {
      q = k = v = matmul("attn_qkv", layer, "attention", tokens_, {normed}, false);
    } else if (o_.fuse_qkv) {
      q = k = v = fused_qkv(layer, normed);
    } else {
      q = matmul("attn_q", layer, "attention", tokens_, {normed}, false);
      k = matmul("attn_k", layer, "attention", tokens_, {normed}, false);
      v = matmul("attn_v", layer, "attention", tokens_, {normed}, false);
    }
    if (m_.qk_norm) {
      q = norm("attn_q_norm", layer, "attention", q, static_cast<double>(m_.head_dim),
               tokens_ * static_cast<double>(m_.heads) / tp_);
      k = norm("attn_k_norm", layer, "attention", k, static_cast<double>(m_.head_dim),
               tokens_ * static_cast<double>(kv_heads_rank_));
    }
    if (m_.positions == PositionKind::rope) {
      Ranked roped;
      for (int t = 0; t < emitted_ranks_; ++t) {
        Op rope = make("rope", OpKind::rope, "attention", layer, "rope", t);
        const double rotated =
            tokens_ * (q_dim + kv_dim) * static_cast<double>(m_.rotary_dim) / static_cast<double>(m_.head_dim);
        rope.vector_ops = rotated * 6.0;
        rope.act_read_bytes = tokens_ * (q_dim + kv_dim) * act_;
        rope.act_write_bytes = tokens_ * (q_dim + kv_dim) * act_;
        rope.output_bytes = rope.act_write_bytes;
        roped.push_back(g_.add(rope, inputs_of({q, k}, t)));
      }
      q = k = roped;
    }
    Ranked stored;
    // Training keeps no KV cache: attention reads this step's K and V as activations.
    if (o_.training) return finish_attention(layer, q, v);
    for (int t = 0; t < emitted_ranks_; ++t) {
      Op store = make("kv_store", OpKind::kv_store, "attention", layer, "kv_store", t);
      store.act_read_bytes = tokens_ * 2 * kv_dim * act_;
      store.kv_write_bytes = tokens_ * 2 * kv_dim * kv_;
      store.vector_ops = tokens_ * 2 * kv_dim;
      stored.push_back(g_.add(store, inputs_of({k, v}, t)));
    }
    return finish_attention(layer, q, stored);
  }

  Ranked finish_attention(int layer, const Ranked& q, const Ranked& kv) {
    Ranked attn = attention(layer, q, kv);
    if (m_.attention_output_gate) {  // sigmoid(gate) x output, the gate from q_proj's second half
      attn = elementwise("attn_gate", layer, "attention", "elementwise", tokens_ * static_cast<double>(m_.q_dim()) / tp_,
                         2.0, {attn, q}, 4.0, "exp");
    }
    if (o_.training) {
      for (OpId id : attn) {  // K and V come from activations, not a cache
        Op& op = g_.op(id);
        op.act_read_bytes += op.kv_read_bytes * act_ / kv_;
        op.kv_read_bytes = 0;
      }
    }
    Ranked out = matmul("attn_output", layer, "attention", tokens_, {attn}, true);
    return collective("attn_allreduce", layer, "all_reduce", tokens_ * h_ * act_, out);
  }

  Ranked fused_qkv(int layer, const Ranked& normed) {
    // One matmul over the concatenated Q, K, V shards (each keeps its own format).
    Ranked q = matmul("attn_q", layer, "attention", tokens_, {normed}, false, "attn_qkv");
    for (int t = 0; t < emitted_ranks_; ++t) {
      Op& op = g_.op(q[static_cast<std::size_t>(t)]);
      for (const char* role : {"attn_k", "attn_v"}) {
        const WeightTensor& wt = w_.get(role, layer);
        const double rows = static_cast<double>(kv_heads_rank_ * m_.head_dim);
        op.n += rows;
        op.flops += 2.0 * tokens_ * rows * wt.cols;
        op.weight_elements += rows * wt.cols;
        op.weight_bytes += wt.format->bytes(rows * wt.cols);
        op.weight_resident_bytes += mb_ == 0 ? wt.format->bytes(rows * wt.cols) : 0.0;
        op.act_write_bytes += tokens_ * rows * act_;
        op.output_bytes += tokens_ * rows * act_;
        if (const WeightTensor* bias = w_.find(std::string(role) + ".bias", layer)) {
          op.weight_bytes += bias->bytes() * rows / wt.rows;
        }
      }
    }
    return q;
  }

  // What one attention op covers, per rank: totals over its sequences.
  struct AttentionShape {
    double queries = 0;    // new tokens
    double kv = 0;         // cached positions read
    double keys = 0;       // query-key pairs a causal (flash) kernel computes
    double scores = 0;     // query x cached-position rectangle a non-flash kernel computes
    double heads = 0;
    double head_dim = 0;
    double kv_dim = 0;     // K (or V) width per rank
    double kv_values = 0;  // values read per cached position (0: K and V, 2 x kv_dim)
    double v_dim = 0;      // value head width (0: head_dim)
    double sequences = 0;
    double kv_bytes = 0;   // per value in the cache read
  };

  Ranked attention_op(const std::string& what, int layer, const std::string& group, const std::vector<Ranked>& in,
                      const AttentionShape& a) {
    Ranked out;
    for (int t = 0; t < emitted_ranks_; ++t) {
      Op op = make(what, OpKind::attention, group, layer, "attention", t);
      op.m = a.queries / a.sequences;
      op.n = a.kv / a.sequences;
      op.k = a.head_dim;
      op.batch_count = a.heads * a.sequences;
      op.operand_family = o_.kv_format->family;
      const double v_dim = a.v_dim > 0 ? a.v_dim : a.head_dim;
      op.kv_read_bytes = a.kv * (a.kv_values > 0 ? a.kv_values : a.kv_dim * 2) * a.kv_bytes;
      op.act_read_bytes = a.queries * a.heads * a.head_dim * act_;
      op.act_write_bytes = op.act_read_bytes;
      op.output_bytes = op.act_write_bytes;
      if (o_.flash_attention) {
        op.flops = 2.0 * a.heads * (a.head_dim + v_dim) * a.keys;
        op.vector_ops = (m_.positions == PositionKind::alibi ? 6.0 : 5.0) * a.heads * a.keys;  // ALiBi: + bias
        op.transcendentals = a.heads * a.keys;  // softmax: one exp per attended key
      } else {
        // Scores for the whole queries x kv rectangle (masked, not skipped), in f32: written by
        // QK^T, read and written by softmax, read by the value product.
        const double scores = a.heads * a.scores;
        op.flops = 2.0 * scores * (a.head_dim + v_dim);
        op.vector_ops = (m_.positions == PositionKind::alibi ? 6.0 : 5.0) * scores;
        op.transcendentals = scores;  // softmax: one exp per score
        op.act_read_bytes += 2.0 * scores * 4.0;
        op.act_write_bytes += 2.0 * scores * 4.0;
      }
      op.transcendental_fn = "exp";
      out.push_back(g_.add(op, inputs_of(in, t)));
    }
    return out;
  }

  // This step's queries and the positions layer `layer` attends to (its window or chunk).
  AttentionShape causal_shape(int layer) const {
    const int64_t window = m_.attention_window.empty() ? 0 : m_.attention_window[static_cast<std::size_t>(layer)];
    const AttentionWork& w = shape_.by_window.at(window);
    AttentionShape a;
    a.queries = tokens_;
    a.kv = w.kv;
    a.keys = w.keys;
    a.scores = w.scores;
    a.sequences = batch_;
    return a;
  }

  Ranked attention(int layer, const Ranked& q, const Ranked& stored) {
    AttentionShape a = causal_shape(layer);
    a.heads = static_cast<double>(m_.heads) / tp_;
    a.head_dim = static_cast<double>(m_.head_dim);
    a.kv_dim = static_cast<double>(kv_heads_rank_ * m_.head_dim);
    a.kv_bytes = kv_;
    return attention_op("attention", layer, "attention", {q, stored}, a);
  }

  // Mllama cross-attention layer: queries from the text, keys and values from the image tokens
  // (projected once, in the step that first sees the image, and cached), tanh-gated outputs.
  Ranked cross_attention_layer(int layer, const Ranked& x) {
    const double vision = static_cast<double>(o_.vision_tokens);
    const double kv_dim = static_cast<double>(kv_heads_rank_ * m_.head_dim);
    Ranked normed = norm("attn_norm", layer, "norm", x);
    Ranked q = matmul("attn_q", layer, "cross_attention", tokens_, {normed}, false);
    q = norm("attn_q_norm", layer, "cross_attention", q, static_cast<double>(m_.head_dim),
             tokens_ * static_cast<double>(m_.heads) / tp_);
    Ranked cache;  // the cross K/V: computed now, or already in memory
    if (o_.compute_cross_kv) {
      const double rows = batch_ * vision;
      // Inputs are the image tokens already in memory; waiting for this layer's norm keeps the
      // projection inside its layer (layers stay sequential, see lower_step_representative).
      Ranked k = matmul("attn_k", layer, "cross_attention", rows, {normed}, false);
      Ranked v = matmul("attn_v", layer, "cross_attention", rows, {normed}, false);
      k = norm("attn_k_norm", layer, "cross_attention", k, static_cast<double>(m_.head_dim),
               rows * static_cast<double>(kv_heads_rank_));
      for (int t = 0; t < emitted_ranks_; ++t) {
        Op store = make("cross_kv_store", OpKind::kv_store, "cross_attention", layer, "kv_store", t);
        store.act_read_bytes = rows * 2 * kv_dim * act_;
        store.kv_write_bytes = rows * 2 * kv_dim * kv_;
        cache.push_back(g_.add(store, inputs_of({k, v}, t)));
      }
    }
    AttentionShape a;
    a.queries = tokens_;
    a.kv = batch_ * vision;
    a.keys = tokens_ * vision;  // every text token sees every image token
    a.scores = a.keys;
    a.heads = static_cast<double>(m_.heads) / tp_;
    a.head_dim = static_cast<double>(m_.head_dim);
    a.kv_dim = kv_dim;
    a.sequences = batch_;
    a.kv_bytes = kv_;
    Ranked attn = attention_op("cross_attention", layer, "cross_attention", {q, cache}, a);
    Ranked out = matmul("attn_output", layer, "cross_attention", tokens_, {attn}, true);
    out = collective("attn_allreduce", layer, "all_reduce", tokens_ * h_ * act_, out);
    Ranked mid = elementwise("attn_residual", layer, "other", "residual", tokens_ * h_, 2.0, {x, out}, 3.0);
    Ranked mlp = mlp_block(layer, norm("ffn_norm", layer, "norm", mid));
    return elementwise("ffn_residual", layer, "other", "residual", tokens_ * h_, 2.0, {mid, mlp}, 3.0);
  }

  Ranked mlp_block(int layer, const Ranked& normed) {
    if (m_.is_moe_layer(layer)) return moe_block(layer, normed);
    const double inter = static_cast<double>(m_.mlp_width(layer)) / tp_;
    Ranked up;
    if (m_.gated_mlp) {
      Ranked gate;
      if (o_.fuse_gate_up) {
        gate = up = fused_gate_up(layer, normed);
      } else {
        gate = matmul("ffn_gate", layer, "mlp", tokens_, {normed}, false);
        up = matmul("ffn_up", layer, "mlp", tokens_, {normed}, false);
      }
      up = elementwise("ffn_act", layer, "mlp", variant_key("ffn_act", m_.activation), tokens_ * inter, 2.0,
                       {gate, up}, 6.0, activation_fn_);
    } else {
      up = matmul("ffn_up", layer, "mlp", tokens_, {normed}, false);
      up = elementwise("ffn_act", layer, "mlp", variant_key("ffn_act", m_.activation), tokens_ * inter, 1.0, {up}, 8.0,
                       activation_fn_);
    }
    Ranked down = matmul("ffn_down", layer, "mlp", tokens_, {up}, true);
    return collective("mlp_allreduce", layer, "all_reduce", tokens_ * h_ * act_, down);
  }

  Ranked fused_gate_up(int layer, const Ranked& normed) {
    Ranked gate = matmul("ffn_gate", layer, "mlp", tokens_, {normed}, false, "ffn_gate_up");
    const WeightTensor& up = w_.get("ffn_up", layer);
    for (OpId id : gate) {
      Op& op = g_.op(id);
      op.n *= 2.0;
      op.flops *= 2.0;
      op.weight_elements *= 2.0;
      op.weight_bytes += up.format->bytes(op.weight_elements / 2.0);
      op.weight_resident_bytes += mb_ == 0 ? up.format->bytes(up.elements() / tp_) : 0.0;
      op.act_write_bytes *= 2.0;
      op.output_bytes *= 2.0;
    }
    return gate;
  }

  // Attention-free blocks: RWKV-6 time-mix and/or Mamba-2 mixer on the normed input (side by
  // side in a hybrid), residual, then RWKV-6 channel-mix where the block has one.
  Ranked recurrent_layer(int layer, const Ranked& x) {
    const std::string& type = m_.layer_type(layer);
    const bool rwkv = type == "rwkv6" || type == "rwkv6+mamba2";
    const bool mamba = type == "mamba2" || type == "rwkv6+mamba2";
    Ranked normed = norm("ln1", layer, "norm", x);
    std::vector<Ranked> sum{x};
    if (rwkv) sum.push_back(rwkv_time_mix(layer, normed));
    if (mamba) sum.push_back(mamba_mixer(layer, normed));
    Ranked mid = elementwise("mix_residual", layer, "other", "residual", tokens_ * h_, static_cast<double>(sum.size()),
                             sum);
    if (!rwkv) return mid;
    Ranked channel = rwkv_channel_mix(layer, norm("ln2", layer, "norm", mid));
    return elementwise("ffn_residual", layer, "other", "residual", tokens_ * h_, 2.0, {mid, channel});
  }

  Ranked weighted_elementwise(const std::string& what, int layer, const std::string& group, double elements,
                              double inputs_read, const std::vector<Ranked>& in, double ops, const std::string& weights) {
    Ranked out = elementwise(what, layer, group, "elementwise", elements, inputs_read, in, ops);
    for (OpId id : out) {
      g_.op(id).weight_bytes = vector_bytes(weights, layer);
      g_.op(id).weight_key = fmt::format("{}@{}", weights, layer);
      g_.op(id).weight_resident_bytes = mb_ == 0 ? g_.op(id).weight_bytes : 0.0;
    }
    return out;
  }

  Ranked rwkv_time_mix(int layer, const Ranked& normed) {
    const RecurrentShape& r = m_.recurrent;
    const double mix = 5.0 * static_cast<double>(r.rwkv_mix_lora);
    // Data-dependent token shift: a LoRA gives five mixing coefficients per token.
    Ranked shift = weighted_elementwise("tm_shift", layer, "rwkv", tokens_ * h_, 2.0, {normed}, 2.0, "tm_maa");
    Ranked lora = matmul("tm_mix_w1", layer, "rwkv", tokens_, {shift}, false);
    lora = elementwise("tm_mix_tanh", layer, "rwkv", "elementwise", tokens_ * mix, 1.0, {lora}, 4.0);
    lora = matmul("tm_mix_w2", layer, "rwkv", tokens_, {lora}, false);
    Ranked mixed = elementwise("tm_lerp", layer, "rwkv", "elementwise", tokens_ * 5.0 * h_, 3.0, {lora, shift}, 3.0);
    Ranked decay = matmul("tm_decay_w1", layer, "rwkv", tokens_, {mixed}, false);
    decay = elementwise("tm_decay_tanh", layer, "rwkv", "elementwise",
                        tokens_ * static_cast<double>(r.rwkv_decay_lora), 1.0, {decay}, 4.0);
    decay = matmul("tm_decay_w2", layer, "rwkv", tokens_, {decay}, false);
    decay = weighted_elementwise("tm_decay_exp", layer, "rwkv", tokens_ * h_, 1.0, {decay}, 4.0, "tm_decay");
    Ranked rr = matmul("tm_r", layer, "rwkv", tokens_, {mixed}, false);
    Ranked kk = matmul("tm_k", layer, "rwkv", tokens_, {mixed}, false);
    Ranked vv = matmul("tm_v", layer, "rwkv", tokens_, {mixed}, false);
    Ranked gg = matmul("tm_g", layer, "rwkv", tokens_, {mixed}, false);
    gg = elementwise("tm_g_silu", layer, "rwkv", "elementwise", tokens_ * h_, 1.0, {gg}, 6.0);
    // WKV: per head a head_size x head_size state, decayed and updated each token.
    const double hs = static_cast<double>(r.rwkv_head_size);
    const double heads = h_ / hs;
    Ranked wkv;
    for (int t = 0; t < emitted_ranks_; ++t) {
      Op op = make("wkv", OpKind::scan, "rwkv", layer, "wkv", t);
      op.vector_ops = tokens_ * h_ * hs * 4.0;
      op.act_read_bytes = tokens_ * 4.0 * h_ * act_;
      op.act_write_bytes = tokens_ * h_ * act_;
      op.output_bytes = op.act_write_bytes;
      op.weight_bytes = vector_bytes("tm_faaaa", layer);
      const double state = batch_ * heads * hs * hs * 4.0;  // f32 state, read and written once per step
      op.kv_read_bytes = state;
      op.kv_write_bytes = state;
      // A per-token loop of small tensor ops (no fused kernel) launches `wkv_token` kernels per
      // token (default 8; the implementation decides, so scenarios may set it; 0 stands for a
      // fused WKV kernel, one launch).
      if (r.rwkv_kernel == "loop") {
        const int per_token = o_.kernels_per_op.count("wkv_token") ? kernels("wkv_token") : 8;
        op.kernels = std::max(1, static_cast<int>(o_.new_tokens) * per_token);
      }
      wkv.push_back(g_.add(op, inputs_of({rr, kk, vv, decay}, t)));
    }
    Ranked y = weighted_elementwise("tm_ln_x", layer, "rwkv", tokens_ * h_, 1.0, {wkv}, 7.0, "tm_ln_x");
    y = elementwise("tm_gate", layer, "rwkv", "elementwise", tokens_ * h_, 2.0, {y, gg}, 1.0);
    return matmul("tm_o", layer, "rwkv", tokens_, {y}, false);
  }

  Ranked rwkv_channel_mix(int layer, const Ranked& normed) {
    const double ffn = static_cast<double>(m_.recurrent.rwkv_ffn(m_.hidden));
    Ranked shift = weighted_elementwise("cm_shift", layer, "rwkv", tokens_ * h_, 2.0, {normed}, 4.0, "cm_maa");
    Ranked k = matmul("cm_k", layer, "mlp", tokens_, {shift}, false);
    k = elementwise("cm_relu2", layer, "mlp", "ffn_act", tokens_ * ffn, 1.0, {k}, 2.0);
    Ranked v = matmul("cm_v", layer, "mlp", tokens_, {k}, false);
    Ranked r = matmul("cm_r", layer, "mlp", tokens_, {shift}, false);
    return elementwise("cm_gate", layer, "mlp", "elementwise", tokens_ * h_, 2.0, {r, v}, 6.0);
  }

  Ranked mamba_mixer(int layer, const Ranked& normed) {
    const RecurrentShape& r = m_.recurrent;
    const double inner = static_cast<double>(r.mamba_inner(m_.hidden));
    const double heads = static_cast<double>(r.mamba_heads(m_.hidden));
    const double conv = static_cast<double>(r.mamba_conv_dim(m_.hidden));
    const double state = static_cast<double>(r.mamba_d_state);
    const double headdim = static_cast<double>(r.mamba_headdim);
    Ranked zxbcdt = matmul("mamba_in_proj", layer, "mamba", tokens_, {normed}, false);
    Ranked xbc;
    for (int t = 0; t < emitted_ranks_; ++t) {
      // Causal depthwise conv1d over x, B, C; a decode step reads and writes its conv state.
      Op op = make("mamba_conv", OpKind::elementwise, "mamba", layer, "elementwise", t);
      op.vector_ops = tokens_ * conv * static_cast<double>(r.mamba_d_conv) * 2.0 + tokens_ * conv * 6.0;
      op.act_read_bytes = tokens_ * conv * act_;
      op.act_write_bytes = tokens_ * conv * act_;
      op.output_bytes = op.act_write_bytes;
      op.weight_bytes = vector_bytes("mamba_conv", layer);
      op.weight_key = fmt::format("mamba_conv@{}", layer);
      op.weight_resident_bytes = mb_ == 0 ? op.weight_bytes : 0.0;
      const double conv_state = batch_ * conv * static_cast<double>(r.mamba_d_conv) * act_;
      op.kv_read_bytes = conv_state;
      op.kv_write_bytes = conv_state;
      xbc.push_back(g_.add(op, {zxbcdt[static_cast<std::size_t>(t)]}));
    }
    Ranked y;
    const double chunk = std::min(static_cast<double>(r.mamba_chunk), static_cast<double>(o_.new_tokens));
    for (int t = 0; t < emitted_ranks_; ++t) {
      // SSD (state space duality): within chunks a masked matmul, across chunks the state.
      Op op = make("ssd", OpKind::scan, "mamba", layer, "ssd", t);
      op.m = chunk;
      op.n = headdim;
      op.k = state;
      op.batch_count = heads * tokens_ / chunk;
      op.flops = 2.0 * tokens_ * heads * (chunk * (state + headdim) + 2.0 * headdim * state);
      op.vector_ops = tokens_ * heads * chunk;  // decay mask
      op.act_read_bytes = tokens_ * (inner + 2.0 * static_cast<double>(r.mamba_ngroups) * state + heads) * act_;
      op.act_write_bytes = tokens_ * inner * act_;
      op.output_bytes = op.act_write_bytes;
      op.weight_bytes = vector_bytes("mamba_heads", layer);
      op.weight_key = fmt::format("mamba_heads@{}", layer);
      op.weight_resident_bytes = mb_ == 0 ? op.weight_bytes : 0.0;
      const double ssm_state = batch_ * heads * headdim * state * 4.0;
      op.kv_read_bytes = ssm_state;
      op.kv_write_bytes = ssm_state;
      op.operand_family = "float16";
      y.push_back(g_.add(op, inputs_of({xbc}, t)));
    }
    y = norm("mamba_norm", layer, "mamba", y, inner);  // RMSNorm gated by z
    return matmul("mamba_out_proj", layer, "mamba", tokens_, {y, zxbcdt}, false);
  }

  Ranked transformer_layer(int layer, const Ranked& x) {
    const std::string& type = m_.layer_type(layer);
    if (type == "mamba1") return mamba1_layer(layer, x);
    if (type == "rwkv4") return rwkv4_layer(layer, x);
    if (type != "attention" && type != "deltanet") return recurrent_layer(layer, x);
    if (m_.is_cross_attention_layer(layer)) {
      // Without an image the cross-attention layers are skipped (as transformers does).
      return o_.vision_tokens > 0 ? cross_attention_layer(layer, x) : x;
    }
    Ranked normed = norm("attn_norm", layer, "norm", x);
    Ranked attn = type == "deltanet" ? deltanet_block(layer, normed) : attention_block(layer, normed);
    if (m_.sandwich_norm) attn = norm("post_attention_norm", layer, "norm", attn);
    if (m_.parallel_residual) {
      Ranked mlp = mlp_block(layer, normed);
      return elementwise("residual", layer, "other", "residual", tokens_ * h_, 3.0, {x, attn, mlp});
    }
    Ranked mid = elementwise("attn_residual", layer, "other", "residual", tokens_ * h_, 2.0, {x, attn});
    Ranked mlp = mlp_block(layer, norm("ffn_norm", layer, "norm", mid));
    if (m_.sandwich_norm) mlp = norm("post_ffw_norm", layer, "norm", mlp);
    return elementwise("ffn_residual", layer, "other", "residual", tokens_ * h_, 2.0, {mid, mlp});
  }

  OpId lm_head(const Ranked& x) {
    // Only the last token of each sequence is projected to logits; the vocabulary is split
    // over the ranks and the logits gathered.
    const std::string role = w_.find("output", -1) ? "output" : "token_embd";
    const double rows = shape_.logits_rows;
    Ranked logits = matmul(role, -1, "lm_head", rows, {x}, false, "lm_head");
    const bool tied = role == "token_embd";
    for (OpId id : logits) {
      Op& op = g_.op(id);
      op.act_read_bytes = rows * h_ * act_;
      op.act_write_bytes = rows * op.n * 4.0;  // logits in f32
      op.output_bytes = op.act_write_bytes;
      if (tied) op.weight_key = "token_embd@-1";  // the same stored table as the embedding
    }
    const double vocab = static_cast<double>(m_.vocab);
    // An all-gather's payload is the whole gathered buffer; a ring moves (N-1)/N of it per link.
    return collective("logits_allgather", -1, "all_gather", rows * vocab * 4.0, logits)[0];
  }

  void sampling(OpId logits) {
    Op op = make("sampling", OpKind::sampling, "other", -1, "sampling", 0);
    const double values = shape_.logits_rows * static_cast<double>(m_.vocab);
    op.vector_ops = values * 3.0;
    op.act_read_bytes = values * 4.0;
    op.act_write_bytes = shape_.logits_rows * 4.0;
    op.output_bytes = op.act_write_bytes;
    g_.add(op, {logits});
  }

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
  int ranks_per_stage_ = 1;  // max(tp, ep): every rank of a stage, attention groups included
  int dp_ = 1;               // attention data-parallel groups (ep / tp)
  int emitted_ranks_ = 1;  // tensor ranks given ops: all, or only the first when they are identical
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
