// `llmsim serve --trace FILE`: a Chrome / Perfetto trace (JSON "traceEvents", opens in
// ui.perfetto.dev) of a serving run: one track per replica with its batch steps, and one
// async slice per request from its send to its last token, with its first token marked.
#pragma once

#include <string>

#include "sim/serving/serving_simulator.hpp"

namespace llmsim::sim::serving {

/// At most this many steps and requests go into a trace (a few tens of MB); the rest are
/// counted in the trace's metadata.
constexpr std::size_t kMaxTracedSteps = 200000;
constexpr std::size_t kMaxTracedRequests = 20000;

std::string serving_trace_json(const ServingResult& result);

}  // namespace llmsim::sim::serving
