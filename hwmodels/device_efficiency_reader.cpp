#include "hwmodels/device_efficiency_reader.hpp"

#include "common/yaml_fields.hpp"

namespace llmsim::hwmodels {

namespace {

std::map<std::string, std::string> read_string_map(const YAML::Node& node, const YamlFields& owner,
                                                   const std::string& key) {
  if (!node.IsMap()) throw owner.error_at(node, key, "must be a mapping");
  std::map<std::string, std::string> out;
  for (const auto& entry : node) out[entry.first.as<std::string>()] = entry.second.as<std::string>();
  return out;
}

std::vector<GemmTile> read_tiles(const YAML::Node& node, const YamlFields& owner, const std::string& key) {
  if (!node.IsSequence() || node.size() == 0) throw owner.error_at(node, key, "must be a non-empty list of tiles");
  std::vector<GemmTile> tiles;
  for (std::size_t i = 0; i < node.size(); ++i) {
    YamlFields tile(node[i], owner.file(), owner.child_path(key) + "[" + std::to_string(i) + "]");
    GemmTile t;
    t.m = static_cast<int>(tile.required_integer("m", 1, 4096));
    t.n = static_cast<int>(tile.required_integer("n", 1, 4096));
    t.fraction = tile.optional_number("fraction", 1.0, 1e-6, 1.0);
    tile.finish();
    tiles.push_back(t);
  }
  return tiles;
}

// `all_reduce:` a list of implementations in the order the engine tries them; the list replaces
// the base's whole (an engine build that lacks a kernel drops it, it does not add to it).
std::vector<AllReduceImpl> read_all_reduce(const YAML::Node& node, const YamlFields& owner, const std::string& key) {
  if (!node.IsSequence()) throw owner.error_at(node, key, "must be a list of all-reduce implementations");
  std::vector<AllReduceImpl> out;
  for (std::size_t i = 0; i < node.size(); ++i) {
    YamlFields f(node[i], owner.file(), owner.child_path(key) + "[" + std::to_string(i) + "]");
    AllReduceImpl impl;
    impl.name = f.required_string("name");
    impl.max_bytes = f.optional_number("max_bytes", 0, 0, kNoUpperBound);
    impl.latency_us = f.required_number("latency_us", 0, 1e6);
    impl.bandwidth_fraction = f.required_number("bandwidth_fraction", 1e-3, 4.0);
    if (auto kinds = f.optional("link_kinds")) {
      if (!kinds->IsSequence()) throw f.error_at(*kinds, "link_kinds", "must be a list of link kinds");
      for (const auto& k : *kinds) impl.link_kinds.push_back(k.as<std::string>());
    }
    impl.basis = f.optional_string("basis", "");
    f.finish();
    out.push_back(std::move(impl));
  }
  return out;
}

}  // namespace

DeviceEfficiency read_device_efficiency(const YAML::Node& node, const std::string& file, const std::string& path,
                                        DeviceEfficiency base) {
  YamlFields f(node, file, path);
  DeviceEfficiency e = std::move(base);
  e.basis = f.optional_string("basis", e.basis);
  e.launch_overhead_us = f.optional_number("launch_overhead_us", e.launch_overhead_us, 0, 1e6);
  e.step_overhead_us = f.optional_number("step_overhead_us", e.step_overhead_us, 0, 1e7);
  e.streams = static_cast<int>(f.optional_integer("streams", e.streams, 1, 1024));
  e.activation_dtype = f.optional_string("activation_dtype", e.activation_dtype);
  e.vector_fraction = f.optional_number("vector_fraction", e.vector_fraction, 1e-6, 1.0);
  e.dequant_before_gemm = f.optional_bool("dequant_before_gemm", e.dequant_before_gemm);
  e.gemm_converts_io = f.optional_bool("gemm_converts_io", e.gemm_converts_io);
  e.quantised_kernel_max_m =
      static_cast<int>(f.optional_integer("quantised_kernel_max_m", e.quantised_kernel_max_m, 0, 1e6));
  if (auto m = f.optional("matmul")) {
    YamlFields mm(*m, file, f.child_path("matmul"));
    e.matmul.max_fraction = mm.optional_number("max_fraction", e.matmul.max_fraction, 1e-6, 1.0);
    e.matmul.vector_max_m = static_cast<int>(mm.optional_integer("vector_max_m", e.matmul.vector_max_m, 0, 1e6));
    e.matmul.vector_fraction = mm.optional_number("vector_fraction", e.matmul.vector_fraction, 1e-6, 1.0);
    e.matmul.attention_fraction = mm.optional_number("attention_fraction", e.matmul.attention_fraction, 0, 1.0);
    if (auto t = mm.optional("tiles")) e.matmul.tiles = read_tiles(*t, mm, "tiles");
    mm.finish();
  }
  if (auto m = f.optional("memory")) {
    YamlFields mem(*m, file, f.child_path("memory"));
    e.memory.kernel_fraction = mem.optional_number("kernel_fraction", e.memory.kernel_fraction, 1e-6, 1.0);
    e.memory.half_bytes = mem.optional_number("half_bytes", e.memory.half_bytes, 0, kNoUpperBound);
    e.memory.row_spill_fraction = mem.optional_number("row_spill_fraction", e.memory.row_spill_fraction, 1e-3, 1.0);
    mem.finish();
  }
  if (auto m = f.optional("matmul_dtype")) {
    for (const auto& [k, v] : read_string_map(*m, f, "matmul_dtype")) e.matmul_dtype[k] = v;
  }
  if (auto m = f.optional("gemv_dtype")) {
    for (const auto& [k, v] : read_string_map(*m, f, "gemv_dtype")) e.gemv_dtype[k] = v;
  }
  if (auto m = f.optional("dequant_ops_per_weight")) {
    if (!m->IsMap()) throw f.error_at(*m, "dequant_ops_per_weight", "must be a mapping format: ops");
    for (const auto& entry : *m) {
      const auto key = entry.first.as<std::string>();
      e.dequant_ops_per_weight[key] = yaml_number(entry.second, file, f.child_path("dequant_ops_per_weight." + key));
    }
  }
  if (auto m = f.optional("transcendental_ops")) {
    if (!m->IsMap()) throw f.error_at(*m, "transcendental_ops", "must be a mapping function: ops");
    for (const auto& entry : *m) {
      const auto key = entry.first.as<std::string>();
      const double ops = yaml_number(entry.second, file, f.child_path("transcendental_ops." + key));
      if (ops < 0) throw f.error_at(entry.second, "transcendental_ops." + key, "must be 0 or more vector ops");
      e.transcendental_ops[key] = ops;
    }
  }
  if (auto m = f.optional("all_reduce")) e.all_reduce = read_all_reduce(*m, f, "all_reduce");
  f.finish();
  return e;
}

}  // namespace llmsim::hwmodels
