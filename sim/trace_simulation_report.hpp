// Renders a TraceSimulation: one JSON object for scripts, a short text report for people.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "sim/trace_simulation.hpp"

namespace llmsim::sim {

nlohmann::ordered_json to_json(const TraceSimulation& s);
std::string to_text(const TraceSimulation& s);

}  // namespace llmsim::sim
