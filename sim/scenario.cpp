#include "sim/scenario.hpp"

#include <filesystem>

#include "hwmodels/yaml_fields.hpp"

namespace llmsim::sim {

namespace {

// Values that look like paths are taken relative to the scenario file.
std::string resolve(const std::string& value, const std::filesystem::path& base) {
  if (value.find('/') == std::string::npos || std::filesystem::path(value).is_absolute()) return value;
  return (base / value).lexically_normal().string();
}

void read_placement(const YAML::Node& node, const std::string& file, PlacementSpec& spec) {
  YamlFields p(node, file, "placement");
  spec.policy = p.optional_string("policy", spec.policy);
  if (auto devices = p.optional("devices")) {
    if (!devices->IsSequence()) throw p.error_at(*devices, "devices", "must be a list of device ids or kinds");
    for (const auto& d : *devices) spec.devices.push_back(d.as<std::string>());
  }
  if (auto classes = p.optional("op_classes")) {
    if (!classes->IsMap()) throw p.error_at(*classes, "op_classes", "must map op classes to devices");
    for (const auto& entry : *classes) spec.op_classes[entry.first.as<std::string>()] = entry.second.as<std::string>();
  }
  spec.split_layer = static_cast<int>(p.optional_number("split_layer", spec.split_layer, 0, 1e6));
  spec.offload_memory = p.optional_string("offload_memory", spec.offload_memory);
  spec.memory_fraction = p.optional_number("memory_fraction", spec.memory_fraction, 0.01, 1.0);
  spec.prefetch = p.optional_bool("prefetch", spec.prefetch);
  spec.collectives = p.optional_string("collectives", spec.collectives);
  p.finish();
}

}  // namespace

Scenario load_scenario(const std::string& path) {
  const YAML::Node root = load_yaml_file(path);
  YamlFields f(root, path, "");
  const auto base = std::filesystem::path(path).parent_path();
  Scenario s;
  s.file = path;
  s.name = f.optional_string("name", std::filesystem::path(path).stem().string());
  s.description = f.optional_string("description", "");
  auto& r = s.request;
  r.hardware = resolve(f.required_string("hardware"), base);
  r.device = f.optional_string("device", "");
  r.model = resolve(f.required_string("model"), base);
  r.software = f.optional_string("software", r.software);
  r.dtype = f.optional_string("dtype", r.dtype);
  r.kv_dtype = f.optional_string("kv_dtype", r.kv_dtype);
  r.batch = static_cast<int64_t>(f.optional_number("batch", 1, 1, 1e5));
  r.prompt = static_cast<int64_t>(f.optional_number("prompt", 512, 0, 1e7));
  r.gen = static_cast<int64_t>(f.optional_number("gen", 128, 0, 1e7));
  r.tp = static_cast<int>(f.optional_number("tp", 1, 1, 1024));
  r.pp = static_cast<int>(f.optional_number("pp", 1, 1, 1024));
  r.microbatches = static_cast<int64_t>(f.optional_number("microbatches", 0, 0, 1e6));
  if (auto placement = f.optional("placement")) read_placement(*placement, path, r.placement);
  s.trace_decode_steps = static_cast<int64_t>(f.optional_number("trace_decode_steps", 3, 0, 1e6));
  f.finish();
  return s;
}

}  // namespace llmsim::sim
