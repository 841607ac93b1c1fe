// Answers a PredictRequest: loads hardware, model and software profile, lowers the
// prefill chunks and each decode step, simulates them one after another on one
// SimGrid platform, and sums up times, bounds and memory. One predict() per process
// (SimGrid allows one engine per process).
#pragma once

#include <vector>

#include "sim/data_paths.hpp"
#include "sim/prediction.hpp"
#include "sim/step_view.hpp"

namespace llmsim::sim {

/// The request's sizes against llmsim's limits (docs/reliability.md): InputError naming the
/// flag. Predict, export-chakra and everything else taking a PredictRequest check it first.
void check_request(const PredictRequest& r);

class Predictor {
 public:
  explicit Predictor(DataPaths paths);

  /// Throws InputError for bad requests (unknown ids, impossible sizes).
  Prediction predict(const PredictRequest& request, const std::vector<StepObserver>& observers = {}) const;

  const DataPaths& paths() const { return paths_; }

 private:
  DataPaths paths_;
};

}  // namespace llmsim::sim
