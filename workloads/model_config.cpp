#include "workloads/model_config.hpp"

#include <algorithm>

namespace llmsim::workloads {

bool ModelConfig::is_cross_attention_layer(int64_t layer) const {
  return std::find(cross_attention_layers.begin(), cross_attention_layers.end(), layer) !=
         cross_attention_layers.end();
}

const std::string& ModelConfig::layer_type(int64_t layer) const {
  static const std::string attention = "attention";
  return layer_types.empty() ? attention : layer_types.at(static_cast<std::size_t>(layer));
}

bool ModelConfig::has_recurrent_layers() const {
  return std::any_of(layer_types.begin(), layer_types.end(), [](const std::string& t) { return t != "attention"; });
}

bool ModelConfig::is_moe_layer(int64_t layer) const {
  if (!is_moe()) return false;
  return moe_layers.empty() || moe_layers.at(static_cast<std::size_t>(layer));
}

int64_t ModelConfig::mlp_width(int64_t layer) const {
  if (is_moe() && !is_moe_layer(layer)) return dense_intermediate;
  return intermediate;
}

int64_t ModelConfig::cached_values_per_token(int64_t layer) const {
  if (layer_type(layer) != "attention") return 0;
  if (mla) return mla->cached_values();
  return 2 * kv_dim();
}

int64_t ModelConfig::cached_positions(int64_t layer, int64_t context) const {
  const int64_t window = attention_window.empty() ? 0 : attention_window.at(static_cast<std::size_t>(layer));
  if (window == 0) return context;
  // A chunked layer keeps the current chunk; a sliding-window layer its window.
  return std::min(context, window > 0 ? window : -window);
}

}  // namespace llmsim::workloads
