#include "sim/prediction.hpp"

namespace llmsim::sim {

std::string PhaseResult::bound() const {
  std::string best;
  double best_seconds = -1;
  for (const auto& [name, seconds] : seconds_by_bound) {
    if (seconds > best_seconds) {
      best = name;
      best_seconds = seconds;
    }
  }
  return best;
}

double PhaseResult::bound_share() const {
  double total = 0;
  for (const auto& [name, seconds] : seconds_by_bound) total += seconds;
  auto it = seconds_by_bound.find(bound());
  return total > 0 && it != seconds_by_bound.end() ? it->second / total : 0.0;
}

std::string Prediction::bound() const {
  if (decode.steps == 0) return prefill.bound();
  if (prefill.steps == 0) return decode.bound();
  return decode.seconds >= prefill.seconds ? decode.bound() : prefill.bound();
}

}  // namespace llmsim::sim
