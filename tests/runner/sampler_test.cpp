// The measurement loop and its statistics, driven by synthetic timers with known answers.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <thread>

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

TEST_CASE("min_time_s keeps a stable kernel sampling for that long before it may stop", "[sampler]") {
  TimingPolicy policy;
  policy.warmup_s = 0;
  policy.min_samples = 5;
  policy.min_sample_s = 0;
  policy.max_time_s = 10;
  // A steady 1 ms call (really slept, since the window is wall-clock time).
  const auto one_ms = [](std::int64_t calls) {
    std::this_thread::sleep_for(std::chrono::milliseconds(calls));
    return 1e-3 * static_cast<double>(calls);
  };
  const SampleSet quick = Sampler(policy).measure(one_ms);
  REQUIRE(quick.stable);
  // Without the floor it stops at the third checkpoint: 5, 7, 9 samples.
  CHECK(quick.per_call_s.size() == 9);

  policy.min_time_s = 0.08;
  const SampleSet spread = Sampler(policy).measure(one_ms);
  CHECK(spread.stable);
  CHECK_FALSE(spread.capped);
  CHECK(spread.total_s >= 0.08);
  // At >= 1 ms a call, 80 ms leaves room for at most ~78 samples after the 2 warm-up calls.
  CHECK(spread.per_call_s.size() > 20);
  CHECK(spread.per_call_s.size() <= 80);
}

TEST_CASE("drift: medians of consecutive parts of the samples, largest over smallest", "[sampler]") {
  // Steady: no drift however noisy the order, as long as every part sees the same values.
  std::vector<double> steady;
  for (int i = 0; i < 32; ++i) steady.push_back(i % 2 ? 1.0 : 1.1);
  CHECK(summarize(steady).drift == Approx(0.0));
  // 16 samples at 96 ms, then 48 at 168 ms (a core lost mid-case): 8 parts of 8; the first
  // two parts' median is 96, the rest 168, so drift = 168 / 96 - 1 = 0.75.
  std::vector<double> shifted(16, 0.096);
  shifted.insert(shifted.end(), 48, 0.168);
  const SampleStats s = summarize(shifted);
  CHECK(s.drift == Approx(0.75));
  CHECK(s.median == Approx(0.168));  // the median alone would not say anything moved
  // Fewer than 8 samples: too few parts to tell a shift from noise.
  CHECK(summarize({1, 1, 1, 2, 2, 2, 2}).drift == 0);
  // 8 samples make 2 parts of 4: medians 1 and 1.5.
  CHECK(summarize({1, 1, 1, 1, 1.5, 1.5, 1.5, 1.5}).drift == Approx(0.5));
}
