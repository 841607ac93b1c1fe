#include "workloads/model_config.hpp"

#include <algorithm>

namespace llmsim::workloads {

bool ModelConfig::is_cross_attention_layer(int64_t layer) const {
  return std::find(cross_attention_layers.begin(), cross_attention_layers.end(), layer) !=
         cross_attention_layers.end();
}

}  // namespace llmsim::workloads
