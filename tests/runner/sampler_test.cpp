// The measurement loop and its statistics, driven by synthetic timers with known answers.
#include <catch2/catch.hpp>

#include <cmath>

#include "validate/runner/core/sample_stats.hpp"
#include "validate/runner/core/sampler.hpp"

using namespace llmsim::bench;

TEST_CASE("summary statistics of 1..10", "[sampler]") {
  const SampleStats s = summarize({10, 9, 8, 7, 6, 5, 4, 3, 2, 1});
  CHECK(s.min == 1);
  CHECK(s.max == 10);
  CHECK(s.median == 5.5);
  CHECK(s.mean == 5.5);
  CHECK(s.p90 == 9);  // nearest rank: ceil(0.9 * 10) = 9th value
  CHECK(s.cv == Approx(std::sqrt(82.5 / 9) / 5.5));
  CHECK(summarize({4}).cv == 0);
  CHECK_THROWS(summarize({}));
}

TEST_CASE("a steady kernel is stable after the minimum samples, batched above the sample floor", "[sampler]") {
  TimingPolicy policy;
  policy.warmup_s = 0;
  policy.min_samples = 5;
  policy.min_sample_s = 1e-3;
  policy.max_time_s = 10;
  int calls_made = 0;
  // Each call "takes" 10 us; 100 calls make a 1 ms sample.
  const SampleSet set = Sampler(policy).measure([&](std::int64_t calls) {
    calls_made += static_cast<int>(calls);
    return 1e-5 * static_cast<double>(calls);
  });
  CHECK(set.stable);
  CHECK_FALSE(set.capped);
  CHECK(set.calls_per_sample == 100);
  CHECK(set.warmup_calls == 2);
  CHECK(set.per_call_s.size() >= 5);
  CHECK(summarize(set.per_call_s).median == Approx(1e-5));
}

TEST_CASE("a kernel whose median keeps drifting stops at the sample cap, marked capped", "[sampler]") {
  TimingPolicy policy;
  policy.warmup_s = 0;
  policy.min_samples = 3;
  policy.max_samples = 40;
  policy.min_sample_s = 0;
  double t = 1e-3;
  const SampleSet set = Sampler(policy).measure([&](std::int64_t) { return t *= 1.1; });
  CHECK(set.capped);
  CHECK_FALSE(set.stable);
  CHECK(set.per_call_s.size() == 40);
}

TEST_CASE("the time cap still leaves three samples", "[sampler]") {
  TimingPolicy policy;
  policy.warmup_s = 0;
  policy.max_time_s = 1e-9;
  const SampleSet set = Sampler(policy).measure([](std::int64_t calls) { return 1e-6 * static_cast<double>(calls); });
  CHECK(set.per_call_s.size() == 3);
  CHECK(set.capped);
}
