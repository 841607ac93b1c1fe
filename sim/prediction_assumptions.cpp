#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>

#include "sim/predict_plan.hpp"

namespace llmsim::sim {

namespace {

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

// Placement, model notes, experts, replicas and images.
void layout_assumptions(std::vector<std::string>& a, const Prediction& p, const PredictPlan& plan,
                        const workloads::ModelConfig& model) {
  const PredictRequest& request = plan.request;
  const workloads::LoweringOptions& options = plan.options;
  const int64_t tiles = plan.tiles;
  a.push_back("placement: " + p.placement);
  for (const auto& note : model.notes) a.push_back(note);
  if (model.is_moe()) {
    if (request.expert_cache_slots > 0) {
      a.push_back(
          fmt::format("expert cache: the {} most popular experts of each host-memory layer in device memory "
                      "serve {:.1f}% of their routed work (from the routing: {})",
                      request.expert_cache_slots, 100 * options.expert_cache_hit, options.routing.basis));
    }
    a.push_back(fmt::format("expert routing: {}{}", options.routing.basis,
                            request.ep > 1 ? "; expert ranks are timed at the busiest rank's load, and only the first "
                                             "attention group's ops are simulated (the groups are alike)"
                                           : ""));
  }
  if (request.replicas > 1) {
    a.push_back(
        fmt::format("{} replicas of this placement serve independently; aggregate rates are {} x one replica's "
                    "(they share no links in this model)",
                    request.replicas, request.replicas));
  }
  if (request.images > 0) {
    a.push_back(
        fmt::format("{} image(s) of {} tiles per sequence: {} image tokens each; the image encoder runs "
                    "unsplit on the first device before the prefill",
                    request.images, tiles, options.vision_tokens));
  }
}

// The main device's efficiency parameters, as the cost model uses them.
void efficiency_assumptions(std::vector<std::string>& a, const DeviceModel& device) {
  const auto& eff = device.efficiency;
  a.push_back(fmt::format("efficiency: {}", eff.basis));
  a.push_back(fmt::format(
      "efficiency parameters: launch {} us per kernel, GEMM up to {:.0f}% of the matrix peak, GEMV kernels {:.0f}% of "
      "the f32 peak for M <= {}, other ops {:.0f}% of the f32 peak, memory kernels {:.0f}% of the stream bandwidth",
      eff.launch_overhead_us, eff.matmul.max_fraction * 100, eff.matmul.vector_fraction * 100, eff.matmul.vector_max_m,
      eff.vector_fraction * 100, eff.memory.kernel_fraction * 100));
  if (device.device->l1d_kib && eff.memory.row_spill_fraction < 1) {
    a.push_back(
        fmt::format("GEMV kernels whose activation row and one weight row overflow the {} KiB L1 data cache "
                    "stream at {:.0f}% of that (activation re-read from L2 per row)",
                    device.device->l1d_kib->value, eff.memory.row_spill_fraction * 100));
  }
  if (!eff.transcendental_ops.empty()) {
    std::vector<std::string> costs;
    for (const auto& [fn, ops] : eff.transcendental_ops) costs.push_back(fmt::format("{} {:.3g}", fn, ops));
    a.push_back(fmt::format("one evaluation of a transcendental function costs this many vector ops: {} (others: 0)",
                            fmt::join(costs, ", ")));
  } else {
    a.push_back(
        "transcendental functions (softmax's exp, activations' tanh/exp/erf) cost only their vector ops: "
        "no transcendental_ops given for this device");
  }
  if (eff.step_overhead_us > 0) {
    a.push_back(
        fmt::format("host overhead per model step outside its kernels (sampling loop): {} us", eff.step_overhead_us));
  }
}

// Memories, weights, KV cache, prefill chunks, decode steps, windows and context.
void data_assumptions(std::vector<std::string>& a, const PredictPlan& plan, const SimulationContext& setup,
                      const Placer& placer) {
  const PredictRequest& request = plan.request;
  const workloads::ModelConfig& model = setup.model;
  const auto& devices = setup.devices;
  const auto& eff = devices[plan.primary].efficiency;
  const workloads::StorageFormat& kv_format = *setup.kv_format;
  const int64_t chunks = plan.chunks, chunk = plan.chunk, context = plan.context;
  for (auto d : placer.used_devices()) {
    a.push_back(fmt::format("memory bandwidth of {} (read by {}): {}", devices[d].memory->id, devices[d].device->id,
                            devices[d].bandwidth_basis));
    if (!devices[d].threads_basis.empty())
      a.push_back(fmt::format("{}: {}", devices[d].device->id, devices[d].threads_basis));
  }
  a.push_back(weight_summary(*setup.weights));
  a.push_back(fmt::format("KV cache in {} ({} bits/value), activations in {}", kv_format.name,
                          kv_format.bits_per_weight, eff.activation_dtype));
  if (request.prompt > 0) {
    a.push_back(
        fmt::format("prompt processed in {} chunk(s) of up to {} tokens ({})", chunks, chunk, plan.chunk_basis));
  }
  a.push_back(fmt::format("decode: each of the {} steps simulated at its own context length", request.gen));
  if (std::any_of(model.attention_window.begin(), model.attention_window.end(), [](int64_t w) { return w > 0; })) {
    a.push_back("sliding-window layers attend to and cache only their window");
  }
  if (context > model.max_positions) {
    a.push_back(
        fmt::format("--extend-context: context {} exceeds the model's max_position_embeddings {}; its cost is "
                    "extrapolated as if RoPE scaling made it work",
                    context, model.max_positions));
  }
  a.push_back("activation memory: the largest op's inputs plus outputs per device (buffers reused between ops)");
}

}  // namespace

std::vector<std::string> prediction_assumptions(const Prediction& p, const PredictPlan& plan,
                                                const SimulationContext& setup, const Placer& placer) {
  std::vector<std::string> a;
  layout_assumptions(a, p, plan, setup.model);
  efficiency_assumptions(a, setup.devices[plan.primary]);
  if (plan.request.tp > 1) {
    if (auto line = hwmodels::describe_all_reduce(setup.devices[plan.primary].efficiency); !line.empty())
      a.push_back(line);
  }
  data_assumptions(a, plan, setup, placer);
  a.insert(a.end(), p.energy_cost.assumptions.begin(), p.energy_cost.assumptions.end());
  return a;
}

}  // namespace llmsim::sim
