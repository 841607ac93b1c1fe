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

}  // namespace llmsim::workloads
