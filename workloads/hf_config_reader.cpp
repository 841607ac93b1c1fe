#include "workloads/hf_config_reader.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <type_traits>

#include "common/input_error.hpp"
#include "common/input_file.hpp"
#include "common/name_listing.hpp"
#include "common/yaml_fields.hpp"
#include "workloads/hf/config_view.hpp"
#include "workloads/hf/shape_checks.hpp"

namespace llmsim::workloads {

namespace {

using nlohmann::json;
using hf::split_heads;
using hf::ConfigView;


json parse_json_file(const std::string& path) {
  const std::string text = read_input_file(path, kMaxConfigBytes);
  refuse_deep_json(text, path);
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw InputError(path, fmt::format("malformed JSON at byte {}: {}", e.byte, e.what()));
  } catch (const json::exception& e) {  // out_of_range: a number beyond double, such as 1E400
    throw InputError(path, fmt::format("malformed JSON: {}", e.what()));
  }
}

void read_gpt2_like(const ConfigView& c, ModelConfig& m, bool gptj) {
  m.hidden = c.integer("n_embd");
  m.layers = c.integer("n_layer");
  m.heads = c.integer("n_head");
  m.kv_heads = m.heads;
  m.head_dim = split_heads(m.hidden, m.heads, c.file());
  m.intermediate = c.integer_or("n_inner", 4 * m.hidden);
  m.vocab = c.integer("vocab_size");
  m.max_positions = c.first_integer({"n_positions", "n_ctx"});
  m.tied_embeddings = c.boolean_or("tie_word_embeddings", !gptj);
  m.gated_mlp = false;
  m.activation = c.text_or("activation_function", "gelu_new");
  m.norm = NormKind::layer;
  m.mlp_bias = true;
  if (gptj) {
    m.positions = PositionKind::rope;
    m.rotary_dim = c.integer("rotary_dim");
    m.parallel_residual = true;
    m.lm_head_bias = true;
  } else {
    m.positions = PositionKind::learned;
    m.qkv_bias = true;
    m.output_bias = true;
  }
}

}  // namespace

namespace hf {

void read_llama_like(const ConfigView& c, ModelConfig& m) {
  m.hidden = c.integer("hidden_size");
  m.intermediate = c.integer("intermediate_size");
  m.layers = c.integer("num_hidden_layers");
  m.heads = c.integer("num_attention_heads");
  m.kv_heads = c.integer_or("num_key_value_heads", m.heads);
  m.head_dim = c.has("head_dim") ? c.integer("head_dim") : split_heads(m.hidden, m.heads, c.file());
  m.vocab = c.integer("vocab_size");
  m.max_positions = c.integer("max_position_embeddings");
  m.tied_embeddings = c.boolean_or("tie_word_embeddings", false);
  m.activation = c.text_or("hidden_act", c.text_or("hidden_activation", "silu"));
  m.rotary_dim = m.head_dim;
  m.qkv_bias = c.boolean_or("attention_bias", false);
  m.mlp_bias = c.boolean_or("mlp_bias", false);
}

std::vector<bool> layer_flags(const ConfigView& c, const char* key, int64_t layers) {
  const json& v = c.raw()[key];
  if (!v.is_array() || v.size() != static_cast<std::size_t>(layers)) {
    throw InputError(c.file(), fmt::format("'{}' must list one flag per layer ({} layers)", key, layers));
  }
  std::vector<bool> out;
  for (const auto& f : v) {
    if (!f.is_boolean() && !f.is_number_integer()) throw InputError(c.file(), fmt::format("'{}' holds 0/1 flags", key));
    out.push_back(f.is_boolean() ? f.get<bool>() : f.get<int64_t>() != 0);
  }
  return out;
}

}  // namespace hf

namespace {

using hf::ConfigView;
using hf::read_llama_like;

void read_windows(const ConfigView& c, ModelConfig& m) {
  if (!m.attention_window.empty()) return;  // the architecture's reader set them (Llama 4 chunks)
  m.attention_window.assign(static_cast<std::size_t>(m.layers), 0);
  const auto& raw = c.raw();
  // Newer configs (gpt-oss, Qwen3) say per layer which attention it runs.
  if (m.model_type != "gemma3_text" && m.model_type != "gemma2" && raw.contains("layer_types") &&
      raw["layer_types"].is_array()) {
    const auto& types = raw["layer_types"];
    if (types.size() != static_cast<std::size_t>(m.layers)) {
      throw InputError(c.file(), fmt::format("'layer_types' lists {} layers, the model has {}", types.size(), m.layers));
    }
    const bool any_sliding = std::any_of(types.begin(), types.end(), [](const json& t) { return t == "sliding_attention"; });
    if (!any_sliding) return;
    const int64_t window = c.integer("sliding_window");
    for (std::size_t i = 0; i < types.size(); ++i) m.attention_window[i] = types[i] == "sliding_attention" ? window : 0;
    return;
  }
  if (m.model_type == "gemma3_text" || m.model_type == "gemma2") {
    const int64_t window = c.integer("sliding_window");
    if (raw.contains("layer_types") && raw["layer_types"].is_array()) {
      const auto& types = raw["layer_types"];
      for (std::size_t i = 0; i < m.attention_window.size() && i < types.size(); ++i) {
        m.attention_window[i] = types[i] == "sliding_attention" ? window : 0;
      }
      return;
    }
    // Gemma 2 alternates local and global layers; Gemma 3 has one global layer every `pattern`.
    const int64_t pattern = m.model_type == "gemma2" ? 2 : c.integer("sliding_window_pattern");
    if (pattern < 1) {  // a divisor below: 0 would end the process (found by fuzzing)
      throw InputError(c.file(), fmt::format("'sliding_window_pattern' must be at least 1, got {}", pattern));
    }
    for (int64_t i = 0; i < m.layers; ++i) {
      m.attention_window[static_cast<std::size_t>(i)] = ((i + 1) % pattern != 0) ? window : 0;
    }
    return;
  }
  const bool sliding = m.model_type == "mistral" || m.model_type == "phi3" ||
                       (m.model_type == "qwen2" && c.boolean_or("use_sliding_window", false)) ||
                       m.model_type == "mixtral";
  if (sliding && raw.contains("sliding_window") && raw["sliding_window"].is_number_integer()) {
    m.attention_window.assign(static_cast<std::size_t>(m.layers), raw["sliding_window"].get<int64_t>());
  }
}

// Qwen3-MoE: experts of moe_intermediate_size in every layer (intermediate_size is the dense
// MLP of layers listed in mlp_only_layers, which none of the published models has).
void read_qwen3_moe(const ConfigView& c, ModelConfig& m) {
  m.experts = c.integer("num_experts");
  m.experts_per_token = c.integer("num_experts_per_tok");
  m.intermediate = c.integer("moe_intermediate_size");
  const auto& raw = c.raw();
  const bool dense_layers = (raw.contains("mlp_only_layers") && raw["mlp_only_layers"].is_array() &&
                             !raw["mlp_only_layers"].empty()) ||
                            c.integer_or("decoder_sparse_step", 1) != 1;
  if (dense_layers) {
    throw InputError(c.file(), "dense MLP layers among the MoE layers (mlp_only_layers, decoder_sparse_step != 1) "
                               "are not modelled");
  }
}

// llmsim's own format for attention-free and hybrid models (no Hugging Face class exists for
// the hybrids it describes): docs/file-formats.md ("llmsim's own format") documents the keys.
void read_recurrent(const ConfigView& c, ModelConfig& m, const std::string& file) {
  const json& raw = c.raw();
  m.hidden = c.integer("hidden_size");
  m.layers = c.integer("num_hidden_layers");
  m.vocab = c.integer("vocab_size");
  m.max_positions = c.integer("max_position_embeddings");
  m.tied_embeddings = c.boolean_or("tie_word_embeddings", false);
  m.norm = NormKind::layer;
  m.positions = PositionKind::rope;  // no position embedding table; recurrence carries order
  m.rotary_dim = 0;
  if (!raw.contains("layer_types") || !raw["layer_types"].is_array() ||
      raw["layer_types"].size() != static_cast<std::size_t>(m.layers)) {
    throw InputError(file, fmt::format("'layer_types' must list one type per layer ({} layers)", m.layers));
  }
  const std::vector<std::string> known = llmsim_layer_type_names();
  for (const auto& t : raw["layer_types"]) {
    const std::string type = t.is_string() ? t.get<std::string>() : t.dump();
    if (std::find(known.begin(), known.end(), type) == known.end()) {
      throw InputError(file, fmt::format("unknown block type '{}' in 'layer_types'; known: {}", type, join_names(known)));
    }
    m.layer_types.push_back(*layer_type_named(type));
  }
  auto& r = m.recurrent;
  auto read = [&](const char* section, const char* key, auto& field) {
    if (raw.contains(section) && raw[section].contains(key)) {
      const auto& v = raw[section][key];
      using Field = std::decay_t<decltype(field)>;
      const bool integral = std::is_integral_v<Field>;
      if (!v.is_number() || v.get<double>() <= 0 || (integral && !v.is_number_integer()) ||
          v.get<double>() > 1e6) {
        throw InputError(file, fmt::format("'{}.{}' must be a positive {} up to 1e6, got {}", section, key,
                                           integral ? "integer" : "number", v.dump()));
      }
      field = v.get<std::decay_t<decltype(field)>>();
    }
  };
  read("rwkv", "head_size", r.rwkv_head_size);
  read("rwkv", "ffn_mult", r.rwkv_ffn_mult);
  read("rwkv", "mix_lora_rank", r.rwkv_mix_lora);
  read("rwkv", "decay_lora_rank", r.rwkv_decay_lora);
  if (raw.contains("rwkv") && raw["rwkv"].contains("kernel")) {
    if (!raw["rwkv"]["kernel"].is_string()) throw InputError(file, "'rwkv.kernel' must be cuda or loop");
    r.rwkv_kernel = raw["rwkv"]["kernel"].get<std::string>();
  }
  if (r.rwkv_kernel != "cuda" && r.rwkv_kernel != "loop") throw InputError(file, "'rwkv.kernel' must be cuda or loop");
  read("mamba", "d_state", r.mamba_d_state);
  read("mamba", "expand", r.mamba_expand);
  read("mamba", "headdim", r.mamba_headdim);
  read("mamba", "d_conv", r.mamba_d_conv);
  read("mamba", "ngroups", r.mamba_ngroups);
  read("mamba", "chunk_size", r.mamba_chunk);
  // Attention-shaped fields the rest of llmsim expects (used only by attention layers).
  m.head_dim = r.rwkv_head_size;
  m.heads = std::max<int64_t>(m.hidden / m.head_dim, 1);
  m.kv_heads = m.heads;
  m.intermediate = c.integer_or("intermediate_size", r.rwkv_ffn(m.hidden));
  m.gated_mlp = true;
  if (m.hidden % r.rwkv_head_size != 0) {
    throw InputError(file, fmt::format("hidden size {} is not a multiple of rwkv.head_size {}", m.hidden,
                                       r.rwkv_head_size));
  }
  if (r.mamba_inner(m.hidden) % r.mamba_headdim != 0) {
    throw InputError(file, "mamba.expand x hidden_size must be a multiple of mamba.headdim");
  }
}

int64_t vision_integer(const json& v, const char* key, const std::string& file) {
  if (!v.contains(key) || !v[key].is_number_integer() || v[key].get<int64_t>() <= 0) {
    throw InputError(file, fmt::format("field 'vision_config.{}' must be a positive integer", key));
  }
  return v[key].get<int64_t>();
}

void read_mllama(const json& root, const ConfigView& c, ModelConfig& m, const std::string& file) {
  const json& text = c.raw();
  if (!text.contains("cross_attention_layers") || !text["cross_attention_layers"].is_array()) {
    throw InputError(file, "field 'text_config.cross_attention_layers' must be a list of layer indices");
  }
  for (const auto& layer : text["cross_attention_layers"]) {
    const int64_t l = layer.get<int64_t>();
    if (l < 0 || l >= m.layers) {
      throw InputError(file, fmt::format("cross-attention layer {} is outside the {} layers", l, m.layers));
    }
    m.cross_attention_layers.push_back(l);
  }
  if (!root.contains("vision_config") || !root["vision_config"].is_object()) {
    throw InputError(file, "field 'vision_config' must be an object for MllamaForConditionalGeneration");
  }
  const json& v = root["vision_config"];
  VisionTower t;
  t.hidden = vision_integer(v, "hidden_size", file);
  t.intermediate = vision_integer(v, "intermediate_size", file);
  t.layers = vision_integer(v, "num_hidden_layers", file);
  t.global_layers = vision_integer(v, "num_global_layers", file);
  t.heads = vision_integer(v, "attention_heads", file);
  t.image_size = vision_integer(v, "image_size", file);
  t.patch = vision_integer(v, "patch_size", file);
  t.max_tiles = vision_integer(v, "max_num_tiles", file);
  t.output_dim = vision_integer(v, "vision_output_dim", file);
  if (v.contains("supported_aspect_ratios") && v["supported_aspect_ratios"].is_array()) {
    t.aspect_ratios = static_cast<int64_t>(v["supported_aspect_ratios"].size());
  }
  if (v.contains("hidden_act") && v["hidden_act"].is_string()) t.activation = v["hidden_act"].get<std::string>();
  m.vision = t;
  m.extra_embedding_rows = 8;  // MllamaTextModel embeds vocab_size + 8 tokens
}


// `key` of `object` as text, `fallback` when absent or null; InputError when it is not text
// (a number there threw json's type_error, which no caller expects).
std::string text_field(const json& object, const char* key, const std::string& fallback, const std::string& path) {
  if (!object.contains(key) || object[key].is_null()) return fallback;
  if (!object[key].is_string()) {
    throw InputError(path, fmt::format("field '{}' must be a string, got {}", key, object[key].dump()));
  }
  return object[key].get<std::string>();
}

void read_llama_family(const json&, const ConfigView& c, ModelConfig& m) {
  read_llama_like(c, m);
  if (m.model_type == "qwen2") m.qkv_bias = true;  // Qwen2Attention always has q/k/v biases
  if (m.model_type == "qwen3") m.qk_norm = true;   // Qwen3 RMSNorms q and k per head
}

void read_gemma(const json&, const ConfigView& c, ModelConfig& m) {
  read_llama_like(c, m);
  m.sandwich_norm = true;
  m.scale_embeddings = true;
  m.qk_norm = m.model_type == "gemma3_text";
  m.tied_embeddings = c.boolean_or("tie_word_embeddings", true);
}

// One entry per Hugging Face class: where its text model sits, the model_type to assume when
// the config names none, and its reader. Adding an architecture is one row here and a reader.
struct Architecture {
  const char* name;
  const char* nested;      // key of the text model's config, nullptr when at the top level
  const char* model_type;  // default model_type
  hf::ArchitectureReader read;
};

const std::vector<Architecture>& architecture_registry() {
  static const std::vector<Architecture> registry = {
      {"LlamaForCausalLM", nullptr, "llama", read_llama_family},
      {"MistralForCausalLM", nullptr, "mistral", read_llama_family},
      {"Qwen2ForCausalLM", nullptr, "qwen2", read_llama_family},
      {"Qwen3ForCausalLM", nullptr, "qwen3", read_llama_family},
      {"Phi3ForCausalLM", nullptr, "phi3", read_llama_family},
      {"Mistral3ForConditionalGeneration", "text_config", "mistral",
       [](const json& root, const ConfigView& c, ModelConfig& m) {
         read_llama_family(root, c, m);
         m.notes.push_back("Mistral3ForConditionalGeneration: the language model only; the Pixtral image encoder is "
                           "not modelled (text prompts)");
       }},
      {"MixtralForCausalLM", nullptr, "mixtral",
       [](const json& root, const ConfigView& c, ModelConfig& m) {
         read_llama_family(root, c, m);
         m.experts = c.integer("num_local_experts");
         m.experts_per_token = c.integer("num_experts_per_tok");
       }},
      {"Qwen3MoeForCausalLM", nullptr, "qwen3_moe",
       [](const json& root, const ConfigView& c, ModelConfig& m) {
         read_llama_family(root, c, m);
         m.qk_norm = true;
         read_qwen3_moe(c, m);
       }},
      {"GptOssForCausalLM", nullptr, "gpt_oss",
       [](const json& root, const ConfigView& c, ModelConfig& m) {
         read_llama_family(root, c, m);
         // Every layer is MoE; each expert's SwiGLU is intermediate_size wide (2880 in both sizes).
         m.experts = c.integer("num_local_experts");
         m.experts_per_token = c.first_integer({"num_experts_per_tok", "experts_per_token"});
       }},
      {"Gemma2ForCausalLM", nullptr, "gemma2", read_gemma},
      {"Gemma3ForCausalLM", nullptr, "gemma3_text", read_gemma},
      {"Gemma3ForConditionalGeneration", "text_config", "gemma3_text", read_gemma},
      {"MllamaForConditionalGeneration", "text_config", "mllama_text_model",
       [](const json& root, const ConfigView& c, ModelConfig& m) {
         read_llama_like(c, m);
         read_mllama(root, c, m, c.file());
       }},
      {"GPT2LMHeadModel", nullptr, "gpt2", [](const json&, const ConfigView& c, ModelConfig& m) { read_gpt2_like(c, m, false); }},
      {"GPTJForCausalLM", nullptr, "gptj", [](const json&, const ConfigView& c, ModelConfig& m) { read_gpt2_like(c, m, true); }},
      {"LlmsimRecurrentForCausalLM", nullptr, "llmsim_recurrent",
       [](const json&, const ConfigView& c, ModelConfig& m) { read_recurrent(c, m, c.file()); }},
      {"DeepseekV2ForCausalLM", nullptr, "deepseek_v2", hf::read_deepseek},
      {"DeepseekV3ForCausalLM", nullptr, "deepseek_v3", hf::read_deepseek},
      {"Qwen2MoeForCausalLM", nullptr, "qwen2_moe", hf::read_qwen2_moe},
      {"Glm4MoeForCausalLM", nullptr, "glm4_moe", hf::read_glm4_moe},
      {"Llama4ForCausalLM", nullptr, "llama4_text", hf::read_llama4},
      {"Llama4ForConditionalGeneration", "text_config", "llama4_text", hf::read_llama4},
      {"Qwen3NextForCausalLM", nullptr, "qwen3_next", hf::read_qwen3_next},
      {"MPTForCausalLM", nullptr, "mpt", hf::read_mpt},
      {"NemotronForCausalLM", nullptr, "nemotron", hf::read_nemotron},
      {"MambaForCausalLM", nullptr, "mamba", hf::read_hf_mamba},
      {"RwkvForCausalLM", nullptr, "rwkv", hf::read_hf_rwkv},
  };
  return registry;
}

std::vector<std::string> architecture_names() {
  std::vector<std::string> names;
  for (const auto& a : architecture_registry()) names.push_back(a.name);
  return names;
}

ModelConfig read_checked_hf_config(const std::string& path, const std::string& defaults_file) {
  const json root = parse_json_file(path);
  if (!root.is_object()) throw InputError(path, "expected a JSON object at the top level");
  ModelConfig m;
  m.file = path;
  m.id = std::filesystem::path(path).stem().string();
  if (!root.contains("architectures") || !root["architectures"].is_array() || root["architectures"].empty() ||
      !root["architectures"][0].is_string()) {
    throw InputError(path, "field 'architectures' must be a non-empty list of class names");
  }
  m.architecture = root["architectures"][0].get<std::string>();
  const auto& registry = architecture_registry();
  auto arch = std::find_if(registry.begin(), registry.end(), [&](const Architecture& a) { return a.name == m.architecture; });
  if (arch == registry.end()) {
    throw InputError(path, fmt::format("unsupported architecture '{}'; supported: {}", m.architecture,
                                       join_names(architecture_names())));
  }
  // Multimodal models keep the language model in text_config.
  if (arch->nested && (!root.contains(arch->nested) || !root[arch->nested].is_object())) {
    throw InputError(path, fmt::format("field '{}' must be an object for {}", arch->nested, m.architecture));
  }
  const json& text = arch->nested ? root[arch->nested] : root;
  m.model_type = text_field(text, "model_type", arch->nested ? arch->model_type : text_field(root, "model_type", arch->model_type, path), path);
  if (m.model_type == "gemma3") m.model_type = "gemma3_text";
  m.torch_dtype = text_field(root, "torch_dtype", text_field(text, "torch_dtype", "", path), path);

  const YAML::Node defaults_root = load_yaml_file(defaults_file);
  const YAML::Node defaults = defaults_root[m.model_type];
  const ConfigView c(text, defaults, path);
  arch->read(root, c, m);
  hf::check_shapes(m, path);
  read_windows(c, m);
  return m;
}

}  // namespace

const std::vector<std::string>& supported_architectures() {
  static const std::vector<std::string> names = architecture_names();
  return names;
}

ModelConfig read_hf_config(const std::string& path, const std::string& defaults_file) {
  try {
    return read_checked_hf_config(path, defaults_file);
  } catch (const json::exception& e) {
    // A field of an unexpected JSON type that no check above names: still the user's file.
    throw InputError(path, fmt::format("a field has an unexpected type or value: {}", e.what()));
  }
}

}  // namespace llmsim::workloads
