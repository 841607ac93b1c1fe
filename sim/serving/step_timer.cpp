#include "sim/serving/step_timer.hpp"

#include "workloads/memory_footprint.hpp"

#include <algorithm>

namespace llmsim::sim::serving {

namespace {

// Tensor ranks do the same work at the same time when their devices are the same part and
// every ring hop between them has the same bandwidth and latency (NVSwitch systems). Then
// rank 0 alone, with one ring hop per collective, times the step.
bool ranks_are_alike(const SimulationContext& c, const Deployment& d) {
  const auto& spec = d.placer->spec();
  if (d.base.tp <= 1 || d.base.pp != 1 || spec.collectives != CollectiveAlgorithm::ring || spec.devices.size() < 2) return false;
  const Platform& p = *c.platform;
  std::vector<std::size_t> devices;
  for (const auto& id : spec.devices) devices.push_back(p.device_index(id));
  const DeviceModel& first = c.devices[devices[0]];
  double bandwidth = -1, latency = -1;
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const DeviceModel& dm = c.devices[devices[i]];
    if (dm.device->name != first.device->name || dm.device->peak_tflops.size() != first.device->peak_tflops.size() ||
        dm.achievable_bytes_per_s != first.achievable_bytes_per_s ||
        dm.memory->capacity_gib.value != first.memory->capacity_gib.value) {
      return false;
    }
    for (const auto& [dtype, q] : dm.device->peak_tflops) {
      auto it = first.device->peak_tflops.find(dtype);
      if (it == first.device->peak_tflops.end() || it->second.value != q.value) return false;
    }
    const std::size_t a = p.memory_host(p.memory_of_device(devices[i]));
    const std::size_t b = p.memory_host(p.memory_of_device(devices[(i + 1) % devices.size()]));
    if (a == b || !p.connected(a, b)) return false;
    if (i == 0) {
      bandwidth = p.route_bandwidth(a, b);
      latency = p.route_latency(a, b);
    } else if (p.route_bandwidth(a, b) != bandwidth || p.route_latency(a, b) != latency) {
      return false;
    }
  }
  return true;
}

}  // namespace

StepTimer::StepTimer(const SimulationContext& context, const Deployment& deployment, int64_t block_tokens)
    : context_(context), deployment_(deployment), executor_(*context.platform), block_tokens_(block_tokens) {
  representative_ = deployment.base.pp == 1 && !deployment.placer->has_offload();
  symmetric_ = ranks_are_alike(context, deployment);
  // Per rank: its share of the cache in its stage's layers.
  const double values = workloads::kv_values_per_token_per_rank(context.model, deployment.base.tp);
  kv_bytes_per_token_ = context.kv_format->bytes(values / deployment.base.pp);
  // Kernels a step launches on rank 0: the same for every batch (an op's kernels do not depend
  // on its size), so one decode step's graph counts them.
  if (context.profile.serving.eager_kernel_us > 0) {
    workloads::LoweringOptions one = deployment.base;
    one.sequences = {{1, 1, true}};
    const auto graph = workloads::lower_step(context.model, *context.weights, one);
    for (std::size_t v = 0; v < graph.size(); ++v) {
      const auto& op = graph.op(v);
      if (op.kind == workloads::OpKind::collective) {
        if (std::find(op.ranks.begin(), op.ranks.end(), 0) != op.ranks.end()) kernels_per_step_ += 1;
      } else if (op.rank == 0) {
        kernels_per_step_ += op.kernels;
      }
    }
  }
  // Swapped KV blocks travel between the device's memory and the offload/host memory.
  const Platform& p = *context.platform;
  const std::size_t local = p.memory_of_device(deployment.primary);
  for (std::size_t m = 0; m < p.memory_count(); ++m) {
    if (m != local && p.connected(p.memory_host(local), p.memory_host(m))) {
      swap_bytes_per_s_ = p.route_bandwidth(p.memory_host(local), p.memory_host(m));
      break;
    }
  }
}

bool StepTimer::captured(const ScheduledStep& step) const {
  const auto& h = context_.profile.serving;
  const auto n = static_cast<int64_t>(step.slots.size());
  if (h.graph_batch_sizes.empty() || n > h.graph_batch_sizes.back()) return false;
  for (const Slot& s : step.slots) {
    if (!s.decode) return false;
    if (h.graph_max_context > 0 && s.past_tokens + s.new_tokens > h.graph_max_context) return false;
  }
  return true;
}

double StepTimer::eager_seconds(const ScheduledStep& step) const {
  const double per_kernel = context_.profile.serving.eager_kernel_us;
  if (per_kernel <= 0 || step.slots.empty() || captured(step)) return 0;
  return 1e-6 * per_kernel * kernels_per_step_;
}

int64_t StepTimer::padded_batch(const ScheduledStep& step) const {
  const auto& sizes = context_.profile.serving.graph_batch_sizes;
  const auto n = static_cast<int64_t>(step.slots.size());
  const bool decode_only = std::all_of(step.slots.begin(), step.slots.end(), [](const Slot& s) { return s.decode; });
  if (!decode_only || sizes.empty() || n > sizes.back()) return n;
  return *std::lower_bound(sizes.begin(), sizes.end(), n);
}

double StepTimer::host_seconds(const ScheduledStep& step) const {
  const auto& h = context_.profile.serving;
  int64_t tokens = 0;
  for (const Slot& s : step.slots) tokens += s.new_tokens;
  return 1e-6 * (h.step_us + h.per_sequence_us * static_cast<double>(step.slots.size()) +
                 h.per_token_us * static_cast<double>(tokens));
}

double StepTimer::seconds(const ScheduledStep& step) {
  workloads::LoweringOptions options = deployment_.base;
  for (const Slot& s : step.slots) options.sequences.push_back({s.new_tokens, s.past_tokens, s.produces_token});
  // Captured-graph padding: the extra rows are computed and thrown away.
  const int64_t padded = padded_batch(step);
  for (int64_t i = static_cast<int64_t>(step.slots.size()); i < padded; ++i) {
    options.sequences.push_back({1, 0, false});
  }
  double t = step.slots.empty() ? 0.0 : seconds(options) + host_seconds(step) + eager_seconds(step);
  const int64_t swapped = step.swapped_in_blocks + step.swapped_out_blocks;
  if (swapped > 0 && swap_bytes_per_s_ > 0) {
    // Block copies over the host link, one after the other with the step (vLLM swaps before it runs).
    t += static_cast<double>(swapped * block_tokens_) * kv_bytes_per_token() / swap_bytes_per_s_;
  }
  return t;
}

double StepTimer::seconds(const workloads::LoweringOptions& options) {
  const workloads::StepShape shape = workloads::step_shape(context_.model, options);
  auto it = memo_.find(shape);
  if (it != memo_.end()) {
    ++hits_;
    return it->second;
  }
  const double t = simulate(options);
  // Bounded: a long request gives every step a new context length, so the memo would grow by
  // one entry per step (about 3 MB/s, gigabytes for one 10^7-token request). Starting again
  // costs re-simulating shapes, never a different time.
  constexpr std::size_t kMaxMemo = 100'000;
  if (memo_.size() >= kMaxMemo) memo_.clear();
  memo_.emplace(shape, t);
  return t;
}

double StepTimer::simulate(const workloads::LoweringOptions& requested) {
  ++simulated_;
  workloads::LoweringOptions options = requested;
  options.symmetric_ranks = symmetric_;
  const Platform& platform = *context_.platform;
  const Placer& placer = *deployment_.placer;
  if (!representative_) {
    const PlacedStep step = placer.place(workloads::lower_step(context_.model, *context_.weights, options), symmetric_);
    const double begin = platform.now();
    executor_.run(step.graph, step.plan, placer.stream_limits());
    ops_ += static_cast<double>(step.graph.size());
    return platform.now() - begin;
  }
  const auto lowered = workloads::lower_step_representative(context_.model, *context_.weights, options);
  const PlacedStep step = placer.place(lowered.graph, symmetric_);
  const double begin = platform.now();
  const auto timings = executor_.run(step.graph, step.plan, placer.stream_limits());
  ops_ += static_cast<double>(step.graph.size());
  // Layers run one after another, so the step is prologue + sum of layer segments x how many
  // layers each stands for + epilogue; a segment ends when its last op does.
  double prologue_end = begin;
  double epilogue_end = -1;
  std::map<int, double> layer_end;
  for (std::size_t v = 0; v < step.graph.size(); ++v) {
    const int layer = step.graph.op(v).layer;
    if (layer >= 0) {
      layer_end[layer] = std::max(layer_end[layer], timings[v].end);
    } else if (layer_end.empty()) {
      prologue_end = std::max(prologue_end, timings[v].end);
    } else {
      epilogue_end = std::max(epilogue_end, timings[v].end);
    }
  }
  double total = prologue_end - begin;
  double previous = prologue_end;
  for (const auto& [layer, end] : layer_end) {
    total += lowered.layer_multiplicity.at(layer) * (end - previous);
    previous = end;
  }
  if (epilogue_end >= 0) total += epilogue_end - previous;
  return total;
}

}  // namespace llmsim::sim::serving
