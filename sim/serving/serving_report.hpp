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

/// MLPerf-style verdict of a run with `mlperf:` set: VALID or INVALID and why.
struct MlperfVerdict {
  bool valid = false;
  std::vector<std::string> checks;  // "TTFT p99 1.23 s <= 2 s: yes", ...
};
MlperfVerdict mlperf_verdict(const ServeConfig& config, const ServingMetrics& metrics);
/// The summary in the layout of LoadGen's mlperf_log_summary.txt (marked as simulated).
std::string mlperf_summary_text(const ServeConfig& config, const ServingResult& result);

}  // namespace llmsim::sim::serving
