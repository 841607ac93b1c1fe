// Renders a serving run: JSON summary (with the resolved configuration), per-request CSV,
// and a text report.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "sim/serving/serve_config.hpp"
#include "sim/serving/serving_simulator.hpp"

namespace llmsim::sim::serving {

nlohmann::ordered_json serving_json(const ServeConfig& config, const ServingResult& result, double wall_s);
std::string requests_csv(const ServingResult& result);
std::string serving_text(const ServeConfig& config, const ServingResult& result, double wall_s);

}  // namespace llmsim::sim::serving
