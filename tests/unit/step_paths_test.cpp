// One decode step reached four ways: `predict`, `serve` at a very low rate, the step prediction
// `calibrate` fits against, and a Chakra export of the step replayed by `simulate_trace`. All
// four lower the same graph with the same lowering options and place it on the same device,
// so they must agree to SimGrid's time precision.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "fresh_process.hpp"
#include "hwmodels/catalog.hpp"
#include "profile_fixture.hpp"
#include "sim/predictor.hpp"
#include "sim/serving/serving_simulator.hpp"
#include "sim/serving/step_timer.hpp"
#include "sim/serving/workload.hpp"
#include "sim/simulation_context.hpp"
#include "sim/step_export.hpp"
#include "sim/trace_simulation.hpp"
#include "test_paths.hpp"
#include "validate/prediction/case_evaluator.hpp"
#include "validate/prediction/step_case_builder.hpp"
#include "validate/prediction/step_simulation.hpp"
#include "workloads/chakra/trace_importer.hpp"

using namespace llmsim;

namespace {

constexpr const char* kHardware = "h100-sxm5-80gb";
constexpr const char* kModel = "llama-3-8b";

sim::PredictRequest one_decode_step() {  // the step after a 512-token prompt, batch 1
  sim::PredictRequest r;
  r.hardware = kHardware;
  r.model = kModel;
  r.software = "vllm";
  r.dtype = "bf16";
  r.kv_dtype = "bf16";
  r.prompt = 512;
  r.gen = 1;
  return r;
}

}  // namespace

TEST_CASE("predict, serve, calibration's step prediction and Chakra replay time a decode step alike",
          "[sim][serving][chakra]") {
  const sim::DataPaths paths(test::source_dir());
  const auto predicted = test::in_fresh_process(
      [&] { return std::vector<double>{sim::Predictor(paths).predict(one_decode_step()).decode.seconds}; });

  // serve: one request of a 512-token prompt and 2 output tokens; the second comes from one
  // decode step over the 512 cached tokens. The profile is vLLM's kernels without its host work.
  const auto served = test::in_fresh_process([&] {
    sim::serving::ServeConfig c;
    c.hardware = kHardware;
    c.model = kModel;
    c.software = test::vllm_kernels_only();
    c.workload.lengths.distribution = "fixed";
    c.workload.lengths.prompt_mean = 512;
    c.workload.lengths.output_mean = 2;
    c.workload.rate = 0.001;
    c.workload.requests = 1;
    sim::serving::ServingSimulator s(paths, c);
    const auto r = s.run(sim::serving::make_requests(c.workload));
    return std::vector<double>{r.metrics.tpot_s.mean};
  });

  // calibrate: the step case of a decode row with batch 1, prompt 512, 1 step.
  const auto gpu = hwmodels::Catalog(paths.catalog()).load(kHardware).devices_of(hwmodels::DeviceKind::gpu)[0]->id;
  validate::StepSpec spec;
  spec.model = kModel;
  spec.dtype = "bf16";
  spec.kv_dtype = "bf16";
  spec.prompt = 512;
  spec.gen = 1;
  const auto calibrated = validate::simulate_steps(paths, kHardware, gpu, "vllm", {spec}, 1);
  REQUIRE(calibrated.size() == 1);
  REQUIRE(calibrated[0].seconds);

  // Chakra: the step exported as an execution trace and replayed from it.
  const auto dir = std::filesystem::temp_directory_path() / ("llmsim-step-paths-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string prefix = (dir / "decode").string();
  const auto replayed = test::in_fresh_process([&] {
    sim::StepExportRequest e;
    e.request = one_decode_step();
    e.prefix = prefix;
    sim::export_step(paths, e);
    return std::vector<double>{};
  });
  const auto traced = test::in_fresh_process([&] {
    sim::TraceSimulationRequest q;
    q.hardware = kHardware;
    q.software = "vllm";
    return std::vector<double>{sim::simulate_trace(paths, chakra::import_trace(prefix, 1), q).seconds};
  });
  // SimGrid keeps time to about a nanosecond.
  CHECK(served[0] == Approx(predicted[0]).margin(1e-8));
  CHECK(*calibrated[0].seconds == Approx(predicted[0]).margin(1e-8));
  CHECK(traced[0] == Approx(predicted[0]).margin(1e-8));
  CHECK(predicted[0] > 1e-3);  // a real step of an 8B model: milliseconds, not nothing
  std::filesystem::remove_all(dir);
}

namespace other_stacks {

struct Case {
  std::string hardware, model, software, dtype, kv_dtype;
  int64_t context = 512;  // tokens cached before the decode step
};

sim::PredictRequest request_of(const Case& c) {
  sim::PredictRequest r;
  r.hardware = c.hardware;
  r.model = c.model;
  r.software = c.software;
  r.dtype = c.dtype;
  r.kv_dtype = c.kv_dtype;
  r.batch = 1;
  r.prompt = c.context;
  r.gen = 1;  // one decode step, at `context` cached tokens
  return r;
}

// One rank on the device predict would pick by default.
sim::PlacementSpec single_device(const sim::SimulationContext& ctx) {
  sim::PlacementSpec spec;
  spec.devices = {ctx.default_device()};
  return spec;
}

double predicted(const sim::DataPaths& paths, const Case& c) {
  return test::in_fresh_process(
      [&] { return std::vector<double>{sim::Predictor(paths).predict(request_of(c)).decode.seconds}; })[0];
}

// The serving step timer's time for one decode slot, less the engine's host work (which only
// serve models; docs/serving.md).
double served(const sim::DataPaths& paths, const Case& c) {
  return test::in_fresh_process([&] {
    const sim::SimulationContext ctx(paths, c.hardware, c.model, c.software, c.dtype, c.kv_dtype);
    const sim::Deployment d = sim::make_deployment(ctx, single_device(ctx), 1, 1, {});
    sim::serving::StepTimer timer(ctx, d, 16);
    sim::serving::ScheduledStep step;
    step.slots.push_back({0, 1, c.context, true, true});
    REQUIRE(timer.padded_batch(step) == 1);
    return std::vector<double>{timer.seconds(step) - timer.host_seconds(step)};
  })[0];
}

// What calibration's fits evaluate for a decode_step record of this step.
double calibrated(const sim::DataPaths& paths, const Case& c) {
  return test::in_fresh_process([&] {
    const sim::SimulationContext ctx(paths, c.hardware, c.model, c.software, c.dtype, c.kv_dtype);
    const sim::Deployment d = sim::make_deployment(ctx, single_device(ctx), 1, 1, {});
    const sim::DeviceModel& device = ctx.devices[d.primary];
    validate::StepCaseBuilder builder(paths, ctx.formats);
    validate::StepSpec spec;
    spec.model = c.model;
    spec.dtype = c.dtype;
    spec.kv_dtype = c.kv_dtype;
    spec.prompt = c.context;
    spec.gen = 1;
    validate::PredictionCase pc;
    pc.ops = builder.step_ops(spec, device, ctx.profile);
    return std::vector<double>{validate::predict_seconds(pc, device, validate::parameters_of(device))};
  })[0];
}

double replayed(const sim::DataPaths& paths, const Case& c) {
  const auto dir = std::filesystem::temp_directory_path() / ("llmsim-agree-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string prefix = (dir / c.model).string();
  test::in_fresh_process([&] {
    sim::StepExportRequest e;
    e.request = request_of(c);
    e.prefix = prefix;
    sim::export_step(paths, e);
    return std::vector<double>{};
  });
  const double t = test::in_fresh_process([&] {
    sim::TraceSimulationRequest q;
    q.hardware = c.hardware;
    q.software = c.software;
    return std::vector<double>{sim::simulate_trace(paths, chakra::import_trace(prefix, 1), q).seconds};
  })[0];
  std::filesystem::remove_all(dir);
  return t;
}

}  // namespace other_stacks

// The same agreement on other stacks and devices, through the lower-level paths: the serving
// step timer with the engine's host work taken off, and the roofline sum of the lowered ops that
// calibration's fits evaluate without SimGrid (single-stream stacks take exactly that long).
TEST_CASE("the step timer and the fits' roofline sum match predict on GPU and CPU stacks", "[sim][serving][chakra]") {
  const sim::DataPaths paths(test::source_dir());
  using namespace other_stacks;
  const Case c = GENERATE(Case{"h100-sxm5-80gb", "llama-3.2-1b", "vllm", "bf16", "bf16"},
                          Case{"rtx-4090", "llama-3.2-1b", "llama.cpp", "q4_0", "f16"},
                          Case{"ryzen-9-7950x", "gpt2", "llama.cpp", "f32", "f16"});
  INFO(c.hardware << " " << c.model << " " << c.software << " " << c.dtype);
  const double p = predicted(paths, c);
  REQUIRE(p > 0);
  CHECK(served(paths, c) == Approx(p).epsilon(1e-9));
  CHECK(calibrated(paths, c) == Approx(p).epsilon(1e-9));
  CHECK(replayed(paths, c) == Approx(p).epsilon(1e-9));
}

TEST_CASE("a step's result puts each op's time under one typed bound, summed once", "[sim]") {
  const sim::DataPaths paths(test::source_dir());
  // Returned: the phase's ops, the sum of its bounds, the sum of its ops' issued-to-end times
  // (seen by an observer), 1 if the largest bound is the H100's HBM, the sum of its groups.
  const auto r = test::in_fresh_process([&] {
    double took = 0, ops = 0;
    const sim::StepObserver observer = [&](const sim::StepView& v) {
      if (v.phase != "decode") return;
      for (const auto& t : *v.timings) took += t.end - t.issued;
      ops += static_cast<double>(v.graph->size());
    };
    const auto p = sim::Predictor(paths).predict(one_decode_step(), {observer});
    double bounds = 0, groups = 0;
    for (const auto& [bound, s] : p.decode.seconds_by_bound) bounds += s;
    for (const auto& [group, s] : p.decode.seconds_by_group) groups += s;
    return std::vector<double>{p.decode.ops, ops, bounds, took, p.decode.bound() == "memory:vram" ? 1.0 : 0.0, groups};
  });
  REQUIRE(r.size() == 6);
  CHECK(r[0] == r[1]);                                // every placed op counted once
  CHECK(r[2] == Approx(r[3]).epsilon(1e-9));          // launch + alone + contention = issued to end, per op
  CHECK(r[4] == 1.0);                                 // batch-1 decode of 8B bf16 weights reads HBM
  CHECK(r[5] == Approx(r[3]).epsilon(1e-9));          // and each op is in one group
}
