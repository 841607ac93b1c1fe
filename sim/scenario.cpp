#include "sim/scenario.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "common/yaml_fields.hpp"

namespace llmsim::sim {

namespace {

// Values that look like paths are taken relative to the scenario file.
std::string resolve(const std::string& value, const std::filesystem::path& base) {
  if (value.find('/') == std::string::npos || std::filesystem::path(value).is_absolute()) return value;
  return (base / value).lexically_normal().string();
}

void read_placement(const YAML::Node& node, const std::string& file, PlacementSpec& spec) {
  YamlFields p(node, file, "placement");
  spec.policy = p.optional_choice("policy", spec.policy, placement_policy_named, placement_policy_names());
  if (auto devices = p.optional("devices")) {
    if (!devices->IsSequence()) throw p.error_at(*devices, "devices", "must be a list of device ids or kinds");
    for (const auto& d : *devices) spec.devices.push_back(d.as<std::string>());
  }
  if (auto classes = p.optional("op_classes")) {
    if (!classes->IsMap()) throw p.error_at(*classes, "op_classes", "must map op classes to devices");
    for (const auto& entry : *classes) spec.op_classes[entry.first.as<std::string>()] = entry.second.as<std::string>();
  }
  spec.split_layer = static_cast<int>(p.optional_integer("split_layer", spec.split_layer, 0, 1e6));
  spec.offload_memory = p.optional_string("offload_memory", spec.offload_memory);
  spec.memory_fraction = p.optional_number("memory_fraction", spec.memory_fraction, 0.01, 1.0);
  spec.prefetch = p.optional_bool("prefetch", spec.prefetch);
  spec.collectives =
      p.optional_choice("collectives", spec.collectives, collective_algorithm_named, kCollectiveAlgorithmNames);
  spec.host_experts = p.optional_string("host_experts", spec.host_experts);
  p.finish();
}

// Request fields, read over `r` (a variant starts from the scenario's request and changes
// only what it names).
void read_request(YamlFields& f, const std::filesystem::path& base, const std::string& file, PredictRequest& r) {
  if (f.has("hardware") || r.hardware.empty()) r.hardware = resolve(f.required_string("hardware"), base);
  if (f.has("model") || r.model.empty()) r.model = resolve(f.required_string("model"), base);
  r.device = f.optional_string("device", r.device);
  r.software = f.optional_string("software", r.software);
  r.dtype = f.optional_string("dtype", r.dtype);
  r.kv_dtype = f.optional_string("kv_dtype", r.kv_dtype);
  r.batch = static_cast<int64_t>(f.optional_integer("batch", static_cast<double>(r.batch), 1, 1e5));
  r.prompt = static_cast<int64_t>(f.optional_integer("prompt", static_cast<double>(r.prompt), 0, 1e7));
  r.gen = static_cast<int64_t>(f.optional_integer("gen", static_cast<double>(r.gen), 0, 1e7));
  r.tp = static_cast<int>(f.optional_integer("tp", r.tp, 1, 1024));
  r.pp = static_cast<int>(f.optional_integer("pp", r.pp, 1, 1024));
  r.ep = static_cast<int>(f.optional_integer("ep", r.ep, 1, 1024));
  r.routing = f.optional_string("routing", r.routing);
  r.n_cpu_moe = static_cast<int64_t>(f.optional_integer("n_cpu_moe", static_cast<double>(r.n_cpu_moe), 0, 100000));
  r.expert_cache_hit = f.optional_number("expert_cache_hit", r.expert_cache_hit, 0, 1);
  r.expert_cache_slots =
      static_cast<int64_t>(f.optional_integer("expert_cache_slots", static_cast<double>(r.expert_cache_slots), 0, 1e5));
  r.microbatches =
      static_cast<int64_t>(f.optional_integer("microbatches", static_cast<double>(r.microbatches), 0, 1e6));
  r.replicas = static_cast<int>(f.optional_integer("replicas", r.replicas, 1, 4096));
  r.threads = static_cast<int>(f.optional_integer("threads", r.threads, 0, 100000));
  r.ubatch = static_cast<int64_t>(f.optional_integer("ubatch", static_cast<double>(r.ubatch), 0, 1e7));
  r.extend_context = f.optional_bool("extend_context", r.extend_context);
  r.images = static_cast<int64_t>(f.optional_integer("images", static_cast<double>(r.images), 0, 64));
  r.image_tiles = static_cast<int64_t>(f.optional_integer("image_tiles", static_cast<double>(r.image_tiles), 0, 64));
  r.usd_per_hour = f.optional_number("usd_per_hour", r.usd_per_hour, 0, 1e7);
  r.usd_per_hour_source = f.optional_string("usd_per_hour_source", r.usd_per_hour_source);
  if (auto placement = f.optional("placement")) {
    r.placement = PlacementSpec{};  // a variant's placement replaces the scenario's whole
    read_placement(*placement, file, r.placement);
  }
}

}  // namespace

Scenario load_scenario(const std::string& path) {
  return read_yaml_checked(path, [&] { return load_scenario(load_yaml_file(path), path); });
}

Scenario load_scenario(const YAML::Node& root, const std::string& path) {
  YamlFields f(root, path, "");
  const auto base = std::filesystem::path(path).parent_path();
  Scenario s;
  s.file = path;
  s.name = f.optional_string("name", std::filesystem::path(path).stem().string());
  s.description = f.optional_string("description", "");
  s.trace_decode_steps = static_cast<int64_t>(f.optional_integer("trace_decode_steps", 3, 0, 1e6));
  read_request(f, base, path, s.request);
  if (auto variants = f.optional("variants")) {
    if (!variants->IsSequence() || variants->size() == 0) {
      throw f.error_at(*variants, "variants", "must be a non-empty list of named variants");
    }
    for (std::size_t i = 0; i < variants->size(); ++i) {
      YamlFields v((*variants)[i], path, "variants[" + std::to_string(i) + "]");
      ScenarioVariant variant;
      variant.name = v.required_string("name");
      variant.description = v.optional_string("description", "");
      variant.request = s.request;
      read_request(v, base, path, variant.request);
      v.finish();
      for (const auto& other : s.variants) {
        if (other.name == variant.name) throw v.error("name", "repeats another variant's name");
      }
      s.variants.push_back(variant);
    }
  }
  f.finish();
  return s;
}

}  // namespace llmsim::sim
