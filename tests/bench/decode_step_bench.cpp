// How fast the simulator itself is: simulated ops per second for one decode step of
// Llama-3-70B (80 layers, ~1,900 ops with llama.cpp's kernel split) on an H100, and
// the cost of lowering that step. Run: build/tests/llmsim_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <memory>

#include "hwmodels/catalog.hpp"
#include "hwmodels/memory_kinds.hpp"
#include "sim/data_paths.hpp"
#include "sim/executor.hpp"
#include "sim/op_cost.hpp"
#include "workloads/lowering.hpp"
#include "workloads/model_registry.hpp"

using namespace llmsim;

namespace {

// Everything is built once: SimGrid allows one engine per process.
struct Setup {
  sim::DataPaths paths{LLMSIM_SOURCE_DIR};
  hwmodels::System system = hwmodels::Catalog(paths.catalog()).load("h100-sxm5-80gb");
  hwmodels::SoftwareProfile profile = hwmodels::ProfileSet(paths.profiles()).load("llama.cpp");
  hwmodels::MemoryKinds kinds = hwmodels::MemoryKinds::load(paths.memory_kinds());
  workloads::FormatTable formats = workloads::FormatTable::load(paths.formats());
  workloads::ModelConfig model = workloads::ModelRegistry(paths.models(), paths.model_defaults()).load("llama-3-70b");
  workloads::ModelWeights weights{model, formats, formats.mix("q4_k_m")};
  std::vector<sim::DeviceModel> devices{sim::make_device_model(system, system.devices[0], profile, kinds)};
  sim::Platform platform{system, devices};
  sim::Executor executor{platform};

  workloads::LoweringOptions options(int64_t batch) const {
    workloads::LoweringOptions o;
    o.batch = batch;
    o.new_tokens = 1;
    o.past_tokens = 1024;
    o.kv_format = &formats.format("f16");
    o.activation_format = &formats.format("f32");
    o.kernels_per_op = profile.kernels_per_op;
    return o;
  }
};

Setup& setup() {
  static Setup s;
  return s;
}

void BM_SimulateDecodeStep(benchmark::State& state) {
  auto& s = setup();
  const auto graph = workloads::lower_step(s.model, s.weights, s.options(state.range(0)));
  std::vector<sim::PlannedOp> plan(graph.size());
  for (std::size_t v = 0; v < graph.size(); ++v) {
    const auto c = sim::cost_op(graph.op(v), s.devices[0]);
    // The device's own memory is the platform's first memory host.
    plan[v] = sim::PlannedOp::on_device(0, s.platform.device_host(0), s.platform.memory_host(0), c.launch_s,
                                        c.compute_s, c.link_bytes);
  }
  for (auto _ : state) benchmark::DoNotOptimize(s.executor.run(graph, plan, {1}));
  state.counters["ops"] = static_cast<double>(graph.size());
  state.counters["ops_per_s"] =
      benchmark::Counter(static_cast<double>(graph.size()) * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimulateDecodeStep)->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond);

void BM_LowerDecodeStep(benchmark::State& state) {
  auto& s = setup();
  std::size_t ops = 0;
  for (auto _ : state) {
    const auto graph = workloads::lower_step(s.model, s.weights, s.options(1));
    ops = graph.size();
    benchmark::DoNotOptimize(ops);
  }
  state.counters["ops_per_s"] =
      benchmark::Counter(static_cast<double>(ops) * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LowerDecodeStep)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
