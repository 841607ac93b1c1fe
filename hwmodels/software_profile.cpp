#include "hwmodels/software_profile.hpp"
#include "common/input_file.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>

#include "hwmodels/device_efficiency_reader.hpp"
#include "common/input_error.hpp"
#include "common/name_listing.hpp"
#include "common/yaml_fields.hpp"

namespace llmsim::hwmodels {

namespace fs = std::filesystem;

namespace {

// all, a device kind, kind-vendor or kind-vendor-architecture: the keys efficiency_for looks
// up (Device::profile_class, Device::architecture_class).
bool is_device_section(const std::string& key) {
  if (key == "all") return true;
  for (const std::string kind : {"cpu", "gpu", "npu"}) {
    if (key == kind) return true;
    for (const std::string vendor : {"nvidia", "amd", "apple", "intel", "generic"}) {
      const std::string vendor_key = kind + "-" + vendor;
      if (key == vendor_key) return true;
      if (key.starts_with(vendor_key + "-") && is_architecture_name(key.substr(vendor_key.size() + 1))) return true;
    }
  }
  return false;
}

SoftwareProfile read_software_profile(const std::string& path);
}  // namespace

SoftwareProfile load_software_profile(const std::string& path) {
  return read_yaml_checked(path, [&] { return read_software_profile(path); });
}

namespace {

EngineServing read_serving(const YAML::Node& node, const std::string& path) {
  YamlFields f(node, path, "serving");
  EngineServing h;
  h.step_us = f.optional_number("step_us", 0, 0, 1e6);
  h.per_sequence_us = f.optional_number("per_sequence_us", 0, 0, 1e6);
  h.per_token_us = f.optional_number("per_token_us", 0, 0, 1e6);
  h.request_us = f.optional_number("request_us", 0, 0, 1e8);
  h.basis = f.required_string("basis");
  h.policy = f.optional_string("policy", "");
  h.max_batch = static_cast<int64_t>(f.optional_integer("max_num_seqs", 0, 1, 1e6));
  h.max_batched_tokens = static_cast<int64_t>(f.optional_integer("max_num_batched_tokens", 0, 1, 1e8));
  h.chunk_tokens = static_cast<int64_t>(f.optional_integer("chunk_tokens", 0, 1, 1e8));
  h.admission = f.optional_string("admission", "");
  h.block_tokens = static_cast<int64_t>(f.optional_integer("block_tokens", 0, 1, 1e6));
  if (auto sizes = f.optional("graph_batch_sizes")) {
    if (!sizes->IsSequence()) throw f.error_at(*sizes, "graph_batch_sizes", "must be a list of batch sizes");
    int previous = 0;
    for (const auto& entry : *sizes) {
      const double v = yaml_number(entry, path, "serving.graph_batch_sizes");
      if (!(v >= 1 && v <= 1e5) || v != static_cast<double>(static_cast<int>(v)) || static_cast<int>(v) <= previous) {
        throw f.error_at(entry, "graph_batch_sizes", "must be whole numbers from 1 to 100000 in increasing order");
      }
      previous = static_cast<int>(v);
      h.graph_batch_sizes.push_back(previous);
    }
  }
  f.finish();
  return h;
}

SoftwareProfile read_software_profile(const std::string& path) {
  YAML::Node root = load_yaml_file(path);
  YamlFields f(root, path, "");
  SoftwareProfile p;
  p.file = path;
  p.id = f.required_string("id");
  p.description = f.required_string("description");
  p.prefill_chunk_tokens = static_cast<int>(f.optional_integer("prefill_chunk_tokens", 0, 0, 1e9));
  p.flash_attention = f.optional_bool("flash_attention", false);
  p.fuse_qkv = f.optional_bool("fuse_qkv", false);
  p.fuse_gate_up = f.optional_bool("fuse_gate_up", false);
  if (auto kernels = f.optional("kernels_per_op")) {
    YamlFields k(*kernels, path, "kernels_per_op");
    for (const auto& entry : *kernels) {
      const auto key = entry.first.as<std::string>();
      if (!is_kernel_op_key(key)) {
        throw k.error_at(entry.first, key, fmt::format("is no op the lowering launches kernels for; known: {} (and "
                                                       "matmul.<family>, norm.<layer|rms>, ffn_act.<activation>)",
                                                       fmt::join(kernel_op_keys(), ", ")));
      }
      p.kernels_per_op[key] = static_cast<int>(k.required_integer(key, 0, 1000));
    }
  }
  if (auto serving = f.optional("serving")) p.serving = read_serving(*serving, path);
  YAML::Node devices = f.required("devices");
  YamlFields d(devices, path, "devices");
  for (const auto& entry : devices) {
    const auto key = entry.first.as<std::string>();
    if (!is_device_section(key)) {
      throw d.error_at(entry.first, key, "is no device section: use all, a kind (cpu, gpu, npu), kind-vendor "
                                         "(e.g. gpu-nvidia; vendors nvidia, amd, apple, intel, generic) or "
                                         "kind-vendor-architecture (e.g. gpu-nvidia-hopper)");
    }
    p.sections[key] = d.required(key);
    // Validate each section once on its own so a typo is reported at load time.
    read_device_efficiency(p.sections[key], path, "devices." + key, {});
  }
  if (!p.sections.count("all")) throw f.error("devices", "must have an 'all' section with the common defaults");
  f.finish();
  return p;
}

}  // namespace

const std::vector<std::string>& kernel_op_keys() {
  static const std::vector<std::string> keys{"attention", "collective", "dequantize", "elementwise", "embedding",
                                             "ffn_act",   "kv_store",   "matmul",     "norm",        "residual",
                                             "rope",      "router",     "sampling",   "send",        "ssd",
                                             "wkv",       "wkv_token"};
  return keys;
}

bool is_kernel_op_key(const std::string& key) {
  const auto& keys = kernel_op_keys();
  if (std::find(keys.begin(), keys.end(), key) != keys.end()) return true;
  const auto dot = key.find('.');
  if (dot == std::string::npos || dot + 1 == key.size()) return false;
  const std::string base = key.substr(0, dot), variant = key.substr(dot + 1);
  if (base == "norm") return variant == "layer" || variant == "rms";
  return base == "matmul" || base == "ffn_act";  // weight families and activations are open lists
}

DeviceEfficiency SoftwareProfile::efficiency_for(const System& system, const Device& device) const {
  DeviceEfficiency e;
  std::string applied;
  for (const auto& key :
       {std::string("all"), to_string(device.kind), device.profile_class(), device.architecture_class()}) {
    if (key.empty()) continue;
    auto it = sections.find(key);
    if (it == sections.end()) continue;
    e = read_device_efficiency(it->second, file, "devices." + key, e);
    applied += (applied.empty() ? "" : " + ") + key;
  }
  std::string basis = fmt::format("default: profile {} ({})", id, applied);
  if (const auto* cal = system.calibration_for(device.id, id)) {
    e = read_device_efficiency(cal->efficiency, system.file, cal->location, e);
    basis = fmt::format("calibrated: {} {} over {}", system.file, cal->location, basis);
  }
  e.basis = basis + (e.basis.empty() ? "" : "; " + e.basis);
  return e;
}

std::string SoftwareProfile::fit_scope(const Device& device) const {
  const std::string architecture = device.architecture_class();
  return !architecture.empty() && sections.count(architecture) ? architecture : device.profile_class();
}

ProfileSet::ProfileSet(std::string directory) : directory_(std::move(directory)) {}

std::vector<std::string> ProfileSet::ids() const { return file_stems(directory_, ".yaml"); }

SoftwareProfile ProfileSet::load(const std::string& id) const {
  // A path to a profile file (such as a copy fitted by `llmsim calibrate-profile`) is read as is.
  if (id.ends_with(".yaml") && is_regular_file_path(id)) return load_software_profile(id);
  const fs::path file = fs::path(directory_) / (id + ".yaml");
  if (!is_regular_file_path(file.string())) {
    throw InputError("--software", fmt::format("unknown software profile '{}'; known: {}", id, join_names(ids())));
  }
  return load_software_profile(file.string());
}

}  // namespace llmsim::hwmodels
