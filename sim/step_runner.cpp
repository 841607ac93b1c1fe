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
  phase.seconds += platform_.now() - begin;
  phase.steps += 1;
  for (std::size_t v = 0; v < step.graph.size(); ++v) account(step, v, timings[v], phase);
  account_links(step, timings, phase);
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

// The copies of one collective run at once (ring hops, all-to-all pairs), so the collective
// lasts as long as its slowest copy: its time goes to that copy's narrowest link kind.
// A lone copy (an activation hand-over, a weight fetch) is its own collective.
void StepRunner::account_links(const PlacedStep& step, const std::vector<OpTiming>& timings, PhaseResult& phase) const {
  std::map<std::string, std::pair<double, std::string>> slowest;  // collective -> (span, link kind)
  std::map<std::string, std::pair<double, double>> span;          // collective -> (first issue, last end)
  for (std::size_t v = 0; v < step.graph.size(); ++v) {
    const workloads::Op& op = step.graph.op(v);
    if (op.kind != workloads::OpKind::transfer) continue;
    std::string key = op.name;
    for (const char* hop : {".ring", ".a2a", ".reduce", ".bcast"}) {
      if (const auto at = op.name.rfind(hop); at != std::string::npos) key = op.name.substr(0, at);
    }
    const double took = timings[v].end - timings[v].issued;
    auto& s = slowest[key];
    if (took > s.first) {
      s = {took, platform_.route_bottleneck(step.plan[v].data_from, step.plan[v].data_to)};
    }
    auto [it, fresh] = span.try_emplace(key, timings[v].issued, timings[v].end);
    if (!fresh)
      it->second = {std::min(it->second.first, timings[v].issued), std::max(it->second.second, timings[v].end)};
  }
  for (const auto& [key, s] : slowest) phase.seconds_by_link[s.second] += span[key].second - span[key].first;
}

void StepRunner::account(const PlacedStep& step, std::size_t v, const OpTiming& t, PhaseResult& phase) {
  const workloads::Op& op = step.graph.op(v);
  const OpCost& c = step.costs[v];
  const double took = t.end - t.issued;
  phase.ops += 1;
  phase.flops += op.flops;
  phase.bytes += op.is_communication() ? op.comm_bytes : op.bytes();
  phase.seconds_by_group[op.group] += took;
  const double alone = std::max(c.compute_s, c.memory_s);
  const double contention = std::max(0.0, (t.end - t.start) - alone);
  const double launch = t.start - t.issued;
  std::string bound;
  if (op.is_communication()) {
    bound = "transfer";
  } else {
    bound = c.compute_s >= c.memory_s ? "compute" : "memory:" + platform_.memory_name(step.memory[v]);
    // The roofline floor counts packed weights once and the KV cache read.
    if (op.kind != workloads::OpKind::dequantize && !op.reads_expanded_weights) {
      floor_bytes_[step.memory[v]] += op.weight_bytes;
    }
    floor_bytes_[step.memory[v]] += op.kv_read_bytes;
    floor_flops_[step.device[v]] += op.flops;
  }
  // A copy's wait before it starts is its collective's latency steps: part of the transfer.
  phase.seconds_by_bound[op.is_communication() ? "transfer" : "launch"] += launch;
  phase.seconds_by_bound[bound] += std::min(alone, t.end - t.start);
  phase.seconds_by_bound["contention"] += contention;
  if (!op.is_communication()) {
    DeviceTime& d = phase.devices[platform_.device_name(step.device[v])];
    d.busy += took;
    d.by_bound["launch"] += launch;
    d.by_bound[bound] += std::min(alone, t.end - t.start);
    d.by_bound["contention"] += contention;
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
