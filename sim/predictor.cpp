#include "sim/predictor.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>

#include "hwmodels/catalog.hpp"
#include "common/input_error.hpp"
#include "hwmodels/memory_kinds.hpp"
#include "hwmodels/software_profile.hpp"
#include "sim/executor.hpp"
#include "sim/memory_accounting.hpp"
#include "sim/placement.hpp"
#include "sim/platform.hpp"
#include "sim/simulation_context.hpp"
#include "workloads/lowering.hpp"
#include "workloads/memory_footprint.hpp"
#include "workloads/model_registry.hpp"
#include "workloads/model_weights.hpp"

namespace llmsim::sim {

namespace {

using hwmodels::DeviceKind;

constexpr int64_t kMaxBatch = 100'000;
constexpr int64_t kMaxTokens = 10'000'000;

std::string weight_summary(const workloads::ModelWeights& weights) {
  std::map<std::string, double> bytes_by_format;
  for (const auto& t : weights.tensors()) bytes_by_format[t.format->name] += t.bytes();
  std::string parts;
  for (const auto& [name, bytes] : bytes_by_format) {
    parts += fmt::format("{}{} {:.3f} GB", parts.empty() ? "" : ", ", name, bytes / 1e9);
  }
  return fmt::format("weights '{}': {:.3f} GB for {:.3f} B parameters ({:.3f} bits/parameter; {})", weights.mix().name,
                     weights.bytes() / 1e9, weights.parameter_count() / 1e9,
                     8.0 * weights.bytes() / weights.parameter_count(), parts);
}

// Which layers' weights stay in the offload memory: the device keeps layers from the first
// on while they fit in its share of memory after everything else (accelerate's "auto" map).
std::vector<bool> choose_offloaded_layers(const workloads::ModelConfig& model, const workloads::ModelWeights& weights,
                                          double budget, bool prefetch, double& staging) {
  std::vector<double> layer_bytes(static_cast<std::size_t>(model.layers), 0.0);
  double other = 0;
  for (const auto& t : weights.tensors()) {
    if (t.layer >= 0) layer_bytes[static_cast<std::size_t>(t.layer)] += t.bytes();
    else other += t.bytes();
  }
  const double largest = *std::max_element(layer_bytes.begin(), layer_bytes.end());
  staging = (prefetch ? 2.0 : 1.0) * largest;
  double left = budget - other - staging;
  std::vector<bool> offloaded(layer_bytes.size(), false);
  bool spilling = false;
  for (std::size_t l = 0; l < layer_bytes.size(); ++l) {
    if (!spilling && layer_bytes[l] <= left) {
      left -= layer_bytes[l];
    } else {
      spilling = true;
      offloaded[l] = true;
    }
  }
  if (!spilling) staging = 0;
  return offloaded;
}

// Everything fixed for one prediction; simulate() runs one step on it.
class Run {
 public:
  Run(Platform& platform, const Placer& placer, const workloads::ModelConfig& model,
      const workloads::ModelWeights& weights, const workloads::LoweringOptions& base,
      const std::vector<StepObserver>& observers)
      : platform_(platform), placer_(placer), executor_(platform), model_(model), weights_(weights), base_(base),
        observers_(observers) {}

  PlacedStep lower_and_place(int64_t past, int64_t fresh) const {
    workloads::LoweringOptions options = base_;
    options.past_tokens = past;
    options.new_tokens = fresh;
    // The first step that sees the image projects its tokens to the cross-attention K and V.
    options.compute_cross_kv = options.vision_tokens > 0 && past == 0;
    return placer_.place(workloads::lower_step(model_, weights_, options));
  }

  /// Simulates one step and adds it to `phase`.
  void simulate(const std::string& phase_name, int64_t index, int64_t steps, int64_t past, int64_t fresh,
                PhaseResult& phase) {
    simulate_graph(phase_name, index, steps, past, fresh, lower_and_place(past, fresh), phase);
  }

  /// The image encoder for `images` images of `tiles` tiles per sequence.
  void simulate_vision(int64_t images, int64_t tiles, PhaseResult& phase) {
    simulate_graph("vision", 0, 1, 0, 0,
                   placer_.place(workloads::lower_vision_encoder(model_, weights_, base_, images, tiles)), phase);
  }

  void simulate_graph(const std::string& phase_name, int64_t index, int64_t steps, int64_t past, int64_t fresh,
                      const PlacedStep& step, PhaseResult& phase) {
    const double begin = platform_.now();
    const std::vector<OpTiming> timings = executor_.run(step.graph, step.plan, placer_.stream_limits());
    phase.seconds += platform_.now() - begin;
    phase.steps += 1;
    for (std::size_t v = 0; v < step.graph.size(); ++v) account(step, v, timings[v], phase);
    account_links(step, timings, phase);
    for (const auto& observer : observers_) {
      StepView view{phase_name, index,     steps,     past,      fresh,
                    &step.graph, &step.costs, &step.plan, &timings, &platform_, &placer_.stream_names()};
      observer(view);
    }
  }

  std::map<std::size_t, double> take_floor_bytes() { return std::exchange(floor_bytes_, {}); }
  std::map<std::size_t, double> take_floor_flops() { return std::exchange(floor_flops_, {}); }

 private:
  // The copies of one collective run at once (ring hops, all-to-all pairs), so the collective
  // lasts as long as its slowest copy: its time goes to that copy's narrowest link kind.
  // A lone copy (an activation hand-over, a weight fetch) is its own collective.
  void account_links(const PlacedStep& step, const std::vector<OpTiming>& timings, PhaseResult& phase) const {
    std::map<std::string, std::pair<double, std::string>> slowest;  // collective -> (span, link kind)
    std::map<std::string, std::pair<double, double>> span;           // collective -> (first issue, last end)
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
      if (!fresh) it->second = {std::min(it->second.first, timings[v].issued), std::max(it->second.second, timings[v].end)};
    }
    for (const auto& [key, s] : slowest) phase.seconds_by_link[s.second] += span[key].second - span[key].first;
  }

  void account(const PlacedStep& step, std::size_t v, const OpTiming& t, PhaseResult& phase) {
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

  Platform& platform_;
  const Placer& placer_;
  Executor executor_;
  const workloads::ModelConfig& model_;
  const workloads::ModelWeights& weights_;
  workloads::LoweringOptions base_;
  const std::vector<StepObserver>& observers_;
  std::map<std::size_t, double> floor_bytes_;
  std::map<std::size_t, double> floor_flops_;
};

// The phase's roofline floor: the slowest memory reading its bytes at datasheet bandwidth, or
// the slowest device doing its FLOPs at the matrix peak, whichever is longer.
void finish_floor(PhaseResult& phase, const std::map<std::size_t, double>& bytes,
                  const std::map<std::size_t, double>& flops, const Platform& platform,
                  const std::vector<DeviceModel>& devices, const hwmodels::System& system,
                  const std::string& matrix_family) {
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
      compute_basis = fmt::format("{:.3g} FLOP on {} at its {} peak of {:.1f} TFLOP/s", f, platform.device_name(d),
                                  used, peak / 1e12);
    }
  }
  phase.ceiling_seconds = std::max(memory_floor, compute_floor);
  phase.ceiling_basis = compute_floor >= memory_floor ? compute_basis : memory_basis;
}

std::string describe_placement(const PlacementSpec& spec, const PredictRequest& r, const std::vector<bool>& offloaded,
                               const Placer& placer, const Platform& platform) {
  std::string devices;
  for (auto d : placer.used_devices()) devices += (devices.empty() ? "" : ", ") + platform.device_name(d);
  if (r.ep > 1) {
    return fmt::format("tp={} x pp={} with ep={} ({} attention data-parallel group(s) of {} sequences) over {} ({} "
                       "collectives, all-to-all expert dispatch and combine)",
                       r.tp, r.pp, r.ep, r.ep / r.tp, r.batch / (r.ep / r.tp), devices, spec.collectives);
  }
  if (r.tp * r.pp > 1) {
    return fmt::format("tp={} x pp={} over {} ({} collectives, {} micro-batch(es))", r.tp, r.pp, devices,
                       spec.collectives, r.microbatches);
  }
  if (r.n_cpu_moe > 0) {
    return fmt::format("{}; routed experts of layers 0-{} in {} memory, {} ({:.0f}% of their work from a "
                       "device-memory cache)",
                       devices, r.n_cpu_moe - 1, platform.memory_name(placer.host_memory()),
                       spec.host_experts == "cpu" ? "computed by the host CPU" : "copied to the device per use",
                       100 * r.expert_cache_hit);
  }
  if (spec.policy == "by-op-class") {
    std::string map;
    for (const auto& [cls, dev] : spec.op_classes) map += (map.empty() ? "" : ", ") + cls + "=" + dev;
    return fmt::format("by op class ({}) on {}", map, devices);
  }
  if (spec.policy == "layer-split") {
    return fmt::format("layers 0-{} on {}, the rest and the LM head on {}", spec.split_layer - 1, spec.devices[0],
                       spec.devices[1]);
  }
  if (spec.policy == "offload") {
    const auto n = std::count(offloaded.begin(), offloaded.end(), true);
    return fmt::format("{} computes; weights of {} of {} layers stay in {} and are copied in {}", devices, n,
                       offloaded.size(), platform.memory_name(placer.offload_memory()),
                       spec.prefetch ? "ahead of use (prefetch)" : "just before use (no prefetch)");
  }
  return "everything on " + devices;
}

// What the energy and cost estimate needs from a finished prediction: per image when the
// request has images, else per sequence; active time (busy less launch waits) over all phases.
EnergyCostInput energy_cost_input(const Prediction& p) {
  EnergyCostInput in;
  in.seconds = p.request_s;
  for (const PhaseResult* phase : {&p.vision, &p.prefill, &p.decode}) {
    for (const auto& [id, d] : phase->devices) {
      const auto launch = d.by_bound.find("launch");
      in.active_s[id] += d.busy - (launch != d.by_bound.end() ? launch->second : 0.0);
    }
  }
  const auto& r = p.request;
  in.item_name = r.images > 0 ? "image" : "sequence";
  in.items = static_cast<double>(r.batch) * static_cast<double>(r.images > 0 ? r.images : 1);
  in.output_tokens = static_cast<double>(r.batch) * static_cast<double>(r.gen);
  in.usd_per_hour = r.usd_per_hour;
  in.usd_per_hour_source = r.usd_per_hour_source;
  return in;
}

}  // namespace

void check_request(const PredictRequest& r) {
  auto in_range = [](const char* flag, int64_t v, int64_t lo, int64_t hi) {
    if (v < lo || v > hi) throw InputError(flag, fmt::format("must be between {} and {}, got {}", lo, hi, v));
  };
  in_range("--batch", r.batch, 1, kMaxBatch);
  in_range("--prompt", r.prompt, 0, kMaxTokens);
  in_range("--gen", r.gen, 0, kMaxTokens);
  in_range("--tp", r.tp, 1, 1024);
  in_range("--pp", r.pp, 1, 1024);
  in_range("--images", r.images, 0, 64);
  in_range("--replicas", r.replicas, 1, 4096);
  in_range("--threads", r.threads, 0, 100000);
  in_range("--ubatch", r.ubatch, 0, kMaxTokens);
  if (r.images > 0 && r.prompt == 0) throw InputError("--images", "an image comes with a prompt: give --prompt >= 1");
  if (r.prompt + r.gen == 0) throw InputError("--prompt/--gen", "at least one of them must be positive");
  if (r.placement.memory_fraction <= 0 || r.placement.memory_fraction > 1) {
    throw InputError("--memory-fraction", fmt::format("must be in (0, 1], got {}", r.placement.memory_fraction));
  }
}

Predictor::Predictor(DataPaths paths) : paths_(std::move(paths)) {}

// Routing skew, experts in host memory and their device cache, from the request; a cache
// given in slots gets its hit rate from the routing (and the request reports it).
void apply_expert_options(PredictRequest& request, const workloads::ModelConfig& model,
                          workloads::LoweringOptions& options) {
  options.routing = workloads::parse_expert_routing(request.routing, model.experts);
  options.host_expert_layers = request.n_cpu_moe;
  options.expert_cache_hit = request.expert_cache_hit;
  if (request.expert_cache_slots > 0) {
    if (request.expert_cache_hit > 0) {
      throw InputError("--expert-cache-slots", "give either --expert-cache-slots or --expert-cache-hit, not both");
    }
    if (request.expert_cache_slots > model.experts) {
      throw InputError("--expert-cache-slots", fmt::format("{} slots for {} experts per layer", request.expert_cache_slots,
                                                           model.experts));
    }
    options.expert_cache_slots = request.expert_cache_slots;
    options.expert_cache_hit = workloads::cache_hit_rate(options.routing, model.experts, request.expert_cache_slots);
    request.expert_cache_hit = options.expert_cache_hit;  // reported with the placement
  }
}

Prediction Predictor::predict(const PredictRequest& request_in, const std::vector<StepObserver>& observers) const {
  PredictRequest request = request_in;
  check_request(request);
  const SimulationContext setup(paths_, request.hardware, request.model, request.software, request.dtype,
                                request.kv_dtype, request.threads);
  if (setup.weights->mix().name.rfind("gguf:", 0) == 0) request.dtype = setup.weights->mix().name;
  const hwmodels::System& system = setup.system;
  const hwmodels::SoftwareProfile& profile = setup.profile;
  const workloads::FormatTable& formats = setup.formats;
  const workloads::ModelConfig& model = setup.model;
  const workloads::ModelWeights& weights = *setup.weights;
  const workloads::StorageFormat& kv_format = *setup.kv_format;
  const std::vector<DeviceModel>& devices = setup.devices;
  Platform& platform = *setup.platform;

  PlacementSpec& spec = request.placement;
  const int ranks = std::max(request.tp, request.ep) * request.pp;
  if (request.n_cpu_moe > 0 && spec.host_experts.empty()) spec.host_experts = "cpu";
  if (spec.devices.empty() && ranks == 1) spec.devices = {request.device.empty() ? setup.default_device() : request.device};
  if (request.microbatches == 0) request.microbatches = request.batch >= request.pp ? request.pp : 1;

  // Resolve devices first (so bad names fail before any work), then the offload split.
  std::vector<bool> offloaded(static_cast<std::size_t>(model.layers), false);
  double staging = 0;
  Deployment probe = make_deployment(setup, spec, request.tp, request.pp, offloaded, request.ep);
  const DeviceModel& device = devices[probe.primary];
  workloads::LoweringOptions options = probe.base;
  options.batch = request.batch;
  options.microbatches = request.microbatches;
  apply_expert_options(request, model, options);
  workloads::check_parallelism(model, options);
  int64_t tiles = 0;
  if (request.images > 0) {
    if (!model.vision) throw InputError("--images", fmt::format("model {} has no image encoder", model.id));
    tiles = request.image_tiles > 0 ? request.image_tiles : model.vision->max_tiles;
    options.vision_tokens = request.images * tiles * (model.vision->patches_per_tile() + 1);
  }

  const int64_t context = request.prompt + request.gen;
  // A model cannot read past its positions: learned position tables end there, and RoPE models
  // are only said to work beyond with a scaling their config may not have. Refused unless the
  // user asks to extrapolate, and then stated.
  if (context > model.max_positions) {
    if (model.positions == workloads::PositionKind::learned) {
      throw InputError("--prompt/--gen", fmt::format("{} has {} learned positions; a context of {} tokens cannot run "
                                                     "on it",
                                                     model.id, model.max_positions, context));
    }
    if (!request.extend_context) {
      throw InputError("--prompt/--gen", fmt::format("a context of {} tokens is beyond {}'s max_position_embeddings "
                                                     "({}); give --extend-context to predict it anyway (the cost of "
                                                     "attention is extrapolated, quality is not modelled)",
                                                     context, model.id, model.max_positions));
    }
  }
  if (spec.policy == "offload") {
    const double budget = device.memory->capacity_bytes() * spec.memory_fraction -
                          workloads::kv_cache_bytes(model, request.batch, context, kv_format);
    offloaded = choose_offloaded_layers(model, weights, budget, spec.prefetch, staging);
  }
  if (request.replicas > 1 && ranks * request.replicas > static_cast<int>(system.devices_of(DeviceKind::gpu).size())) {
    throw InputError("--replicas", fmt::format("{} replicas of {} devices need {} GPUs; system '{}' has {}", request.replicas,
                                               ranks, ranks * request.replicas, system.id,
                                               system.devices_of(DeviceKind::gpu).size()));
  }
  const Deployment deployment = make_deployment(setup, spec, request.tp, request.pp, offloaded, request.ep);
  const Placer& placer = *deployment.placer;
  Run run(platform, placer, model, weights, options, observers);

  Prediction p;
  p.request = request;
  p.hardware_id = system.id;
  p.hardware_name = system.name;
  p.device_id = device.device->id;
  p.device_kind = to_string(device.device->kind);
  p.memory_id = device.memory->id;
  p.model_id = model.id;
  p.architecture = model.architecture;
  p.parameters = weights.parameter_count();
  p.placement = describe_placement(spec, request, offloaded, placer, platform);
  for (std::size_t l = 0; l < offloaded.size(); ++l)
    if (offloaded[l]) p.offloaded_layers.push_back(static_cast<int>(l));

  if (request.images > 0) {
    run.simulate_vision(request.images, tiles, p.vision);
    finish_floor(p.vision, run.take_floor_bytes(), run.take_floor_flops(), platform, devices, system, "bfloat16");
  }
  const int64_t chunk = request.ubatch > 0                   ? request.ubatch
                        : profile.prefill_chunk_tokens > 0 ? profile.prefill_chunk_tokens
                                                           : request.prompt;
  const int64_t chunks = request.prompt > 0 ? (request.prompt + chunk - 1) / chunk : 0;
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t past = c * chunk;
    run.simulate("prefill", c, chunks, past, std::min(chunk, request.prompt - past), p.prefill);
  }
  const auto matrix_family = formats.format(weights.mix().default_format).family;
  finish_floor(p.prefill, run.take_floor_bytes(), run.take_floor_flops(), platform, devices, system, matrix_family);
  for (int64_t s = 0; s < request.gen; ++s) run.simulate("decode", s, request.gen, request.prompt + s, 1, p.decode);
  finish_floor(p.decode, run.take_floor_bytes(), run.take_floor_flops(), platform, devices, system, matrix_family);

  const double b = static_cast<double>(request.batch);
  p.ttft_s = request.prompt > 0 ? p.vision.seconds + p.prefill.seconds
                                : p.decode.seconds / std::max<int64_t>(p.decode.steps, 1);
  p.request_s = p.vision.seconds + p.prefill.seconds + p.decode.seconds;
  p.prefill_tokens_per_s = p.prefill.seconds > 0 ? b * static_cast<double>(request.prompt) / p.prefill.seconds : 0;
  p.tpot_s = request.gen > 0 ? p.decode.seconds / static_cast<double>(request.gen) : 0;
  p.decode_tokens_per_s = p.decode.seconds > 0 ? b * static_cast<double>(request.gen) / p.decode.seconds : 0;
  p.output_tokens_per_s = p.request_s > 0 ? b * static_cast<double>(request.gen) / p.request_s : 0;
  p.aggregate_output_tokens_per_s = p.output_tokens_per_s * request.replicas;

  // Memory: the full-context decode step holds the whole KV cache; the first prefill chunk
  // (or a decode step without a prompt) has the most activations.
  const PlacedStep final_step = run.lower_and_place(std::max<int64_t>(context - 1, 0), 1);
  const PlacedStep largest =
      request.prompt > 0 ? run.lower_and_place(0, std::min(chunk, request.prompt)) : run.lower_and_place(0, 1);
  p.memories = account_memory(platform, placer, final_step, largest, request.tp, staging);
  p.fits = true;
  for (auto& use : p.memories) {
    use.capacity = system.find_memory(use.memory)->capacity_bytes();
    p.fits = p.fits && use.fits();
    p.memory.weights += use.weights;
    p.memory.kv_cache += use.kv_cache;
    p.memory.activations += use.activations + use.staging;
    p.memory_capacity_bytes += use.capacity;
  }

  p.energy_cost = estimate_energy_cost(system, energy_cost_input(p));

  auto& a = p.assumptions;
  a.push_back("placement: " + p.placement);
  for (const auto& note : model.notes) a.push_back(note);
  if (model.is_moe()) {
    if (request.expert_cache_slots > 0) {
      a.push_back(fmt::format("expert cache: the {} most popular experts of each host-memory layer in device memory "
                              "serve {:.1f}% of their routed work (from the routing: {})",
                              request.expert_cache_slots, 100 * options.expert_cache_hit, options.routing.basis));
    }
    a.push_back(fmt::format("expert routing: {}{}", options.routing.basis,
                            request.ep > 1 ? "; expert ranks are timed at the busiest rank's load, and only the first "
                                             "attention group's ops are simulated (the groups are alike)"
                                           : ""));
  }
  if (request.replicas > 1) {
    a.push_back(fmt::format("{} replicas of this placement serve independently; aggregate rates are {} x one replica's "
                            "(they share no links in this model)", request.replicas, request.replicas));
  }
  if (request.images > 0) {
    a.push_back(fmt::format("{} image(s) of {} tiles per sequence: {} image tokens each; the image encoder runs "
                            "unsplit on the first device before the prefill",
                            request.images, tiles, options.vision_tokens));
  }
  const auto& eff = device.efficiency;
  a.push_back(fmt::format("efficiency: {}", eff.basis));
  a.push_back(fmt::format(
      "efficiency parameters: launch {} us per kernel, GEMM up to {:.0f}% of the matrix peak, GEMV kernels {:.0f}% of "
      "the f32 peak for M <= {}, other ops {:.0f}% of the f32 peak, memory kernels {:.0f}% of the stream bandwidth",
      eff.launch_overhead_us, eff.matmul.max_fraction * 100, eff.matmul.vector_fraction * 100,
      eff.matmul.vector_max_m, eff.vector_fraction * 100, eff.memory.kernel_fraction * 100));
  if (device.device->l1d_kib && eff.memory.row_spill_fraction < 1) {
    a.push_back(fmt::format("GEMV kernels whose activation row and one weight row overflow the {} KiB L1 data cache "
                            "stream at {:.0f}% of that (activation re-read from L2 per row)",
                            device.device->l1d_kib->value, eff.memory.row_spill_fraction * 100));
  }
  if (!eff.transcendental_ops.empty()) {
    std::vector<std::string> costs;
    for (const auto& [fn, ops] : eff.transcendental_ops) costs.push_back(fmt::format("{} {:.3g}", fn, ops));
    a.push_back(fmt::format("one evaluation of a transcendental function costs this many vector ops: {} (others: 0)",
                            fmt::join(costs, ", ")));
  } else {
    a.push_back("transcendental functions (softmax's exp, activations' tanh/exp/erf) cost only their vector ops: "
                "no transcendental_ops given for this device");
  }
  if (eff.step_overhead_us > 0) {
    a.push_back(fmt::format("host overhead per model step outside its kernels (sampling loop): {} us",
                            eff.step_overhead_us));
  }
  for (auto d : placer.used_devices()) {
    a.push_back(fmt::format("memory bandwidth of {} (read by {}): {}", devices[d].memory->id,
                            devices[d].device->id, devices[d].bandwidth_basis));
    if (!devices[d].threads_basis.empty()) a.push_back(fmt::format("{}: {}", devices[d].device->id, devices[d].threads_basis));
  }
  a.push_back(weight_summary(weights));
  a.push_back(fmt::format("KV cache in {} ({} bits/value), activations in {}", kv_format.name,
                          kv_format.bits_per_weight, eff.activation_dtype));
  if (request.prompt > 0) {
    a.push_back(fmt::format("prompt processed in {} chunk(s) of up to {} tokens ({})", chunks, chunk,
                            request.ubatch > 0                 ? "--ubatch"
                            : profile.prefill_chunk_tokens > 0 ? "profile's ubatch"
                                                               : "whole prompt at once"));
  }
  a.push_back(fmt::format("decode: each of the {} steps simulated at its own context length", request.gen));
  if (std::any_of(model.attention_window.begin(), model.attention_window.end(), [](int64_t w) { return w > 0; })) {
    a.push_back("sliding-window layers attend to and cache only their window");
  }
  if (context > model.max_positions) {
    a.push_back(fmt::format("--extend-context: context {} exceeds the model's max_position_embeddings {}; its cost is "
                            "extrapolated as if RoPE scaling made it work",
                            context, model.max_positions));
  }
  a.push_back("activation memory: the largest op's inputs plus outputs per device (buffers reused between ops)");
  a.insert(a.end(), p.energy_cost.assumptions.begin(), p.energy_cost.assumptions.end());
  return p;
}

}  // namespace llmsim::sim
