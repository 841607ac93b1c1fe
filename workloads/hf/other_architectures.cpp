// Architectures whose configs do not follow the Llama field names, or add to them: MPT (ALiBi),
// Nemotron (partial rotary, squared-ReLU MLP), and the HF Mamba-1 and RWKV-4 classes, mapped onto
// llmsim's recurrent blocks.
#include "workloads/hf/config_view.hpp"

namespace llmsim::workloads::hf {

namespace {
// Recurrent models have no position table: any context runs (their quality aside).
constexpr int64_t kUnlimitedPositions = int64_t{1} << 40;
}

void read_mpt(const json&, const ConfigView& c, ModelConfig& m) {
  m.hidden = c.integer("d_model");
  m.layers = c.integer("n_layers");
  m.heads = c.integer("n_heads");
  m.head_dim = split_heads(m.hidden, m.heads, c.file());
  const json& attn = c.raw().contains("attn_config") ? c.raw()["attn_config"] : json::object();
  m.kv_heads = attn.contains("kv_n_heads") && attn["kv_n_heads"].is_number_integer() ? attn["kv_n_heads"].get<int64_t>()
                                                                                      : m.heads;
  m.intermediate = c.integer("expansion_ratio") * m.hidden;
  m.vocab = c.integer("vocab_size");
  m.max_positions = c.integer("max_seq_len");
  m.tied_embeddings = true;  // MPT reuses wte as the output projection
  m.gated_mlp = false;
  m.activation = "gelu";
  m.norm = NormKind::layer;
  const bool alibi = attn.contains("alibi") && attn["alibi"].is_boolean() && attn["alibi"].get<bool>();
  m.positions = alibi ? PositionKind::alibi : PositionKind::learned;
  m.rotary_dim = 0;
  const bool bias = !c.boolean_or("no_bias", true);
  m.qkv_bias = m.output_bias = m.mlp_bias = bias;
  if (alibi) {
    m.notes.push_back("ALiBi: no position table; beyond max_seq_len the model extrapolates (--extend-context)");
  }
}

// Nemotron-3/4 (transformers' NemotronForCausalLM): Llama's attention with a partial rotary
// embedding, a plain (not gated) MLP with squared ReLU, and LayerNorm1P (a LayerNorm with bias
// whose scale is stored minus one: the same work).
void read_nemotron(const json&, const ConfigView& c, ModelConfig& m) {
  read_llama_like(c, m);
  m.gated_mlp = false;
  m.activation = c.text_or("hidden_act", "relu2");
  m.norm = NormKind::layer;
  const double partial = c.number_or("partial_rotary_factor", 0.5);
  if (!(partial > 0 && partial <= 1)) {
    throw InputError(c.file(), fmt::format("'partial_rotary_factor' must be in (0, 1], got {}", partial));
  }
  m.rotary_dim = static_cast<int64_t>(static_cast<double>(m.head_dim) * partial);
}

void read_hf_mamba(const json&, const ConfigView& c, ModelConfig& m) {
  m.hidden = c.integer("hidden_size");
  m.layers = c.integer("num_hidden_layers");
  check_layer_count(c, m.layers);
  m.vocab = c.integer("vocab_size");
  m.max_positions = kUnlimitedPositions;
  m.tied_embeddings = c.boolean_or("tie_word_embeddings", true);
  m.layer_types.assign(static_cast<std::size_t>(m.layers), LayerType::mamba1);
  auto& r = m.recurrent;
  r.mamba_expand = c.integer_or("expand", 2);
  r.mamba_d_state = c.integer_or("state_size", 16);
  r.mamba_d_conv = c.integer_or("conv_kernel", 4);
  const json& rank = c.raw().contains("time_step_rank") ? c.raw()["time_step_rank"] : json("auto");
  r.mamba1_dt_rank = rank.is_number_integer() ? rank.get<int64_t>() : (m.hidden + 15) / 16;  // "auto": ceil(d / 16)
  if (r.mamba_expand <= 0 || r.mamba_d_state <= 0 || r.mamba_d_conv <= 0 || r.mamba1_dt_rank <= 0) {
    throw InputError(c.file(), "expand, state_size, conv_kernel and time_step_rank must be positive");
  }
  // Attention-shaped fields the rest of llmsim expects (no layer attends).
  m.heads = m.kv_heads = 1;
  m.head_dim = m.hidden;
  m.intermediate = r.mamba_inner(m.hidden);
  m.rotary_dim = 0;
  m.notes.push_back("Mamba: no position limit; the state per sequence is fixed, not a growing KV cache");
}

void read_hf_rwkv(const json&, const ConfigView& c, ModelConfig& m) {
  m.hidden = c.integer("hidden_size");
  m.layers = c.integer("num_hidden_layers");
  check_layer_count(c, m.layers);
  m.vocab = c.integer("vocab_size");
  m.max_positions = kUnlimitedPositions;
  m.tied_embeddings = c.boolean_or("tie_word_embeddings", false);
  m.norm = NormKind::layer;
  m.layer_types.assign(static_cast<std::size_t>(m.layers), LayerType::rwkv4);
  auto& r = m.recurrent;
  r.rwkv4_attention_hidden = c.integer_or("attention_hidden_size", m.hidden);
  r.rwkv4_ffn = c.integer_or("intermediate_size", 4 * m.hidden);
  if (r.rwkv4_attention_hidden <= 0 || r.rwkv4_ffn <= 0) {
    throw InputError(c.file(), "attention_hidden_size and intermediate_size must be positive");
  }
  r.rwkv_ffn_mult = static_cast<double>(r.rwkv4_ffn) / static_cast<double>(m.hidden);
  m.heads = m.kv_heads = 1;
  m.head_dim = m.hidden;
  m.intermediate = r.rwkv4_ffn;
  m.rotary_dim = 0;
  m.notes.push_back(fmt::format("RWKV-4: trained on {} tokens of context, runs any length as an RNN",
                                c.integer_or("context_length", 1024)));
}

}  // namespace llmsim::workloads::hf
