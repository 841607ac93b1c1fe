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
  return collective("attn_allreduce", layer, "all_reduce", tokens_ * h_ * act_, out);
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

}  // namespace llmsim::workloads::lowering_detail
