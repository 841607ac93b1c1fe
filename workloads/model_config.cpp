#include "workloads/model_config.hpp"

#include <algorithm>

namespace llmsim::workloads {

bool ModelConfig::is_cross_attention_layer(int64_t layer) const {
  return std::find(cross_attention_layers.begin(), cross_attention_layers.end(), layer) !=
         cross_attention_layers.end();
}

std::string to_string(LayerType type) {
  switch (type) {
    case LayerType::attention: return "attention";
    case LayerType::deltanet: return "deltanet";
    case LayerType::mamba1: return "mamba1";
    case LayerType::mamba2: return "mamba2";
    case LayerType::rwkv4: return "rwkv4";
    case LayerType::rwkv6: return "rwkv6";
    case LayerType::rwkv6_mamba2: return "rwkv6+mamba2";
  }
  return "attention";
}

std::optional<LayerType> layer_type_named(const std::string& name) {
  for (LayerType t : {LayerType::attention, LayerType::deltanet, LayerType::mamba1, LayerType::mamba2,
                      LayerType::rwkv4, LayerType::rwkv6, LayerType::rwkv6_mamba2})
    if (to_string(t) == name) return t;
  return std::nullopt;
}

std::vector<std::string> llmsim_layer_type_names() { return {"attention", "rwkv6", "mamba2", "rwkv6+mamba2"}; }

LayerType ModelConfig::layer_type(int64_t layer) const {
  return layer_types.empty() ? LayerType::attention : layer_types.at(static_cast<std::size_t>(layer));
}

bool ModelConfig::has_recurrent_layers() const {
  return std::any_of(layer_types.begin(), layer_types.end(), [](LayerType t) { return t != LayerType::attention; });
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
  if (layer_type(layer) != LayerType::attention) return 0;
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
