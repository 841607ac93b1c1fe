#include "sim/trace_simulation.hpp"
#include "sim/step_result.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "hwmodels/catalog.hpp"
#include "common/input_error.hpp"
#include "hwmodels/memory_kinds.hpp"
#include "common/name_listing.hpp"
#include "hwmodels/software_profile.hpp"
#include "sim/executor.hpp"
#include "sim/placement.hpp"
#include "sim/platform.hpp"

namespace llmsim::sim {

using chakra::CostBasis;

namespace {

std::string default_device(const hwmodels::System& system) {
  for (auto kind : {hwmodels::DeviceKind::gpu, hwmodels::DeviceKind::npu, hwmodels::DeviceKind::cpu})
    if (const auto* d = system.first_device(kind)) return d->id;
  return system.devices.front().id;
}

PlacementSpec rank_placement(const hwmodels::System& system, const TraceSimulationRequest& request, int ranks) {
  PlacementSpec spec;
  spec.devices = request.devices;
  spec.collectives = request.collectives;
  if (!spec.devices.empty() && static_cast<int>(spec.devices.size()) != ranks) {
    throw InputError("--devices", fmt::format("{} rank(s) need one device each, got {}", ranks, spec.devices.size()));
  }
  if (spec.devices.empty() && ranks == 1) spec.devices = {default_device(system)};
  const auto gpus = system.devices_of(hwmodels::DeviceKind::gpu).size();
  if (spec.devices.empty() && static_cast<std::size_t>(ranks) > gpus) {
    throw InputError("--ranks", fmt::format("{} ranks need {} devices; system '{}' has {} GPU(s) (or name them with "
                                            "--devices)",
                                            ranks, ranks, system.id, gpus));
  }
  return spec;
}

// Replaces the cost model's time where the trace says otherwise: recorded durations
// (CPU ops, or everything with replay) and the num_ops roofline of ops without a shape.
void retime(PlacedStep& step, const chakra::ImportedTrace& trace, const TraceSimulationRequest& request,
            const std::vector<DeviceModel>& devices) {
  std::unordered_map<std::string, workloads::OpId> logical;
  for (workloads::OpId v = 0; v < trace.graph.size(); ++v) logical.emplace(trace.graph.op(v).name, v);
  for (std::size_t i = 0; i < step.graph.size(); ++i) {
    const workloads::Op& op = step.graph.op(i);
    if (op.kind == workloads::OpKind::transfer) continue;  // copies the placement added
    auto it = logical.find(op.name);
    if (it == logical.end()) continue;
    const CostBasis basis = trace.basis[it->second];
    OpCost& cost = step.costs[i];
    PlannedOp& plan = step.plan[i];
    if (basis == CostBasis::recorded || (request.replay && basis != CostBasis::none)) {
      cost = OpCost{};
      cost.compute_s = trace.recorded_s[it->second];
      plan.launch_s = 0;
      plan.work_s = cost.compute_s;
      plan.link_bytes = 0;
    } else if (basis == CostBasis::counts) {
      const DeviceModel& d = devices[step.device[i]];
      const double rate = d.peak(request.compute_dtype, &cost.compute_dtype) * d.efficiency.matmul.max_fraction;
      cost.efficiency = d.efficiency.matmul.max_fraction;
      cost.vector_path = false;
      cost.compute_s = op.flops / rate;
      plan.work_s = cost.compute_s;
    }
  }
}

}  // namespace

TraceSimulation simulate_trace(const DataPaths& paths, const chakra::ImportedTrace& trace,
                               const TraceSimulationRequest& request, const std::vector<StepObserver>& observers) {
  const std::vector<std::string> dtypes = {"f32", "tf32", "f16", "bf16", "fp8", "int8", "int4"};
  if (std::find(dtypes.begin(), dtypes.end(), request.compute_dtype) == dtypes.end()) {
    throw InputError("--compute-dtype",
                     fmt::format("unknown compute dtype '{}'; known: {}", request.compute_dtype, join_names(dtypes)));
  }
  const hwmodels::System system = hwmodels::Catalog(paths.catalog()).load(request.hardware);
  const hwmodels::SoftwareProfile profile = hwmodels::ProfileSet(paths.profiles()).load(request.software);
  const hwmodels::MemoryKinds kinds = hwmodels::MemoryKinds::load(paths.memory_kinds());
  std::vector<DeviceModel> devices;
  for (const auto& d : system.devices) devices.push_back(make_device_model(system, d, profile, kinds));
  Platform platform(system, devices);
  const Placer placer(system, platform, devices, rank_placement(system, request, trace.ranks), trace.ranks, {});

  PlacedStep step = placer.place(trace.graph);
  retime(step, trace, request, devices);
  Executor executor(platform);
  const double begin = platform.now();
  const std::vector<OpTiming> timings = executor.run(step.graph, step.plan, placer.stream_limits());

  TraceSimulation s;
  s.hardware_id = system.id;
  s.software = profile.id;
  s.replay = request.replay;
  s.ranks = trace.ranks;
  s.nodes = trace.nodes;
  s.ops = trace.graph.size();
  s.placed_ops = step.graph.size();
  s.node_types = trace.node_types;
  s.seconds = platform.now() - begin;
  const StepResult result = summarise_step(platform, step, timings, begin, platform.now());
  s.seconds_by_group = result.seconds_by_group;
  for (const auto& [bound, seconds] : result.seconds_by_bound) s.seconds_by_bound[label(bound, platform)] += seconds;
  for (int r = 0; r < trace.ranks; ++r) {
    workloads::Op probe;
    probe.rank = r;
    const auto busy = result.busy_by_rank.find(r);
    s.rank_times.push_back({r, platform.device_name(placer.device_for(probe)),
                            busy == result.busy_by_rank.end() ? 0.0 : busy->second});
  }
  for (const auto& observer : observers) {
    StepView view{
        "trace", 0, 1, 0, 0, &step.graph, &step.costs, &step.plan, &timings, &platform, &placer.stream_names()};
    observer(view);
  }

  auto& a = s.assumptions;
  std::string map;
  for (const auto& rt : s.rank_times) map += fmt::format("{}{} -> {}", map.empty() ? "" : ", ", rt.rank, rt.device);
  a.push_back(fmt::format("ranks on devices: {} ({} collectives)", map, to_string(request.collectives)));
  a.push_back(fmt::format("efficiency: {}", devices[placer.device_for(workloads::Op{})].efficiency.basis));
  if (request.replay) {
    a.push_back(
        "replay: compute and memory nodes take their recorded duration_micros; collectives and sends are "
        "simulated over the links");
  } else {
    a.push_back(
        fmt::format("nodes without llmsim attributes: num_ops at the {} peak x the profile's GEMM ceiling, "
                    "tensor_size bytes through the rank's memory; CPU ops (is_cpu_op, true by default as in "
                    "Chakra's feeder) take their duration_micros",
                    request.compute_dtype));
  }
  for (const auto& [what, count] : trace.approximations) a.push_back(fmt::format("{} ({} node(s))", what, count));
  if (const auto kept = trace.kept_attribute_count()) {
    a.push_back(fmt::format("{} node attributes llmsim does not interpret were kept, not used", kept));
  }
  return s;
}

}  // namespace llmsim::sim
