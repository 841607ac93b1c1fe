// Mixture-of-experts families beyond Mixtral: DeepSeek-V2/V3 (MLA, shared experts, dense first
// layers), Qwen2-MoE (gated shared expert), GLM-4.5 (GLM4-MoE), Llama 4 (chunked attention,
// interleaved MoE) and Qwen3-Next (Gated DeltaNet hybrid). Field names follow each model's
// transformers configuration class.
#include <cmath>

#include "workloads/hf/config_view.hpp"

namespace llmsim::workloads::hf {

namespace {

// Layers from first_dense on hold experts every `freq` layers (DeepSeek's moe_layer_freq).
std::vector<bool> moe_from(int64_t layers, int64_t first_dense, int64_t freq) {
  std::vector<bool> out(static_cast<std::size_t>(layers));
  for (int64_t l = 0; l < layers; ++l) out[static_cast<std::size_t>(l)] = l >= first_dense && l % freq == 0;
  return out;
}

void read_rotary_fraction(const ConfigView& c, ModelConfig& m) {
  if (!c.raw().contains("partial_rotary_factor")) return;
  const auto& v = c.raw()["partial_rotary_factor"];
  if (!v.is_number() || v.get<double>() <= 0 || v.get<double>() > 1) {
    throw InputError(c.file(), "'partial_rotary_factor' must be a number in (0, 1]");
  }
  m.rotary_dim = static_cast<int64_t>(std::lround(v.get<double>() * static_cast<double>(m.head_dim)));
}

void read_multi_token_prediction(const ConfigView& c, ModelConfig& m) {
  const int64_t mtp = c.integer_or("num_nextn_predict_layers", 0);
  if (mtp > 0) {
    m.notes.push_back(fmt::format("{} multi-token-prediction layer(s) in the checkpoint are not run (no speculative "
                                  "decoding with them)", mtp));
  }
}

}  // namespace

void read_deepseek(const json&, const ConfigView& c, ModelConfig& m) {
  m.hidden = c.integer("hidden_size");
  m.layers = c.integer("num_hidden_layers");
  check_layer_count(c, m.layers);
  m.heads = c.integer("num_attention_heads");
  m.kv_heads = m.heads;  // MLA expands the latent to every head
  m.vocab = c.integer("vocab_size");
  m.max_positions = c.integer("max_position_embeddings");
  m.tied_embeddings = c.boolean_or("tie_word_embeddings", false);
  m.activation = c.text_or("hidden_act", "silu");
  LatentAttention a;
  a.q_lora_rank = c.integer_or("q_lora_rank", 0);  // null in V2-Lite: no query compression
  a.kv_lora_rank = c.integer("kv_lora_rank");
  a.qk_nope_head_dim = c.integer("qk_nope_head_dim");
  a.qk_rope_head_dim = c.integer("qk_rope_head_dim");
  a.v_head_dim = c.integer("v_head_dim");
  if (a.kv_lora_rank <= 0 || a.qk_nope_head_dim <= 0 || a.qk_rope_head_dim <= 0 || a.v_head_dim <= 0) {
    throw InputError(c.file(), "kv_lora_rank, qk_nope_head_dim, qk_rope_head_dim and v_head_dim must be positive");
  }
  m.mla = a;
  m.head_dim = a.qk_head_dim();
  m.rotary_dim = a.qk_rope_head_dim;
  m.experts = c.integer("n_routed_experts");
  m.experts_per_token = c.integer("num_experts_per_tok");
  m.intermediate = c.integer("moe_intermediate_size");
  m.dense_intermediate = c.integer("intermediate_size");
  m.shared_expert_intermediate = c.integer_or("n_shared_experts", 0) * m.intermediate;
  const int64_t freq = c.integer_or("moe_layer_freq", 1);
  if (freq < 1) throw InputError(c.file(), "'moe_layer_freq' must be at least 1");
  m.moe_layers = moe_from(m.layers, c.integer_or("first_k_dense_replace", 0), freq);
  read_multi_token_prediction(c, m);
}

void read_qwen2_moe(const json&, const ConfigView& c, ModelConfig& m) {
  read_llama_like(c, m);
  check_layer_count(c, m.layers);
  m.qkv_bias = true;  // Qwen2MoeAttention has q/k/v biases
  m.experts = c.integer("num_experts");
  m.experts_per_token = c.integer("num_experts_per_tok");
  m.dense_intermediate = m.intermediate;
  m.intermediate = c.integer("moe_intermediate_size");
  m.shared_expert_intermediate = c.integer("shared_expert_intermediate_size");
  m.shared_expert_gate = true;
  const int64_t step = c.integer_or("decoder_sparse_step", 1);
  if (step < 1) throw InputError(c.file(), "'decoder_sparse_step' must be at least 1");
  m.moe_layers.assign(static_cast<std::size_t>(m.layers), false);
  for (int64_t l = 0; l < m.layers; ++l) m.moe_layers[static_cast<std::size_t>(l)] = (l + 1) % step == 0;
  if (c.raw().contains("mlp_only_layers") && c.raw()["mlp_only_layers"].is_array()) {
    for (const auto& l : c.raw()["mlp_only_layers"]) {
      const int64_t layer = l.is_number_integer() ? l.get<int64_t>() : -1;
      if (layer < 0 || layer >= m.layers) throw InputError(c.file(), "'mlp_only_layers' lists a layer outside the model");
      m.moe_layers[static_cast<std::size_t>(layer)] = false;
    }
  }
}

void read_glm4_moe(const json&, const ConfigView& c, ModelConfig& m) {
  read_llama_like(c, m);
  check_layer_count(c, m.layers);
  m.qk_norm = c.boolean_or("use_qk_norm", false);
  read_rotary_fraction(c, m);
  m.experts = c.integer("n_routed_experts");
  m.experts_per_token = c.integer("num_experts_per_tok");
  m.dense_intermediate = m.intermediate;
  m.intermediate = c.integer("moe_intermediate_size");
  m.shared_expert_intermediate = c.integer_or("n_shared_experts", 0) * m.intermediate;
  m.moe_layers = moe_from(m.layers, c.integer_or("first_k_dense_replace", 0), 1);
  read_multi_token_prediction(c, m);
}

// Llama 4: MoE every interleave_moe_layer_step layers (one routed expert of intermediate_size
// plus a shared one, dense layers intermediate_size_mlp wide); RoPE layers attend within
// chunks of attention_chunk_size, every no_rope_layer_interval-th layer is a global NoPE one.
void read_llama4(const json& root, const ConfigView& c, ModelConfig& m) {
  read_llama_like(c, m);
  check_layer_count(c, m.layers);
  m.experts = c.integer("num_local_experts");
  m.experts_per_token = c.integer("num_experts_per_tok");
  m.shared_expert_intermediate = m.intermediate;
  m.dense_intermediate = c.integer("intermediate_size_mlp");
  const int64_t step = c.integer_or("interleave_moe_layer_step", 1);
  if (step < 1) throw InputError(c.file(), "'interleave_moe_layer_step' must be at least 1");
  m.moe_layers.assign(static_cast<std::size_t>(m.layers), false);
  for (int64_t l = 0; l < m.layers; ++l) m.moe_layers[static_cast<std::size_t>(l)] = (l + 1) % step == 0;
  std::vector<bool> rope(static_cast<std::size_t>(m.layers));
  const json& listed = c.raw().contains("no_rope_layers") ? c.raw()["no_rope_layers"] : json::array();
  if (listed.is_array() && !listed.empty()) {
    rope = layer_flags(c, "no_rope_layers", m.layers);  // 1 = this layer uses RoPE
  } else {
    const int64_t interval = c.integer_or("no_rope_layer_interval", 4);
    if (interval < 1) throw InputError(c.file(), "'no_rope_layer_interval' must be at least 1");
    for (int64_t l = 0; l < m.layers; ++l) rope[static_cast<std::size_t>(l)] = (l + 1) % interval != 0;
  }
  const int64_t chunk = c.integer_or("attention_chunk_size", 0);
  m.attention_window.assign(static_cast<std::size_t>(m.layers), 0);
  if (chunk > 0) {
    for (std::size_t l = 0; l < rope.size(); ++l) m.attention_window[l] = rope[l] ? -chunk : 0;
  }
  if (root.contains("vision_config")) {
    m.notes.push_back("Llama4ForConditionalGeneration: the language model only; the image encoder is not modelled");
  }
}

// Qwen3-Next: every full_attention_interval-th layer is gated full attention (q_proj also
// yields an output gate, partial RoPE), the others Gated DeltaNet; every layer MoE with a
// gated shared expert.
void read_qwen3_next(const json& root, const ConfigView& c, ModelConfig& m) {
  read_qwen2_moe(root, c, m);
  m.qkv_bias = c.boolean_or("attention_bias", false);
  m.qk_norm = true;
  m.attention_output_gate = true;
  read_rotary_fraction(c, m);
  DeltaNetShape d;
  d.key_heads = c.integer("linear_num_key_heads");
  d.value_heads = c.integer("linear_num_value_heads");
  d.key_dim = c.integer("linear_key_head_dim");
  d.value_dim = c.integer("linear_value_head_dim");
  d.conv_kernel = c.integer_or("linear_conv_kernel_dim", 4);
  if (d.key_heads <= 0 || d.value_heads <= 0 || d.key_dim <= 0 || d.value_dim <= 0 || d.conv_kernel <= 0) {
    throw InputError(c.file(), "the linear_* head counts and sizes must be positive");
  }
  m.deltanet = d;
  m.layer_types.assign(static_cast<std::size_t>(m.layers), LayerType::deltanet);
  const json& raw = c.raw();
  if (raw.contains("layer_types") && raw["layer_types"].is_array()) {
    if (raw["layer_types"].size() != static_cast<std::size_t>(m.layers)) {
      throw InputError(c.file(), fmt::format("'layer_types' must list one type per layer ({} layers)", m.layers));
    }
    for (std::size_t l = 0; l < m.layer_types.size(); ++l) {
      if (raw["layer_types"][l] == "full_attention") m.layer_types[l] = LayerType::attention;
    }
  } else {
    const int64_t interval = c.integer("full_attention_interval");
    if (interval < 1) throw InputError(c.file(), "'full_attention_interval' must be at least 1");
    for (int64_t l = 0; l < m.layers; ++l) {
      if ((l + 1) % interval == 0) m.layer_types[static_cast<std::size_t>(l)] = LayerType::attention;
    }
  }
}

}  // namespace llmsim::workloads::hf
