#include <catch2/catch.hpp>

#include <fstream>
#include <set>

#include "fresh_process.hpp"
#include "profile_fixture.hpp"
#include "common/input_error.hpp"
#include "sim/predictor.hpp"
#include "sim/serving/continuous_scheduler.hpp"
#include "sim/serving/prefill_first_scheduler.hpp"
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

// Full-graph simulation of a batch versus StepTimer (representative layers, symmetric ranks).
std::vector<double> full_and_timed(const std::string& hardware, const std::string& model, const std::string& software,
                                   int tp, const std::vector<workloads::SequenceWork>& batch,
                                   const std::string& dtype = "bf16") {
  return test::in_fresh_process([=] {
    sim::SimulationContext c(paths(), hardware, model, software, dtype, "bf16");
    sim::PlacementSpec spec;
    const auto gpus = c.system.devices_of(hwmodels::DeviceKind::gpu);
    for (int i = 0; i < tp; ++i) spec.devices.push_back(gpus[static_cast<std::size_t>(i)]->id);
    const auto d = sim::make_deployment(c, spec, tp, 1, {});
    workloads::LoweringOptions o = d.base;
    o.sequences = batch;
    const auto placed = d.placer->place(workloads::lower_step(c.model, *c.weights, o));
    sim::Executor executor(*c.platform);
    const double begin = c.platform->now();
    executor.run(placed.graph, placed.plan, d.placer->stream_limits());
    const double full = c.platform->now() - begin;
    StepTimer timer(c, d, 16);
    return std::vector<double>{full, timer.seconds(o), timer.symmetric() ? 1.0 : 0.0};
  });
}

ServeConfig tiny_config() {
  ServeConfig c;
  c.hardware = "h100-sxm5-80gb";
  c.model = test::fixture("models/tiny-llama.json");
  c.software = test::vllm_kernels_only();  // kernels only: steps take what predict computes
  c.workload.lengths.distribution = "fixed";
  c.workload.lengths.prompt_mean = 128;
  c.workload.lengths.output_mean = 10;
  return c;
}

}  // namespace

TEST_CASE("a step timed from representative layers equals the whole step simulated", "[serving][sim]") {
  const std::vector<workloads::SequenceWork> ragged = {{40, 0, true}, {1, 100, true}, {1, 300, true}};
  // Equal to SimGrid's time precision (about a nanosecond; 10 ns allowed).
  auto v = full_and_timed("rtx-4090", "llama-3-8b", "llama.cpp", 1, ragged);
  CHECK(v[1] == Approx(v[0]).margin(1e-8));
  v = full_and_timed("h100-sxm5-80gb", "gemma-3-1b", "vllm", 1, {{700, 0, true}, {1, 5000, true}});
  CHECK(v[1] == Approx(v[0]).margin(1e-8));  // sliding-window and global layers
  v = full_and_timed("rtx-4090", "llama-3-8b", "llama.cpp", 1, ragged, "q4_k_m");
  CHECK(v[1] == Approx(v[0]).margin(1e-8));  // Q4_K_M: some layers' ffn_down and attn_v are Q6_K
  v = full_and_timed("dgx-h100", "llama-3-8b", "vllm", 4, ragged);
  CHECK(v[2] == 1.0);  // NVSwitch ranks are alike: rank 0 alone is simulated
  CHECK(v[1] == Approx(v[0]).margin(1e-8));
}

TEST_CASE("the KV cache never hands out more blocks than it has", "[serving]") {
  KvBlockManager kv(10, 16);
  CHECK(kv.blocks_for(1) == 1);
  CHECK(kv.blocks_for(16) == 1);
  CHECK(kv.blocks_for(17) == 2);
  CHECK(kv.allocate(7));
  CHECK_FALSE(kv.allocate(4));  // only 3 left: refused, nothing taken
  CHECK(kv.used() == 7);
  CHECK(kv.allocate(3));
  CHECK(kv.free() == 0);
  kv.release(5);
  CHECK(kv.used() == 5);
  CHECK(kv.peak() == 10);
}

TEST_CASE("continuous batching preempts when, and only when, blocks run out", "[serving]") {
  // Four requests of a 16-token prompt and 40 output tokens: each grows to 4 blocks of 16.
  auto run = [](int64_t blocks, int64_t& most_used, int64_t& preempted_while_free) {
    SchedulerConfig config;
    ContinuousScheduler s(config);
    KvBlockManager kv(blocks, 16);
    std::vector<RequestProgress> requests(4);
    ReplicaQueues q;
    for (std::size_t i = 0; i < 4; ++i) {
      requests[i].request = {static_cast<int64_t>(i), 0.0, 16, 40};
      q.waiting.push_back(i);
    }
    most_used = 0;
    preempted_while_free = 0;
    for (int step = 0; step < 1000; ++step) {
      const int64_t before = s.preemptions();
      const int64_t free_before = kv.free();
      std::size_t needing = 0;  // running decodes that cross a block boundary this step
      for (std::size_t i : q.running) needing += kv.blocks_for(requests[i].computed + 1) > requests[i].blocks;
      const ScheduledStep st = s.schedule(q, requests, kv, 0.0);
      if (s.preemptions() > before && static_cast<int64_t>(needing) <= free_before) ++preempted_while_free;
      most_used = std::max(most_used, kv.used());
      if (st.empty()) break;
      for (const Slot& slot : st.slots) {  // apply the step as the simulator does
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
    return s.preemptions();
  };
  int64_t most = 0, bad = 0;
  CHECK(run(16, most, bad) == 0);  // 4 x 4 blocks: everything fits
  CHECK(most <= 16);
  const int64_t preemptions = run(6, most, bad);
  CHECK(preemptions > 0);
  CHECK(most <= 6);
  CHECK(bad == 0);
}

TEST_CASE("prefill-first (SGLang) chunks a long prompt and never mixes decodes into a prefill step", "[serving]") {
  // An 8-token budget and two waiting prompts of 6 and 5 tokens (3 output tokens each).
  // Step 1 prefills A whole (6) and B's first 2; step 2 finishes B's prompt (3) while A, already
  // prefilled, waits; step 3 decodes both. vLLM's chunked policy would decode A in step 2.
  auto run = [](Scheduler& s) {
    KvBlockManager kv(100, 16);
    std::vector<RequestProgress> requests(2);
    ReplicaQueues q;
    requests[0].request = {0, 0.0, 6, 3};
    requests[1].request = {1, 0.0, 5, 3};
    q.waiting = {0, 1};
    std::vector<std::vector<Slot>> steps;
    for (int i = 0; i < 3; ++i) {
      const ScheduledStep st = s.schedule(q, requests, kv, 0.0);
      steps.push_back(st.slots);
      for (const Slot& slot : st.slots) {
        RequestProgress& r = requests[slot.request];
        r.computed += slot.new_tokens;
        r.generated += slot.produces_token ? 1 : 0;
      }
    }
    return steps;
  };
  SchedulerConfig config;
  config.max_batched_tokens = 8;
  config.chunk_tokens = 8;
  PrefillFirstScheduler prefill_first(config);
  const auto p = run(prefill_first);
  REQUIRE(p[0].size() == 2);
  CHECK((p[0][0].request == 0 && p[0][0].new_tokens == 6 && p[0][0].produces_token && !p[0][0].decode));
  CHECK((p[0][1].request == 1 && p[0][1].new_tokens == 2 && !p[0][1].produces_token));
  REQUIRE(p[1].size() == 1);
  CHECK((p[1][0].request == 1 && p[1][0].new_tokens == 3 && p[1][0].past_tokens == 2 && p[1][0].produces_token));
  REQUIRE(p[2].size() == 2);
  CHECK((p[2][0].decode && p[2][1].decode && p[2][0].past_tokens == 6 && p[2][1].past_tokens == 5));
  ChunkedScheduler chunked(config);
  const auto c = run(chunked);
  REQUIRE(c[1].size() == 2);
  CHECK((c[1][0].request == 0 && c[1][0].decode));  // the mixed step
  CHECK((c[1][1].request == 1 && c[1][1].new_tokens == 3));
}

TEST_CASE("a step without a captured graph pays the eager host time of every kernel it launches", "[serving][sim]") {
  // tiny-llama under vLLM's kernels: 2 layers x 10 kernels (norm, fused QKV, rope, KV store,
  // attention, O, norm, fused gate/up, activation, down; the residual adds are fused) plus the
  // embedding, final norm, LM head and sampling = 24 kernels a step. At 5 us each an eager
  // step costs 120 us more.
  const auto v = test::in_fresh_process([] {
    sim::SimulationContext c(paths(), "h100-sxm5-80gb", test::fixture("models/tiny-llama.json"),
                             test::vllm_kernels_only(), "bf16", "bf16");
    c.profile.serving.eager_kernel_us = 5;
    c.profile.serving.graph_max_context = 100;
    c.profile.serving.graph_batch_sizes = {1, 2, 4};
    sim::PlacementSpec spec;
    spec.devices = {c.system.first_device(hwmodels::DeviceKind::gpu)->id};
    const auto d = sim::make_deployment(c, spec, 1, 1, {});
    StepTimer timer(c, d, 16);
    auto step_of = [](std::vector<Slot> slots) {
      ScheduledStep st;
      st.slots = std::move(slots);
      return st;
    };
    const auto prefill = step_of({{0, 20, 0, true, false}});
    const auto decode_two = step_of({{0, 1, 50, true, true}, {1, 1, 60, true, true}});
    const auto long_context = step_of({{0, 1, 150, true, true}});
    const auto five = step_of({{0, 1, 5, true, true}, {1, 1, 5, true, true}, {2, 1, 5, true, true},
                               {3, 1, 5, true, true}, {4, 1, 5, true, true}});
    return std::vector<double>{timer.kernels_per_step(), timer.eager_seconds(prefill), timer.eager_seconds(decode_two),
                               timer.eager_seconds(long_context), timer.eager_seconds(five)};
  });
  CHECK(v[0] == 24);
  CHECK(v[1] == Approx(120e-6));  // a prompt step
  CHECK(v[2] == 0);               // decode-only, batch 2 <= 4, contexts <= 100: the graph replays
  CHECK(v[3] == Approx(120e-6));  // a context above graph_max_context
  CHECK(v[4] == Approx(120e-6));  // above the largest captured batch
}

TEST_CASE("percentiles are nearest-rank values", "[serving]") {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  CHECK(percentile(v, 50) == 50);
  CHECK(percentile(v, 99) == 99);
  CHECK(percentile(v, 100) == 100);
  CHECK(percentile({3, 1, 2}, 50) == 2);
  CHECK(percentile({}, 50) == 0);
}

TEST_CASE("requests are drawn reproducibly from the seed", "[serving]") {
  WorkloadSpec w;
  w.rate = 4;
  w.requests = 20000;
  w.seed = 11;
  const auto a = make_requests(w);
  const auto b = make_requests(w);
  REQUIRE(a.size() == 20000);
  CHECK(a.back().arrival_s == b.back().arrival_s);
  CHECK(a[123].prompt_tokens == b[123].prompt_tokens);
  // Poisson at 4/s: the mean gap is 1/4 s (within 2% for 20000 gaps).
  CHECK(a.back().arrival_s / 20000 == Approx(0.25).epsilon(0.02));
  double prompts = 0;
  for (const auto& r : a) prompts += static_cast<double>(r.prompt_tokens);
  CHECK(prompts / 20000 == Approx(161.3).epsilon(0.05));  // ShareGPT mean prompt (clipped tail)
  w.seed = 12;
  CHECK(make_requests(w).back().arrival_s != a.back().arrival_s);
}

TEST_CASE("a range ratio draws lengths uniformly within +-r of the given ones, as vllm bench serve", "[serving]") {
  WorkloadSpec w;
  w.rate = 4;
  w.requests = 20000;
  w.lengths.distribution = "uniform";
  w.lengths.prompt_mean = 1000;
  w.lengths.output_mean = 100;
  w.lengths.range_ratio = 0.15;  // prompts 850..1150, outputs 85..115 (whole numbers, ends included)
  const auto a = make_requests(w);
  int64_t low = 1 << 30, high = 0, out_low = 1 << 30, out_high = 0;
  double sum = 0;
  std::set<int64_t> seen;
  for (const auto& r : a) {
    low = std::min(low, r.prompt_tokens), high = std::max(high, r.prompt_tokens);
    out_low = std::min(out_low, r.output_tokens), out_high = std::max(out_high, r.output_tokens);
    sum += static_cast<double>(r.prompt_tokens);
    seen.insert(r.output_tokens);
  }
  CHECK(low == 850);
  CHECK(high == 1150);
  CHECK(out_low == 85);
  CHECK(out_high == 115);
  CHECK(seen.size() == 31);  // every output length of 85..115 drawn from 20000 requests
  // Uniform on 850..1150: mean 1000, standard deviation 301/sqrt(12) = 86.9; the mean of 20000
  // draws is within 4 standard errors (4 x 0.61) of 1000.
  CHECK(std::abs(sum / 20000 - 1000) < 2.5);
  w.lengths.range_ratio = 1.5;
  CHECK_THROWS_WITH(make_requests(w), Contains("range_ratio"));
}

TEST_CASE("bad workloads are refused", "[serving][bad-input]") {
  WorkloadSpec w;
  w.rate = 0;
  CHECK_THROWS_WITH(make_requests(w), Contains("rate") && Contains("positive"));
  w.rate = -2;
  CHECK_THROWS_WITH(make_requests(w), Contains("positive"));
  const auto missing = test::write_temp("trace.csv", "arrival_s,prompt_tokens\n0.5,10\n");
  CHECK_THROWS_WITH(read_request_trace(missing), Contains("trace.csv:1") && Contains("the header has no column 'output_tokens'"));
  const auto bad_value = test::write_temp("trace2.csv", "arrival_s,prompt_tokens,output_tokens\n0.5,ten,3\n");
  CHECK_THROWS_WITH(read_request_trace(bad_value), Contains("trace2.csv:2") && Contains("prompt_tokens"));
  const auto good = test::write_temp("trace3.csv", "output_tokens,arrival_s,prompt_tokens\n4,1.5,10\n3,0.5,20\n");
  const auto r = read_request_trace(good);
  REQUIRE(r.size() == 2);
  CHECK(r[0].arrival_s == 0.5);  // sorted by arrival
  CHECK(r[0].prompt_tokens == 20);
}

TEST_CASE("at a very low rate TTFT is the single-request prefill time plus the engine's own work", "[serving][sim]") {
  const auto served = test::in_fresh_process([] {
    auto c = tiny_config();
    c.software = "vllm";  // with the engine's host work and front end
    c.workload.rate = 0.001;  // one request every ~1000 s: never two at once
    c.workload.requests = 5;
    ServingSimulator s(paths(), c);
    const auto r = s.run(make_requests(c.workload));
    return std::vector<double>{r.metrics.ttft_s.mean, r.metrics.ttft_s.max, r.metrics.ttft_s.p50};
  });
  const auto predicted = test::in_fresh_process([] {
    sim::PredictRequest p;
    p.hardware = "h100-sxm5-80gb";
    p.model = test::fixture("models/tiny-llama.json");
    p.software = "vllm";
    p.dtype = "bf16";
    p.kv_dtype = "bf16";
    p.prompt = 128;
    p.gen = 0;
    const double prefill = sim::Predictor(paths()).predict(p).prefill.seconds;
    // The serving engine's own work around that step (profile `serving`): its host work for
    // one sequence of 128 new tokens and its front end per request.
    const auto profile = hwmodels::ProfileSet(paths().profiles()).load("vllm").serving;
    const double host = 1e-6 * (profile.step_us + profile.per_sequence_us + 128 * profile.per_token_us +
                                profile.request_us);
    return std::vector<double>{prefill + host};
  });
  // SimGrid keeps time to about a nanosecond: equal means within 10 ns here.
  CHECK(served[0] == Approx(predicted[0]).margin(1e-8));
  CHECK(served[1] == Approx(predicted[0]).margin(1e-8));
}

TEST_CASE("static batching serves batch x gen tokens per batch duration", "[serving][sim]") {
  // Eight identical requests at t = 0, batches of four: each batch is a prefill of 4 x 128
  // tokens and 9 decode steps (the prefill gives the first of the 10 tokens), exactly what
  // predict computes for batch 4, prompt 128, gen 9.
  const auto served = test::in_fresh_process([] {
    auto c = tiny_config();
    c.scheduler.policy = "static";
    c.scheduler.max_batch = 4;
    c.workload.arrival = sim::serving::ArrivalProcess::trace;
    std::string trace = "arrival_s,prompt_tokens,output_tokens\n";
    for (int i = 0; i < 8; ++i) trace += "0,128,10\n";
    c.workload.trace_file = test::write_temp("static.csv", trace);
    ServingSimulator s(paths(), c);
    const auto r = s.run(make_requests(c.workload));
    return std::vector<double>{r.metrics.makespan_s, r.metrics.output_tokens_per_s};
  });
  const auto batch = test::in_fresh_process([] {
    sim::PredictRequest p;
    p.hardware = "h100-sxm5-80gb";
    p.model = test::fixture("models/tiny-llama.json");
    p.software = "vllm";
    p.dtype = "bf16";
    p.kv_dtype = "bf16";
    p.batch = 4;
    p.prompt = 128;
    p.gen = 9;
    const auto pr = sim::Predictor(paths()).predict(p);
    return std::vector<double>{pr.prefill.seconds + pr.decode.seconds};
  });
  CHECK(served[0] == Approx(2 * batch[0]).margin(1e-8));
  CHECK(served[1] == Approx(4 * 10 / batch[0]).epsilon(1e-6));
}

TEST_CASE("a request that no step or cache can hold is refused before anything runs", "[serving][bad-input]") {
  CHECK_THROWS_WITH(test::in_fresh_process([] {
                      auto c = tiny_config();
                      c.scheduler.max_batched_tokens = 64;  // less than the 128-token prompts
                      ServingSimulator s(paths(), c);
                      s.run(make_requests(c.workload));
                      return std::vector<double>{};
                    }),
                    Contains("128-token prompt") && Contains("chunked"));
  CHECK_THROWS_WITH(test::in_fresh_process([] {
                      auto c = tiny_config();
                      c.model = "llama-3-8b";  // 128 KiB of KV per token: ~460k tokens fit in an H100
                      c.workload.lengths.prompt_mean = 1e6;
                      c.workload.lengths.prompt_max = 10'000'000;
                      c.scheduler.policy = "chunked";
                      ServingSimulator s(paths(), c);
                      s.run(make_requests(c.workload));
                      return std::vector<double>{};
                    }),
                    Contains("KV blocks"));
}
