// Attention: self-attention (fused or separate QKV, sliding windows, grouped KV heads) and
// cross-attention to image tokens. Latent attention (MLA) is in latent_attention.cpp.
#include "workloads/lowering/step_builder.hpp"

namespace llmsim::workloads::lowering_detail {

Ranked StepBuilder::attention_block(int layer, const Ranked& normed) {
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
  if (o_.training) return finish_attention(layer, q, gather_context(layer, k, v));
  for (int t = 0; t < emitted_ranks_; ++t) {
    Op store = make("kv_store", OpKind::kv_store, "attention", layer, "kv_store", t);
    store.act_read_bytes = tokens_ * 2 * kv_dim * act_;
    store.kv_write_bytes = tokens_ * 2 * kv_dim * kv_;
    store.vector_ops = tokens_ * 2 * kv_dim;
    stored.push_back(g_.add(store, inputs_of({k, v}, t)));
  }
  return finish_attention(layer, q, stored);
}

Ranked StepBuilder::finish_attention(int layer, const Ranked& q, const Ranked& kv) {
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
  return reduce_block_output("attn", layer, out);
}

Ranked StepBuilder::fused_qkv(int layer, const Ranked& normed) {
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

Ranked StepBuilder::attention_op(const std::string& what, int layer, const std::string& group,
                                 const std::vector<Ranked>& in, const AttentionShape& a) {
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

StepBuilder::AttentionShape StepBuilder::causal_shape(int layer) const {
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

Ranked StepBuilder::attention(int layer, const Ranked& q, const Ranked& stored) {
  AttentionShape a = causal_shape(layer);
  a.heads = static_cast<double>(m_.heads) / tp_;
  a.head_dim = static_cast<double>(m_.head_dim);
  a.kv_dim = static_cast<double>(kv_heads_rank_ * m_.head_dim);
  a.kv_bytes = kv_;
  return attention_op("attention", layer, "attention", {q, stored}, a);
}

Ranked StepBuilder::cross_attention_layer(int layer, const Ranked& x) {
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
  out = reduce_block_output("attn", layer, out);
  Ranked mid = elementwise("attn_residual", layer, "other", "residual", tokens_ * h_, 2.0, {x, out}, 3.0);
  Ranked mlp = mlp_block(layer, norm("ffn_norm", layer, "norm", mid));
  return elementwise("ffn_residual", layer, "other", "residual", tokens_ * h_, 2.0, {mid, mlp}, 3.0);
}

}  // namespace llmsim::workloads::lowering_detail
