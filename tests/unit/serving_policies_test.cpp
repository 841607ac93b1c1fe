// Serving behaviours checked against numbers worked out independently: admission policies,
// the prefix cache, closed-loop clients and queueing delay near saturation.
#include <catch2/catch.hpp>

#include <cmath>

#include "fresh_process.hpp"
#include "profile_fixture.hpp"
#include "common/input_error.hpp"
#include "sim/serving/continuous_scheduler.hpp"
#include "sim/serving/serving_metrics.hpp"
#include "sim/serving/serving_simulator.hpp"
#include "sim/serving/step_timer.hpp"
#include "sim/serving/workload.hpp"
#include "test_paths.hpp"

using namespace llmsim;
using namespace llmsim::sim::serving;
using Catch::Matchers::Contains;

namespace {

sim::DataPaths paths() { return sim::DataPaths(test::source_dir()); }

ServeConfig tiny(int64_t prompt, int64_t output) {
  ServeConfig c;
  c.hardware = "h100-sxm5-80gb";
  c.model = test::fixture("models/tiny-llama.json");
  c.software = test::vllm_kernels_only();  // host work is checked in serving_engine_test
  c.workload.lengths.distribution = "fixed";
  c.workload.lengths.prompt_mean = static_cast<double>(prompt);
  c.workload.lengths.output_mean = static_cast<double>(output);
  return c;
}

// Runs a scheduler on four 16-token prompts with 40 output tokens each until all finish;
// returns its preemptions and the most blocks it ever held.
std::pair<int64_t, int64_t> drive(const std::string& admission, int64_t blocks) {
  SchedulerConfig config;
  config.admission = admission;
  ContinuousScheduler s(config);
  KvBlockManager kv(blocks, 16);
  std::vector<RequestProgress> requests(4);
  ReplicaQueues q;
  for (std::size_t i = 0; i < 4; ++i) {
    requests[i].request = {static_cast<int64_t>(i), 0.0, 16, 40};
    q.waiting.push_back(i);
  }
  int64_t most = 0;
  for (int step = 0; step < 2000; ++step) {
    const ScheduledStep st = s.schedule(q, requests, kv, 0.0);
    most = std::max(most, kv.used());
    if (st.empty()) break;
    for (const Slot& slot : st.slots) {
      RequestProgress& r = requests[slot.request];
      r.computed += slot.new_tokens;
      r.generated += 1;
      if (r.done()) {
        kv.release(r.blocks);
        r.blocks = 0;
        q.running.erase(std::remove(q.running.begin(), q.running.end(), slot.request), q.running.end());
      }
    }
  }
  for (const auto& r : requests) CHECK(r.done());
  return {s.preemptions(), most};
}

}  // namespace

TEST_CASE("reserve-at-admission never evicts, allocate-as-you-go does under the same memory", "[serving]") {
  // Each request grows to 16 + 40 = 56 tokens = 4 blocks of 16. With 6 blocks, allocating as
  // tokens come admits all four (one block each) and must preempt later; reserving takes 4
  // blocks per request up front, so only one runs at a time and none is ever preempted.
  const auto [allocate_preemptions, allocate_most] = drive("allocate", 6);
  CHECK(allocate_preemptions > 0);
  CHECK(allocate_most <= 6);
  const auto [reserve_preemptions, reserve_most] = drive("reserve", 6);
  CHECK(reserve_preemptions == 0);
  CHECK(reserve_most == 4);  // one request's whole sequence at a time
  CHECK(drive("reserve", 16).first == 0);
  CHECK_THROWS_WITH(drive("lottery", 6), Contains("unknown admission policy 'lottery'") && Contains("reserve"));
}

TEST_CASE("a prefix hit rate of 1 skips the shared prefix's prefill", "[serving][sim]") {
  // One request at a time (rate 0.001/s). With a 64-token shared prefix cached, the prefill
  // computes the prompt's last 64 tokens attending to the 64 cached ones: TTFT is that step
  // plus the engine's host work for one sequence of 64 new tokens (profile values).
  auto ttft = [](double hit_rate) {  // mean and max TTFT of six lone requests
    return test::in_fresh_process([=] {
      auto c = tiny(128, 4);
      c.workload.rate = 0.001;
      c.workload.requests = 6;
      c.prefix_cache = {64, hit_rate};
      ServingSimulator s(paths(), c);
      const auto r = s.run(make_requests(c.workload));
      return std::vector<double>{r.metrics.ttft_s.mean, r.metrics.ttft_s.max};
    });
  };
  const auto steps = test::in_fresh_process([] {
    const auto c = tiny(128, 4);
    sim::SimulationContext ctx(paths(), c.hardware, c.model, c.software, "bf16", "bf16");
    sim::PlacementSpec spec;
    spec.devices = {ctx.system.devices_of(hwmodels::DeviceKind::gpu)[0]->id};
    const auto d = sim::make_deployment(ctx, spec, 1, 1, {});
    StepTimer timer(ctx, d, 16);
    workloads::LoweringOptions tail = d.base, whole = d.base;
    tail.sequences = {{64, 64, true}};
    whole.sequences = {{128, 0, true}};
    const auto& h = ctx.profile.serving;
    const double host64 = 1e-6 * (h.step_us + h.per_sequence_us + 64 * h.per_token_us);
    const double host128 = 1e-6 * (h.step_us + h.per_sequence_us + 128 * h.per_token_us);
    return std::vector<double>{timer.seconds(tail) + host64, timer.seconds(whole) + host128};
  });
  const auto all = ttft(1.0), none = ttft(0.0), some = ttft(0.5);
  const std::vector<double> v = {all[0], all[1], steps[0], steps[1], some[0], none[0]};
  CHECK(v[0] == Approx(v[2]).margin(1e-8));
  CHECK(v[1] == Approx(v[2]).margin(1e-8));
  CHECK(v[2] < v[3]);
  // Half the six requests hit: the mean TTFT is the average of the two cases.
  CHECK(v[4] == Approx((v[2] + v[3]) / 2).margin(1e-8));
  CHECK(v[5] == Approx(v[3]).margin(1e-8));  // no hits: the whole prompt
}

TEST_CASE("near saturation TTFT rises as single-server queueing theory says", "[serving][sim]") {
  // One request at a time (static batching, batch 1): each is served in a fixed time S
  // (prefill + 7 decode steps), arrivals are Poisson. That is an M/D/1 queue. At load
  // rho = 0.95 (95% of the simulated capacity 1/S):
  //  - each request's wait follows Lindley's recursion W' = max(0, W + S - gap) on the same
  //    arrival times, so the mean TTFT is exactly mean(W) + prefill;
  //  - Pollaczek-Khinchine gives the mean wait rho S / (2 (1 - rho)) = 9.5 S in the long run
  //    (the sample mean of 400,000 requests has a spread of about 3% at this load: 10% allowed);
  //  - TPOT does not change: nothing shares a step.
  auto config = [] {
    auto c = tiny(64, 8);
    c.scheduler.policy = "static";
    c.scheduler.max_batch = 1;
    c.scheduler.static_timeout_s = 0;
    return c;
  };
  const auto low = test::in_fresh_process([&] {
    auto c = config();
    c.workload.rate = 1e-3;
    c.workload.requests = 3;
    ServingSimulator alone(paths(), c);
    const auto r = alone.run(make_requests(c.workload));
    return std::vector<double>{r.metrics.e2e_s.mean, r.metrics.ttft_s.mean, r.metrics.tpot_s.mean};
  });
  auto busy = config();
  busy.workload.rate = 0.95 / low[0];
  busy.workload.requests = 400000;
  busy.workload.seed = 3;
  const auto requests = make_requests(busy.workload);
  const auto high = test::in_fresh_process([&] {
    ServingSimulator s(paths(), busy);
    const auto r = s.run(requests);
    return std::vector<double>{r.metrics.ttft_s.mean, r.metrics.tpot_s.mean};
  });
  double wait = 0, sum_wait = 0;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (i > 0) wait = std::max(0.0, wait + low[0] - (requests[i].arrival_s - requests[i - 1].arrival_s));
    sum_wait += wait;
  }
  const std::vector<double> v = {low[0], low[1], high[0], sum_wait / static_cast<double>(requests.size()), low[2],
                                 high[1]};
  const double service = v[0], prefill = v[1], ttft = v[2], lindley = v[3];
  CHECK(ttft == Approx(lindley + prefill).epsilon(1e-6));
  const double pollaczek_khinchine = 0.95 * service / (2 * (1 - 0.95));
  CHECK((ttft - prefill) == Approx(pollaczek_khinchine).epsilon(0.10));
  CHECK(ttft / prefill > 5);  // far above the low-load TTFT
  CHECK(v[5] == Approx(v[4]).epsilon(1e-9));
}

TEST_CASE("workloads refuse a bad dataset or concurrency and accept rate inf", "[serving][bad-input]") {
  WorkloadSpec w;
  w.rate = std::numeric_limits<double>::infinity();
  w.requests = 5;
  const auto all = make_requests(w);
  for (const auto& r : all) CHECK(r.arrival_s == 0);
  w.max_concurrency = -1;
  CHECK_THROWS_WITH(make_requests(w), Contains("max_concurrency"));
  w.max_concurrency = 0;
  w.dataset = test::write_temp("bad.json", "[\n {\"id\": 1,\n  \"conversations\": [}\n]\n");
  CHECK_THROWS_WITH(make_requests(w), Contains("bad.json:3") && Contains("malformed JSON"));
}

TEST_CASE("the steady window leaves out the ramp-up and the drain", "[serving]") {
  // Eleven requests sent at t = 0, 1, ..., 10 s, each served in 0.5 s with 5 tokens. The
  // nearest-rank 10th and 90th percentile sends are t = 1 and t = 9: the window is 8 s and
  // holds the requests sent at 1..8. The one sent at 4 misses the TTFT limit.
  std::vector<RequestProgress> table(11);
  for (std::size_t i = 0; i < table.size(); ++i) {
    auto& r = table[i];
    r.request = {static_cast<int64_t>(i), static_cast<double>(i), 10, 5};
    r.first_token_s = r.request.arrival_s + (i == 4 ? 3.0 : 0.1);
    r.finish_s = r.first_token_s + 0.4;
    r.first_scheduled_s = r.request.arrival_s;
    r.generated = 5;
  }
  Slo slo;
  slo.ttft_s = 1.0;
  slo.tpot_s = 1.0;
  const auto m = compute_metrics(table, slo, 1);
  CHECK(m.arrival_rate_per_s == Approx(1.0));
  CHECK(m.steady_window_s == Approx(8.0));
  CHECK(m.steady_goodput_requests_per_s == Approx(7.0 / 8.0));
  CHECK(m.steady_output_tokens_per_s == Approx(8 * 5 / 8.0));
  // The whole run's goodput divides by first send to last finish: 10 of 11 over 13.4 s.
  CHECK(m.goodput_requests_per_s == Approx(10 / 10.5));
}

TEST_CASE("speculative decoding yields the expected accepted tokens per verification step", "[serving][sim]") {
  // One request, 64-token prompt, 13 output tokens: the prefill gives the first, and 12 come
  // from decode steps that each verify 3 proposed tokens with the last one (4 new tokens).
  // Acceptance 1: every step yields 4 tokens, 3 steps at 64, 68 and 72 cached tokens.
  // Acceptance 0.5: (1 - 0.5^4) / 0.5 = 1.875 tokens per step: 7 steps to reach 12.
  auto run = [](double acceptance) {
    return test::in_fresh_process([=] {
      auto c = tiny(64, 13);
      c.workload.rate = 0.001;
      c.workload.requests = 1;
      c.speculative = {"ngram", 3, acceptance};
      c.scheduler.speculative_tokens = 3;
      ServingSimulator s(paths(), c);
      const auto r = s.run(make_requests(c.workload));
      const auto& q = r.requests[0];
      return std::vector<double>{q.finish_s - q.first_token_s, static_cast<double>(r.replicas[0].steps),
                                 static_cast<double>(q.generated)};
    });
  };
  const auto steps = test::in_fresh_process([] {
    const auto c = tiny(64, 13);
    sim::SimulationContext ctx(paths(), c.hardware, c.model, c.software, "bf16", "bf16");
    sim::PlacementSpec spec;
    spec.devices = {ctx.system.devices_of(hwmodels::DeviceKind::gpu)[0]->id};
    const auto d = sim::make_deployment(ctx, spec, 1, 1, {});
    StepTimer timer(ctx, d, 16);
    const auto& h = ctx.profile.serving;
    double total = 0;
    for (int64_t past : {64, 68, 72}) {
      workloads::LoweringOptions o = d.base;
      o.sequences = {{4, past, true}};
      total += timer.seconds(o) + 1e-6 * (h.step_us + h.per_sequence_us + 4 * h.per_token_us);
    }
    return std::vector<double>{total};
  });
  const auto all = run(1.0);
  CHECK(all[0] == Approx(steps[0]).margin(1e-8));
  CHECK(all[1] == 4);  // prefill + 3 verification steps
  CHECK(all[2] == 13);
  const auto half = run(0.5);
  CHECK(half[1] == 8);  // prefill + 7
  CHECK(half[2] == 13);
}
