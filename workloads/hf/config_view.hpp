// A view of one Hugging Face config (or its text_config) that fills missing keys from the
// defaults of its model_type, and the readers of each architecture family.
#pragma once

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <string>

#include "common/input_error.hpp"
#include "workloads/model_config.hpp"

namespace llmsim::workloads::hf {

using nlohmann::json;

// Looks keys up in the config first, then in the defaults of its model_type.
class ConfigView {
 public:
  ConfigView(const json& config, const YAML::Node& defaults, std::string file)
      : config_(config), defaults_(defaults), file_(std::move(file)) {}

  bool has(const std::string& key) const {
    return (config_.contains(key) && !config_[key].is_null()) || (defaults_ && defaults_[key]);
  }

  int64_t integer(const std::string& key) const {
    if (config_.contains(key) && !config_[key].is_null()) {
      const auto& v = config_[key];
      if (!v.is_number_integer() || v.get<int64_t>() < 0) {
        throw InputError(file_, fmt::format("field '{}' must be a non-negative integer, got {}", key, v.dump()));
      }
      return v.get<int64_t>();
    }
    if (defaults_ && defaults_[key]) return defaults_[key].as<int64_t>();
    throw InputError(file_, fmt::format("required field '{}' is missing", key));
  }

  int64_t integer_or(const std::string& key, int64_t fallback) const { return has(key) ? integer(key) : fallback; }

  int64_t first_integer(std::initializer_list<const char*> keys) const {
    for (const char* key : keys)
      if (has(key)) return integer(key);
    throw InputError(file_, fmt::format("required field '{}' is missing", *keys.begin()));
  }

  bool boolean_or(const std::string& key, bool fallback) const {
    if (config_.contains(key) && !config_[key].is_null()) {
      if (!config_[key].is_boolean()) throw InputError(file_, fmt::format("field '{}' must be true or false", key));
      return config_[key].get<bool>();
    }
    if (defaults_ && defaults_[key]) return defaults_[key].as<bool>();
    return fallback;
  }

  double number_or(const std::string& key, double fallback) const {
    if (config_.contains(key) && !config_[key].is_null()) {
      if (!config_[key].is_number()) throw InputError(file_, fmt::format("field '{}' must be a number", key));
      return config_[key].get<double>();
    }
    if (defaults_ && defaults_[key]) return defaults_[key].as<double>();
    return fallback;
  }

  std::string text_or(const std::string& key, const std::string& fallback) const {
    if (config_.contains(key) && config_[key].is_string()) return config_[key].get<std::string>();
    if (defaults_ && defaults_[key]) return defaults_[key].as<std::string>();
    return fallback;
  }

  const json& raw() const { return config_; }
  const std::string& file() const { return file_; }

 private:
  const json& config_;
  YAML::Node defaults_;
  std::string file_;
};


// hidden / heads, the head size when the config gives none. Refuses heads <= 0 (a division by
// zero before) and heads that do not divide hidden (a fractional head size truncated before).
inline int64_t split_heads(int64_t hidden, int64_t heads, const std::string& file) {
  if (heads <= 0) throw InputError(file, fmt::format("attention heads (num_attention_heads / n_head / n_heads) must be positive, got {}", heads));
  if (hidden % heads != 0) {
    throw InputError(file, fmt::format("hidden size {} is not a multiple of {} attention heads (give 'head_dim' if "
                                       "the heads are not hidden / heads wide)", hidden, heads));
  }
  return hidden / heads;
}


/// Refuses a layer count no model has before per-layer tables are sized by it (check_positive
/// runs after the reader; a fuzzed 2^40 layers would allocate first).
inline void check_layer_count(const ConfigView& c, int64_t layers) {
  if (layers <= 0 || layers > 100'000) {
    throw InputError(c.file(), fmt::format("layer count must be between 1 and 100000, got {}", layers));
  }
}

/// Reads one architecture's fields into `m` (the common fields are read before for the
/// Llama-like families); `root` is the whole config.json, `c` its text model's view.
using ArchitectureReader = void (*)(const json& root, const ConfigView& c, ModelConfig& m);

/// Per-layer flags from a list key (0/1 or true/false), InputError when its length is wrong.
std::vector<bool> layer_flags(const ConfigView& c, const char* key, int64_t layers);

// Families, one file each under workloads/hf/.
void read_llama_like(const ConfigView& c, ModelConfig& m);
void read_deepseek(const json& root, const ConfigView& c, ModelConfig& m);
void read_qwen2_moe(const json& root, const ConfigView& c, ModelConfig& m);
void read_glm4_moe(const json& root, const ConfigView& c, ModelConfig& m);
void read_llama4(const json& root, const ConfigView& c, ModelConfig& m);
void read_qwen3_next(const json& root, const ConfigView& c, ModelConfig& m);
void read_mpt(const json& root, const ConfigView& c, ModelConfig& m);
void read_nemotron(const json& root, const ConfigView& c, ModelConfig& m);
void read_hf_mamba(const json& root, const ConfigView& c, ModelConfig& m);
void read_hf_rwkv(const json& root, const ConfigView& c, ModelConfig& m);

}  // namespace llmsim::workloads::hf
