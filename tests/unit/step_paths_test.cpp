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
#include "sim/serving/workload.hpp"
#include "sim/step_export.hpp"
#include "sim/trace_simulation.hpp"
#include "test_paths.hpp"
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

TEST_CASE("predict, serve, calibration's step prediction and Chakra replay time a decode step alike", "[sim][serving][chakra]") {
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
