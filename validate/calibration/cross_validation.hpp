// Cross-validation by groups: cases of one group (one kernel shape, or one piece of
// hardware) are always held out together, so an error is reported only for a shape or a
// device the fit did not see. Folds are assigned round-robin over the sorted group names:
// deterministic, no random seed.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "validate/calibration/efficiency_fit.hpp"

namespace llmsim::validate {

struct HeldOutPrediction {
  const PredictionCase* c = nullptr;
  double predicted_s = 0;  // by the fit that did not see c's group
  int fold = 0;
};

/// The group of a case: its shape key, or its hardware for leave-one-hardware-out.
using GroupOf = std::function<std::string(const PredictionCase&)>;

/// For each fold (k of them; k >= number of groups means leave-one-group-out), fits on the
/// other folds and predicts the cases of this one. `k` < 2 or fewer than 2 groups: InputError.
std::vector<HeldOutPrediction> cross_validate(const EfficiencyFit& fit, const std::vector<const PredictionCase*>& cases,
                                              const GroupOf& group_of, int k);

}  // namespace llmsim::validate
