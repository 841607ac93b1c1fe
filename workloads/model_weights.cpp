#include "workloads/model_weights.hpp"

#include <stdexcept>

namespace llmsim::workloads {

ModelWeights::ModelWeights(const ModelConfig& m, const FormatTable& formats, const WeightMix& mix)
    : model_(&m), formats_(&formats), mix_(&mix) {
  const double h = static_cast<double>(m.hidden);
  const double q = static_cast<double>(m.q_dim());
  const double kv = static_cast<double>(m.kv_dim());
  const bool layer_norm = m.norm == NormKind::layer;

  add("token_embd", -1, static_cast<double>(m.vocab + m.extra_embedding_rows), h);
  if (m.vision) add_vision_tower(*m.vision);
  if (m.positions == PositionKind::learned) add("pos_embd", -1, static_cast<double>(m.max_positions), h);

  for (int l = 0; l < static_cast<int>(m.layers); ++l) {
    const LayerType type = m.layer_type(l);
    if (type != LayerType::attention && type != LayerType::deltanet) {
      add_recurrent_layer(l);
      continue;
    }
    add_vector("attn_norm", l, h);
    if (layer_norm) add_vector("attn_norm.bias", l, h);
    if (type == LayerType::deltanet) {
      add_deltanet(l);
    } else if (m.mla) {
      add_latent_attention(l);
    } else if (m.positions == PositionKind::learned) {
      add("attn_qkv", l, q + 2 * kv, h);  // GPT-2 keeps Q, K, V in one c_attn matrix
      if (m.qkv_bias) add_vector("attn_qkv.bias", l, q + 2 * kv);
    } else {
      add("attn_q", l, m.attention_output_gate ? 2 * q : q, h);  // Qwen3-Next: query and gate
      add("attn_k", l, kv, h);
      add("attn_v", l, kv, h);
      if (m.qkv_bias) {
        add_vector("attn_q.bias", l, q);
        add_vector("attn_k.bias", l, kv);
        add_vector("attn_v.bias", l, kv);
      }
    }
    const bool cross = m.is_cross_attention_layer(l);
    if ((m.qk_norm || cross) && type == LayerType::attention && !m.mla) {
      add_vector("attn_q_norm", l, static_cast<double>(m.head_dim));
      add_vector("attn_k_norm", l, static_cast<double>(m.head_dim));
    }
    if (cross) {  // tanh gates on the cross-attention and MLP outputs
      add_vector("cross_attn_gate", l, 1);
      add_vector("cross_mlp_gate", l, 1);
    }
    if (type == LayerType::attention) {
      add("attn_output", l, h, m.mla ? static_cast<double>(m.heads * m.mla->v_head_dim) : q);
    }
    if (m.output_bias) add_vector("attn_output.bias", l, h);
    if (m.sandwich_norm) add_vector("post_attention_norm", l, h);
    if (!m.parallel_residual) {
      add_vector("ffn_norm", l, h);
      if (layer_norm) add_vector("ffn_norm.bias", l, h);
    }
    const bool moe = m.is_moe_layer(l);
    const double experts = moe ? static_cast<double>(m.experts) : 1.0;
    const double width = static_cast<double>(m.mlp_width(l));
    if (moe) add("ffn_gate_inp", l, experts, h);
    if (m.gated_mlp) add("ffn_gate", l, width, h, experts);
    add("ffn_up", l, width, h, experts);
    add("ffn_down", l, h, width, experts);
    if (moe && m.shared_expert_intermediate > 0) {
      const double shared = static_cast<double>(m.shared_expert_intermediate);
      add("ffn_gate_shexp", l, shared, h);
      add("ffn_up_shexp", l, shared, h);
      add("ffn_down_shexp", l, h, shared);
      if (m.shared_expert_gate) add("ffn_gate_inp_shexp", l, 1, h);
    }
    if (m.mlp_bias) {
      add_vector("ffn_up.bias", l, width);
      add_vector("ffn_down.bias", l, h);
    }
    if (m.sandwich_norm) add_vector("post_ffw_norm", l, h);
  }
  add_vector("output_norm", -1, h);
  if (layer_norm) add_vector("output_norm.bias", -1, h);
  if (!m.tied_embeddings) add("output", -1, static_cast<double>(m.vocab), h);
  if (m.lm_head_bias) add_vector("output.bias", -1, static_cast<double>(m.vocab));
  layer_formats_.resize(static_cast<std::size_t>(m.layers));
  for (const auto& t : tensors_) {
    if (t.layer < 0 || t.layer >= m.layers) continue;
    layer_formats_[static_cast<std::size_t>(t.layer)] += t.role + "=" + t.format->name + ";";
  }
}

// MLA: optional query compression, the joint KV compression (latent + shared rotary key) and its
// expansion to per-head keys and values, with RMSNorms on both latents.
void ModelWeights::add_latent_attention(int l) {
  const ModelConfig& m = *model_;
  const LatentAttention& a = *m.mla;
  const double h = static_cast<double>(m.hidden);
  const double heads = static_cast<double>(m.heads);
  const double qk = static_cast<double>(a.qk_head_dim());
  if (a.q_lora_rank > 0) {
    add("attn_q_a", l, static_cast<double>(a.q_lora_rank), h);
    add_vector("attn_q_a_norm", l, static_cast<double>(a.q_lora_rank));
    add("attn_q_b", l, heads * qk, static_cast<double>(a.q_lora_rank));
  } else {
    add("attn_q", l, heads * qk, h);
  }
  add("attn_kv_a_mqa", l, static_cast<double>(a.cached_values()), h);
  add_vector("attn_kv_a_norm", l, static_cast<double>(a.kv_lora_rank));
  add("attn_kv_b", l, heads * static_cast<double>(a.qk_nope_head_dim + a.v_head_dim),
      static_cast<double>(a.kv_lora_rank));
}

// Gated DeltaNet: one projection to q, k, v and the output gate z, one to the per-head beta and
// decay; a causal depthwise conv over q, k, v; a gated RMSNorm; the output projection.
void ModelWeights::add_deltanet(int l) {
  const ModelConfig& m = *model_;
  const DeltaNetShape& d = *m.deltanet;
  const double h = static_cast<double>(m.hidden);
  const double values = static_cast<double>(d.value_heads * d.value_dim);
  const double conv = static_cast<double>(d.qkv_width());
  add("ssm_in", l, conv + values, h);
  add("ssm_ba", l, 2.0 * static_cast<double>(d.value_heads), h);
  add_vector("ssm_conv", l, conv * static_cast<double>(d.conv_kernel));
  add_vector("ssm_a", l, 2.0 * static_cast<double>(d.value_heads));  // A_log, dt_bias
  add_vector("ssm_norm", l, static_cast<double>(d.value_dim));
  add("ssm_out", l, h, values);
}

void ModelWeights::add_recurrent_layer(int l) {
  const ModelConfig& m = *model_;
  const RecurrentShape& r = m.recurrent;
  const double h = static_cast<double>(m.hidden);
  const LayerType type = m.layer_type(l);
  if (type == LayerType::mamba1) {
    const double inner = static_cast<double>(r.mamba_inner(m.hidden));
    const double state = static_cast<double>(r.mamba_d_state);
    const double dt_rank = static_cast<double>(r.mamba1_dt_rank);
    add_vector("ln1", l, h);  // RMSNorm
    add("mamba_in_proj", l, 2 * inner, h);
    add_vector("mamba_conv", l, inner * static_cast<double>(r.mamba_d_conv) + inner);
    add("mamba_x_proj", l, dt_rank + 2 * state, inner);
    add("mamba_dt_proj", l, inner, dt_rank);
    add_vector("mamba_heads", l, inner * state + 2 * inner);  // A_log, D, dt bias
    add("mamba_out_proj", l, h, inner);
    return;
  }
  if (type == LayerType::rwkv4) {
    const double att = static_cast<double>(r.rwkv4_attention_hidden);
    const double ffn = static_cast<double>(r.rwkv4_ffn);
    add_vector("ln1", l, 2 * h);
    add_vector("tm_maa", l, 3 * h + 2 * att);  // time_mix_k/v/r, time_decay, time_first
    for (const char* role : {"tm_k", "tm_v", "tm_r"}) add(role, l, att, h);
    add("tm_o", l, h, att);
    add_vector("ln2", l, 2 * h);
    add_vector("cm_maa", l, 2 * h);
    add("cm_k", l, ffn, h);
    add("cm_v", l, h, ffn);
    add("cm_r", l, h, h);
    return;
  }
  add_vector("ln1", l, 2 * h);  // LayerNorm weight and bias
  if (type == LayerType::rwkv6 || type == LayerType::rwkv6_mamba2) {
    // Time-mix: data-dependent token shift (5 mixes through a LoRA), decay LoRA, R K V G O.
    add_vector("tm_maa", l, 6 * h);
    add("tm_mix_w1", l, 5.0 * static_cast<double>(r.rwkv_mix_lora), h);
    add("tm_mix_w2", l, 5.0 * h, static_cast<double>(r.rwkv_mix_lora));
    add_vector("tm_decay", l, h);
    add("tm_decay_w1", l, static_cast<double>(r.rwkv_decay_lora), h);
    add("tm_decay_w2", l, h, static_cast<double>(r.rwkv_decay_lora));
    add_vector("tm_faaaa", l, h);
    for (const char* role : {"tm_r", "tm_k", "tm_v", "tm_g", "tm_o"}) add(role, l, h, h);
    add_vector("tm_ln_x", l, 2 * h);  // GroupNorm weight and bias
  }
  if (type == LayerType::mamba2 || type == LayerType::rwkv6_mamba2) {
    const double inner = static_cast<double>(r.mamba_inner(m.hidden));
    const double heads = static_cast<double>(r.mamba_heads(m.hidden));
    const double conv = static_cast<double>(r.mamba_conv_dim(m.hidden));
    add("mamba_in_proj", l, 2 * inner + 2.0 * static_cast<double>(r.mamba_ngroups * r.mamba_d_state) + heads, h);
    add_vector("mamba_conv", l, conv * static_cast<double>(r.mamba_d_conv) + conv);  // depthwise weight + bias
    add_vector("mamba_heads", l, 3 * heads);  // dt_bias, A_log, D
    add_vector("mamba_norm", l, inner);
    add("mamba_out_proj", l, h, inner);
  }
  if (type == LayerType::rwkv6 || type == LayerType::rwkv6_mamba2) {
    // Channel-mix: token shift, key (d -> ffn), squared ReLU, value (ffn -> d), receptance gate.
    const double ffn = static_cast<double>(r.rwkv_ffn(m.hidden));
    add_vector("ln2", l, 2 * h);
    add_vector("cm_maa", l, 2 * h);
    add("cm_k", l, ffn, h);
    add("cm_v", l, h, ffn);
    add("cm_r", l, h, h);
  }
}

void ModelWeights::add_vision_tower(const VisionTower& v) {
  const double h = static_cast<double>(v.hidden);
  const double positions = static_cast<double>(v.patches_per_tile() + 1);
  const double layouts = static_cast<double>(v.aspect_ratios + 1);
  const double tiles = static_cast<double>(v.max_tiles);
  add("vision.patch_embd", -1, h, static_cast<double>(v.channels * v.patch * v.patch));
  add_vector("vision.class_embd", -1, h);
  add("vision.pos_embd", -1, positions, h);
  add("vision.tile_pos_embd", -1, layouts, tiles * positions * h);  // gated, one table per tile layout
  add("vision.pre_tile_pos_embd", -1, layouts, tiles * h);
  add("vision.post_tile_pos_embd", -1, layouts, tiles * h);
  add_vector("vision.pos_gates", -1, 3);  // tanh gates of the three positional embeddings
  add_vector("vision.ln_pre", -1, 2 * h);
  add_vector("vision.ln_post", -1, 2 * h);
  for (int l = 0; l < static_cast<int>(v.layers + v.global_layers); ++l) {
    add_vector("vision.attn_norm", l, 2 * h);
    for (const char* role : {"vision.attn_q", "vision.attn_k", "vision.attn_v", "vision.attn_output"}) add(role, l, h, h);
    add_vector("vision.ffn_norm", l, 2 * h);
    add("vision.ffn_up", l, static_cast<double>(v.intermediate), h);
    add_vector("vision.ffn_up.bias", l, static_cast<double>(v.intermediate));
    add("vision.ffn_down", l, h, static_cast<double>(v.intermediate));
    add_vector("vision.ffn_down.bias", l, h);
    if (l >= v.layers) add_vector("vision.gates", l, 2);
  }
  add("vision.projector", -1, static_cast<double>(model_->hidden), static_cast<double>(v.output_dim));
  add_vector("vision.projector.bias", -1, static_cast<double>(model_->hidden));
}

void ModelWeights::add(const std::string& role, int layer, double rows, double cols, double copies) {
  MixContext context;
  context.layer = layer;
  context.layers = static_cast<int>(model_->layers);
  context.gqa_ratio = static_cast<int>(model_->gqa_ratio());
  context.experts = static_cast<int>(model_->experts);
  context.tied_embeddings = model_->tied_embeddings;
  WeightTensor t{role, layer, rows, cols, copies, false, &formats_->weight_format(*mix_, role, false, context)};
  index_[{role, layer}] = tensors_.size();
  tensors_.push_back(t);
}

void ModelWeights::add_vector(const std::string& role, int layer, double size) {
  WeightTensor t{role, layer, size, 1, 1, true, &formats_->format(mix_->vector_format)};
  index_[{role, layer}] = tensors_.size();
  tensors_.push_back(t);
}

const WeightTensor* ModelWeights::find(const std::string& role, int layer) const {
  auto it = index_.find({role, layer});
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

const WeightTensor& ModelWeights::get(const std::string& role, int layer) const {
  const WeightTensor* t = find(role, layer);
  if (!t) throw std::out_of_range("model has no weight " + role + " in layer " + std::to_string(layer));
  return *t;
}

double ModelWeights::parameter_count() const {
  double sum = 0;
  for (const auto& t : tensors_) sum += t.elements();
  return sum;
}

double ModelWeights::bytes() const {
  double sum = 0;
  for (const auto& t : tensors_) sum += t.bytes();
  return sum;
}

double ModelWeights::active_matmul_parameters() const {
  double sum = 0;
  for (const auto& t : tensors_) {
    if (t.is_vector || t.role == "token_embd" || t.role == "pos_embd" || t.role.rfind("vision.", 0) == 0) continue;
    const double active = (t.copies > 1) ? static_cast<double>(model_->experts_per_token) / t.copies : 1.0;
    sum += t.elements() * active;
  }
  if (model_->tied_embeddings) sum += get("token_embd", -1).elements();  // the LM head reuses it
  return sum;
}

}  // namespace llmsim::workloads
