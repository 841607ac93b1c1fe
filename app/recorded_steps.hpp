// A per-op table and a trace keep every simulated step in memory until they are written, so the
// steps a run records are bounded (docs/reliability.md, "Limits"): 20,000 steps of ~300 ops are
// a few hundred MB; a million-step `run` reached 10 GB within a minute before this bound.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>

#include "common/input_error.hpp"
#include "sim/prediction.hpp"

namespace llmsim::cli {

inline constexpr int64_t kMaxRecordedSteps = 20'000;

/// Steps a prediction simulates: every decode step plus the prompt's chunks (256 tokens each
/// at most, the smallest chunk a profile uses).
inline int64_t recorded_steps(const sim::PredictRequest& r) { return r.gen + (r.prompt + 255) / 256; }

/// InputError naming `where` when recording every step of `r` would pass the bound.
inline void check_recorded_steps(const sim::PredictRequest& r, const std::string& where, const std::string& advice) {
  const int64_t steps = recorded_steps(r);
  if (steps > kMaxRecordedSteps) {
    throw InputError(where, fmt::format("records every step in memory: at most {} steps (gen plus prompt / 256), "
                                        "got {}; {}",
                                        kMaxRecordedSteps, steps, advice));
  }
}

}  // namespace llmsim::cli
