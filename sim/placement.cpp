#include "sim/placement.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include "common/input_error.hpp"
#include "common/name_listing.hpp"

namespace llmsim::sim {

using workloads::Op;
using workloads::OpGraph;
using workloads::OpId;
using workloads::OpKind;

namespace {

// Builds the executable graph of one step, op by op in the logical graph's order.
class StepPlacer {
 public:
  StepPlacer(const Placer& placer, const Platform& platform, const std::vector<DeviceModel>& devices,
             const std::vector<bool>& offloaded, std::size_t offload_memory, bool symmetric)
      : placer_(placer),
        platform_(platform),
        devices_(devices),
        offloaded_(offloaded),
        offload_memory_(offload_memory),
        symmetric_(symmetric),
        primary_(placer.used_devices().front()) {}

  PlacedStep run(const OpGraph& logical) {
    remap_.assign(logical.size(), {});
    for (OpId v = 0; v < logical.size(); ++v) {
      const Op& op = logical.op(v);
      std::vector<OpId> inputs;
      for (OpId u : logical.inputs(v)) inputs.insert(inputs.end(), remap_[u].begin(), remap_[u].end());
      if (op.kind == OpKind::collective) {
        remap_[v] = collective(op, inputs);
        // A collective's result is on every participant: its consumers wait for it, no more copies.
        shared_.insert(remap_[v].begin(), remap_[v].end());
      } else if (op.kind == OpKind::send) {
        remap_[v] = send(op, inputs);
      } else {
        remap_[v] = {compute(logical, v, inputs)};
      }
    }
    return std::move(step_);
  }

 private:
  std::size_t device_of_rank(int rank) const {
    Op probe;
    probe.rank = rank;
    return placer_.device_for(probe);
  }

  OpId add(Op op, const std::vector<OpId>& inputs, const OpCost& cost, const PlannedOp& plan, std::size_t device,
           std::size_t memory) {
    const OpId id = step_.graph.add(std::move(op), inputs);
    step_.costs.push_back(cost);
    step_.plan.push_back(plan);
    step_.device.push_back(device);
    step_.memory.push_back(memory);
    return id;
  }

  // Bytes copied from one memory to another on `stream`, after `inputs`.
  // `layer` keeps the copy in its layer's segment (representative-layer timing relies on it).
  OpId copy(const std::string& name, const std::string& group, int layer, double bytes, std::size_t from,
            std::size_t to, std::size_t device, std::size_t stream, double launch_s, const std::vector<OpId>& inputs) {
    const std::size_t from_host = platform_.memory_host(from);
    const std::size_t to_host = platform_.memory_host(to);
    if (!platform_.connected(from_host, to_host)) {
      throw InputError("placement", fmt::format("{} needs a copy from memory '{}' to '{}', but no link joins them",
                                                name, platform_.memory_name(from), platform_.memory_name(to)));
    }
    Op op;
    op.name = name;
    op.kind = OpKind::transfer;
    op.group = group;
    op.layer = layer;
    op.output_bytes = bytes;
    op.comm_bytes = bytes;
    OpCost cost;
    cost.launch_s = launch_s;
    cost.memory_s = platform_.route_latency(from_host, to_host) + bytes / platform_.route_bandwidth(from_host, to_host);
    cost.link_bytes = bytes;
    return add(op, inputs, cost, PlannedOp::copy(stream, from_host, to_host, launch_s, bytes), device, to);
  }

  double launch_of(std::size_t device) const { return devices_[device].efficiency.launch_overhead_us * 1e-6; }

  OpId compute(const OpGraph& logical, OpId v, std::vector<OpId> inputs) {
    Op op = logical.op(v);
    const std::size_t d = placer_.device_for(op);
    // The lowering chose the kernel path for the primary device; another device takes its own.
    if (d != primary_ && op.is_matmul_like()) op.kernel_path = kernel_path_on(devices_[d], op);
    const std::size_t mem = platform_.memory_of_device(d);
    // Inputs produced in another memory are copied in first (once per producer and memory).
    for (OpId u : logical.inputs(v)) {
      for (OpId& produced : remap_[u]) {
        const std::size_t where = step_.memory[produced];
        if (where == mem || shared_.count(produced)) continue;
        auto key = std::make_pair(produced, mem);
        auto it = moved_.find(key);
        if (it == moved_.end()) {
          const double bytes = step_.graph.op(produced).output_bytes;
          const OpId c = copy(fmt::format("{}->{}", step_.graph.op(produced).name, platform_.memory_name(mem)), "comm",
                              op.layer, bytes, where, mem, d, placer_copy_stream(d), launch_of(d), {produced});
          it = moved_.emplace(key, c).first;
        }
        std::replace(inputs.begin(), inputs.end(), produced, it->second);
      }
    }
    const bool offloaded = op.layer >= 0 && static_cast<std::size_t>(op.layer) < offloaded_.size() &&
                           offloaded_[static_cast<std::size_t>(op.layer)] && op.weight_bytes > 0 &&
                           !op.reads_expanded_weights;
    const bool streamed_expert = op.host_expert && placer_.spec().host_experts == "stream" && op.weight_bytes > 0;
    if (streamed_expert) {
      // The experts this step touches are copied in over the host link right before use.
      inputs.push_back(copy(op.name + ".weights", "offload", op.layer, op.weight_bytes, placer_.host_memory(), mem, d,
                            placer_compute_stream(d), launch_of(d), inputs));
    } else if (offloaded) {
      // Weights stay in the offload memory and are copied in before use. Without prefetch the copy
      // runs in the compute stream right before its op (a synchronous pre-forward hook); with
      // prefetch it runs on the copy engine, waiting only for the previous copy and for the
      // previous layer to start, so it overlaps compute.
      std::vector<OpId> after = inputs;
      std::size_t stream = placer_compute_stream(d);
      if (placer_.spec().prefetch) {
        after.clear();
        if (last_weight_copy_) after.push_back(*last_weight_copy_);
        auto prev = layer_first_.find(op.layer - 1);
        if (prev != layer_first_.end()) after.push_back(prev->second);
        stream = placer_copy_stream(d);
      }
      const OpId c = copy(op.name + ".weights", "offload", op.layer, op.weight_bytes, offload_memory_, mem, d, stream,
                          launch_of(d), after);
      last_weight_copy_ = c;
      inputs.push_back(c);
    }
    const OpCost cost = cost_op(op, devices_[d]);
    const PlannedOp plan =
        PlannedOp::on_device(placer_compute_stream(d), platform_.device_host(d), platform_.memory_host(mem),
                             cost.launch_s, cost.compute_s, cost.link_bytes);
    const int layer = op.layer;
    const OpId id = add(std::move(op), inputs, cost, plan, d, mem);  // op is this function's copy
    if (layer >= 0 && !layer_first_.count(layer)) layer_first_[layer] = id;
    return id;
  }

  std::vector<OpId> collective(const Op& op, const std::vector<OpId>& inputs) {
    const std::size_t n = op.ranks.size();
    if (n <= 1) return inputs;
    std::vector<std::size_t> dev, mem;
    for (int r : op.ranks) {
      dev.push_back(device_of_rank(r));
      mem.push_back(platform_.memory_of_device(dev.back()));
    }
    const bool gather = op.collective == workloads::Collective::all_gather;
    // A reduce-scatter is an all-reduce's first half: (N-1)/N of the payload in N-1 steps.
    const bool half_ring = gather || op.collective == workloads::Collective::reduce_scatter;
    const bool same_memory = std::all_of(mem.begin(), mem.end(), [&](std::size_t m) { return m == mem.front(); });
    if (op.collective == workloads::Collective::all_to_all) return same_memory ? inputs : all_to_all(op, inputs, dev, mem);
    if (same_memory) return shared_memory_collective(op, inputs, dev.front(), mem.front(), gather);
    if (placer_.spec().collectives == CollectiveAlgorithm::tree && !half_ring && !symmetric_) return tree_all_reduce(op, inputs, dev, mem);
    // Ring: every rank sends to the next at once; all-reduce moves 2(N-1)/N of the payload per
    // link in 2(N-1) steps (reduce-scatter then all-gather), all-gather and reduce-scatter
    // (N-1)/N in N-1 steps.
    const double nd = static_cast<double>(n);
    const double steps = half_ring ? nd - 1 : 2 * (nd - 1);
    const double bytes = op.comm_bytes * steps / nd;
    std::vector<OpId> out;
    for (std::size_t i = 0; i < (symmetric_ ? 1 : n); ++i) {
      const std::size_t j = (i + 1) % n;
      const std::size_t from = platform_.memory_host(mem[i]);
      const std::size_t to = platform_.memory_host(mem[j]);
      const double hop_latency = platform_.route_latency(from, to);
      // The first step's latency is the route's own; the other steps' are added before the copy.
      double launch = launch_of(dev[i]) + (steps - 1) * hop_latency;
      double moved = bytes;
      // An all-reduce the engine runs with a fitted implementation costs that implementation's
      // alpha (the route's own latency is part of it) and moves its bytes at its share of the
      // link; the copies still share the links' bandwidth with whatever else runs.
      const auto* impl = half_ring ? nullptr
                                   : devices_[dev[i]].efficiency.all_reduce_for(op.comm_bytes,
                                                                                platform_.route_bottleneck(from, to));
      if (impl != nullptr) {
        launch = std::max(0.0, impl->latency_us * 1e-6 - hop_latency);
        moved = bytes / impl->bandwidth_fraction;
      }
      out.push_back(copy(fmt::format("{}.ring{}", op.name, i), "comm", op.layer, moved, mem[i], mem[j], dev[i],
                         placer_comm_stream(dev[i]), launch, inputs));
    }
    return out;
  }

  // Every rank sends comm_bytes / (N - 1) to each other rank at once (expert dispatch and
  // combine); with symmetric ranks only rank 0's sends are simulated, as for a ring.
  std::vector<OpId> all_to_all(const Op& op, const std::vector<OpId>& inputs, const std::vector<std::size_t>& dev,
                               const std::vector<std::size_t>& mem) {
    const std::size_t n = dev.size();
    const double share = op.comm_bytes / static_cast<double>(n - 1);
    std::vector<OpId> out;
    for (std::size_t i = 0; i < (symmetric_ ? 1 : n); ++i) {
      for (std::size_t j = 0; j < n; ++j) {
        if (j == i || mem[i] == mem[j]) continue;
        out.push_back(copy(fmt::format("{}.a2a{}>{}", op.name, i, j), "all_to_all", op.layer, share, mem[i], mem[j],
                           dev[i], placer_comm_stream(dev[i]), launch_of(dev[i]), inputs));
      }
    }
    return out.empty() ? inputs : out;
  }

  // Ranks that share one memory (an APU's CPU and iGPU, Apple's CPU and GPU) exchange nothing:
  // an all-gather's shards are already where every rank reads them, and an all-reduce is one
  // elementwise pass on the first rank's device that reads every partial sum and writes the
  // total (f16 elements: comm_bytes / 2 adds per extra rank).
  std::vector<OpId> shared_memory_collective(const Op& op, const std::vector<OpId>& inputs, std::size_t d,
                                             std::size_t mem, bool gather) {
    if (gather) return inputs;
    const double ranks = static_cast<double>(op.ranks.size());
    Op sum;
    sum.name = op.name + ".shared_memory_sum";
    sum.kind = OpKind::elementwise;
    sum.group = "comm";
    sum.layer = op.layer;
    sum.act_read_bytes = ranks * op.comm_bytes;
    sum.act_write_bytes = op.comm_bytes;
    sum.vector_ops = (ranks - 1) * op.comm_bytes / 2;
    sum.output_bytes = op.comm_bytes;
    const OpCost cost = cost_op(sum, devices_[d]);
    const PlannedOp plan =
        PlannedOp::on_device(placer_compute_stream(d), platform_.device_host(d), platform_.memory_host(mem),
                             cost.launch_s, cost.compute_s, cost.link_bytes);
    return {add(sum, inputs, cost, plan, d, mem)};
  }

  // Binary-tree reduce to rank 0, then broadcast back: 2 x ceil(log2 N) steps of the whole payload.
  std::vector<OpId> tree_all_reduce(const Op& op, const std::vector<OpId>& inputs, const std::vector<std::size_t>& dev,
                                    const std::vector<std::size_t>& mem) {
    const std::size_t n = dev.size();
    std::vector<std::vector<OpId>> ready(n, inputs);
    std::size_t top = 1;
    while (top < n) top *= 2;
    for (std::size_t step = 1; step < top; step *= 2) {
      for (std::size_t i = 0; i + step < n; i += 2 * step) {
        std::vector<OpId> after = ready[i];
        after.insert(after.end(), ready[i + step].begin(), ready[i + step].end());
        ready[i] = {copy(fmt::format("{}.reduce{}<{}", op.name, i, i + step), "comm", op.layer, op.comm_bytes,
                         mem[i + step], mem[i], dev[i + step], placer_comm_stream(dev[i + step]),
                         launch_of(dev[i + step]), after)};
      }
    }
    for (std::size_t step = top / 2; step >= 1; step /= 2) {
      for (std::size_t i = 0; i + step < n; i += 2 * step) {
        ready[i + step] = {copy(fmt::format("{}.bcast{}>{}", op.name, i, i + step), "comm", op.layer, op.comm_bytes,
                                mem[i], mem[i + step], dev[i], placer_comm_stream(dev[i]), launch_of(dev[i]),
                                ready[i])};
      }
      if (step == 1) break;
    }
    std::vector<OpId> out;
    for (const auto& r : ready) out.insert(out.end(), r.begin(), r.end());
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  std::vector<OpId> send(const Op& op, const std::vector<OpId>& inputs) {
    const std::size_t from_dev = device_of_rank(op.ranks.at(0));
    const std::size_t to_dev = device_of_rank(op.ranks.at(1));
    const std::size_t from = platform_.memory_of_device(from_dev);
    const std::size_t to = platform_.memory_of_device(to_dev);
    if (from == to) return inputs;  // stages sharing a memory hand over in place
    return {copy(op.name, "comm", op.layer, op.comm_bytes, from, to, from_dev, placer_comm_stream(from_dev),
                 launch_of(from_dev), inputs)};
  }

  std::size_t placer_compute_stream(std::size_t d) const { return d * 3; }
  std::size_t placer_copy_stream(std::size_t d) const { return d * 3 + 1; }
  std::size_t placer_comm_stream(std::size_t d) const { return d * 3 + 2; }

  const Placer& placer_;
  const Platform& platform_;
  const std::vector<DeviceModel>& devices_;
  const std::vector<bool>& offloaded_;
  std::size_t offload_memory_;
  bool symmetric_ = false;
  std::size_t primary_ = 0;  // the device the lowering chose kernel paths for
  PlacedStep step_;
  std::vector<std::vector<OpId>> remap_;
  std::map<std::pair<OpId, std::size_t>, OpId> moved_;
  std::map<int, OpId> layer_first_;
  std::set<OpId> shared_;
  std::optional<OpId> last_weight_copy_;
};

}  // namespace

Placer::Placer(const hwmodels::System& system, const Platform& platform, const std::vector<DeviceModel>& devices,
               PlacementSpec spec, int ranks, std::vector<bool> offloaded_layers)
    : system_(system),
      platform_(platform),
      devices_(devices),
      spec_(std::move(spec)),
      ranks_(ranks),
      offloaded_(std::move(offloaded_layers)) {
  for (std::size_t d = 0; d < devices.size(); ++d) {
    const std::string& id = devices[d].device->id;
    stream_names_.insert(stream_names_.end(), {id, id + " copy", id + " comm"});
    stream_limits_.insert(stream_limits_.end(), {devices[d].efficiency.streams, 1, 1});
  }
  if (!spec_.host_experts.empty()) {
    if (spec_.host_experts != "cpu" && spec_.host_experts != "stream") {
      throw InputError("--host-experts", fmt::format("must be cpu or stream, got '{}'", spec_.host_experts));
    }
    const auto* cpu = system.first_device(hwmodels::DeviceKind::cpu);
    if (!cpu) throw InputError("--n-cpu-moe", fmt::format("system '{}' has no CPU to keep experts with", system.id));
    host_device_ = platform.device_index(cpu->id);
    host_memory_ = platform.memory_of_device(host_device_);
  }
  if (ranks_ > 1) {
    if (spec_.policy != PlacementPolicy::single) {
      throw InputError("--placement", fmt::format("'{}' cannot be combined with tensor/pipeline parallelism",
                                                  to_string(spec_.policy)));
    }
    if (spec_.devices.empty()) {
      for (const auto* d : system.devices_of(hwmodels::DeviceKind::gpu)) spec_.devices.push_back(d->id);
      if (static_cast<int>(spec_.devices.size()) < ranks_) {
        throw InputError("--tp/--pp", fmt::format("{} ranks need {} devices; system '{}' has {} GPU(s)", ranks_, ranks_,
                                                  system.id, spec_.devices.size()));
      }
      spec_.devices.resize(static_cast<std::size_t>(ranks_));
    }
    if (static_cast<int>(spec_.devices.size()) != ranks_) {
      throw InputError("--devices",
                       fmt::format("{} ranks (tp x pp) need {} devices, got {}", ranks_, ranks_, spec_.devices.size()));
    }
    std::set<std::size_t> seen;
    for (const auto& ref : spec_.devices) {
      rank_device_.push_back(resolve(ref, "--devices"));
      if (!seen.insert(rank_device_.back()).second) {
        throw InputError("--devices", fmt::format("device '{}' is named for two ranks", ref));
      }
    }
    return;
  }
  if (spec_.devices.empty()) throw InputError("--device", "no device given for the placement");
  default_device_ = resolve(spec_.devices[0], "--device");
  if (spec_.policy == PlacementPolicy::layer_split) {
    if (spec_.devices.size() != 2) {
      throw InputError("--devices", "layer-split needs two devices: the first layers' and the rest's");
    }
    second_device_ = resolve(spec_.devices[1], "--devices");
  }
  if (spec_.policy == PlacementPolicy::by_op_class) {
    if (spec_.op_classes.empty())
      throw InputError("--op-classes", "by-op-class needs a map like attention=npu,mlp=gpu");
    for (const auto& [cls, ref] : spec_.op_classes) class_device_[cls] = resolve(ref, "--op-classes " + cls);
    if (class_device_.count("default")) default_device_ = class_device_.at("default");
  }
  if (spec_.policy == PlacementPolicy::offload) {
    const std::size_t local = platform.memory_of_device(default_device_);
    if (!spec_.offload_memory.empty()) {
      if (!system.find_memory(spec_.offload_memory)) {
        throw InputError("--offload-memory",
                         fmt::format("system '{}' has no memory '{}'", system.id, spec_.offload_memory));
      }
      offload_memory_ = platform.memory_index(spec_.offload_memory);
    } else {
      offload_memory_ = local;
      for (std::size_t m = 0; m < platform.memory_count(); ++m) {
        if (m != local && platform.connected(platform.memory_host(m), platform.memory_host(local))) {
          offload_memory_ = m;
          break;
        }
      }
      if (offload_memory_ == local) {
        throw InputError("--placement",
                         fmt::format("offload needs a second memory linked to '{}'; system '{}' has none",
                                     platform.memory_name(local), system.id));
      }
    }
  }
}

std::size_t Placer::resolve(const std::string& ref, const std::string& what) const {
  for (auto kind : {hwmodels::DeviceKind::gpu, hwmodels::DeviceKind::npu, hwmodels::DeviceKind::cpu}) {
    if (ref == hwmodels::to_string(kind)) {
      if (const auto* d = system_.first_device(kind)) return platform_.device_index(d->id);
    }
  }
  if (system_.find_device(ref)) return platform_.device_index(ref);
  std::vector<std::string> known;
  for (const auto& d : system_.devices) known.push_back(d.id + " (" + to_string(d.kind) + ")");
  throw InputError(what, fmt::format("system '{}' has no device '{}'; it has: {}", system_.id, ref, join_names(known)));
}

std::size_t Placer::device_for(const Op& op) const {
  if (op.host_expert && spec_.host_experts == "cpu") return host_device_;
  if (ranks_ > 1) return rank_device_.at(static_cast<std::size_t>(op.rank));
  if (spec_.policy == PlacementPolicy::by_op_class) {
    for (const std::string& key : {to_string(op.kind), op.group}) {
      auto it = class_device_.find(key);
      if (it != class_device_.end()) return it->second;
    }
    return default_device_;
  }
  if (spec_.policy == PlacementPolicy::layer_split) {
    if (op.layer >= 0) return op.layer < spec_.split_layer ? default_device_ : second_device_;
    return op.group == "embedding" ? default_device_ : second_device_;
  }
  return default_device_;
}

std::vector<std::size_t> Placer::used_devices() const {
  std::set<std::size_t> used(rank_device_.begin(), rank_device_.end());
  if (ranks_ <= 1) {
    used.insert(default_device_);
    if (spec_.policy == PlacementPolicy::layer_split) used.insert(second_device_);
    for (const auto& [cls, d] : class_device_) used.insert(d);
  }
  std::vector<std::size_t> out(used.begin(), used.end());
  // The host CPU computing experts comes last: the first device shapes the lowering.
  if (spec_.host_experts == "cpu" && !used.count(host_device_)) out.push_back(host_device_);
  return out;
}

bool Placer::has_offload() const {
  return spec_.policy == PlacementPolicy::offload &&
         std::any_of(offloaded_.begin(), offloaded_.end(), [](bool b) { return b; });
}

PlacedStep Placer::place(const OpGraph& logical, bool symmetric) const {
  return StepPlacer(*this, platform_, devices_, offloaded_, offload_memory_, symmetric).run(logical);
}

}  // namespace llmsim::sim
