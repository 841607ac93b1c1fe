#include "validate/runner/cpu/transformer_config.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/input_error.hpp"
#include "common/input_file.hpp"

namespace llmsim::bench {

namespace {

int field(const nlohmann::json& j, const std::string& path, const char* key, int min, int max) {
  if (!j.contains(key) || !j[key].is_number_integer()) {
    throw InputError(path, fmt::format("'{}' must be an integer (GPT-2 config.json field)", key));
  }
  const auto value = j[key].get<long long>();
  if (value < min || value > max) {
    throw InputError(path, fmt::format("'{}' must be between {} and {}, got {}", key, min, max, value));
  }
  return static_cast<int>(value);
}

}  // namespace

TransformerConfig read_transformer_config(const std::string& path) {
  const std::string text = read_input_file(path, kMaxConfigBytes);
  refuse_deep_json(text, path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(path, fmt::format("not valid JSON: {}", e.what()));
  }
  const std::string type = j.value("model_type", "");
  if (type != "gpt2") {
    throw InputError(path, fmt::format("the model-level mode runs GPT-2-architecture configs (model_type gpt2); "
                                       "this one has model_type '{}'",
                                       type));
  }
  TransformerConfig c;
  c.name = std::filesystem::path(path).stem().string();
  c.layers = field(j, path, "n_layer", 1, 256);
  c.hidden = field(j, path, "n_embd", 32, 65536);
  c.heads = field(j, path, "n_head", 1, 1024);
  c.vocab = field(j, path, "vocab_size", 2, 1 << 22);
  c.positions = field(j, path, "n_positions", 1, 1 << 22);
  c.eps = j.value("layer_norm_epsilon", 1e-5f);
  if (c.hidden % c.heads != 0 || c.hidden % 32 != 0) {
    throw InputError(path, "'n_embd' must be a multiple of 'n_head' and of 32");
  }
  return c;
}

}  // namespace llmsim::bench
