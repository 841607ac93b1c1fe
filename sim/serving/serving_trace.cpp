#include "sim/serving/serving_trace.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace llmsim::sim::serving {

namespace {

constexpr int kReplicaProcess = 1;
constexpr int kRequestProcess = 2;

double us(double seconds) { return seconds * 1e6; }

}  // namespace

std::string serving_trace_json(const ServingResult& result) {
  nlohmann::json events = nlohmann::json::array();
  events.push_back({{"ph", "M"}, {"pid", kReplicaProcess}, {"name", "process_name"}, {"args", {{"name", "replicas"}}}});
  events.push_back({{"ph", "M"}, {"pid", kRequestProcess}, {"name", "process_name"}, {"args", {{"name", "requests"}}}});
  for (std::size_t i = 0; i < result.replicas.size(); ++i) {
    events.push_back({{"ph", "M"},
                      {"pid", kReplicaProcess},
                      {"tid", i},
                      {"name", "thread_name"},
                      {"args", {{"name", fmt::format("replica {} ({})", i, result.replicas[i].role)}}}});
  }
  const std::size_t steps = std::min(result.steps.size(), kMaxTracedSteps);
  for (std::size_t k = 0; k < steps; ++k) {
    const StepRecord& s = result.steps[k];
    const std::string name = s.prefill_sequences == 0 ? fmt::format("decode {}", s.decode_sequences)
                             : s.decode_sequences == 0
                                 ? fmt::format("prefill {}", s.prefill_sequences)
                                 : fmt::format("prefill {} + decode {}", s.prefill_sequences, s.decode_sequences);
    events.push_back({{"ph", "X"},
                      {"pid", kReplicaProcess},
                      {"tid", s.replica},
                      {"name", name},
                      {"ts", us(s.start_s)},
                      {"dur", us(s.end_s - s.start_s)},
                      {"args", {{"new_tokens", s.new_tokens}}}});
  }
  const std::size_t requests = std::min(result.requests.size(), kMaxTracedRequests);
  for (std::size_t k = 0; k < requests; ++k) {
    const RequestProgress& r = result.requests[k];
    if (r.finish_s < 0) continue;
    const nlohmann::json base = {{"pid", kRequestProcess}, {"cat", "request"}, {"id", r.request.id},
                                 {"name", fmt::format("request {}", r.request.id)}};
    nlohmann::json begin = base, first = base, end = base;
    begin["ph"] = "b";
    begin["ts"] = us(r.request.arrival_s);
    begin["args"] = {{"prompt_tokens", r.request.prompt_tokens}, {"output_tokens", r.request.output_tokens},
                     {"replica", r.replica}, {"preemptions", r.preemptions}};
    first["ph"] = "n";
    first["name"] = "first token";
    first["ts"] = us(r.first_token_s);
    end["ph"] = "e";
    end["ts"] = us(r.finish_s);
    events.push_back(begin);
    events.push_back(first);
    events.push_back(end);
  }
  nlohmann::json trace = {{"traceEvents", events},
                          {"displayTimeUnit", "ms"},
                          {"metadata",
                           {{"steps", result.steps.size()},
                            {"steps_traced", steps},
                            {"requests", result.requests.size()},
                            {"requests_traced", requests}}}};
  return trace.dump() + "\n";
}

}  // namespace llmsim::sim::serving
