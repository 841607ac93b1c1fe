#include "hwmodels/cluster_loader.hpp"
#include "common/input_file.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "common/input_error.hpp"
#include "hwmodels/system_loader.hpp"
#include "common/yaml_fields.hpp"

namespace llmsim::hwmodels {

namespace {

Quantity read_quantity(YamlFields& owner, const std::string& key, double min, double max,
                       const std::map<std::string, std::string>& sources, const std::string& file) {
  YamlFields q(owner.required(key), file, owner.child_path(key));
  Quantity out;
  out.value = q.required_number("value", min, max);
  out.source = q.required_string("source");
  out.note = q.optional_string("note", "");
  q.finish();
  if (!sources.count(out.source)) throw q.error("source", fmt::format("'{}' is not a key of 'sources'", out.source));
  return out;
}

struct Fabric {
  std::string kind;
  std::string topology;  // rail-optimized | fat-tree
  int nics_per_node = 1;
  std::string attach;    // the node memory (or memory family, with count) each NIC's GPU reads
  Quantity nic_gbs;
  Quantity latency_us;
  std::string note;
};

// The node memory NIC r sits next to: attach<r> when the node has a family of them, else attach.
std::string nic_memory(const System& node, const std::string& attach, int r) {
  const std::string indexed = attach + std::to_string(r);
  return node.find_memory(indexed) ? indexed : attach;
}

// A GPUDirect NIC cannot deliver more than the PCIe slot between it and the GPU.
void check_nic_against_pcie(const System& node, const Fabric& f, YamlFields& fabric) {
  const std::string memory = nic_memory(node, f.attach, 0);
  for (const auto& link : node.links) {
    const bool touches = link.from == memory || link.to == memory;
    if (!touches || link.kind.rfind("pcie", 0) != 0) continue;
    if (f.nic_gbs.value > link.bandwidth_gbs.value && f.note.empty()) {
      throw fabric.error("nic_gbs", fmt::format("{} GB/s per NIC is faster than the {} GB/s PCIe link '{}' it sits "
                                                "behind; give a `note` saying why that holds (e.g. NVLink-attached NICs)",
                                                f.nic_gbs.value, link.bandwidth_gbs.value, link.id));
    }
  }
}

void add_node(System& s, const System& node, int n) {
  const std::string p = fmt::format("n{}.", n);
  for (Memory m : node.memories) {
    m.id = p + m.id;
    s.memories.push_back(m);
  }
  for (Switch sw : node.switches) {
    sw.id = p + sw.id;
    s.switches.push_back(sw);
  }
  for (Device d : node.devices) {
    d.id = p + d.id;
    d.memory = p + d.memory;
    s.devices.push_back(d);
  }
  for (Link l : node.links) {
    l.id = p + l.id;
    l.from = p + l.from;
    l.to = p + l.to;
    s.links.push_back(l);
  }
}

}  // namespace

bool is_cluster(const YAML::Node& root) { return root.IsMap() && root["node"]; }

System read_cluster(const std::string& file, const YAML::Node& root) {
  YamlFields top(root, file, "");
  System s;
  s.file = file;
  s.id = top.required_string("id");
  const auto stem = std::filesystem::path(file).stem().string();
  if (s.id != stem) throw top.error("id", fmt::format("is '{}' but the file is named '{}.yaml'", s.id, stem));
  s.name = top.required_string("name");
  s.notes = top.optional_string("notes", "");
  const YAML::Node sources = top.required("sources");
  if (!sources.IsMap() || sources.size() == 0) throw top.error_at(sources, "sources", "must map short keys to citations");
  for (const auto& e : sources) s.sources[e.first.as<std::string>()] = e.second.as<std::string>();
  const std::string node_id = top.required_string("node");
  const int nodes = static_cast<int>(top.required_integer("nodes", 1, 4096));
  // A catalog id names the file beside the cluster's; a path is taken relative to it.
  const bool path = node_id.find('/') != std::string::npos || node_id.ends_with(".yaml");
  const auto node_file = std::filesystem::path(file).parent_path() / (path ? node_id : node_id + ".yaml");
  if (!is_regular_file_path(node_file.string())) {
    throw top.error("node", fmt::format("'{}' is not a system file next to the cluster ({})", node_id,
                                        node_file.string()));
  }
  const System node = load_system(node_file.string());
  for (const auto& [key, text] : node.sources) s.sources.try_emplace(key, text);

  YamlFields fab(top.required("fabric"), file, "fabric");
  Fabric f;
  f.kind = fab.required_string("kind");
  f.topology = fab.required_string("topology");
  if (f.topology != "rail-optimized" && f.topology != "fat-tree") {
    throw fab.error("topology", fmt::format("must be rail-optimized or fat-tree, got '{}'", f.topology));
  }
  f.nics_per_node = static_cast<int>(fab.required_integer("nics_per_node", 1, 64));
  f.attach = fab.required_string("attach");
  f.nic_gbs = read_quantity(fab, "nic_gbs", 0.001, 1e5, s.sources, file);
  f.latency_us = read_quantity(fab, "latency_us", 0, 1e6, s.sources, file);
  f.note = fab.optional_string("note", "");
  fab.finish();
  for (int r = 0; r < f.nics_per_node; ++r) {
    if (!node.find_memory(nic_memory(node, f.attach, r))) {
      throw fab.error("attach", fmt::format("node '{}' has no memory '{}' (or '{}{}') for NIC {}", node_id, f.attach,
                                            f.attach, r, r));
    }
  }
  check_nic_against_pcie(node, f, fab);

  for (int n = 0; n < nodes; ++n) add_node(s, node, n);
  // Rail-optimised: NIC r of every node on switch rail<r>; fat-tree: one non-blocking core.
  const int switches = f.topology == "rail-optimized" ? f.nics_per_node : 1;
  for (int r = 0; r < switches; ++r) {
    s.switches.push_back({switches > 1 ? fmt::format("rail{}", r) : "fabric", f.kind, f.topology});
  }
  for (int n = 0; n < nodes; ++n) {
    for (int r = 0; r < f.nics_per_node; ++r) {
      Link l;
      l.id = fmt::format("n{}.nic{}", n, r);
      l.kind = f.kind;
      l.from = fmt::format("n{}.{}", n, nic_memory(node, f.attach, r));
      l.to = switches > 1 ? fmt::format("rail{}", r) : "fabric";
      l.bandwidth_gbs = f.nic_gbs;
      l.latency_us = f.latency_us;
      l.notes = f.note;
      s.links.push_back(l);
    }
  }
  auto scaled = [&](const std::optional<Quantity>& q) -> std::optional<Quantity> {
    if (!q) return std::nullopt;
    Quantity out = *q;
    out.value *= nodes;
    out.note = fmt::format("{} x the node's ({})", nodes, q->note);
    return out;
  };
  s.price_usd = scaled(node.price_usd);
  s.cloud_usd_per_hour = scaled(node.cloud_usd_per_hour);
  top.finish();
  return s;
}

}  // namespace llmsim::hwmodels
