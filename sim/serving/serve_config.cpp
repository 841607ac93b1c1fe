#include "sim/serving/serve_config.hpp"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "common/yaml_fields.hpp"
#include "sim/serving/router.hpp"

namespace llmsim::sim::serving {

namespace {

std::string resolve(const std::string& value, const std::filesystem::path& base) {
  if (value.find('/') == std::string::npos || std::filesystem::path(value).is_absolute()) return value;
  return (base / value).lexically_normal().string();
}

ReplicaSpec read_replica(const YAML::Node& node, const std::string& file, const std::string& path) {
  YamlFields f(node, file, path);
  ReplicaSpec r;
  r.tp = static_cast<int>(f.optional_integer("tp", 1, 1, 1024));
  r.pp = static_cast<int>(f.optional_integer("pp", 1, 1, 1024));
  r.expert_parallel = f.optional_bool("expert_parallel", false);
  if (auto devices = f.optional("devices")) {
    if (!devices->IsSequence()) throw f.error_at(*devices, "devices", "must be a list of device ids");
    for (const auto& d : *devices) r.placement.devices.push_back(d.as<std::string>());
  }
  r.placement.collectives =
      f.optional_choice("collectives", r.placement.collectives, collective_algorithm_named, kCollectiveAlgorithmNames);
  f.finish();
  return r;
}

void read_lengths(const YAML::Node& node, const std::string& file, LengthSpec& l) {
  YamlFields f(node, file, "workload.lengths");
  l.distribution = f.optional_string("distribution", l.distribution);
  l.prompt_mean = f.optional_number("prompt_mean", l.prompt_mean, 1, 1e7);
  l.output_mean = f.optional_number("output_mean", l.output_mean, 1, 1e7);
  l.sigma = f.optional_number("sigma", l.sigma, 0, 10);
  l.range_ratio = f.optional_number("range_ratio", l.range_ratio, 0, 1);
  l.prompt_max = static_cast<int64_t>(f.optional_integer("prompt_max", static_cast<double>(l.prompt_max), 1, 1e7));
  l.output_max = static_cast<int64_t>(f.optional_integer("output_max", static_cast<double>(l.output_max), 1, 1e7));
  f.finish();
}

// A rate in requests/s, or `inf` (every request at time 0, as the benchmark tools' default).
double read_rate(YamlFields& w, double fallback) {
  if (auto node = w.optional("rate")) {
    if (node->IsScalar() && (node->Scalar() == "inf" || node->Scalar() == ".inf")) {
      return std::numeric_limits<double>::infinity();
    }
  }
  return w.optional_number("rate", fallback, -1e300, 1e300);
}

// A path in the scenario: relative to the scenario file's folder.
std::string path_in(const YAML::Node& node, const std::filesystem::path& base) {
  const std::filesystem::path file(node.as<std::string>());
  return file.is_absolute() ? file.string() : (base / file).lexically_normal().string();
}

void read_scheduler(const YAML::Node& node, const std::string& path, ServeConfig& c) {
  YamlFields sf(node, path, "scheduler");
  auto& sc = c.scheduler;
  for (const char* key : {"policy", "max_batch", "max_batched_tokens", "chunk_tokens", "admission"}) {
    if (sf.has(key)) c.stated.insert(std::string("scheduler.") + key);
  }
  sc.policy = sf.optional_string("policy", sc.policy);
  sc.max_batch = static_cast<int64_t>(sf.optional_integer("max_batch", static_cast<double>(sc.max_batch), 1, 1e6));
  sc.max_batched_tokens = static_cast<int64_t>(
      sf.optional_number("max_batched_tokens", static_cast<double>(sc.max_batched_tokens), 1, 1e8));
  sc.chunk_tokens = static_cast<int64_t>(sf.optional_integer("chunk_tokens", static_cast<double>(sc.chunk_tokens), 1, 1e8));
  sc.static_timeout_s = sf.optional_number("static_timeout_s", sc.static_timeout_s, 0, 1e6);
  sc.preemption = sf.optional_string("preemption", sc.preemption);
  sc.admission = sf.optional_string("admission", sc.admission);
  sf.finish();
}

void read_workload(const YAML::Node& node, const std::string& path, const std::filesystem::path& base,
                   WorkloadSpec& ws) {
  YamlFields w(node, path, "workload");
  ws.arrival = w.optional_choice("arrival", ws.arrival, arrival_named, kArrivalNames);
  ws.rate = read_rate(w, ws.rate);
  ws.requests = static_cast<int64_t>(w.optional_integer("requests", static_cast<double>(ws.requests), -1e18, 1e18));
  ws.burst_size = static_cast<int64_t>(w.optional_integer("burst_size", static_cast<double>(ws.burst_size), 1, 1e6));
  ws.seed = static_cast<uint64_t>(w.optional_integer("seed", static_cast<double>(ws.seed), 0, 1e15));
  if (auto t = w.optional("trace_file")) ws.trace_file = path_in(*t, base);
  if (auto d = w.optional("dataset")) ws.dataset = path_in(*d, base);
  ws.chars_per_token = w.optional_number("chars_per_token", ws.chars_per_token, 0.1, 100);
  ws.max_concurrency =
      static_cast<int64_t>(w.optional_integer("max_concurrency", static_cast<double>(ws.max_concurrency), 0, 1e7));
  if (auto l = w.optional("lengths")) read_lengths(*l, path, ws.lengths);
  w.finish();
}

void read_mlperf(const YAML::Node& node, const std::string& path, ServeConfig& c) {
  YamlFields mf(node, path, "mlperf");
  c.mlperf.scenario = mf.required_string("scenario");
  if (c.mlperf.scenario != "Server" && c.mlperf.scenario != "Offline") {
    throw mf.error("scenario", fmt::format("must be Server or Offline, got '{}'", c.mlperf.scenario));
  }
  c.mlperf.ttft_p99_s = mf.optional_number("ttft_p99_s", c.mlperf.ttft_p99_s, 1e-6, 1e6);
  c.mlperf.tpot_p99_s = mf.optional_number("tpot_p99_s", c.mlperf.tpot_p99_s, 1e-6, 1e6);
  mf.finish();
  // Offline sends every sample at once, as MLPerf's LoadGen does.
  if (c.mlperf.scenario == "Offline") c.workload.rate = std::numeric_limits<double>::infinity();
}

}  // namespace

ServeConfig load_serve_config(const std::string& path) {
  return read_yaml_checked(path, [&] { return load_serve_config(load_yaml_file(path), path); });
}

ServeConfig load_serve_config(const YAML::Node& root, const std::string& path) {
  YamlFields f(root, path, "");
  const auto base = std::filesystem::path(path).parent_path();
  ServeConfig c;
  c.take_engine_defaults = true;
  c.file = path;
  c.name = f.optional_string("name", std::filesystem::path(path).stem().string());
  c.description = f.optional_string("description", "");
  c.hardware = resolve(f.required_string("hardware"), base);
  c.model = resolve(f.required_string("model"), base);
  c.software = f.optional_string("software", c.software);
  c.dtype = f.optional_string("dtype", c.dtype);
  c.kv_dtype = f.optional_string("kv_dtype", c.kv_dtype);
  c.max_model_len = static_cast<int64_t>(f.optional_integer("max_model_len", 0, 1, 1e9));
  if (auto r = f.optional("replica")) c.replica = read_replica(*r, path, "replica");
  c.replicas = static_cast<int>(f.optional_integer("replicas", 1, 1, 100000));
  c.router = f.optional_string("router", c.router);
  if (auto router = f.optional("router")) {
    try {
      make_router(c.router);
    } catch (const InputError& e) {
      throw f.error_at(*router, "router", e.what());
    }
  }
  if (auto s = f.optional("scheduler")) read_scheduler(*s, path, c);
  if (auto kv = f.optional("kv")) {
    YamlFields kf(*kv, path, "kv");
    if (kf.has("block_tokens")) c.stated.insert("kv.block_tokens");
    c.block_tokens = static_cast<int64_t>(kf.optional_integer("block_tokens", static_cast<double>(c.block_tokens), 1, 1e6));
    c.gpu_memory_utilization = kf.optional_number("gpu_memory_utilization", c.gpu_memory_utilization, 0.01, 1.0);
    kf.finish();
  }
  if (auto d = f.optional("disaggregated")) {
    YamlFields df(*d, path, "disaggregated");
    c.disaggregated = true;
    c.prefill = read_replica(df.required("prefill"), path, "disaggregated.prefill");
    c.prefill_replicas = static_cast<int>(df.optional_integer("prefill_replicas", 1, 1, 100000));
    df.finish();
  }
  read_workload(f.required("workload"), path, base, c.workload);
  if (auto m = f.optional("mlperf")) read_mlperf(*m, path, c);
  if (auto sp = f.optional("speculative")) {
    YamlFields sf(*sp, path, "speculative");
    c.speculative.method = sf.required_string("method");
    if (c.speculative.method != "ngram") {
      throw sf.error("method", fmt::format("'{}': only ngram (prompt lookup) is modelled; draft-model speculation "
                                           "needs the draft's steps, which are not simulated yet",
                                           c.speculative.method));
    }
    c.speculative.tokens = static_cast<int64_t>(sf.required_integer("tokens", 1, 64));
    c.speculative.acceptance_rate = sf.required_number("acceptance_rate", 0, 1);
    c.scheduler.speculative_tokens = c.speculative.tokens;
    sf.finish();
  }
  if (auto p = f.optional("prefix_cache")) {
    YamlFields pf(*p, path, "prefix_cache");
    c.prefix_cache.prefix_tokens = static_cast<int64_t>(pf.required_integer("prefix_tokens", 1, 1e7));
    c.prefix_cache.hit_rate = pf.required_number("hit_rate", 0, 1);
    pf.finish();
  }
  if (auto s = f.optional("slo")) {
    YamlFields sf(*s, path, "slo");
    c.slo.ttft_s = sf.optional_number("ttft_s", c.slo.ttft_s, 0, 1e9);
    c.slo.tpot_s = sf.optional_number("tpot_s", c.slo.tpot_s, 0, 1e9);
    sf.finish();
  }
  if (auto cost = f.optional("cost")) {
    YamlFields cf(*cost, path, "cost");
    c.usd_per_device_hour = cf.optional_number("usd_per_device_hour", 0, 0, 1e9);
    cf.finish();
  }
  f.finish();
  return c;
}

double SpeculativeSpec::expected_tokens() const {
  if (tokens <= 0) return 1.0;
  if (acceptance_rate >= 1.0) return static_cast<double>(tokens + 1);
  return (1.0 - std::pow(acceptance_rate, static_cast<double>(tokens + 1))) / (1.0 - acceptance_rate);
}

hwmodels::EngineServing engine_defaults_on(const hwmodels::EngineServing& engine, const hwmodels::System& system,
                                           const hwmodels::Device& device, int64_t max_model_len, std::string& why) {
  why.clear();
  hwmodels::EngineServing out = engine;
  if (engine.earlier_release()) {
    const auto& e = *engine.before_release;
    out.large_gpu.reset();
    const bool long_context = e.long_context_above > 0 && max_model_len > e.long_context_above;
    if (long_context) {
      out.policy = "chunked";
      out.max_batched_tokens = out.chunk_tokens = e.long_context_batched_tokens;
    } else {
      out.policy = e.policy;
      out.max_batched_tokens = out.chunk_tokens = std::max(max_model_len, e.min_batched_tokens);
    }
    out.eager_kernel_us = e.eager_kernel_us;
    out.graph_max_context = e.graph_max_context;
    why = fmt::format("release {} (before {}): policy {}, max_num_batched_tokens {} for max_model_len {}{} ({})",
                      engine.release, e.until, out.policy, out.max_batched_tokens, max_model_len,
                      long_context ? fmt::format(" > {}: chunked prefill on by itself", e.long_context_above) : "", e.basis);
    if (e.eager_kernel_us > 0) {
      why += fmt::format("; steps that are not decode-only, above batch {} or with a context above {} run without "
                         "CUDA graphs: +{} us of host time per kernel ({})",
                         out.graph_batch_sizes.empty() ? 0 : out.graph_batch_sizes.back(), e.graph_max_context,
                         e.eager_kernel_us, e.eager_basis);
    }
    return out;
  }
  if (!engine.large_gpu || !engine.large_gpu->applies_to(system, device)) return engine;
  const auto& large = *engine.large_gpu;
  if (large.max_batch > 0) out.max_batch = large.max_batch;
  if (large.max_batched_tokens > 0) out.max_batched_tokens = large.max_batched_tokens;
  why = fmt::format("{} has {:g} GiB (>= {:g}): the engine's large-GPU defaults max_num_seqs {} and "
                    "max_num_batched_tokens {} ({})",
                    device.name, system.memory_of(device).capacity_gib.value, large.min_memory_gib, out.max_batch, out.max_batched_tokens, large.basis);
  return out;
}

std::string apply_engine_defaults(ServeConfig& c, const hwmodels::EngineServing& e) {
  std::vector<std::string> taken;
  if (!c.take_engine_defaults) return "";
  auto take = [&](const char* key, auto& field, const auto& value, bool given) {
    if (!given || c.stated.count(key)) return;
    field = value;
    taken.push_back(fmt::format("{}={}", key, value));
  };
  auto& s = c.scheduler;
  take("scheduler.policy", s.policy, e.policy, !e.policy.empty());
  take("scheduler.max_batch", s.max_batch, e.max_batch, e.max_batch > 0);
  take("scheduler.max_batched_tokens", s.max_batched_tokens, e.max_batched_tokens, e.max_batched_tokens > 0);
  take("scheduler.chunk_tokens", s.chunk_tokens, e.chunk_tokens, e.chunk_tokens > 0);
  take("scheduler.admission", s.admission, e.admission, !e.admission.empty());
  take("kv.block_tokens", c.block_tokens, e.block_tokens, e.block_tokens > 0);
  std::string out;
  for (const auto& t : taken) out += (out.empty() ? "" : ", ") + t;
  return out;
}

}  // namespace llmsim::sim::serving
