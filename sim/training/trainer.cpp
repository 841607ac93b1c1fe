#include "sim/training/trainer.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/input_error.hpp"
#include "sim/executor.hpp"
#include "sim/simulation_context.hpp"
#include "sim/training/parallel_training.hpp"
#include "sim/training/training_options.hpp"
#include "workloads/training_lowering.hpp"

namespace llmsim::sim::training {

namespace {

std::string phase_of(const workloads::Op& op) {
  if (op.kind == workloads::OpKind::optimizer || op.group == "optimizer") return "optimizer";
  if (op.kind == workloads::OpKind::loss) return "loss";
  if (op.is_communication()) return "comm";
  if (op.group == "recompute") return "recompute";
  const auto& n = op.name;
  if (n.find(".dgrad") != std::string::npos || n.find(".wgrad") != std::string::npos ||
      n.find(".bwd") != std::string::npos) {
    return "backward";
  }
  return "forward";
}

// Ranks: the listed devices, else the first dp GPUs (else the first device for dp = 1).
PlacementSpec data_parallel_ranks(const SimulationContext& c, const TrainRequest& r) {
  PlacementSpec spec;
  spec.devices = r.devices;
  if (spec.devices.empty()) {
    for (const auto* d : c.system.devices_of(hwmodels::DeviceKind::gpu)) {
      if (static_cast<int>(spec.devices.size()) < r.dp) spec.devices.push_back(d->id);
    }
    if (spec.devices.empty()) spec.devices.push_back(c.default_device());
  }
  if (static_cast<int>(spec.devices.size()) != r.dp) {
    throw InputError("dp",
                     fmt::format("{} data-parallel ranks need {} devices; have {}", r.dp, r.dp, spec.devices.size()));
  }
  return spec;
}

// Ops, kernels, and time by phase, group and bound, from the executed step.
void account_ops(TrainResult& t, const PlacedStep& placed, const std::vector<OpTiming>& timings) {
  for (std::size_t v = 0; v < placed.graph.size(); ++v) {
    const auto& op = placed.graph.op(v);
    const auto& cost = placed.costs[v];
    const auto& tm = timings[v];
    const double took = tm.end - tm.issued;
    t.ops += 1;
    t.kernels += op.kernels;
    t.seconds_by_phase[phase_of(op)] += took;
    t.seconds_by_group[op.group] += took;
    t.seconds_by_bound[op.is_communication() ? "transfer" : "launch"] += tm.start - tm.issued;
    const std::string bound =
        op.is_communication() ? "transfer" : (cost.compute_s >= cost.memory_s ? "compute" : "memory");
    t.seconds_by_bound[bound] += tm.end - tm.start;
  }
}

std::vector<std::string> single_device_assumptions(const TrainResult& t, const SimulationContext& c,
                                                   const DeviceModel& dm, const workloads::TrainingOptions& o,
                                                   const std::string& used) {
  const TrainRequest& r = t.request;
  const auto precision = workloads::precision_bytes(r.precision);
  std::vector<std::string> a;
  a.push_back(
      fmt::format("precision {}: {} bytes/param weights, {} grads, {} AdamW moments; activations {} bytes; "
                  "matmuls as {}",
                  r.precision, precision.weight + precision.master, precision.grad, precision.optimizer,
                  precision.activation, used));
  a.push_back(fmt::format("efficiency: {}", dm.efficiency.basis));
  a.push_back(fmt::format("launch overhead {} us per kernel ({} kernels per step)", dm.efficiency.launch_overhead_us,
                          t.kernels));
  a.push_back(r.compile ? "torch.compile modelled as fused element-wise chains (no launches, no intermediate traffic), "
                          "one kernel per norm, a quarter of a per-token loop's kernels"
                        : "eager execution: one kernel per op as the profile counts them");
  a.push_back(r.dataloader_workers == 0
                  ? fmt::format("data loading {:.3g} ms per micro-batch in the training loop (no workers)",
                                r.dataloader_s * 1e3)
                  : fmt::format("data loading {:.3g} ms per micro-batch on {} worker(s), overlapped",
                                r.dataloader_s * 1e3, r.dataloader_workers));
  bool attention = false;
  for (int64_t l = 0; l < c.model.layers; ++l)
    attention = attention || c.model.layer_type(l) == workloads::LayerType::attention;
  if (attention) {
    a.push_back(o.base.flash_attention ? "fused (flash) attention: no score matrix in memory"
                                       : "unfused attention: the f32 score matrix is written and read in memory");
  }
  if (r.checkpointing == workloads::Checkpointing::full)
    a.push_back("activation checkpointing: layer inputs kept, each layer recomputed before its backward");
  if (r.checkpointing == workloads::Checkpointing::selective)
    a.push_back("selective activation checkpointing: each layer's core attention recomputed before its backward");
  if (r.dp > 1) a.push_back("data parallel: gradients all-reduced in 25 MB buckets as the backward produces them");
  return a;
}

}  // namespace

TrainResult simulate_training(const DataPaths& paths, const TrainRequest& r) {
  if (r.tp > 1 || r.pp > 1 || r.cp > 1 || r.zero > 0 || r.ep > 1) return simulate_parallel_training(paths, r);
  const auto precision = workloads::precision_bytes(r.precision);
  const std::string dtype = precision.weight == 2 ? "bf16" : "f32";
  const SimulationContext c(paths, r.hardware, r.model, r.software, dtype, "f16");
  const PlacementSpec spec = data_parallel_ranks(c, r);
  PlacementSpec first = spec;
  first.devices.resize(1);
  const Deployment single = make_deployment(c, first, 1, 1, {});
  const Placer placer(c.system, *c.platform, c.devices, spec, r.dp, {});

  const workloads::TrainingOptions o = training_options(c, r, single.base);
  const auto step = workloads::lower_training_step(c.model, *c.weights, o);
  const PlacedStep placed = placer.place(step.graph);
  Executor executor(*c.platform);
  const double begin = c.platform->now();
  const auto timings = executor.run(placed.graph, placed.plan, placer.stream_limits());

  TrainResult t;
  t.request = r;
  t.hardware_name = c.system.name;
  t.device = spec.devices.front();
  t.model = c.model.id;
  t.parameters = step.parameters;
  t.compute_step_s = c.platform->now() - begin;
  // Data loading: synchronous in the training loop without workers, else in parallel with it.
  const double loading = r.dataloader_s * static_cast<double>(r.accumulation);
  if (r.dataloader_workers == 0) {
    t.dataloader_s = loading;
    t.step_s = t.compute_step_s + loading;
  } else {
    t.step_s = std::max(t.compute_step_s, loading / r.dataloader_workers);
    t.dataloader_s = t.step_s - t.compute_step_s;
  }
  t.tokens_per_s = step.tokens / t.step_s;
  account_ops(t, placed, timings);
  const DeviceModel& dm = c.devices[c.platform->device_index(t.device)];
  std::string used;
  const double peak = matrix_peak(dm, precision, &used);
  t.mfu = step.model_flops / (t.step_s * peak * r.dp);
  t.mfu_basis = fmt::format(
      "{:.3g} FLOP per step (3 x forward matmul, attention and scan FLOPs) against {} x {:.1f} "
      "TFLOP/s ({})",
      step.model_flops, r.dp, peak / 1e12, used);
  t.weights = step.weights_bytes;
  t.grads = step.grads_bytes;
  t.optimizer = step.optimizer_bytes;
  t.activations = step.saved_activations;
  t.casts = step.cast_bytes;
  t.memory_per_device = t.weights + t.grads + t.optimizer + t.activations + t.casts;
  t.capacity = dm.memory->capacity_bytes();
  t.fits = t.memory_per_device <= t.capacity;
  t.assumptions = single_device_assumptions(t, c, dm, o, used);
  return t;
}

nlohmann::ordered_json to_json(const TrainResult& r) {
  const auto& q = r.request;
  return {{"hardware", q.hardware},
          {"hardware_name", r.hardware_name},
          {"device", r.device},
          {"model", r.model},
          {"parameters", r.parameters},
          {"precision", q.precision},
          {"batch", q.batch},
          {"seq_len", q.seq_len},
          {"accumulation", q.accumulation},
          {"dp", q.dp},
          {"checkpointing", workloads::to_string(q.checkpointing)},
          {"compile", q.compile},
          {"dataloader_workers", q.dataloader_workers},
          {"step_s", r.step_s},
          {"compute_step_s", r.compute_step_s},
          {"dataloader_s", r.dataloader_s},
          {"tokens_per_s", r.tokens_per_s},
          {"mfu", r.mfu},
          {"mfu_basis", r.mfu_basis},
          {"ops", r.ops},
          {"kernels", r.kernels},
          {"seconds_by_phase", r.seconds_by_phase},
          {"seconds_by_group", r.seconds_by_group},
          {"seconds_by_bound", r.seconds_by_bound},
          {"memory",
           {{"weights_bytes", r.weights},
            {"grads_bytes", r.grads},
            {"optimizer_bytes", r.optimizer},
            {"activations_bytes", r.activations},
            {"cast_bytes", r.casts},
            {"per_device_bytes", r.memory_per_device},
            {"capacity_bytes", r.capacity}}},
          {"fits", r.fits},
          {"layout",
           {{"tp", q.tp},
            {"pp", q.pp},
            {"dp", q.dp},
            {"zero", q.zero},
            {"description", r.layout},
            {"bubble_fraction", r.bubble_fraction},
            {"pipeline_s", r.pipeline_s},
            {"dp_sync_s", r.dp_sync_s},
            {"dp_exposed_s", r.dp_exposed_s},
            {"zero_gather_s", r.zero_gather_s},
            {"tp_comm_per_microbatch_s", r.tp_comm_s},
            {"stage_send_s", r.send_s},
            {"stage_memory_bytes", r.stage_memory}}},
          {"assumptions", r.assumptions}};
}

std::string to_text(const TrainResult& r) {
  const auto& q = r.request;
  const std::string checkpointing = q.checkpointing == workloads::Checkpointing::none
                                        ? ""
                                        : fmt::format(", {} checkpointing", workloads::to_string(q.checkpointing));
  std::string out = fmt::format(
      "{} ({:.2f} M parameters) training on {} ({}), {} x {} tokens x {} micro-batch(es), "
      "{}, {}{}{}\n\n",
      r.model, r.parameters / 1e6, r.hardware_name, r.device, q.batch, q.seq_len, q.accumulation, q.precision,
      r.layout.empty() ? fmt::format("dp={}", q.dp) : r.layout, checkpointing, q.compile ? ", compiled" : "");
  out +=
      fmt::format("step {:.4f} s ({:.4f} s simulated graph + {:.4f} s data loading)   {:.0f} tokens/s   MFU {:.1f}%\n",
                  r.step_s, r.compute_step_s, r.dataloader_s, r.tokens_per_s, 100 * r.mfu);
  out += fmt::format(
      "memory per device {:.3f} GB of {:.2f} GB: {} (weights {:.3f}, grads {:.3f}, AdamW {:.3f}, "
      "activations {:.3f}, casts {:.3f})\n",
      r.memory_per_device / 1e9, r.capacity / 1e9, r.fits ? "fits" : "DOES NOT FIT", r.weights / 1e9, r.grads / 1e9,
      r.optimizer / 1e9, r.activations / 1e9, r.casts / 1e9);
  double total = 0;
  for (const auto& [k, v] : r.seconds_by_bound) total += v;
  std::string bounds, phases;
  for (const auto& [k, v] : r.seconds_by_bound)
    bounds += fmt::format("{}{} {:.0f}%", bounds.empty() ? "" : ", ", k, 100 * v / total);
  double phase_total = 0;
  for (const auto& [k, v] : r.seconds_by_phase) phase_total += v;
  for (const auto& [k, v] : r.seconds_by_phase)
    phases += fmt::format("{}{} {:.0f}%", phases.empty() ? "" : ", ", k, 100 * v / phase_total);
  if (!r.layout.empty()) {
    out += fmt::format(
        "layout {}: 1F1B pipeline {:.4f} s (bubble {:.1f}% of the busiest stage), tensor collectives "
        "{:.4f} s per micro-batch on stage 0, stage hand-over {:.2g} s\n",
        r.layout, r.pipeline_s, 100 * r.bubble_fraction, r.tp_comm_s, r.send_s);
    if (q.dp > 1) {
      out += fmt::format("gradient sync over {} replicas {:.4f} s, {:.4f} s of it not hidden by the last backward{}\n",
                         q.dp, r.dp_sync_s, r.dp_exposed_s,
                         q.zero >= 3 ? fmt::format("; ZeRO-3 parameter gather {:.4f} s per stage pass", r.zero_gather_s)
                                     : std::string());
    }
    std::string stages;
    for (std::size_t s = 0; s < r.stage_memory.size(); ++s) {
      stages += fmt::format("{}stage {} {:.1f} GB{}", s ? ", " : "", s, r.stage_memory[s] / 1e9,
                            r.stage_memory[s] > r.capacity ? " (does not fit)" : "");
    }
    out += "memory per device by stage: " + stages + "\n";
  }
  if (!bounds.empty()) out += fmt::format("op time by bound: {}  ({:.0f} kernels per step)\n", bounds, r.kernels);
  out += fmt::format("op time by phase: {}\n", phases);
  out += "assumptions:\n";
  for (const auto& a : r.assumptions) out += "  - " + a + "\n";
  return out;
}

}  // namespace llmsim::sim::training
