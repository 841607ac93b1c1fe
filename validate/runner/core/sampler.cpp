#include "validate/runner/core/sampler.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "validate/runner/core/sample_stats.hpp"

namespace llmsim::bench {

namespace {

double since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Fewer samples than this make a median and p90 meaningless, whatever the time cap says.
constexpr int kFloorSamples = 3;

}  // namespace

SampleSet Sampler::measure(const std::function<double(std::int64_t)>& timed_calls) const {
  const auto start = std::chrono::steady_clock::now();
  SampleSet set;
  // Warm-up: caches, page faults, clocks and thread pools settle; the fastest call
  // estimates how many calls make one sample.
  double fastest = 0;
  while (set.warmup_calls < 2 || since(start) < policy_.warmup_s) {
    const double t = timed_calls(1);
    fastest = set.warmup_calls == 0 ? t : std::min(fastest, t);
    ++set.warmup_calls;
    if (since(start) > 0.5 * policy_.max_time_s) break;
  }
  set.warmup_s = since(start);
  const double per_call = std::max(fastest, 1e-9);
  set.calls_per_sample =
      std::clamp<std::int64_t>(static_cast<std::int64_t>(std::ceil(policy_.min_sample_s / per_call)), 1, 1'000'000);

  double last_median = 0;
  int quiet_checks = 0;
  std::size_t next_check = static_cast<std::size_t>(std::max(policy_.min_samples, kFloorSamples));
  for (;;) {
    const double t = timed_calls(set.calls_per_sample);
    set.per_call_s.push_back(t / static_cast<double>(set.calls_per_sample));
    const std::size_t n = set.per_call_s.size();
    if (n >= next_check) {
      // Stable: the median moved less than the tolerance at two checkpoints in a row,
      // the checkpoints being ~25% more samples apart.
      const double median = median_of(set.per_call_s);
      const bool quiet = last_median > 0 && std::abs(median - last_median) <= policy_.stable_tolerance * last_median;
      quiet_checks = quiet ? quiet_checks + 1 : 0;
      last_median = median;
      next_check = std::max(n + 2, static_cast<std::size_t>(std::ceil(static_cast<double>(n) * 1.25)));
      if (quiet_checks >= 2 && since(start) >= policy_.min_time_s) {
        set.stable = true;
        break;
      }
    }
    const bool out_of_samples = static_cast<int>(n) >= policy_.max_samples;
    const bool out_of_time = since(start) >= policy_.max_time_s;
    if ((out_of_samples || out_of_time) && static_cast<int>(n) >= kFloorSamples) {
      set.capped = true;
      break;
    }
  }
  set.total_s = since(start);
  return set;
}

}  // namespace llmsim::bench
