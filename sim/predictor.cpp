#include "sim/predictor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "hwmodels/catalog.hpp"
#include "hwmodels/input_error.hpp"
#include "hwmodels/memory_kinds.hpp"
#include "hwmodels/software_profile.hpp"
#include "sim/executor.hpp"
#include "sim/platform.hpp"
#include "workloads/lowering.hpp"
#include "workloads/memory_footprint.hpp"
#include "workloads/model_registry.hpp"
#include "workloads/model_weights.hpp"

namespace llmsim::sim {

namespace {

using hwmodels::DeviceKind;

constexpr int64_t kMaxBatch = 100'000;
constexpr int64_t kMaxTokens = 10'000'000;

void check_request(const PredictRequest& r) {
  auto in_range = [](const char* flag, int64_t v, int64_t lo, int64_t hi) {
    if (v < lo || v > hi) throw InputError(flag, fmt::format("must be between {} and {}, got {}", lo, hi, v));
  };
  in_range("--batch", r.batch, 1, kMaxBatch);
  in_range("--prompt", r.prompt, 0, kMaxTokens);
  in_range("--gen", r.gen, 0, kMaxTokens);
  if (r.prompt + r.gen == 0) throw InputError("--prompt/--gen", "at least one of them must be positive");
  if (r.tp != 1 || r.pp != 1) {
    throw InputError(r.tp != 1 ? "--tp" : "--pp",
                     "tensor and pipeline parallelism are not implemented yet (planned: multi-device issue); use 1");
  }
}

const hwmodels::Device& choose_device(const hwmodels::System& system, const std::string& wanted) {
  if (wanted.empty()) {
    for (auto kind : {DeviceKind::gpu, DeviceKind::npu, DeviceKind::cpu})
      if (const auto* d = system.first_device(kind)) return *d;
  }
  for (auto kind : {DeviceKind::cpu, DeviceKind::gpu, DeviceKind::npu}) {
    if (wanted == hwmodels::to_string(kind)) {
      if (const auto* d = system.first_device(kind)) return *d;
    }
  }
  if (const auto* d = system.find_device(wanted)) return *d;
  std::string known;
  for (const auto& d : system.devices) known += (known.empty() ? "" : ", ") + d.id + " (" + to_string(d.kind) + ")";
  throw InputError("--device", fmt::format("system '{}' has no device '{}'; it has: {}", system.id, wanted, known));
}

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

// Everything fixed for one prediction; simulate() runs one step on it.
class Run {
 public:
  Run(const hwmodels::System& system, const DeviceModel& device, Platform& platform,
      const workloads::ModelConfig& model, const workloads::ModelWeights& weights,
      const workloads::LoweringOptions& base, const std::vector<StepObserver>& observers)
      : system_(system), device_(device), platform_(platform), executor_(platform), model_(model),
        weights_(weights), base_(base), observers_(observers) {
    device_index_ = platform.device_index(device.device->id);
    memory_index_ = platform.memory_index(device.memory->id);
    streams_.assign(platform.device_count(), 1);
    streams_[device_index_] = device.efficiency.streams;
  }

  /// Simulates one step and adds it to `phase`.
  void simulate(const std::string& phase_name, int64_t index, int64_t steps, int64_t past, int64_t fresh,
                PhaseResult& phase) {
    workloads::LoweringOptions options = base_;
    options.past_tokens = past;
    options.new_tokens = fresh;
    const workloads::OpGraph graph = workloads::lower_step(model_, weights_, options);
    std::vector<OpCost> costs(graph.size());
    std::vector<PlannedOp> plan(graph.size());
    for (std::size_t v = 0; v < graph.size(); ++v) {
      costs[v] = cost_op(graph.op(v), device_);
      plan[v] = PlannedOp{device_index_, memory_index_, costs[v].launch_s, costs[v].compute_s, costs[v].link_bytes};
    }
    const double begin = platform_.now();
    const std::vector<OpTiming> timings = executor_.run(graph, plan, streams_);
    phase.seconds += platform_.now() - begin;
    phase.steps += 1;
    phase.ops += static_cast<double>(graph.size());
    double ceiling_bytes = 0;
    for (std::size_t v = 0; v < graph.size(); ++v) {
      const workloads::Op& op = graph.op(v);
      const OpCost& c = costs[v];
      const OpTiming& t = timings[v];
      phase.flops += op.flops;
      phase.bytes += op.bytes();
      if (op.kind != workloads::OpKind::dequantize && !op.reads_expanded_weights) ceiling_bytes += op.weight_bytes;
      ceiling_bytes += op.kv_read_bytes;
      phase.seconds_by_group[op.group] += t.end - t.issued;
      const double alone = std::max(c.compute_s, c.memory_s);
      phase.seconds_by_bound["launch"] += t.start - t.issued;
      const std::string bound = c.compute_s >= c.memory_s ? "compute" : "memory:" + device_.memory->id;
      phase.seconds_by_bound[bound] += std::min(alone, t.end - t.start);
      phase.seconds_by_bound["contention"] += std::max(0.0, (t.end - t.start) - alone);
    }
    ceiling_bytes_ += ceiling_bytes;
    for (const auto& observer : observers_) {
      StepView view{phase_name, index, steps, past, fresh, &graph, &costs, &plan, &timings, &platform_};
      observer(view);
    }
  }

  double take_ceiling_bytes() { return std::exchange(ceiling_bytes_, 0.0); }

 private:
  const hwmodels::System& system_;
  const DeviceModel& device_;
  Platform& platform_;
  Executor executor_;
  const workloads::ModelConfig& model_;
  const workloads::ModelWeights& weights_;
  workloads::LoweringOptions base_;
  const std::vector<StepObserver>& observers_;
  std::size_t device_index_ = 0;
  std::size_t memory_index_ = 0;
  std::vector<int> streams_;
  double ceiling_bytes_ = 0;
};

void finish_ceiling(PhaseResult& phase, double bytes, const DeviceModel& device, double matrix_peak,
                    const std::string& dtype) {
  if (phase.steps == 0) return;
  const double peak_bw = device.memory->bandwidth_bytes_per_s();
  const double compute_floor = phase.flops / matrix_peak;
  const double memory_floor = bytes / peak_bw;
  phase.ceiling_seconds = std::max(compute_floor, memory_floor);
  phase.ceiling_basis =
      compute_floor >= memory_floor
          ? fmt::format("{:.3g} FLOP at the {} peak of {:.1f} TFLOP/s", phase.flops, dtype, matrix_peak / 1e12)
          : fmt::format("{:.3f} GB of weights and KV cache at the {} GB/s datasheet bandwidth", bytes / 1e9,
                        device.memory->bandwidth_gbs.value);
}

}  // namespace

Predictor::Predictor(DataPaths paths) : paths_(std::move(paths)) {}

Prediction Predictor::predict(const PredictRequest& request, const std::vector<StepObserver>& observers) const {
  check_request(request);
  const hwmodels::Catalog catalog(paths_.catalog());
  const hwmodels::System system = catalog.load(request.hardware);
  const hwmodels::Device& chosen = choose_device(system, request.device);
  const hwmodels::SoftwareProfile profile = hwmodels::ProfileSet(paths_.profiles()).load(request.software);
  const hwmodels::MemoryKinds kinds = hwmodels::MemoryKinds::load(paths_.memory_kinds());
  const workloads::FormatTable formats = workloads::FormatTable::load(paths_.formats());
  const workloads::ModelConfig model =
      workloads::ModelRegistry(paths_.models(), paths_.model_defaults()).load(request.model);
  const workloads::ModelWeights weights(model, formats, formats.mix(request.dtype));
  const workloads::StorageFormat& kv_format = formats.format(request.kv_dtype);

  std::vector<DeviceModel> devices;
  for (const auto& d : system.devices) devices.push_back(make_device_model(system, d, profile, kinds));
  const DeviceModel& device = devices[static_cast<std::size_t>(&chosen - system.devices.data())];
  const auto& eff = device.efficiency;

  workloads::LoweringOptions options;
  options.batch = request.batch;
  options.kv_format = &kv_format;
  options.activation_format = &formats.format(eff.activation_dtype);
  options.flash_attention = profile.flash_attention;
  options.fuse_qkv = profile.fuse_qkv;
  options.fuse_gate_up = profile.fuse_gate_up;
  options.gemv_max_m = eff.matmul.vector_max_m;
  options.dequant_before_gemm = eff.dequant_before_gemm;
  options.gemm_converts_io = eff.gemm_converts_io;
  options.kernels_per_op = profile.kernels_per_op;

  Prediction p;
  p.request = request;
  p.hardware_id = system.id;
  p.hardware_name = system.name;
  p.device_id = chosen.id;
  p.device_kind = to_string(chosen.kind);
  p.memory_id = device.memory->id;
  p.model_id = model.id;
  p.architecture = model.architecture;
  p.parameters = weights.parameter_count();

  Platform platform(system, devices);
  Run run(system, device, platform, model, weights, options, observers);

  const int64_t chunk = profile.prefill_chunk_tokens > 0 ? profile.prefill_chunk_tokens : request.prompt;
  const int64_t chunks = request.prompt > 0 ? (request.prompt + chunk - 1) / chunk : 0;
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t past = c * chunk;
    run.simulate("prefill", c, chunks, past, std::min(chunk, request.prompt - past), p.prefill);
  }
  const double prefill_bytes = run.take_ceiling_bytes();
  for (int64_t s = 0; s < request.gen; ++s) run.simulate("decode", s, request.gen, request.prompt + s, 1, p.decode);
  const double decode_bytes = run.take_ceiling_bytes();

  std::string matrix_dtype;
  const auto family = formats.format(weights.mix().default_format).family;
  const auto mapped = eff.matmul_dtype.count(family) ? eff.matmul_dtype.at(family) : std::string("f32");
  const double matrix_peak = device.peak(mapped, &matrix_dtype);
  finish_ceiling(p.prefill, prefill_bytes, device, matrix_peak, matrix_dtype);
  finish_ceiling(p.decode, decode_bytes, device, matrix_peak, matrix_dtype);

  const double b = static_cast<double>(request.batch);
  p.ttft_s = request.prompt > 0 ? p.prefill.seconds : p.decode.seconds / std::max<int64_t>(p.decode.steps, 1);
  p.prefill_tokens_per_s = p.prefill.seconds > 0 ? b * static_cast<double>(request.prompt) / p.prefill.seconds : 0;
  p.tpot_s = request.gen > 0 ? p.decode.seconds / static_cast<double>(request.gen) : 0;
  p.decode_tokens_per_s = p.decode.seconds > 0 ? b * static_cast<double>(request.gen) / p.decode.seconds : 0;
  const double total = p.prefill.seconds + p.decode.seconds;
  p.output_tokens_per_s = total > 0 ? b * static_cast<double>(request.gen) / total : 0;

  // The largest step sets the activation working set: the first prefill chunk, else a decode step.
  workloads::LoweringOptions largest = options;
  largest.new_tokens = request.prompt > 0 ? std::min(chunk, request.prompt) : 1;
  largest.past_tokens = 0;
  p.memory = workloads::memory_footprint(model, weights, request.batch, request.prompt + request.gen, kv_format,
                                         workloads::lower_step(model, weights, largest));
  p.memory_capacity_bytes = device.memory->capacity_bytes();
  p.fits = p.memory.total() <= p.memory_capacity_bytes;

  auto& a = p.assumptions;
  a.push_back(fmt::format("efficiency: {}", eff.basis));
  a.push_back(fmt::format(
      "efficiency parameters: launch {} us per kernel, GEMM up to {:.0f}% of the matrix peak, GEMV kernels {:.0f}% of "
      "the f32 peak for M <= {}, other ops {:.0f}% of the f32 peak, memory kernels {:.0f}% of the stream bandwidth",
      eff.launch_overhead_us, eff.matmul.max_fraction * 100, eff.matmul.vector_fraction * 100,
      eff.matmul.vector_max_m, eff.vector_fraction * 100, eff.memory.kernel_fraction * 100));
  a.push_back(fmt::format("memory bandwidth of {}: {}", device.memory->id, device.bandwidth_basis));
  a.push_back(weight_summary(weights));
  a.push_back(fmt::format("KV cache in {} ({} bits/value), activations in {}", kv_format.name,
                          kv_format.bits_per_weight, eff.activation_dtype));
  if (request.prompt > 0) {
    a.push_back(fmt::format("prompt processed in {} chunk(s) of up to {} tokens ({})", chunks, chunk,
                            profile.prefill_chunk_tokens > 0 ? "profile's ubatch" : "whole prompt at once"));
  }
  a.push_back(fmt::format("decode: each of the {} steps simulated at its own context length", request.gen));
  if (std::any_of(model.attention_window.begin(), model.attention_window.end(), [](int64_t w) { return w > 0; })) {
    a.push_back("sliding-window layers attend to and cache only their window");
  }
  if (request.prompt + request.gen > model.max_positions) {
    a.push_back(fmt::format("context {} exceeds the model's max_position_embeddings {}", request.prompt + request.gen,
                            model.max_positions));
  }
  a.push_back("activation memory: the largest op's inputs plus outputs (buffers reused between ops)");
  return p;
}

}  // namespace llmsim::sim
