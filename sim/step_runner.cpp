#include "sim/step_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace llmsim::sim {

StepRunner::StepRunner(Platform& platform, const Placer& placer, const workloads::ModelConfig& model,
                       const workloads::ModelWeights& weights, const workloads::LoweringOptions& base,
                       const std::vector<StepObserver>& observers)
    : platform_(platform),
      placer_(placer),
      executor_(platform),
      model_(model),
      weights_(weights),
      base_(base),
      observers_(observers) {}

PlacedStep StepRunner::lower_and_place(int64_t past, int64_t fresh) const {
  workloads::LoweringOptions options = base_;
  options.past_tokens = past;
  options.new_tokens = fresh;
  // The first step that sees the image projects its tokens to the cross-attention K and V.
  options.compute_cross_kv = options.vision_tokens > 0 && past == 0;
  return placer_.place(workloads::lower_step(model_, weights_, options));
}

void StepRunner::simulate(const std::string& phase_name, int64_t index, int64_t steps, int64_t past, int64_t fresh,
                          PhaseResult& phase) {
  simulate_graph(phase_name, index, steps, past, fresh, lower_and_place(past, fresh), phase);
}

void StepRunner::simulate_vision(int64_t images, int64_t tiles, PhaseResult& phase) {
  simulate_graph("vision", 0, 1, 0, 0,
                 placer_.place(workloads::lower_vision_encoder(model_, weights_, base_, images, tiles)), phase);
}

void StepRunner::simulate_graph(const std::string& phase_name, int64_t index, int64_t steps, int64_t past,
                                int64_t fresh, const PlacedStep& step, PhaseResult& phase) {
  const double begin = platform_.now();
  const std::vector<OpTiming> timings = executor_.run(step.graph, step.plan, placer_.stream_limits());
  add_to_phase(summarise_step(platform_, step, timings, begin, platform_.now()), phase);
  add_to_floor(step);
  for (const auto& observer : observers_) {
    StepView view{phase_name,
                  index,
                  steps,
                  past,
                  fresh,
                  &step.graph,
                  &step.costs,
                  &step.plan,
                  &timings,
                  &platform_,
                  &placer_.stream_names()};
    observer(view);
  }
}

void StepRunner::add_to_phase(const StepResult& r, PhaseResult& phase) const {
  phase.seconds += r.seconds;
  phase.steps += 1;
  phase.ops += r.ops;
  phase.flops += r.flops;
  phase.bytes += r.bytes;
  for (const auto& [group, s] : r.seconds_by_group) phase.seconds_by_group[group] += s;
  for (const auto& [link, s] : r.seconds_by_link) phase.seconds_by_link[link] += s;
  for (const auto& [bound, s] : r.seconds_by_bound) phase.seconds_by_bound[label(bound, platform_)] += s;
  for (const auto& [device, totals] : r.devices) {
    DeviceTime& d = phase.devices[platform_.device_name(device)];
    d.busy += totals.busy;
    for (const auto& [bound, s] : totals.by_bound) d.by_bound[label(bound, platform_)] += s;
  }
}

// The roofline floor counts packed weights once (not their expanded copies) and the KV cache
// read, per memory, and the FLOPs per device.
void StepRunner::add_to_floor(const PlacedStep& step) {
  for (std::size_t v = 0; v < step.graph.size(); ++v) {
    const workloads::Op& op = step.graph.op(v);
    if (op.is_communication()) continue;
    if (op.kind != workloads::OpKind::dequantize && !op.reads_expanded_weights) {
      floor_bytes_[step.memory[v]] += op.weight_bytes;
    }
    floor_bytes_[step.memory[v]] += op.kv_read_bytes;
    floor_flops_[step.device[v]] += op.flops;
  }
}

void StepRunner::finish_floor(PhaseResult& phase, const std::vector<DeviceModel>& devices,
                              const hwmodels::System& system, const std::string& matrix_family) {
  const auto bytes = std::exchange(floor_bytes_, {});
  const auto flops = std::exchange(floor_flops_, {});
  if (phase.steps == 0) return;
  double memory_floor = 0, compute_floor = 0;
  std::string memory_basis, compute_basis;
  for (const auto& [m, b] : bytes) {
    const auto& memory = system.memories[m];
    const double t = b / memory.bandwidth_bytes_per_s();
    if (t > memory_floor) {
      memory_floor = t;
      memory_basis = fmt::format("{:.3f} GB of weights and KV cache from {} at its {} GB/s datasheet bandwidth",
                                 b / 1e9, memory.id, memory.bandwidth_gbs.value);
    }
  }
  for (const auto& [d, f] : flops) {
    const auto& dm = devices[d];
    auto it = dm.efficiency.matmul_dtype.find(matrix_family);
    std::string used;
    const double peak = dm.peak(it != dm.efficiency.matmul_dtype.end() ? it->second : "f32", &used);
    const double t = f / peak;
    if (t > compute_floor) {
      compute_floor = t;
      compute_basis = fmt::format("{:.3g} FLOP on {} at its {} peak of {:.1f} TFLOP/s", f, platform_.device_name(d),
                                  used, peak / 1e12);
    }
  }
  phase.ceiling_seconds = std::max(memory_floor, compute_floor);
  phase.ceiling_basis = compute_floor >= memory_floor ? compute_basis : memory_basis;
}

}  // namespace llmsim::sim
