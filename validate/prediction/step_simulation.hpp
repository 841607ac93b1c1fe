// Whole measured steps predicted by the simulator itself (sim::Predictor on SimGrid), each
// in a child process because SimGrid allows one engine per process. This is the figure
// `llmsim validate` reports for decode and prefill steps; the fast roofline sum of
// case_evaluator serves the fits.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/data_paths.hpp"
#include "validate/prediction/step_case_builder.hpp"

namespace llmsim::validate {

struct SimulatedStep {
  std::optional<double> seconds;  // decode: seconds per step; prefill: seconds of the whole prompt
  std::string error;              // why the predictor refused, when it did
};

/// `hardware`: catalog id or system file; `device`: device id; `software`: profile id or file.
std::vector<SimulatedStep> simulate_steps(const sim::DataPaths& paths, const std::string& hardware,
                                          const std::string& device, const std::string& software,
                                          const std::vector<StepSpec>& steps, int parallel);

}  // namespace llmsim::validate
