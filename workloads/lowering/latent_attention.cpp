// Multi-head latent attention (DeepSeek-V2/V3). The cache keeps one latent (kv_lora_rank) and
// one shared rotary key per token. Two ways to attend over it, as vLLM and SGLang do:
//  - absorbed (decode): fold the key expansion into the query and the value expansion into
//    the output, and attend over the latent directly (an MQA with kv_lora + rope wide keys);
//  - expanded (prefill): expand the latent of every attended position to per-head keys and
//    values, then run ordinary multi-head attention.
#include "workloads/lowering/step_builder.hpp"

namespace llmsim::workloads::lowering_detail {

Ranked StepBuilder::latent_attention(int layer, const Ranked& normed) {
  const LatentAttention& a = *m_.mla;
  const double heads = static_cast<double>(m_.heads) / tp_;
  Ranked q;
  if (a.q_lora_rank > 0) {
    q = matmul("attn_q_a", layer, "attention", tokens_, {normed}, false);
    q = norm("attn_q_a_norm", layer, "attention", q, static_cast<double>(a.q_lora_rank));
    q = matmul("attn_q_b", layer, "attention", tokens_, {q}, false);
  } else {
    q = matmul("attn_q", layer, "attention", tokens_, {normed}, false);
  }
  Ranked latent = matmul("attn_kv_a_mqa", layer, "attention", tokens_, {normed}, false);
  latent = norm("attn_kv_a_norm", layer, "attention", latent, static_cast<double>(a.kv_lora_rank));
  // RoPE on each head's rotary query part and on the one shared rotary key.
  const double rotated = tokens_ * (heads + 1.0) * static_cast<double>(a.qk_rope_head_dim);
  Ranked roped;
  for (int t = 0; t < emitted_ranks_; ++t) {
    Op rope = make("rope", OpKind::rope, "attention", layer, "rope", t);
    rope.vector_ops = rotated * 6.0;
    rope.act_read_bytes = rotated * act_;
    rope.act_write_bytes = rotated * act_;
    rope.output_bytes = rope.act_write_bytes;
    roped.push_back(g_.add(rope, inputs_of({q, latent}, t)));
  }
  Ranked cache = roped;
  if (!o_.training) {
    cache.clear();
    const double cached = static_cast<double>(a.cached_values());
    for (int t = 0; t < emitted_ranks_; ++t) {
      Op store = make("kv_store", OpKind::kv_store, "attention", layer, "kv_store", t);
      store.act_read_bytes = tokens_ * cached * act_;
      store.kv_write_bytes = tokens_ * cached * kv_;
      store.vector_ops = tokens_ * cached;
      cache.push_back(g_.add(store, inputs_of({roped, latent}, t)));
    }
  }
  // Decode steps take the absorbed path; a step with a longer chunk (or training) expands.
  const bool absorbed = shape_.max_new <= 1 && !o_.training;
  Ranked attn = absorbed ? absorbed_latent_attention(layer, roped, cache) : expanded_latent_attention(layer, roped, cache);
  Ranked out = matmul("attn_output", layer, "attention", tokens_, {attn}, true);
  return reduce_block_output("attn", layer, out);
}

// A batched product with a slice of attn_kv_b: per head, [rows x k] by [k x n]; the slice is
// n x k of each of this rank's heads.
Ranked StepBuilder::weight_slice_op(const std::string& what, const std::string& role, int layer, double rows, double n,
                                    double k, double heads, const std::vector<Ranked>& in) {
  const WeightTensor& wt = w_.get(role, layer);
  Ranked out;
  for (int t = 0; t < emitted_ranks_; ++t) {
    Op op = make(what, OpKind::matmul, "attention", layer, variant_key("matmul", wt.format->family), t);
    op.m = rows;
    op.n = n;
    op.k = k;
    op.batch_count = heads;
    op.flops = 2.0 * rows * n * k * heads;
    // The whole shard is resident; the first of the two slices counts it (same key).
    set_weights(op, wt, n * k * heads, wt.elements() / tp_);
    op.act_read_bytes = rows * k * heads * act_;
    op.act_write_bytes = rows * n * heads * act_;
    op.output_bytes = op.act_write_bytes;
    out.push_back(g_.add(op, inputs_of(in, t)));
  }
  return out;
}

Ranked StepBuilder::absorbed_latent_attention(int layer, const Ranked& q, const Ranked& cache) {
  const LatentAttention& a = *m_.mla;
  const double heads = static_cast<double>(m_.heads) / tp_;
  const double lora = static_cast<double>(a.kv_lora_rank);
  // q_nope x W_UK per head: queries move into the latent space.
  Ranked q_latent = weight_slice_op("attn_k_absorb", "attn_kv_b", layer, tokens_, lora,
                                    static_cast<double>(a.qk_nope_head_dim), heads, {q});
  AttentionShape s = causal_shape(layer);
  s.heads = heads;
  s.head_dim = lora + static_cast<double>(a.qk_rope_head_dim);
  s.v_dim = lora;
  s.kv_dim = s.head_dim;
  s.kv_values = static_cast<double>(a.cached_values());  // one latent read serves keys and values
  s.kv_bytes = kv_;
  Ranked o = attention_op("attention", layer, "attention", {q_latent, cache}, s);
  // The latent output x W_UV per head: back to value heads.
  return weight_slice_op("attn_v_absorb", "attn_kv_b", layer, tokens_, static_cast<double>(a.v_head_dim), lora, heads,
                         {o});
}

Ranked StepBuilder::expanded_latent_attention(int layer, const Ranked& q, const Ranked& cache) {
  const LatentAttention& a = *m_.mla;
  const double heads = static_cast<double>(m_.heads) / tp_;
  AttentionShape s = causal_shape(layer);
  // Expand the latent of every attended position (cached and new) to keys and values.
  const double positions = o_.training ? tokens_ : s.kv;
  Ranked kv = matmul("attn_kv_b", layer, "attention", positions, {cache}, false);
  if (!o_.training) {
    for (OpId id : kv) {  // it reads the cache, not an activation
      Op& op = g_.op(id);
      op.act_read_bytes -= positions * static_cast<double>(a.kv_lora_rank) * act_;
      op.kv_read_bytes += positions * static_cast<double>(a.cached_values()) * kv_;
    }
  }
  s.heads = heads;
  s.head_dim = static_cast<double>(a.qk_head_dim());
  s.v_dim = static_cast<double>(a.v_head_dim);
  s.kv_dim = heads * s.head_dim;
  s.kv_values = heads * (s.head_dim + s.v_dim);  // the expanded keys and values, as activations
  s.kv_bytes = act_;
  return attention_op("attention", layer, "attention", {q, kv}, s);
}

}  // namespace llmsim::workloads::lowering_detail
