// Blocks whose state does not grow with the context: Gated DeltaNet (Qwen3-Next's linear
// attention), the Mamba-1 selective scan (HF MambaForCausalLM) and the RWKV-4 block (HF
// RwkvForCausalLM). Each reads and writes its recurrent state once per step.
#include "workloads/lowering/step_builder.hpp"

namespace llmsim::workloads::lowering_detail {

namespace {
constexpr double kDeltaChunk = 64;  // chunk length of the chunked delta-rule kernels (fla)
}

// Depthwise causal conv over `width` channels with a `kernel`-tap state per sequence.
static Op conv_op(Op op, double tokens, double batch, double width, double kernel, double act) {
  op.vector_ops = tokens * width * (kernel * 2.0 + 6.0);  // taps, bias and SiLU
  op.act_read_bytes = tokens * width * act;
  op.act_write_bytes = tokens * width * act;
  op.output_bytes = op.act_write_bytes;
  op.kv_read_bytes = batch * width * (kernel - 1) * act;
  op.kv_write_bytes = op.kv_read_bytes;
  return op;
}

Ranked StepBuilder::deltanet_block(int layer, const Ranked& normed) {
  const DeltaNetShape& d = *m_.deltanet;
  const double vh = static_cast<double>(d.value_heads) / tp_;
  const double dk = static_cast<double>(d.key_dim), dv = static_cast<double>(d.value_dim);
  const double conv_width = static_cast<double>(d.qkv_width()) / tp_;
  Ranked qkvz = matmul("ssm_in", layer, "attention", tokens_, {normed}, false);
  Ranked ba = matmul("ssm_ba", layer, "attention", tokens_, {normed}, false);
  Ranked conv;
  for (int t = 0; t < emitted_ranks_; ++t) {
    Op op = conv_op(make("ssm_conv", OpKind::elementwise, "attention", layer, "elementwise", t), tokens_, batch_,
                    conv_width, static_cast<double>(d.conv_kernel), act_);
    op.weight_bytes = vector_bytes("ssm_conv", layer) / tp_;
    op.weight_key = fmt::format("ssm_conv@{}", layer);
    op.weight_resident_bytes = mb_ == 0 ? op.weight_bytes : 0.0;
    conv.push_back(g_.add(op, {qkvz[static_cast<std::size_t>(t)]}));
  }
  Ranked y;
  const double chunk = std::min(kDeltaChunk, shape_.max_new);
  for (int t = 0; t < emitted_ranks_; ++t) {
    // Per token and value head: decay the dk x dv state, apply the delta-rule update (k^T S
    // and an outer product) and read it with q; chunked kernels add the intra-chunk products.
    Op op = make("gated_delta", OpKind::scan, "attention", layer, "ssd", t);
    op.m = chunk;
    op.n = dv;
    op.k = dk;
    op.batch_count = vh * tokens_ / chunk;
    op.flops = 2.0 * tokens_ * vh * (3.0 * dk * dv + chunk * (dk + dv));
    op.vector_ops = tokens_ * vh * (dk * dv + 4.0 * dk);  // state decay, L2 norms of q and k
    op.act_read_bytes = tokens_ * conv_width * act_ + tokens_ * vh * 2.0 * act_;
    op.act_write_bytes = tokens_ * vh * dv * act_;
    op.output_bytes = op.act_write_bytes;
    op.weight_bytes = vector_bytes("ssm_a", layer) / tp_;
    const double state = batch_ * vh * dk * dv * 4.0;  // f32 state
    op.kv_read_bytes = state;
    op.kv_write_bytes = state;
    op.operand_family = "float16";
    y.push_back(g_.add(op, inputs_of({conv, ba}, t)));
  }
  y = norm("ssm_norm", layer, "attention", y, vh * dv);  // RMSNorm gated by z
  y = elementwise("ssm_gate", layer, "attention", "elementwise", tokens_ * vh * dv, 2.0, {y, qkvz}, 5.0, "exp");
  Ranked out = matmul("ssm_out", layer, "attention", tokens_, {y}, true);
  return reduce_block_output("attn", layer, out);
}

Ranked StepBuilder::mamba1_layer(int layer, const Ranked& x) {
  const RecurrentShape& r = m_.recurrent;
  const double inner = static_cast<double>(r.mamba_inner(m_.hidden));
  const double state = static_cast<double>(r.mamba_d_state);
  Ranked normed = norm("ln1", layer, "norm", x);
  Ranked xz = matmul("mamba_in_proj", layer, "mamba", tokens_, {normed}, false);
  Ranked conv;
  for (int t = 0; t < emitted_ranks_; ++t) {
    Op op = conv_op(make("mamba_conv", OpKind::elementwise, "mamba", layer, "elementwise", t), tokens_, batch_, inner,
                    static_cast<double>(r.mamba_d_conv), act_);
    op.weight_bytes = vector_bytes("mamba_conv", layer);
    op.weight_key = fmt::format("mamba_conv@{}", layer);
    op.weight_resident_bytes = mb_ == 0 ? op.weight_bytes : 0.0;
    conv.push_back(g_.add(op, {xz[static_cast<std::size_t>(t)]}));
  }
  Ranked dbc = matmul("mamba_x_proj", layer, "mamba", tokens_, {conv}, false);
  Ranked dt = matmul("mamba_dt_proj", layer, "mamba", tokens_, {dbc}, false);
  Ranked y;
  for (int t = 0; t < emitted_ranks_; ++t) {
    // Selective scan: per channel and state element a discretised decay, an update and a read.
    Op op = make("selective_scan", OpKind::scan, "mamba", layer, "ssd", t);
    op.vector_ops = tokens_ * inner * state * 6.0 + tokens_ * inner * 4.0;
    op.transcendentals = tokens_ * inner * state;  // exp(dt x A)
    op.transcendental_fn = "exp";
    op.act_read_bytes = tokens_ * (3.0 * inner + 2.0 * state) * act_;
    op.act_write_bytes = tokens_ * inner * act_;
    op.output_bytes = op.act_write_bytes;
    op.weight_bytes = vector_bytes("mamba_heads", layer);
    op.weight_key = fmt::format("mamba_heads@{}", layer);
    op.weight_resident_bytes = mb_ == 0 ? op.weight_bytes : 0.0;
    op.kv_read_bytes = batch_ * inner * state * 4.0;
    op.kv_write_bytes = op.kv_read_bytes;
    y.push_back(g_.add(op, inputs_of({conv, dt, dbc}, t)));
  }
  y = elementwise("mamba_gate", layer, "mamba", "elementwise", tokens_ * inner, 2.0, {y, xz}, 6.0, "exp");
  Ranked out = matmul("mamba_out_proj", layer, "mamba", tokens_, {y}, false);
  return elementwise("mix_residual", layer, "other", "residual", tokens_ * h_, 2.0, {x, out});
}

Ranked StepBuilder::rwkv4_layer(int layer, const Ranked& x) {
  const double att = static_cast<double>(m_.recurrent.rwkv4_attention_hidden);
  Ranked normed = norm("ln1", layer, "norm", x);
  Ranked shift = weighted_elementwise("tm_shift", layer, "rwkv", tokens_ * h_ * 3.0, 2.0, {normed}, 3.0, "tm_maa");
  Ranked kk = matmul("tm_k", layer, "rwkv", tokens_, {shift}, false);
  Ranked vv = matmul("tm_v", layer, "rwkv", tokens_, {shift}, false);
  Ranked rr = matmul("tm_r", layer, "rwkv", tokens_, {shift}, false);
  Ranked wkv;
  for (int t = 0; t < emitted_ranks_; ++t) {
    // Per channel a numerator, denominator and running maximum, updated each token.
    Op op = make("wkv", OpKind::scan, "rwkv", layer, "wkv", t);
    op.vector_ops = tokens_ * att * 14.0;
    op.transcendentals = tokens_ * att * 4.0;
    op.transcendental_fn = "exp";
    op.act_read_bytes = tokens_ * 2.0 * att * act_;
    op.act_write_bytes = tokens_ * att * act_;
    op.output_bytes = op.act_write_bytes;
    op.kv_read_bytes = batch_ * att * 3.0 * 4.0;
    op.kv_write_bytes = op.kv_read_bytes;
    wkv.push_back(g_.add(op, inputs_of({kk, vv}, t)));
  }
  Ranked gated = elementwise("tm_gate", layer, "rwkv", "elementwise", tokens_ * att, 2.0, {wkv, rr}, 5.0, "exp");
  Ranked out = matmul("tm_o", layer, "rwkv", tokens_, {gated}, false);
  Ranked mid = elementwise("mix_residual", layer, "other", "residual", tokens_ * h_, 2.0, {x, out});
  Ranked channel = rwkv_channel_mix(layer, norm("ln2", layer, "norm", mid));
  return elementwise("ffn_residual", layer, "other", "residual", tokens_ * h_, 2.0, {mid, channel});
}

Ranked StepBuilder::recurrent_layer(int layer, const Ranked& x) {
  const LayerType type = m_.layer_type(layer);
  const bool rwkv = type == LayerType::rwkv6 || type == LayerType::rwkv6_mamba2;
  const bool mamba = type == LayerType::mamba2 || type == LayerType::rwkv6_mamba2;
  Ranked normed = norm("ln1", layer, "norm", x);
  std::vector<Ranked> sum{x};
  if (rwkv) sum.push_back(rwkv_time_mix(layer, normed));
  if (mamba) sum.push_back(mamba_mixer(layer, normed));
  Ranked mid =
      elementwise("mix_residual", layer, "other", "residual", tokens_ * h_, static_cast<double>(sum.size()), sum);
  if (!rwkv) return mid;
  Ranked channel = rwkv_channel_mix(layer, norm("ln2", layer, "norm", mid));
  return elementwise("ffn_residual", layer, "other", "residual", tokens_ * h_, 2.0, {mid, channel});
}

Ranked StepBuilder::rwkv_time_mix(int layer, const Ranked& normed) {
  const RecurrentShape& r = m_.recurrent;
  const double mix = 5.0 * static_cast<double>(r.rwkv_mix_lora);
  // Data-dependent token shift: a LoRA gives five mixing coefficients per token.
  Ranked shift = weighted_elementwise("tm_shift", layer, "rwkv", tokens_ * h_, 2.0, {normed}, 2.0, "tm_maa");
  Ranked lora = matmul("tm_mix_w1", layer, "rwkv", tokens_, {shift}, false);
  lora = elementwise("tm_mix_tanh", layer, "rwkv", "elementwise", tokens_ * mix, 1.0, {lora}, 4.0);
  lora = matmul("tm_mix_w2", layer, "rwkv", tokens_, {lora}, false);
  Ranked mixed = elementwise("tm_lerp", layer, "rwkv", "elementwise", tokens_ * 5.0 * h_, 3.0, {lora, shift}, 3.0);
  Ranked decay = matmul("tm_decay_w1", layer, "rwkv", tokens_, {mixed}, false);
  decay = elementwise("tm_decay_tanh", layer, "rwkv", "elementwise", tokens_ * static_cast<double>(r.rwkv_decay_lora),
                      1.0, {decay}, 4.0);
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

Ranked StepBuilder::rwkv_channel_mix(int layer, const Ranked& normed) {
  const double ffn = static_cast<double>(m_.recurrent.rwkv_ffn(m_.hidden));
  Ranked shift = weighted_elementwise("cm_shift", layer, "rwkv", tokens_ * h_, 2.0, {normed}, 4.0, "cm_maa");
  Ranked k = matmul("cm_k", layer, "mlp", tokens_, {shift}, false);
  k = elementwise("cm_relu2", layer, "mlp", "ffn_act", tokens_ * ffn, 1.0, {k}, 2.0);
  Ranked v = matmul("cm_v", layer, "mlp", tokens_, {k}, false);
  Ranked r = matmul("cm_r", layer, "mlp", tokens_, {shift}, false);
  return elementwise("cm_gate", layer, "mlp", "elementwise", tokens_ * h_, 2.0, {r, v}, 6.0);
}

Ranked StepBuilder::mamba_mixer(int layer, const Ranked& normed) {
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

}  // namespace llmsim::workloads::lowering_detail
