#include "workloads/lowering.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace llmsim::workloads {

double attended_keys(int64_t new_tokens, int64_t past_tokens, int64_t window) {
  const double t = static_cast<double>(new_tokens);
  const double p = static_cast<double>(past_tokens);
  if (window <= 0) return t * p + t * (t + 1) / 2;
  // Queries i with past + i <= window see past + i keys; the rest see `window`.
  const double w = static_cast<double>(window);
  const double c = std::clamp(w - p, 0.0, t);
  return c * p + c * (c + 1) / 2 + (t - c) * w;
}

double expected_distinct_experts(double tokens, double top_k, double experts) {
  return experts * (1.0 - std::pow(1.0 - top_k / experts, tokens));
}

namespace {

bool is_quantised(const std::string& family) { return family == "ggml" || family == "int4" || family == "int8"; }

// Builds the graph of one step; each method adds one logical op and returns its id.
class StepBuilder {
 public:
  StepBuilder(const ModelConfig& model, const ModelWeights& weights, const LoweringOptions& options)
      : m_(model), w_(weights), o_(options) {
    tokens_ = static_cast<double>(o_.batch * o_.new_tokens);
    act_ = o_.activation_format->bits_per_weight / 8.0;
    kv_ = o_.kv_format->bits_per_weight / 8.0;
    h_ = static_cast<double>(m_.hidden);
  }

  OpGraph build() {
    OpId x = embedding();
    for (int layer = 0; layer < static_cast<int>(m_.layers); ++layer) x = transformer_layer(layer, x);
    x = norm("output_norm", -1, "norm", x);
    OpId logits = lm_head(x);
    if (o_.sample) sampling(logits);
    return std::move(g_);
  }

 private:
  int kernels(const std::string& key) const {
    auto it = o_.kernels_per_op.find(key);
    return it == o_.kernels_per_op.end() ? 1 : it->second;
  }

  Op make(const std::string& name, OpKind kind, const std::string& group, int layer, const std::string& kernel_key) {
    Op op;
    op.name = name;
    op.kind = kind;
    op.group = group;
    op.layer = layer;
    op.kernels = kernels(kernel_key);
    return op;
  }

  static std::string layer_name(int layer, const std::string& what) {
    return layer < 0 ? what : fmt::format("L{}.{}", layer, what);
  }

  double vector_bytes(const std::string& role, int layer) const {
    const WeightTensor* t = w_.find(role, layer);
    return t ? t->bytes() : 0.0;
  }

  OpId embedding() {
    Op op = make("embedding", OpKind::embedding, "embedding", -1, "embedding");
    const WeightTensor& table = w_.get("token_embd", -1);
    // A gather reads only the rows of the tokens in this step.
    op.weight_bytes = tokens_ * table.format->bytes(h_);
    op.weight_format = table.format->name;
    op.weight_family = table.format->family;
    if (const WeightTensor* pos = w_.find("pos_embd", -1)) {
      op.weight_bytes += tokens_ * pos->format->bytes(h_);
      op.vector_ops += tokens_ * h_;
    }
    if (m_.scale_embeddings) op.vector_ops += tokens_ * h_;
    op.act_write_bytes = tokens_ * h_ * act_;
    return g_.add(op, {});
  }

  OpId norm(const std::string& role, int layer, const std::string& group, OpId input, double width = 0,
            double rows = 0) {
    width = width > 0 ? width : h_;
    rows = rows > 0 ? rows : tokens_;
    Op op = make(layer_name(layer, role), OpKind::norm, group, layer, "norm");
    op.vector_ops = rows * width * (m_.norm == NormKind::layer ? 7.0 : 5.0);
    op.act_read_bytes = rows * width * act_;
    op.act_write_bytes = rows * width * act_;
    op.weight_bytes = vector_bytes(role, layer) + vector_bytes(role + ".bias", layer);
    return g_.add(op, {input});
  }

  // activations [m x K] times weight [K x N]; weights may be MoE experts (copies > 1).
  OpId matmul(const std::string& role, int layer, const std::string& group, double m, std::vector<OpId> inputs,
              const std::string& name_override = "") {
    const WeightTensor& wt = w_.get(role, layer);
    const double n = wt.rows;
    const double k = wt.cols;
    Op op = make(layer_name(layer, name_override.empty() ? role : name_override), OpKind::matmul, group, layer,
                 "matmul");
    double touched = 1.0;  // weight copies read
    double m_per_copy = m;
    if (wt.copies > 1) {
      const double routed = m * static_cast<double>(m_.experts_per_token);
      touched = expected_distinct_experts(m, static_cast<double>(m_.experts_per_token), wt.copies);
      m_per_copy = routed / touched;
      op.flops = 2.0 * routed * n * k;
      op.batch_count = touched;
    } else {
      op.flops = 2.0 * m * n * k;
    }
    op.m = m_per_copy;
    op.n = n;
    op.k = k;
    op.weight_elements = n * k * touched;
    op.weight_bytes = wt.format->bytes(op.weight_elements);
    op.weight_format = wt.format->name;
    op.weight_family = wt.format->family;
    op.act_read_bytes = m * k * act_ * (wt.copies > 1 ? m_.experts_per_token : 1);
    op.act_write_bytes = m * n * act_ * (wt.copies > 1 ? m_.experts_per_token : 1);
    if (const WeightTensor* bias = w_.find(role + ".bias", layer)) {
      op.weight_bytes += bias->bytes();
      op.vector_ops += m * n;
    }
    const bool gemm_path = m_per_copy > static_cast<double>(o_.gemv_max_m);
    if (gemm_path && o_.gemm_converts_io) {
      // Two more kernels: inputs to f16 before the GEMM, its f16 output back to f32 after.
      const double rows = m * (wt.copies > 1 ? m_.experts_per_token : 1);
      op.kernels += 2;
      op.act_read_bytes += rows * (k + n) * 2.0;
      op.act_write_bytes += rows * (k + n) * 2.0;
    }
    if (o_.dequant_before_gemm && gemm_path && is_quantised(op.weight_family)) {
      // The GEMM reads weights expanded to f16 by a separate kernel that reads the packed blocks.
      Op dq = make(layer_name(layer, role + ".dequant"), OpKind::dequantize, group, layer, "dequantize");
      dq.weight_bytes = op.weight_bytes;
      dq.weight_elements = op.weight_elements;
      dq.weight_format = op.weight_format;
      dq.weight_family = op.weight_family;
      dq.act_write_bytes = op.weight_elements * 2.0;
      OpId dq_id = g_.add(dq, inputs);
      inputs.push_back(dq_id);
      op.weight_bytes = op.weight_elements * 2.0;
      op.weight_family = "float16";
      op.weight_format = "f16";
      op.reads_expanded_weights = true;
    }
    return g_.add(op, inputs);
  }

  OpId elementwise(const std::string& name, int layer, const std::string& group, const std::string& kernel_key,
                   double elements, double inputs_read, std::vector<OpId> inputs, double ops_per_element = 1.0) {
    Op op = make(layer_name(layer, name), OpKind::elementwise, group, layer, kernel_key);
    op.vector_ops = elements * ops_per_element;
    op.act_read_bytes = elements * inputs_read * act_;
    op.act_write_bytes = elements * act_;
    return g_.add(op, inputs);
  }

  OpId attention_block(int layer, OpId normed) {
    const double q_dim = static_cast<double>(m_.q_dim());
    const double kv_dim = static_cast<double>(m_.kv_dim());
    OpId q, k, v;
    if (w_.find("attn_qkv", layer)) {
      q = k = v = matmul("attn_qkv", layer, "attention", tokens_, {normed});
    } else if (o_.fuse_qkv) {
      q = k = v = fused_qkv(layer, normed);
    } else {
      q = matmul("attn_q", layer, "attention", tokens_, {normed});
      k = matmul("attn_k", layer, "attention", tokens_, {normed});
      v = matmul("attn_v", layer, "attention", tokens_, {normed});
    }
    if (m_.qk_norm) {
      q = norm("attn_q_norm", layer, "attention", q, static_cast<double>(m_.head_dim),
               tokens_ * static_cast<double>(m_.heads));
      k = norm("attn_k_norm", layer, "attention", k, static_cast<double>(m_.head_dim),
               tokens_ * static_cast<double>(m_.kv_heads));
    }
    if (m_.positions == PositionKind::rope) {
      Op rope = make(layer_name(layer, "rope"), OpKind::rope, "attention", layer, "rope");
      const double rotated = tokens_ * (q_dim + kv_dim) * static_cast<double>(m_.rotary_dim) /
                             static_cast<double>(m_.head_dim);
      rope.vector_ops = rotated * 6.0;
      rope.act_read_bytes = tokens_ * (q_dim + kv_dim) * act_;
      rope.act_write_bytes = tokens_ * (q_dim + kv_dim) * act_;
      OpId r = g_.add(rope, q == k ? std::vector<OpId>{q} : std::vector<OpId>{q, k});
      q = k = r;
    }
    Op store = make(layer_name(layer, "kv_store"), OpKind::kv_store, "attention", layer, "kv_store");
    store.act_read_bytes = tokens_ * 2 * kv_dim * act_;
    store.kv_write_bytes = tokens_ * 2 * kv_dim * kv_;
    store.vector_ops = tokens_ * 2 * kv_dim;
    OpId stored = g_.add(store, k == v ? std::vector<OpId>{k} : std::vector<OpId>{k, v});
    OpId attn = attention(layer, q, stored);
    return matmul("attn_output", layer, "attention", tokens_, {attn});
  }

  OpId fused_qkv(int layer, OpId normed) {
    // One matmul over the concatenated Q, K, V weights (each keeps its own format).
    OpId q = matmul("attn_q", layer, "attention", tokens_, {normed}, "attn_qkv");
    Op& op = g_.op(q);
    for (const char* role : {"attn_k", "attn_v"}) {
      const WeightTensor& wt = w_.get(role, layer);
      op.n += wt.rows;
      op.flops += 2.0 * tokens_ * wt.rows * wt.cols;
      op.weight_elements += wt.elements();
      op.weight_bytes += wt.bytes();
      op.act_write_bytes += tokens_ * wt.rows * act_;
      if (const WeightTensor* bias = w_.find(std::string(role) + ".bias", layer)) op.weight_bytes += bias->bytes();
    }
    return q;
  }

  OpId attention(int layer, OpId q, OpId stored) {
    const int64_t window = m_.attention_window.empty() ? 0 : m_.attention_window[static_cast<std::size_t>(layer)];
    const double batch = static_cast<double>(o_.batch);
    const double t = static_cast<double>(o_.new_tokens);
    const double heads = static_cast<double>(m_.heads);
    const double hd = static_cast<double>(m_.head_dim);
    const double total = static_cast<double>(o_.past_tokens + o_.new_tokens);
    const double kv_len = window > 0 ? std::min(total, static_cast<double>(window)) : total;
    Op op = make(layer_name(layer, "attention"), OpKind::attention, "attention", layer, "attention");
    op.m = t;
    op.n = kv_len;
    op.k = hd;
    op.batch_count = heads * batch;
    op.operand_family = o_.kv_format->family;
    op.kv_read_bytes = batch * kv_len * static_cast<double>(m_.kv_dim()) * 2 * kv_;
    op.act_read_bytes = tokens_ * heads * hd * act_;
    op.act_write_bytes = tokens_ * heads * hd * act_;
    if (o_.flash_attention) {
      const double keys = attended_keys(o_.new_tokens, o_.past_tokens, window);
      op.flops = 4.0 * heads * hd * keys * batch;
      op.vector_ops = 5.0 * heads * keys * batch;
    } else {
      // Scores for the whole T x kv_len rectangle (masked, not skipped), in f32: written by
      // QK^T, read and written by softmax, read by the value product.
      const double scores = heads * t * kv_len * batch;
      op.flops = 4.0 * scores * hd;
      op.vector_ops = 5.0 * scores;
      op.act_read_bytes += 2.0 * scores * 4.0;
      op.act_write_bytes += 2.0 * scores * 4.0;
    }
    return g_.add(op, {q, stored});
  }

  OpId mlp_block(int layer, OpId normed) {
    OpId routed = normed;
    if (m_.is_moe()) {
      OpId logits = matmul("ffn_gate_inp", layer, "mlp", tokens_, {normed});
      Op router = make(layer_name(layer, "router"), OpKind::router, "mlp", layer, "router");
      router.vector_ops = tokens_ * static_cast<double>(m_.experts) * 5.0;
      router.act_read_bytes = tokens_ * static_cast<double>(m_.experts) * act_;
      router.act_write_bytes = tokens_ * static_cast<double>(m_.experts_per_token) * 8.0;
      routed = g_.add(router, {logits});
    }
    const double inter = static_cast<double>(m_.intermediate);
    const double fanout = m_.is_moe() ? static_cast<double>(m_.experts_per_token) : 1.0;
    OpId up;
    if (m_.gated_mlp) {
      OpId gate;
      if (o_.fuse_gate_up) {
        gate = up = fused_gate_up(layer, routed, normed);
      } else {
        gate = matmul("ffn_gate", layer, "mlp", tokens_, {normed, routed});
        up = matmul("ffn_up", layer, "mlp", tokens_, {normed, routed});
      }
      up = elementwise("ffn_act", layer, "mlp", "ffn_act", tokens_ * inter * fanout, 2.0,
                       gate == up ? std::vector<OpId>{up} : std::vector<OpId>{gate, up}, 6.0);
    } else {
      up = matmul("ffn_up", layer, "mlp", tokens_, {normed});
      up = elementwise("ffn_act", layer, "mlp", "ffn_act", tokens_ * inter, 1.0, {up}, 8.0);
    }
    OpId down = matmul("ffn_down", layer, "mlp", tokens_, {up});
    if (m_.is_moe()) {
      down = elementwise("moe_combine", layer, "mlp", "residual", tokens_ * h_, fanout, {down}, fanout);
    }
    return down;
  }

  OpId fused_gate_up(int layer, OpId routed, OpId normed) {
    OpId gate = matmul("ffn_gate", layer, "mlp", tokens_, {normed, routed}, "ffn_gate_up");
    Op& op = g_.op(gate);
    const WeightTensor& up = w_.get("ffn_up", layer);
    const double share = op.weight_elements / w_.get("ffn_gate", layer).elements();  // experts touched
    op.n += up.rows;
    op.flops *= 2.0;
    op.weight_elements += up.elements() * share;
    op.weight_bytes += up.format->bytes(up.elements() * share);
    op.act_write_bytes *= 2.0;
    return gate;
  }

  OpId transformer_layer(int layer, OpId x) {
    OpId normed = norm("attn_norm", layer, "norm", x);
    OpId attn = attention_block(layer, normed);
    if (m_.sandwich_norm) attn = norm("post_attention_norm", layer, "norm", attn);
    if (m_.parallel_residual) {
      OpId mlp = mlp_block(layer, normed);
      return elementwise("residual", layer, "other", "residual", tokens_ * h_, 3.0, {x, attn, mlp});
    }
    OpId mid = elementwise("attn_residual", layer, "other", "residual", tokens_ * h_, 2.0, {x, attn});
    OpId mlp = mlp_block(layer, norm("ffn_norm", layer, "norm", mid));
    if (m_.sandwich_norm) mlp = norm("post_ffw_norm", layer, "norm", mlp);
    return elementwise("ffn_residual", layer, "other", "residual", tokens_ * h_, 2.0, {mid, mlp});
  }

  OpId lm_head(OpId x) {
    // Only the last token of each sequence is projected to logits.
    const double rows = static_cast<double>(o_.batch);
    const std::string role = w_.find("output", -1) ? "output" : "token_embd";
    OpId logits = matmul(role, -1, "lm_head", rows, {x}, "lm_head");
    g_.op(logits).act_read_bytes = rows * h_ * act_;
    g_.op(logits).act_write_bytes = rows * static_cast<double>(m_.vocab) * 4.0;  // logits in f32
    return logits;
  }

  void sampling(OpId logits) {
    Op op = make("sampling", OpKind::sampling, "other", -1, "sampling");
    const double values = static_cast<double>(o_.batch * m_.vocab);
    op.vector_ops = values * 3.0;
    op.act_read_bytes = values * 4.0;
    op.act_write_bytes = static_cast<double>(o_.batch) * 4.0;
    g_.add(op, {logits});
  }

  const ModelConfig& m_;
  const ModelWeights& w_;
  const LoweringOptions& o_;
  OpGraph g_;
  double tokens_ = 0, act_ = 0, kv_ = 0, h_ = 0;
};

}  // namespace

OpGraph lower_step(const ModelConfig& model, const ModelWeights& weights, const LoweringOptions& options) {
  if (options.batch < 1 || options.new_tokens < 1 || options.past_tokens < 0) {
    throw std::invalid_argument("lower_step: batch and new_tokens must be >= 1, past_tokens >= 0");
  }
  if (!options.kv_format || !options.activation_format) throw std::invalid_argument("lower_step: formats not set");
  return StepBuilder(model, weights, options).build();
}

}  // namespace llmsim::workloads
