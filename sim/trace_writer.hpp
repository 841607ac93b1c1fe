// Chrome / Perfetto trace (JSON "traceEvents") of simulated steps: one track per
// device and one per memory or interconnect link an op used. Opens in ui.perfetto.dev.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>

#include "sim/step_view.hpp"

namespace llmsim::sim {

class TraceWriter {
 public:
  /// Records every prefill chunk and the first `decode_steps` decode steps (traces of
  /// thousands of steps are too large to open).
  explicit TraceWriter(int64_t decode_steps = 3) : decode_steps_(decode_steps) {}

  StepObserver observer();
  std::string json() const;

 private:
  void record(const StepView& step);
  int track(const std::string& name);

  int64_t decode_steps_;
  nlohmann::json events_ = nlohmann::json::array();
  std::map<std::string, int> tracks_;
};

}  // namespace llmsim::sim
