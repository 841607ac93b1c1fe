// Per-op CSV of simulated steps: shape, FLOPs, bytes, the roofline parts and the
// simulated times. Records every prefill chunk and the first and last decode step.
#pragma once

#include <string>

#include "sim/step_view.hpp"

namespace llmsim::sim {

class OpTableWriter {
 public:
  OpTableWriter();
  StepObserver observer();
  const std::string& csv() const { return csv_; }

 private:
  void record(const StepView& step);
  std::string csv_;
};

}  // namespace llmsim::sim
