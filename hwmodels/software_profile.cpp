#include "hwmodels/software_profile.hpp"
#include "common/input_file.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <regex>
#include <sstream>

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

// Maps merge key by key, recursively; a scalar or list of the derived file replaces the base's.
YAML::Node merged_over(const YAML::Node& base, const YAML::Node& derived) {
  if (!base.IsMap() || !derived.IsMap()) return YAML::Clone(derived);
  YAML::Node out = YAML::Clone(base);
  for (const auto& entry : derived) {
    const auto key = entry.first.as<std::string>();
    const YAML::Node existing = out[key];
    out[key] = existing ? merged_over(existing, entry.second) : YAML::Clone(entry.second);
  }
  return out;
}

YAML::Node resolved_yaml(const std::string& path, int depth) {
  const YAML::Node root = load_yaml_file(path);
  const YAML::Node base = root.IsMap() ? root["based_on"] : YAML::Node();
  if (!base) return root;
  const std::string id = base.IsScalar() ? base.Scalar() : "";
  const bool plain = !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
  if (!plain || id.front() == '.') {
    throw InputError(path, "based_on: must name a profile id (letters, digits, '.', '-', '_'), such as llama.cpp");
  }
  if (depth >= 4) throw InputError(path, "based_on: more than 4 profiles deep (a cycle?)");
  const fs::path base_file = fs::path(path).parent_path() / (id + ".yaml");
  if (!is_regular_file_path(base_file.string())) {
    throw InputError(path, fmt::format("based_on: no profile '{}' beside this file ({})", id, base_file.string()));
  }
  YAML::Node merged = merged_over(resolved_yaml(base_file.string(), depth + 1), root);
  merged.remove("based_on");
  return merged;
}

}  // namespace

YAML::Node resolved_profile_yaml(const std::string& path) { return resolved_yaml(path, 0); }

namespace {

std::string lower_case(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

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
  if (auto large = f.optional("large_gpu")) {
    YamlFields g(*large, path, "serving.large_gpu");
    LargeGpuDefaults d;
    d.min_memory_gib = g.required_number("min_memory_gib", 1, 1e6);
    d.max_batch = static_cast<int64_t>(g.optional_integer("max_num_seqs", 0, 1, 1e6));
    d.max_batched_tokens = static_cast<int64_t>(g.optional_integer("max_num_batched_tokens", 0, 1, 1e8));
    d.basis = g.required_string("basis");
    if (auto names = g.optional("except_names")) {
      if (!names->IsSequence()) throw g.error_at(*names, "except_names", "must be a list of device-name parts");
      for (const auto& n : *names) d.except_names.push_back(lower_case(n.as<std::string>()));
    }
    g.finish();
    h.large_gpu = std::move(d);
  }
  if (auto before = f.optional("before_release")) {
    YamlFields g(*before, path, "serving.before_release");
    EarlierReleaseDefaults d;
    d.until = g.required_string("until");
    if (!is_release_version(d.until)) throw g.error("until", fmt::format("'{}' is not a release version such as 0.8", d.until));
    d.policy = g.required_string("policy");
    d.min_batched_tokens = static_cast<int64_t>(g.required_integer("min_batched_tokens", 1, 1e8));
    d.long_context_above = static_cast<int64_t>(g.optional_integer("long_context_above", 0, 1, 1e9));
    d.long_context_batched_tokens = static_cast<int64_t>(g.optional_integer("long_context_batched_tokens", 0, 1, 1e8));
    if ((d.long_context_above > 0) != (d.long_context_batched_tokens > 0)) {
      throw g.error("long_context_above", "long_context_above and long_context_batched_tokens go together");
    }
    d.eager_kernel_us = g.optional_number("eager_kernel_us", 0, 0, 1e5);
    d.graph_max_context = static_cast<int64_t>(g.optional_integer("graph_max_context", 0, 1, 1e9));
    d.eager_basis = g.optional_string("eager_basis", "");
    if (d.eager_kernel_us > 0 && d.eager_basis.empty()) throw g.error("eager_basis", "eager_kernel_us needs its source (eager_basis)");
    d.basis = g.required_string("basis");
    g.finish();
    h.before_release = std::move(d);
  }
  h.release = f.optional_string("release", "");
  if (!h.release.empty() && !is_release_version(h.release)) {
    throw f.error("release", fmt::format("'{}' is not a release version such as 0.6.3", h.release));
  }
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

// Device sections under `where` (the profile's `devices`, or a build change's), each checked on
// its own so that a typo is reported at load time.
std::map<std::string, YAML::Node> read_device_sections(const YAML::Node& devices, const std::string& path,
                                                       const std::string& where) {
  YamlFields d(devices, path, where);
  if (!devices.IsMap()) throw d.error_at(devices, where, "must be a mapping of device sections");
  std::map<std::string, YAML::Node> sections;
  for (const auto& entry : devices) {
    const auto key = entry.first.as<std::string>();
    if (!is_device_section(key)) {
      throw d.error_at(entry.first, key, "is no device section: use all, a kind (cpu, gpu, npu), kind-vendor "
                                         "(e.g. gpu-nvidia; vendors nvidia, amd, apple, intel, generic) or "
                                         "kind-vendor-architecture (e.g. gpu-nvidia-hopper)");
    }
    sections[key] = d.required(key);
    read_device_efficiency(sections[key], path, where + "." + key, {});
  }
  return sections;
}

bool is_backend_name(const std::string& name) {
  return std::any_of(std::begin(kBackends), std::end(kBackends), [&](const char* b) { return name == b; });
}

std::string backend_names() {
  std::string out;
  for (const char* b : kBackends) out += (out.empty() ? "" : ", ") + std::string(b);
  return out;
}

std::vector<BuildChange> read_builds(const YAML::Node& node, const std::string& path) {
  if (!node.IsSequence()) {
    throw InputError(path, "builds: must be a list of {since, basis, devices} changes, oldest first");
  }
  std::vector<BuildChange> out;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string where = fmt::format("builds[{}]", i);
    YamlFields b(node[i], path, where);
    BuildChange c;
    c.since = static_cast<int>(b.required_integer("since", 1, 1e7));
    c.until = static_cast<int>(b.optional_integer("until", 0, c.since + 1, 1e7));
    c.backend = b.optional_string("backend", "");
    if (!c.backend.empty() && !is_backend_name(c.backend)) {
      throw b.error("backend", fmt::format("expected one of {}, got '{}'", backend_names(), c.backend));
    }
    c.basis = b.required_string("basis");
    if (b.optional("flash_attention")) c.flash_attention = b.optional_bool("flash_attention", false);
    if (auto devices = b.optional("devices")) c.sections = read_device_sections(*devices, path, where + ".devices");
    if (!out.empty() && c.since < out.back().since) throw b.error("since", "builds must be listed oldest first");
    b.finish();
    out.push_back(std::move(c));
  }
  return out;
}

SoftwareProfile read_software_profile(const std::string& path) {
  YAML::Node root = resolved_profile_yaml(path);
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
  p.sections = read_device_sections(f.required("devices"), path, "devices");
  if (!p.sections.count("all")) throw f.error("devices", "must have an 'all' section with the common defaults");
  if (auto builds = f.optional("builds")) p.builds = read_builds(*builds, path);
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
  std::string applied, changes;  // changes: the bases of the build changes that reached this device
  for (const auto& key :
       {std::string("all"), to_string(device.kind), device.profile_class(), device.product_line_class(),
        device.architecture_class()}) {
    if (key.empty()) continue;
    if (auto it = sections.find(key); it != sections.end()) {
      e = read_device_efficiency(it->second, file, "devices." + key, e);
      applied += (applied.empty() ? "" : " + ") + key;
    }
    // The selected build's changes, oldest first, over the same key, where their backend runs.
    const std::string runs_on = backend.empty() ? default_backend(device) : backend;
    for (std::size_t i : this->applied) {
      if (!builds[i].backend.empty() && builds[i].backend != runs_on) continue;
      auto it = builds[i].sections.find(key);
      if (it == builds[i].sections.end()) continue;
      e = read_device_efficiency(it->second, file, fmt::format("builds[{}].devices.{}", i, key), e);
      applied += fmt::format(" + b{} {}", builds[i].since, key);
      if (changes.find(builds[i].basis) == std::string::npos) changes += "; " + builds[i].basis;
    }
  }
  std::string basis = fmt::format("default: profile {} ({})", label(), applied);
  if (const auto* cal = system.calibration_for(device.id, id)) {
    e = read_device_efficiency(cal->efficiency, system.file, cal->location, e);
    basis = fmt::format("calibrated: {} {} over {}", system.file, cal->location, basis);
  }
  e.basis = basis + (e.basis.empty() ? "" : "; " + e.basis) + changes;
  return e;
}

void SoftwareProfile::select_build(int build_number, const std::string& backend_name) {
  if (builds.empty()) {
    throw InputError("--software", fmt::format("profile '{}' states no builds (key builds:); name it without @b{}",
                                               id, build_number));
  }
  if (!backend_name.empty() && !is_backend_name(backend_name)) {
    throw InputError("--software", fmt::format("unknown backend '{}' in {}@b{}:{}; known: {}", backend_name, id,
                                               build_number, backend_name, backend_names()));
  }
  build = build_number;
  backend = backend_name;
  applied.clear();
  for (std::size_t i = 0; i < builds.size(); ++i) {
    const auto& c = builds[i];
    if (build_number < c.since || (c.until > 0 && build_number >= c.until)) continue;
    applied.push_back(i);
    if (c.flash_attention) flash_attention = *c.flash_attention;
  }
}

std::string build_label(const std::string& id, int build, const std::string& backend) {
  if (build <= 0) return id;
  return backend.empty() ? fmt::format("{}@b{}", id, build) : fmt::format("{}@b{}:{}", id, build, backend);
}

std::string SoftwareProfile::label() const {
  return release_named ? id + "@" + serving.release : build_label(id, build, backend);
}

bool is_release_version(const std::string& text) {
  static const std::regex version(R"(^\d{1,6}(\.\d{1,6}){0,3}$)");
  return std::regex_match(text, version);
}

bool release_older(const std::string& a, const std::string& b) {
  for (const auto* v : {&a, &b})
    if (!is_release_version(*v)) throw InputError("release", fmt::format("'{}' is not a release version such as 0.6.3", *v));
  auto parts = [](const std::string& v) {
    std::vector<long> out;
    std::istringstream in(v);
    for (std::string part; std::getline(in, part, '.');) out.push_back(std::stol(part));
    out.resize(4, 0);
    return out;
  };
  return parts(a) < parts(b);
}

bool LargeGpuDefaults::applies_to(const System& system, const Device& device) const {
  if (device.kind != DeviceKind::gpu || system.memory_of(device).capacity_gib.value < min_memory_gib) return false;
  const std::string names = lower_case(device.name + " " + system.name + " " + system.id);
  return std::none_of(except_names.begin(), except_names.end(),
                      [&](const std::string& part) { return names.find(part) != std::string::npos; });
}

std::string default_backend(const Device& device) {
  if (device.kind == DeviceKind::cpu) return "cpu";
  if (device.kind != DeviceKind::gpu) return "";
  if (device.vendor == "nvidia") return "cuda";
  if (device.vendor == "amd") return "rocm";
  if (device.vendor == "apple") return "metal";
  if (device.vendor == "intel") return "sycl";
  return "";
}

std::string SoftwareProfile::fit_scope(const Device& device) const {
  for (const auto& key : {device.architecture_class(), device.product_line_class()})
    if (!key.empty() && sections.count(key)) return key;
  return device.profile_class();
}

ProfileSet::ProfileSet(std::string directory) : directory_(std::move(directory)) {}

std::vector<std::string> ProfileSet::ids() const { return file_stems(directory_, ".yaml"); }

SoftwareProfile ProfileSet::load(const std::string& id) const {
  // A path to a profile file (such as a copy fitted by `llmsim calibrate-profile`) is read as is.
  if (id.ends_with(".yaml") && is_regular_file_path(id)) return load_software_profile(id);
  // NAME@bNNNN[:BACKEND]: the profile with the kernel-path changes of that build (its `builds:`
  // list), on the backend named (else each device's own).
  if (const auto at = id.find('@'); at != std::string::npos) {
    const auto colon = id.find(':', at);
    const std::string version = id.substr(at + 1, colon == std::string::npos ? std::string::npos : colon - at - 1);
    const std::string backend_name = colon == std::string::npos ? "" : id.substr(colon + 1);
    // NAME@X.Y.Z: a serving engine's release (its `serving.before_release` defaults where older).
    if (colon == std::string::npos && is_release_version(version)) {
      SoftwareProfile p = load(id.substr(0, at));
      if (!p.serving.before_release) {
        throw InputError("--software", fmt::format("'{}': profile {} states no release defaults (serving.before_release); "
                                                   "an engine build is named NAME@bNNNN (llama.cpp@b5000)",
                                                   id, p.id));
      }
      p.serving.release = version;
      p.release_named = true;
      return p;
    }
    const bool digits = version.size() > 1 && version.front() == 'b' &&
                        std::all_of(version.begin() + 1, version.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || version.size() > 8) {
      throw InputError("--software", fmt::format("expected NAME@bNNNN or NAME@bNNNN:BACKEND (an engine build number "
                                                 "such as llama.cpp@b5000, llama.cpp@b7000:vulkan) or NAME@X.Y.Z (a "
                                                 "serving engine's release, such as vllm@0.6.3), got '{}'", id));
    }
    if (colon != std::string::npos && backend_name.empty()) {
      throw InputError("--software", fmt::format("'{}' names no backend after ':'; known: {}", id, backend_names()));
    }
    SoftwareProfile p = load(id.substr(0, at));
    p.select_build(std::stoi(version.substr(1)), backend_name);
    return p;
  }
  const fs::path file = fs::path(directory_) / (id + ".yaml");
  if (!is_regular_file_path(file.string())) {
    throw InputError("--software", fmt::format("unknown software profile '{}'; known: {}", id, join_names(ids())));
  }
  return load_software_profile(file.string());
}

}  // namespace llmsim::hwmodels
