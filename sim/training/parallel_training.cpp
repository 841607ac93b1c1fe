#include "sim/training/parallel_training.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "common/input_error.hpp"
#include "sim/executor.hpp"
#include "sim/simulation_context.hpp"
#include "sim/training/pipeline_schedule.hpp"
#include "sim/training/training_options.hpp"

namespace llmsim::sim::training {

namespace {

using workloads::Op;
using workloads::OpGraph;
using workloads::OpKind;

// Parameters each stage holds (its layers, the embedding on the first, the head on the
// last), split into dense ones and routed experts.
struct StageParameters {
  std::vector<double> dense, experts;
};

StageParameters stage_parameters(const workloads::ModelConfig& m, const workloads::ModelWeights& w, int pp) {
  StageParameters out{std::vector<double>(static_cast<std::size_t>(pp), 0.0),
                      std::vector<double>(static_cast<std::size_t>(pp), 0.0)};
  for (const auto& t : w.tensors()) {
    int stage = pp - 1;
    if (t.layer >= 0) {
      for (int s = 0; s < pp; ++s) {
        const auto [first, last] = workloads::stage_layers(static_cast<int>(m.layers), s, pp);
        if (t.layer >= first && t.layer < last) stage = s;
      }
    } else if (t.role == "token_embd" || t.role == "pos_embd") {
      stage = 0;
    }
    (t.copies > 1 ? out.experts : out.dense)[static_cast<std::size_t>(stage)] += t.elements();
  }
  return out;
}

// Rank of tensor rank t of context-parallel rank c of replica d on stage s: tensor-fastest,
// then context, then stage, then replica. With expert parallelism (no context parallelism) a
// stage's replicas are its attention groups and come before the stage, as the expert-parallel
// lowering numbers them.
int rank_of(const TrainRequest& r, int s, int d, int t, int c = 0) {
  if (r.ep > 1) return s * r.tp * r.dp + d * r.tp + t;
  const int per_stage = r.tp * r.cp;
  return d * per_stage * r.pp + s * per_stage + c * r.tp + t;
}

// "tp=4 x cp=2 x pp=8 (vp=5) x dp=2": the layout as users write it, cp and vp only when used.
std::string layout_text(const TrainRequest& r) {
  return fmt::format("tp={}{} x pp={}{} x dp={}", r.tp, r.cp > 1 ? fmt::format(" x cp={}", r.cp) : std::string(), r.pp,
                     r.vp > 1 ? fmt::format(" (vp={})", r.vp) : std::string(), r.dp);
}

// Ranks holding the same parameters, which reduce gradients together and over which ZeRO and
// Megatron's distributed optimizer shard: the replicas and their context-parallel ranks.
int sharing_ranks(const TrainRequest& r) { return r.dp * r.cp; }

struct Span {
  double begin = 1e300, end = -1e300;
  void add(double b, double e) { begin = std::min(begin, b), end = std::max(end, e); }
  double seconds() const { return end > begin ? end - begin : 0.0; }
};

// What one micro-batch of one replica takes on each stage, measured on the simulated graph.
struct MicroBatch {
  std::vector<Span> forward, backward, optimizer;
  double send_s = 0, tp_comm_s = 0;
};

MicroBatch measure(const PlacedStep& placed, const std::vector<OpTiming>& timings,
                   const std::map<std::size_t, int>& stage_of_device, int pp) {
  MicroBatch mb;
  mb.forward.resize(static_cast<std::size_t>(pp));
  mb.backward = mb.optimizer = mb.forward;
  for (std::size_t v = 0; v < placed.graph.size(); ++v) {
    const Op& op = placed.graph.op(v);
    const auto it = stage_of_device.find(placed.device[v]);
    if (it == stage_of_device.end()) continue;
    const auto s = static_cast<std::size_t>(it->second);
    const OpTiming& t = timings[v];
    if (op.name.find("stage_send") != std::string::npos) {
      mb.send_s = std::max(mb.send_s, t.end - t.issued);
      continue;
    }
    const bool backward = op.name.find(".dgrad") != std::string::npos || op.name.find(".wgrad") != std::string::npos ||
                          op.name.find(".bwd") != std::string::npos || op.group == "recompute" ||
                          op.name.find(".recompute") != std::string::npos || op.kind == OpKind::loss;
    if (op.kind == OpKind::optimizer || op.group == "optimizer") {
      mb.optimizer[s].add(t.issued, t.end);
    } else if (backward) {
      mb.backward[s].add(t.issued, t.end);
    } else {
      mb.forward[s].add(t.issued, t.end);
    }
    if (s == 0 && op.kind == OpKind::transfer) mb.tp_comm_s += t.end - t.issued;
  }
  return mb;
}

// Runs one collective per (stage, tensor rank) over the replicas and their context-parallel
// ranks (which hold the same parameters), all at once; returns how long.
double replica_collectives(Platform& platform, const Placer& placer, const std::vector<double>& bytes_per_stage,
                           const TrainRequest& r, workloads::Collective type) {
  OpGraph g;
  for (int s = 0; s < r.pp; ++s) {
    for (int t = 0; t < r.tp; ++t) {
      Op op;
      op.name = fmt::format("{}.s{}.t{}", workloads::to_string(type), s, t);
      op.kind = OpKind::collective;
      op.group = "comm";
      op.collective = type;
      op.comm_bytes = bytes_per_stage[static_cast<std::size_t>(s)];
      op.output_bytes = op.comm_bytes;
      for (int d = 0; d < r.dp; ++d)
        for (int c = 0; c < r.cp; ++c) op.ranks.push_back(rank_of(r, s, d, t, c));
      g.add(op, {});
    }
  }
  const PlacedStep placed = placer.place(g);
  Executor executor(platform);
  const double begin = platform.now();
  executor.run(placed.graph, placed.plan, placer.stream_limits());
  return platform.now() - begin;
}

// The first tp x cp x pp x dp GPUs (or the listed devices), checked against the layout.
PlacementSpec layout_devices(const SimulationContext& c, const TrainRequest& r) {
  const int ranks = r.tp * r.cp * r.pp * r.dp;
  PlacementSpec all;
  all.devices = r.devices;
  if (all.devices.empty()) {
    for (const auto* d : c.system.devices_of(hwmodels::DeviceKind::gpu)) {
      if (static_cast<int>(all.devices.size()) < ranks) all.devices.push_back(d->id);
    }
  }
  if (static_cast<int>(all.devices.size()) != ranks) {
    throw InputError(
        "tp/pp/dp",
        fmt::format("{} needs {} devices; {} has {} GPU(s){}", layout_text(r), ranks, c.system.id,
                    c.system.devices_of(hwmodels::DeviceKind::gpu).size(), r.devices.empty() ? "" : " listed"));
  }
  return all;
}

// One micro-batch of one replica (forward, backward, optimizer) on SimGrid; fills `step` and
// the op counts of `t`, returns each stage's times.
MicroBatch simulate_micro_batch(const SimulationContext& c, const TrainRequest& r, const PlacementSpec& all,
                                workloads::TrainingStep& step, TrainResult& t) {
  // Without expert parallelism one replica's tp x cp x pp ranks; with it every rank, since the
  // experts of a stage are spread over all its replicas.
  const int ranks_per_stage = r.ep > 1 ? r.ep : r.tp * r.cp;
  const int simulated = ranks_per_stage * r.pp;
  PlacementSpec one = all;
  one.devices.resize(static_cast<std::size_t>(simulated));
  const Deployment deployment = make_deployment(c, one, r.tp, r.pp, {}, r.ep, r.cp);
  std::map<std::size_t, int> stage_of_device;
  for (int i = 0; i < simulated; ++i) {
    stage_of_device[c.platform->device_index(one.devices[static_cast<std::size_t>(i)])] = i / ranks_per_stage;
  }

  // One micro-batch of one replica; the schedule and the replicas are added below.
  TrainRequest one_step = r;
  one_step.accumulation = 1;
  one_step.dp = 1;
  // The expert-parallel lowering splits its batch over the attention groups (the replicas).
  if (r.ep > 1) one_step.batch = r.batch * r.dp;
  workloads::TrainingOptions o = training_options(c, one_step, deployment.base);
  o.base.symmetric_ranks = true;  // tensor rank 0 stands for its alike peers
  step = workloads::lower_training_step(c.model, *c.weights, o);
  const PlacedStep placed = deployment.placer->place(step.graph, true);
  Executor executor(*c.platform);
  const auto timings = executor.run(placed.graph, placed.plan, deployment.placer->stream_limits());
  for (std::size_t v = 0; v < placed.graph.size(); ++v) {
    const auto& op = placed.graph.op(v);
    t.ops += 1;
    t.kernels += op.kernels;
    t.seconds_by_group[op.group] += timings[v].end - timings[v].issued;
  }
  return measure(placed, timings, stage_of_device, r.pp);
}

// Memory per device, stage by stage: sharded states, the half casts autocast keeps, and the
// activations of the micro-batch chunks the schedule keeps in flight at its peak (pp - s
// micro-batches on stage s under plain 1F1B). The worst stage is the layout's memory per device.
void add_stage_memory(TrainResult& t, const std::vector<double>& shared, const std::vector<double>& own,
                      const workloads::PrecisionBytes& precision, double saved_activations, const PipelineRun& pipe) {
  const TrainRequest& r = t.request;
  const bool autocast = precision.compute_dtype != "float32" && precision.weight == 4;
  for (int s = 0; s < r.pp; ++s) {
    const auto su = static_cast<std::size_t>(s);
    StateBytes b = state_bytes(shared[su], precision, r.zero, sharing_ranks(r));
    const StateBytes experts = state_bytes(own[su], precision, 0, 1);  // held by this rank alone
    b.weights += experts.weights, b.grads += experts.grads, b.optimizer += experts.optimizer;
    const double in_flight = static_cast<double>(pipe.peak_in_flight[su]);
    const double activations = saved_activations / (r.pp * r.vp) * in_flight;
    const double casts = autocast ? shared[su] * 2.0 / (r.zero >= 3 ? sharing_ranks(r) : 1) + own[su] * 2.0 : 0.0;
    t.stage_memory.push_back(b.total() + activations + casts);
    if (t.stage_memory.back() >= t.memory_per_device) {
      t.memory_per_device = t.stage_memory.back();
      t.weights = b.weights;
      t.grads = b.grads;
      t.optimizer = b.optimizer;
      t.activations = activations;
      t.casts = casts;
    }
  }
}

void add_layout_assumptions(TrainResult& t, const std::vector<std::string>& devices,
                            const workloads::PrecisionBytes& precision, const std::string& used,
                            const std::string& efficiency_basis) {
  const TrainRequest& r = t.request;
  const std::size_t listed = std::min<std::size_t>(devices.size(), 16);
  auto& a = t.assumptions;
  a.push_back(fmt::format("layout {}: ranks tensor-fastest, then stage, then replica, on {}{}", t.layout,
                          fmt::join(devices.begin(), devices.begin() + static_cast<std::ptrdiff_t>(listed), ", "),
                          devices.size() > listed ? ", ..." : ""));
  a.push_back(
      fmt::format("one micro-batch of {} x {} tokens simulated on SimGrid (tensor collectives and stage "
                  "hand-overs on the links; tensor rank 0 stands for its alike peers); 1F1B over {} "
                  "micro-batches simulated per stage from its forward and backward times",
                  r.batch, r.seq_len, r.accumulation));
  if (r.sequence_parallel && r.tp > 1) {
    a.push_back(fmt::format("sequence parallelism over the {} tensor ranks: norms and residuals on 1/{} of the tokens, an "
                            "all-gather before and a reduce-scatter after each tensor-parallel block; the backward's "
                            "second gather of the input for the weight gradient is not simulated",
                            r.tp, r.tp));
  }
  if (r.cp > 1) {
    a.push_back(fmt::format("context parallelism over {} ranks: each takes 1/{} of every sequence (balanced causal "
                            "chunks) and gathers the layer's K and V over the ring before attention (the backward "
                            "scatters their gradients); gradients reduced and states sharded over dp x cp = {} ranks",
                            r.cp, r.cp, sharing_ranks(r)));
  }
  if (r.vp > 1) {
    a.push_back(fmt::format("interleaved schedule: {} model chunks per stage, each taking 1/{} of the stage's "
                            "simulated forward and backward (its layers split evenly), {} x the stage hand-overs",
                            r.vp, r.vp, r.vp));
  }
  if (sharing_ranks(r) > 1) {
    a.push_back(
        fmt::format("data parallel: each (stage, tensor rank) reduces its {} gradients over the {} replicas{} "
                    "as one ring, all rings at once; hidden behind the last backward where it fits",
                    precision.grad == 2 ? "bf16" : "fp32", r.dp,
                    r.cp > 1 ? fmt::format(" and their {} context-parallel ranks", r.cp) : std::string()));
  }
  if (r.zero > 0) {
    a.push_back(fmt::format("ZeRO-{}: {} sharded over {} ranks{}", r.zero,
                            r.zero == 1   ? "AdamW moments and master weights"
                            : r.zero == 2 ? "moments, master weights and gradients"
                                          : "moments, master weights, gradients and parameters",
                            sharing_ranks(r),
                            r.zero >= 3 ? "; parameters all-gathered in 16 bit before each stage's forward and "
                                          "backward, prefetched (the stage takes at least the gather)"
                                        : ""));
  }
  a.push_back(
      fmt::format("precision {}: {} bytes/param weights, {} grads, {} AdamW moments; activations {} bytes; "
                  "matmuls as {}",
                  r.precision, precision.weight + precision.master, precision.grad, precision.optimizer,
                  precision.activation, used));
  a.push_back(fmt::format("efficiency: {}", efficiency_basis));
  if (r.checkpointing == workloads::Checkpointing::full)
    a.push_back("activation checkpointing: layer inputs kept, each layer recomputed before its backward");
  if (r.checkpointing == workloads::Checkpointing::selective)
    a.push_back("selective activation checkpointing: each layer's core attention recomputed before its backward");
  a.push_back(
      "activations: the micro-batch's saved activations split evenly over the stages (and chunks), times the "
      "most micro-batch chunks the simulated schedule keeps in flight on the stage; communication buffers are not "
      "counted");
}

// Per device and stage: the parameters the replicas share (and reduce, and ZeRO shards),
// and, under expert parallelism, the experts this rank alone holds.
struct RankParameters {
  std::vector<double> shared, own;
};

RankParameters rank_parameters(const SimulationContext& c, const TrainRequest& r) {
  RankParameters out;
  const StageParameters params = stage_parameters(c.model, *c.weights, r.pp);
  for (int s = 0; s < r.pp; ++s) {
    const auto su = static_cast<std::size_t>(s);
    out.shared.push_back((params.dense[su] + (r.ep > 1 ? 0.0 : params.experts[su])) / r.tp);
    out.own.push_back(r.ep > 1 ? params.experts[su] / r.ep : 0.0);
  }
  return out;
}

// Each stage's forward and backward time for one micro-batch, and the stage hand-off; under
// ZeRO-3 no stage is shorter than its parameter gather (t.zero_gather_s).
StageTimes stage_times(const MicroBatch& mb, const std::vector<double>& shared, Platform& platform,
                       const Placer& placer, const TrainRequest& r, TrainResult& t) {
  StageTimes times;
  for (int s = 0; s < r.pp; ++s) {
    times.forward.push_back(mb.forward[static_cast<std::size_t>(s)].seconds());
    times.backward.push_back(mb.backward[static_cast<std::size_t>(s)].seconds());
  }
  times.send_s = mb.send_s;
  if (r.zero >= 3) {
    // FSDP / ZeRO-3 gathers each stage's parameters before its forward and again before its
    // backward, prefetched while the previous layers compute: a micro-batch's stage takes at
    // least as long as the gather.
    std::vector<double> gathered;
    for (double p : shared) gathered.push_back(p * 2.0);  // gathered in the 16-bit compute dtype
    t.zero_gather_s = replica_collectives(platform, placer, gathered, r, workloads::Collective::all_gather);
    for (int s = 0; s < r.pp; ++s) {
      auto su = static_cast<std::size_t>(s);
      times.forward[su] = std::max(times.forward[su], t.zero_gather_s);
      times.backward[su] = std::max(times.backward[su], t.zero_gather_s);
    }
  }
  return times;
}

}  // namespace

StateBytes state_bytes(double params, const workloads::PrecisionBytes& p, int zero, int dp) {
  const double shards = static_cast<double>(dp);
  StateBytes b;
  b.weights = params * p.weight / (zero >= 3 ? shards : 1.0) + params * p.master / (zero >= 1 ? shards : 1.0);
  b.grads = params * p.grad / (zero >= 2 ? shards : 1.0);
  b.optimizer = params * p.optimizer / (zero >= 1 ? shards : 1.0);
  return b;
}

TrainResult simulate_parallel_training(const DataPaths& paths, const TrainRequest& r) {
  const auto precision = workloads::precision_bytes(r.precision);
  const std::string dtype = precision.weight == 2 ? "bf16" : "f32";
  const SimulationContext c(paths, r.hardware, r.model, r.software, dtype, "f16");
  const int ranks = r.tp * r.cp * r.pp * r.dp;
  const PlacementSpec all = layout_devices(c, r);
  if (r.zero > 0 && sharing_ranks(r) == 1) {
    throw InputError("zero", "ZeRO shards over data-parallel replicas (and context-parallel ranks): needs dp x cp > 1");
  }
  if (r.vp > 1 && (r.pp < 2 || c.model.layers < static_cast<int64_t>(r.pp) * r.vp)) {
    throw InputError("vp", fmt::format("the interleaved schedule needs pp > 1 and a layer per chunk: pp={} x vp={} "
                                       "chunks for {} layers",
                                       r.pp, r.vp, c.model.layers));
  }
  if (r.ep > 1 && r.ep != r.tp * r.dp) {
    throw InputError("ep",
                     fmt::format("expert parallelism spreads a stage's experts over all its ranks: ep must be tp x dp "
                                 "= {}, got {}",
                                 r.tp * r.dp, r.ep));
  }
  TrainResult t;
  t.request = r;
  workloads::TrainingStep step;
  const MicroBatch mb = simulate_micro_batch(c, r, all, step, t);
  t.hardware_name = c.system.name;
  t.device = all.devices.front();
  t.model = c.model.id;
  t.parameters = step.parameters;
  t.layout = fmt::format("{}{}{}", layout_text(r), r.ep > 1 ? fmt::format(" with ep={}", r.ep) : std::string(),
                         r.zero > 0 ? fmt::format(", ZeRO-{}", r.zero) : std::string());
  const RankParameters params = rank_parameters(c, r);
  const auto& shared = params.shared;
  const auto& own = params.own;
  const Placer placer_all(c.system, *c.platform, c.devices, all, ranks, {});
  const StageTimes times = stage_times(mb, shared, *c.platform, placer_all, r, t);
  const PipelineRun pipe = simulate_interleaved_1f1b(times, r.accumulation, r.vp);
  t.pipeline_s = pipe.seconds;
  t.bubble_fraction = pipe.bubble_fraction;
  t.send_s = mb.send_s;
  t.tp_comm_s = mb.tp_comm_s;
  if (sharing_ranks(r) > 1) {
    // Gradients reduced over the replicas and context-parallel ranks (all-reduce; reduce-scatter
    // plus the parameters' all-gather under ZeRO, the same ring volume), overlapped with the
    // last backward.
    std::vector<double> grads;
    for (double p : shared) grads.push_back(p * precision.grad);
    t.dp_sync_s = replica_collectives(*c.platform, placer_all, grads, r, workloads::Collective::all_reduce);
    t.dp_exposed_s = std::max(0.0, t.dp_sync_s - times.backward.front());
  }
  double optimizer_s = 0;
  for (const auto& span : mb.optimizer) optimizer_s = std::max(optimizer_s, span.seconds());
  if (r.zero >= 1) optimizer_s /= sharing_ranks(r);  // each rank updates its shard of the states
  t.compute_step_s = t.pipeline_s + t.dp_exposed_s + optimizer_s;
  t.step_s = t.compute_step_s;
  const double tokens = static_cast<double>(r.batch * r.seq_len * r.accumulation * r.dp);
  t.tokens_per_s = tokens / t.step_s;
  const DeviceModel& dm = c.devices[c.platform->device_index(t.device)];
  std::string used;
  const double peak = matrix_peak(dm, precision, &used);
  // The lowered micro-batch holds tensor rank 0's ops only: its FLOPs times tp are the replica's.
  const double model_flops = step.model_flops * r.tp * r.cp * static_cast<double>(r.accumulation * r.dp);
  t.mfu = model_flops / (t.step_s * peak * ranks);
  t.mfu_basis = fmt::format(
      "{:.3g} FLOP per step (3 x forward FLOPs of every micro-batch) against {} x {:.1f} TFLOP/s "
      "({})",
      model_flops, ranks, peak / 1e12, used);
  t.seconds_by_phase = {
      {"pipeline (1F1B)", t.pipeline_s}, {"dp gradient sync (exposed)", t.dp_exposed_s}, {"optimizer", optimizer_s}};
  t.capacity = dm.memory->capacity_bytes();
  add_stage_memory(t, shared, own, precision, step.saved_activations, pipe);
  t.fits = t.memory_per_device <= t.capacity;
  add_layout_assumptions(t, all.devices, precision, used, dm.efficiency.basis);
  return t;
}

}  // namespace llmsim::sim::training
