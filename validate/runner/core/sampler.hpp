// The measurement loop: warm up, batch calls so a sample is well above the timer's
// resolution, then take samples until the median stops moving or a cap is reached.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "validate/runner/core/timing_policy.hpp"

namespace llmsim::bench {

struct SampleSet {
  std::vector<double> per_call_s;  // one entry per sample: sample seconds / calls_per_sample
  std::int64_t calls_per_sample = 1;
  int warmup_calls = 0;
  double warmup_s = 0;
  bool stable = false;
  bool capped = false;
  double total_s = 0;  // wall time of warm-up and sampling
};

class Sampler {
 public:
  explicit Sampler(TimingPolicy policy) : policy_(policy) {}

  /// `timed_calls(c)` runs c back-to-back calls and returns the seconds they took.
  SampleSet measure(const std::function<double(std::int64_t)>& timed_calls) const;

  const TimingPolicy& policy() const { return policy_; }

 private:
  TimingPolicy policy_;
};

}  // namespace llmsim::bench
