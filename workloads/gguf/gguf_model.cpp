#include "workloads/gguf/gguf_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "common/input_error.hpp"

namespace llmsim::workloads {

namespace {

struct GgufArchitecture {
  const char* gguf;
  const char* hf_class;
  const char* model_type;
};
constexpr GgufArchitecture kArchitectures[] = {{"llama", "LlamaForCausalLM", "llama"},
                                               {"qwen2", "Qwen2ForCausalLM", "qwen2"},
                                               {"qwen3", "Qwen3ForCausalLM", "qwen3"},
                                               {"qwen3moe", "Qwen3MoeForCausalLM", "qwen3_moe"},
                                               {"deepseek2", "DeepseekV3ForCausalLM", "deepseek_v3"},
                                               {"glm4moe", "Glm4MoeForCausalLM", "glm4_moe"}};

// Shapes beyond this are not a model (and per-layer tables of that size would not fit in memory:
// fuzzing found a block_count of 2^30 allocating 8 GB).
constexpr std::int64_t kMaxShape = 10'000'000;

std::int64_t checked(const GgufFile& f, const std::string& key, std::int64_t v) {
  if (v <= 0 || v > kMaxShape) {
    throw InputError(f.path, fmt::format("metadata '{}' is {}, not a plausible size (1 to {})", key, v, kMaxShape));
  }
  return v;
}

std::int64_t required(const GgufFile& f, const std::string& key) {
  const auto v = f.integer(key);
  if (!v) throw InputError(f.path, fmt::format("metadata '{}' is missing or not an integer", key));
  return checked(f, key, *v);
}

std::int64_t optional(const GgufFile& f, const std::string& key, std::int64_t fallback) {
  const auto v = f.integer(key);
  return v ? checked(f, key, *v) : fallback;
}

// "blk.12.ffn_down_exps.weight" -> ("ffn_down", 12); "output.weight" -> ("output", -1).
// Biases keep their ".bias" suffix, as llmsim names them ("attn_q.bias").
bool tensor_role(const std::string& name, std::string& role, int& layer) {
  static const std::regex block(R"(^blk\.([0-9]+)\.([a-z0-9_]+)\.(weight|bias)$)");
  static const std::regex global(R"(^([a-z0-9_]+)\.(weight|bias)$)");
  std::smatch m;
  std::string base, kind;
  if (std::regex_match(name, m, block)) {
    layer = std::stoi(m[1].str());
    base = m[2].str();
    kind = m[3].str();
  } else if (std::regex_match(name, m, global)) {
    layer = -1;
    base = m[1].str();
    kind = m[2].str();
  } else {
    return false;
  }
  if (base.size() > 5 && base.compare(base.size() - 5, 5, "_exps") == 0) base.resize(base.size() - 5);
  // Newer llama.cpp DeepSeek files split the latent expansion into its key and value halves.
  if (base == "attn_k_b" || base == "attn_v_b") base = "attn_kv_b";
  // The roles llmsim's weight list has for these architectures (workloads/model_weights.cpp).
  static const std::set<std::string> known = {
      "token_embd",    "output",         "output_norm",  "attn_norm",      "attn_q",        "attn_k",
      "attn_v",        "attn_output",    "attn_q_norm",  "attn_k_norm",    "ffn_norm",      "ffn_gate",
      "ffn_up",        "ffn_down",       "ffn_gate_inp", "attn_q_a",       "attn_q_a_norm", "attn_q_b",
      "attn_kv_a_mqa", "attn_kv_a_norm", "attn_kv_b",    "ffn_gate_shexp", "ffn_up_shexp",  "ffn_down_shexp"};
  if (!known.count(base)) return false;
  role = kind == "bias" ? base + ".bias" : base;
  return true;
}

// Expert width, shared experts and the dense layers in front (DeepSeek, GLM-4.5), and the
// multi-token-prediction layers GLM files append to block_count.
void read_expert_layout(const GgufFile& f, const std::string& a, ModelConfig& m) {
  m.dense_intermediate = m.intermediate;
  m.intermediate = optional(f, a + ".expert_feed_forward_length", m.intermediate);
  if (const auto shared = f.integer(a + ".expert_shared_count"); shared && *shared > 0) {
    m.shared_expert_intermediate = checked(f, a + ".expert_shared_count", *shared) * m.intermediate;
  }
  const auto nextn = f.integer(a + ".nextn_predict_layers").value_or(0);
  if (nextn < 0 || nextn >= m.layers)
    throw InputError(f.path, fmt::format("'{}.nextn_predict_layers' is {}", a, nextn));
  if (nextn > 0) {
    m.layers -= nextn;
    m.notes.push_back(fmt::format("{} multi-token-prediction layer(s) in the file are not run", nextn));
  }
  const auto dense = f.integer(a + ".leading_dense_block_count").value_or(0);
  if (dense < 0 || dense > m.layers)
    throw InputError(f.path, fmt::format("'{}.leading_dense_block_count' is {}", a, dense));
  m.moe_layers.assign(static_cast<std::size_t>(m.layers), true);
  for (std::int64_t l = 0; l < dense; ++l) m.moe_layers[static_cast<std::size_t>(l)] = false;
}

// DeepSeek MLA: key_length is the query/key head (no-RoPE + RoPE parts), value_length the value head.
void read_latent_attention(const GgufFile& f, const std::string& a, ModelConfig& m) {
  LatentAttention mla;
  mla.kv_lora_rank = required(f, a + ".attention.kv_lora_rank");
  mla.q_lora_rank = f.integer(a + ".attention.q_lora_rank").value_or(0);
  mla.qk_rope_head_dim = required(f, a + ".rope.dimension_count");
  const std::int64_t key = required(f, a + ".attention.key_length");
  if (key <= mla.qk_rope_head_dim || mla.q_lora_rank < 0) {
    throw InputError(f.path, fmt::format("'{}.attention.key_length' ({}) must exceed the RoPE dimensions ({})", a, key,
                                         mla.qk_rope_head_dim));
  }
  mla.qk_nope_head_dim = key - mla.qk_rope_head_dim;
  mla.v_head_dim = required(f, a + ".attention.value_length");
  m.mla = mla;
  m.kv_heads = m.heads;
  m.head_dim = key;
  m.rotary_dim = mla.qk_rope_head_dim;
}

// The mix: the most common matrix format is the default; every tensor whose format differs
// gets a rule naming its role and the layers that share that format.
void read_weight_mix(const GgufFile& f, bool tied_embeddings, GgufModel& g) {
  std::map<std::string, std::uint64_t> matrix_elements;
  std::map<std::pair<std::string, std::string>, std::vector<int>> groups;  // (role, format) -> layers
  std::string vector_format = "f32";
  for (const auto& t : f.tensors) {
    std::string role;
    int layer = -1;
    if (!tensor_role(t.name, role, layer)) {
      g.unmatched.push_back(t.name);  // llmsim has no role for it: its bytes are not counted
      continue;
    }
    const std::string format = ggml_type_format(t.type);
    if (format.empty()) {
      throw InputError(f.path, fmt::format("tensor '{}' is {}, which is not a weight format llmsim models", t.name,
                                           ggml_type_name(t.type)));
    }
    if (t.dims.size() == 1) {
      if (t.name == "blk.0.attn_norm.weight") vector_format = format;
      continue;
    }
    matrix_elements[format] += t.elements();
    // A tied embedding is quantised as the output projection: llmsim asks for it as "output".
    if (role == "token_embd" && tied_embeddings) role = "output";
    groups[{role, format}].push_back(layer);
  }
  if (matrix_elements.empty()) throw InputError(f.path, "no 2-D weight tensor found");
  std::string default_format;
  std::uint64_t most = 0;
  for (const auto& [format, n] : matrix_elements)
    if (n > most) most = n, default_format = format;
  WeightMix& mix = g.mix;
  mix.name = "gguf:" + f.path;
  mix.default_format = default_format;
  mix.vector_format = vector_format;
  mix.source = "the file's tensor infos";
  for (const auto& [key, layers] : groups) {
    if (key.second == default_format) continue;
    MixRule rule;
    rule.tensors = {key.first};
    rule.format = key.second;
    rule.layer_list = layers;
    mix.rules.push_back(rule);
  }
}

}  // namespace

GgufModel gguf_model(const GgufFile& f) {
  const auto arch_name = f.text("general.architecture");
  if (!arch_name) throw InputError(f.path, "metadata 'general.architecture' is missing");
  const GgufArchitecture* arch = nullptr;
  for (const auto& a : kArchitectures)
    if (*arch_name == a.gguf) arch = &a;
  if (!arch) {
    throw InputError(f.path, fmt::format("GGUF architecture '{}' is not one llmsim reads from GGUF (llama, qwen2, "
                                         "qwen3, qwen3moe, deepseek2, glm4moe); give the model's config.json instead",
                                         *arch_name));
  }
  const std::string a = arch->gguf;
  GgufModel g;
  ModelConfig& m = g.config;
  m.file = f.path;
  m.id = f.text("general.name").value_or(f.path);
  m.architecture = arch->hf_class;
  m.model_type = arch->model_type;
  m.hidden = required(f, a + ".embedding_length");
  m.layers = required(f, a + ".block_count");
  if (m.layers > ModelConfig::kMaxLayers) {
    throw InputError(f.path, fmt::format("{}.block_count of {} is above the {} layers llmsim simulates", a, m.layers,
                                         ModelConfig::kMaxLayers));
  }
  m.heads = required(f, a + ".attention.head_count");
  m.kv_heads = optional(f, a + ".attention.head_count_kv", m.heads);
  if (m.heads % m.kv_heads != 0) {
    throw InputError(f.path,
                     fmt::format("{} attention heads are not a multiple of {} key/value heads", m.heads, m.kv_heads));
  }
  m.head_dim = optional(f, a + ".attention.key_length", std::max<std::int64_t>(1, m.hidden / m.heads));
  m.intermediate = required(f, a + ".feed_forward_length");
  m.max_positions = required(f, a + ".context_length");
  const GgufTensor* embd = f.tensor("token_embd.weight");
  if (!embd || embd->dims.size() != 2) throw InputError(f.path, "tensor 'token_embd.weight' (2-D) is missing");
  m.vocab = checked(f, "token_embd.weight's second dimension",
                    static_cast<std::int64_t>(std::min<std::uint64_t>(embd->dims[1], kMaxShape + 1)));
  m.tied_embeddings = f.tensor("output.weight") == nullptr;
  m.qkv_bias = f.tensor("blk.0.attn_q.bias") != nullptr;
  m.qk_norm = f.tensor("blk.0.attn_q_norm.weight") != nullptr;
  m.rotary_dim = m.head_dim;
  if (auto experts = f.integer(a + ".expert_count"); experts && *experts > 0) {
    m.experts = checked(f, a + ".expert_count", *experts);
    m.experts_per_token = required(f, a + ".expert_used_count");
    if (m.experts_per_token > m.experts) {
      throw InputError(f.path,
                       fmt::format("{} experts per token exceed the {} experts", m.experts_per_token, m.experts));
    }
    read_expert_layout(f, a, m);
  }
  if (f.integer(a + ".attention.kv_lora_rank")) read_latent_attention(f, a, m);
  if (auto rope = f.integer(a + ".rope.dimension_count"); rope && !m.mla) {
    m.rotary_dim = std::min(checked(f, a + ".rope.dimension_count", *rope), m.head_dim);  // GLM: half the head
  }
  m.attention_window.assign(static_cast<std::size_t>(m.layers), 0);

  read_weight_mix(f, m.tied_embeddings, g);
  return g;
}

}  // namespace llmsim::workloads
