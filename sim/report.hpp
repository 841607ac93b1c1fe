// Renders a Prediction: a JSON object (the command-line contract's fields and more)
// and a readable text report that says what bounds each phase and what was assumed.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "sim/prediction.hpp"

namespace llmsim::sim {

nlohmann::ordered_json to_json(const Prediction& p);
std::string to_text(const Prediction& p);

}  // namespace llmsim::sim
