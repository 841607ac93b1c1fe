#include "validate/calibration/cross_validation.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

#include "common/input_error.hpp"

namespace llmsim::validate {

std::vector<HeldOutPrediction> cross_validate(const EfficiencyFit& fit, const std::vector<const PredictionCase*>& cases,
                                              const GroupOf& group_of, int k) {
  std::set<std::string> groups;
  for (const auto* c : cases) groups.insert(group_of(*c));
  if (k < 2 || groups.size() < 2) {
    throw InputError("--folds", fmt::format("cross-validation needs at least 2 folds and 2 groups of measurements; "
                                            "got {} folds over {} group(s)",
                                            k, groups.size()));
  }
  const int folds = std::min<int>(k, static_cast<int>(groups.size()));
  std::map<std::string, int> fold_of;
  int next = 0;
  for (const auto& g : groups) fold_of[g] = next++ % folds;

  std::vector<HeldOutPrediction> out;
  for (int f = 0; f < folds; ++f) {
    std::vector<const PredictionCase*> train, test;
    for (const auto* c : cases) (fold_of[group_of(*c)] == f ? test : train).push_back(c);
    if (train.empty() || test.empty()) continue;
    const FitResult r = fit.fit(train);
    for (const auto* c : test) out.push_back(HeldOutPrediction{c, fit.predict(*c, r.values), f});
  }
  return out;
}

}  // namespace llmsim::validate
