// One step, four front ends: predict (the step runner on SimGrid), serve (its step timer, with
// representative layers and the engine's host work taken off), calibrate (the roofline sum of
// the lowered ops that the fits evaluate without SimGrid) and Chakra (the step exported as an
// execution trace, imported and replayed) must give the same device time for the same decode
// step on the same device. Each is computed by its own code path; none is derived from another.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "fresh_process.hpp"
#include "sim/predictor.hpp"
#include "sim/serving/step_timer.hpp"
#include "sim/simulation_context.hpp"
#include "sim/step_export.hpp"
#include "sim/trace_simulation.hpp"
#include "test_paths.hpp"
#include "validate/prediction/case_evaluator.hpp"
#include "validate/prediction/step_case_builder.hpp"
#include "workloads/chakra/trace_importer.hpp"

using namespace llmsim;

namespace {

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
  return test::in_fresh_process([&] {
    return std::vector<double>{sim::Predictor(paths).predict(request_of(c)).decode.seconds};
  })[0];
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

}  // namespace

TEST_CASE("predict, serve, calibrate and Chakra replay time one decode step alike", "[sim][pipeline]") {
  const sim::DataPaths paths(test::source_dir());
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
