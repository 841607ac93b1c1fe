#include "sim/predictor.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>

#include "common/input_error.hpp"
#include "hwmodels/catalog.hpp"
#include "hwmodels/memory_kinds.hpp"
#include "hwmodels/software_profile.hpp"
#include "sim/memory_accounting.hpp"
#include "sim/placement.hpp"
#include "sim/platform.hpp"
#include "sim/predict_plan.hpp"
#include "sim/simulation_context.hpp"
#include "sim/step_runner.hpp"
#include "workloads/lowering.hpp"
#include "workloads/memory_footprint.hpp"
#include "workloads/model_registry.hpp"
#include "workloads/model_weights.hpp"

namespace llmsim::sim {

namespace {

using hwmodels::DeviceKind;

constexpr int64_t kMaxBatch = 100'000;
constexpr int64_t kMaxTokens = 10'000'000;

// Which layers' weights stay in the offload memory: the device keeps layers from the first
// on while they fit in its share of memory after everything else (accelerate's "auto" map).
std::vector<bool> choose_offloaded_layers(const workloads::ModelConfig& model, const workloads::ModelWeights& weights,
                                          double budget, bool prefetch, double& staging) {
  std::vector<double> layer_bytes(static_cast<std::size_t>(model.layers), 0.0);
  double other = 0;
  for (const auto& t : weights.tensors()) {
    if (t.layer >= 0)
      layer_bytes[static_cast<std::size_t>(t.layer)] += t.bytes();
    else
      other += t.bytes();
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

std::string describe_placement(const PlacementSpec& spec, const PredictRequest& r, const std::vector<bool>& offloaded,
                               const Placer& placer, const Platform& platform) {
  std::string devices;
  for (auto d : placer.used_devices()) devices += (devices.empty() ? "" : ", ") + platform.device_name(d);
  if (r.ep > 1) {
    return fmt::format(
        "tp={} x pp={} with ep={} ({} attention data-parallel group(s) of {} sequences) over {} ({} "
        "collectives, all-to-all expert dispatch and combine)",
        r.tp, r.pp, r.ep, r.ep / r.tp, r.batch / (r.ep / r.tp), devices, to_string(spec.collectives));
  }
  if (r.tp * r.pp > 1) {
    return fmt::format("tp={} x pp={} over {} ({} collectives, {} micro-batch(es))", r.tp, r.pp, devices,
                       to_string(spec.collectives), r.microbatches);
  }
  if (r.n_cpu_moe > 0) {
    return fmt::format(
        "{}; routed experts of layers 0-{} in {} memory, {} ({:.0f}% of their work from a "
        "device-memory cache)",
        devices, r.n_cpu_moe - 1, platform.memory_name(placer.host_memory()),
        spec.host_experts == "cpu" ? "computed by the host CPU" : "copied to the device per use",
        100 * r.expert_cache_hit);
  }
  if (spec.policy == PlacementPolicy::by_op_class) {
    std::string map;
    for (const auto& [cls, dev] : spec.op_classes) map += (map.empty() ? "" : ", ") + cls + "=" + dev;
    return fmt::format("by op class ({}) on {}", map, devices);
  }
  if (spec.policy == PlacementPolicy::layer_split) {
    return fmt::format("layers 0-{} on {}, the rest and the LM head on {}", spec.split_layer - 1, spec.devices[0],
                       spec.devices[1]);
  }
  if (spec.policy == PlacementPolicy::offload) {
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
      throw InputError("--expert-cache-slots",
                       fmt::format("{} slots for {} experts per layer", request.expert_cache_slots, model.experts));
    }
    options.expert_cache_slots = request.expert_cache_slots;
    options.expert_cache_hit = workloads::cache_hit_rate(options.routing, model.experts, request.expert_cache_slots);
    request.expert_cache_hit = options.expert_cache_hit;  // reported with the placement
  }
}

namespace {

// Fills in what the request leaves to llmsim: a GGUF file's own weight mix, host experts on the
// CPU, the default device for one rank, micro-batches as pipeline stages.
void fill_defaults(PredictRequest& request, const SimulationContext& setup) {
  if (setup.weights->mix().name.rfind("gguf:", 0) == 0) request.dtype = setup.weights->mix().name;
  PlacementSpec& spec = request.placement;
  const int ranks = std::max(request.tp, request.ep) * request.pp;
  if (request.n_cpu_moe > 0 && spec.host_experts.empty()) spec.host_experts = "cpu";
  if (spec.devices.empty() && ranks == 1)
    spec.devices = {request.device.empty() ? setup.default_device() : request.device};
  if (request.microbatches == 0) request.microbatches = request.batch >= request.pp ? request.pp : 1;
}

// A model cannot read past its positions: learned position tables end there, and RoPE models
// are only said to work beyond with a scaling their config may not have. Refused unless the
// user asks to extrapolate, and then stated.
void check_context(const PredictRequest& request, const workloads::ModelConfig& model, int64_t context) {
  if (context <= model.max_positions) return;
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

void check_replicas(const PredictRequest& request, const hwmodels::System& system) {
  const int ranks = std::max(request.tp, request.ep) * request.pp;
  const auto gpus = system.devices_of(DeviceKind::gpu).size();
  if (request.replicas > 1 && ranks * request.replicas > static_cast<int>(gpus)) {
    throw InputError("--replicas", fmt::format("{} replicas of {} devices need {} GPUs; system '{}' has {}",
                                               request.replicas, ranks, ranks * request.replicas, system.id, gpus));
  }
}

// The prefill chunk: --ubatch, else the profile's, else the whole prompt in one step.
void set_chunking(PredictPlan& plan, const hwmodels::SoftwareProfile& profile) {
  const PredictRequest& r = plan.request;
  plan.chunk = r.ubatch > 0 ? r.ubatch : profile.prefill_chunk_tokens > 0 ? profile.prefill_chunk_tokens : r.prompt;
  plan.chunk_basis = r.ubatch > 0                       ? "--ubatch"
                     : profile.prefill_chunk_tokens > 0 ? "profile's ubatch"
                                                        : "whole prompt at once";
  plan.chunks = r.prompt > 0 ? (r.prompt + plan.chunk - 1) / plan.chunk : 0;
}

// Settles the request against the loaded model and system; bad device names and impossible
// layouts fail here, before any simulation.
PredictPlan resolve(const PredictRequest& request_in, const SimulationContext& setup) {
  PredictPlan plan;
  plan.request = request_in;
  PredictRequest& request = plan.request;
  fill_defaults(request, setup);
  const workloads::ModelConfig& model = setup.model;
  plan.offloaded.assign(static_cast<std::size_t>(model.layers), false);
  const Deployment probe =
      make_deployment(setup, request.placement, request.tp, request.pp, plan.offloaded, request.ep);
  plan.primary = probe.primary;
  plan.options = probe.base;
  plan.options.batch = request.batch;
  plan.options.microbatches = request.microbatches;
  apply_expert_options(request, model, plan.options);
  workloads::check_parallelism(model, plan.options);
  if (request.images > 0) {
    if (!model.vision) throw InputError("--images", fmt::format("model {} has no image encoder", model.id));
    plan.tiles = request.image_tiles > 0 ? request.image_tiles : model.vision->max_tiles;
    plan.options.vision_tokens = request.images * plan.tiles * (model.vision->patches_per_tile() + 1);
  }
  plan.context = request.prompt + request.gen;
  check_context(request, model, plan.context);
  const PlacementSpec& spec = request.placement;
  if (spec.policy == PlacementPolicy::offload) {
    const DeviceModel& device = setup.devices[plan.primary];
    const double budget = device.memory->capacity_bytes() * spec.memory_fraction -
                          workloads::kv_cache_bytes(model, request.batch, plan.context, *setup.kv_format);
    plan.offloaded = choose_offloaded_layers(model, *setup.weights, budget, spec.prefetch, plan.staging);
  }
  check_replicas(request, setup.system);
  set_chunking(plan, setup.profile);
  return plan;
}

// Who and what the prediction is about.
void describe_subject(Prediction& p, const PredictPlan& plan, const SimulationContext& setup, const Placer& placer) {
  const DeviceModel& device = setup.devices[plan.primary];
  p.request = plan.request;
  p.hardware_id = setup.system.id;
  p.hardware_name = setup.system.name;
  p.device_id = device.device->id;
  p.device_kind = to_string(device.device->kind);
  p.memory_id = device.memory->id;
  p.model_id = setup.model.id;
  p.architecture = setup.model.architecture;
  p.parameters = setup.weights->parameter_count();
  p.placement = describe_placement(plan.request.placement, plan.request, plan.offloaded, placer, *setup.platform);
  for (std::size_t l = 0; l < plan.offloaded.size(); ++l)
    if (plan.offloaded[l]) p.offloaded_layers.push_back(static_cast<int>(l));
}

// The image encoder, the prefill chunks and every decode step, one after another.
void simulate_phases(StepRunner& run, const PredictPlan& plan, const SimulationContext& setup, Prediction& p) {
  const PredictRequest& r = plan.request;
  if (r.images > 0) {
    run.simulate_vision(r.images, plan.tiles, p.vision);
    run.finish_floor(p.vision, setup.devices, setup.system, "bfloat16");
  }
  for (int64_t c = 0; c < plan.chunks; ++c) {
    const int64_t past = c * plan.chunk;
    run.simulate("prefill", c, plan.chunks, past, std::min(plan.chunk, r.prompt - past), p.prefill);
  }
  const auto matrix_family = setup.formats.format(setup.weights->mix().default_format).family;
  run.finish_floor(p.prefill, setup.devices, setup.system, matrix_family);
  for (int64_t s = 0; s < r.gen; ++s) run.simulate("decode", s, r.gen, r.prompt + s, 1, p.decode);
  run.finish_floor(p.decode, setup.devices, setup.system, matrix_family);
}

void set_rates(Prediction& p) {
  const PredictRequest& r = p.request;
  const double b = static_cast<double>(r.batch);
  p.ttft_s =
      r.prompt > 0 ? p.vision.seconds + p.prefill.seconds : p.decode.seconds / std::max<int64_t>(p.decode.steps, 1);
  p.request_s = p.vision.seconds + p.prefill.seconds + p.decode.seconds;
  p.prefill_tokens_per_s = p.prefill.seconds > 0 ? b * static_cast<double>(r.prompt) / p.prefill.seconds : 0;
  p.tpot_s = r.gen > 0 ? p.decode.seconds / static_cast<double>(r.gen) : 0;
  p.decode_tokens_per_s = p.decode.seconds > 0 ? b * static_cast<double>(r.gen) / p.decode.seconds : 0;
  p.output_tokens_per_s = p.request_s > 0 ? b * static_cast<double>(r.gen) / p.request_s : 0;
  p.aggregate_output_tokens_per_s = p.output_tokens_per_s * r.replicas;
}

// Memory: the full-context decode step holds the whole KV cache; the first prefill chunk
// (or a decode step without a prompt) has the most activations.
void account_prediction_memory(const StepRunner& run, const PredictPlan& plan, const SimulationContext& setup,
                               const Placer& placer, Prediction& p) {
  const PredictRequest& r = plan.request;
  const PlacedStep final_step = run.lower_and_place(std::max<int64_t>(plan.context - 1, 0), 1);
  const PlacedStep largest =
      r.prompt > 0 ? run.lower_and_place(0, std::min(plan.chunk, r.prompt)) : run.lower_and_place(0, 1);
  p.memories = account_memory(*setup.platform, placer, final_step, largest, r.tp, plan.staging);
  p.fits = true;
  for (auto& use : p.memories) {
    use.capacity = setup.system.find_memory(use.memory)->capacity_bytes();
    p.fits = p.fits && use.fits();
    p.memory.weights += use.weights;
    p.memory.kv_cache += use.kv_cache;
    p.memory.activations += use.activations + use.staging;
    p.memory_capacity_bytes += use.capacity;
  }
}

}  // namespace

Prediction Predictor::predict(const PredictRequest& request_in, const std::vector<StepObserver>& observers) const {
  check_request(request_in);
  const SimulationContext setup(paths_, request_in.hardware, request_in.model, request_in.software, request_in.dtype,
                                request_in.kv_dtype, request_in.threads);
  const PredictPlan plan = resolve(request_in, setup);
  const PredictRequest& r = plan.request;
  const Deployment deployment = make_deployment(setup, r.placement, r.tp, r.pp, plan.offloaded, r.ep);
  const Placer& placer = *deployment.placer;
  StepRunner run(*setup.platform, placer, setup.model, *setup.weights, plan.options, observers);

  Prediction p;
  describe_subject(p, plan, setup, placer);
  simulate_phases(run, plan, setup, p);
  set_rates(p);
  account_prediction_memory(run, plan, setup, placer, p);
  p.energy_cost = estimate_energy_cost(setup.system, energy_cost_input(p));
  p.assumptions = prediction_assumptions(p, plan, setup, placer);
  return p;
}

}  // namespace llmsim::sim
