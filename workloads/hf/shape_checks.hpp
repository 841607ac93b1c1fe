// The shape checks every config.json passes after its family's reader filled the ModelConfig:
// positive sizes, a plausible magnitude, at most ModelConfig::kMaxLayers layers, heads that
// group evenly, and a top-k within the experts. Messages name both the quantity and the keys
// the families spell it with, so they lead to the field whichever spelling the file uses.
#pragma once

#include <string>

#include "workloads/model_config.hpp"

namespace llmsim::workloads::hf {

void check_shapes(const ModelConfig& m, const std::string& file);

}  // namespace llmsim::workloads::hf
