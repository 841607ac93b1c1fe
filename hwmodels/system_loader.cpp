#include "hwmodels/system_loader.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <set>

#include "hwmodels/cluster_loader.hpp"
#include "hwmodels/device_efficiency_reader.hpp"
#include "common/yaml_fields.hpp"

namespace llmsim::hwmodels {

namespace {

const std::set<std::string> kComputeDtypes = {"f64", "f32", "tf32", "f16", "bf16", "fp8", "fp6", "fp4", "int8", "int4",
                                                     "int8_simd", "bf16_simd"};
const std::set<std::string> kVendors = {"nvidia", "amd", "apple", "intel", "generic"};

class SystemReader {
 public:
  SystemReader(std::string file, const YAML::Node& root) : file_(std::move(file)), root_(root) {}

  System read() {
    YamlFields top(root_, file_, "");
    System s;
    s.file = file_;
    s.id = top.required_string("id");
    const auto stem = std::filesystem::path(file_).stem().string();
    if (s.id != stem) throw top.error("id", fmt::format("is '{}' but the file is named '{}.yaml'", s.id, stem));
    s.name = top.required_string("name");
    s.notes = top.optional_string("notes", "");
    read_sources(top.required("sources"), top, s);
    sources_ = &s.sources;
    // Entries with `count: N` stand for N identical parts named id0..id(N-1); a reference from
    // such an entry to another with the same count pairs them index by index.
    read_list(top.required("memories"), top, "memories", [&](YamlFields& f) {
      const Memory m = read_memory(f);
      const int n = expand(f, m.id);
      for (int i = 0; i < n; ++i) s.memories.push_back(renamed(m, i, n));
    });
    if (auto switches = top.optional("switches")) {
      read_list(*switches, top, "switches", [&](YamlFields& f) {
        const Switch sw{f.required_string("id"), f.required_string("kind"), f.optional_string("notes", "")};
        const int n = expand(f, sw.id);
        for (int i = 0; i < n; ++i) s.switches.push_back(renamed(sw, i, n));
      });
    }
    read_list(top.required("devices"), top, "devices", [&](YamlFields& f) {
      const Device d = read_device(f);
      const int n = expand(f, d.id);
      for (int i = 0; i < n; ++i) {
        Device copy = renamed(d, i, n);
        copy.memory = resolve(f, "memory", d.memory, i, n);
        s.devices.push_back(copy);
      }
    });
    if (auto links = top.optional("links")) {
      read_list(*links, top, "links", [&](YamlFields& f) {
        const Link l = read_link(f);
        const int n = expand(f, l.id);
        for (int i = 0; i < n; ++i) {
          Link copy = renamed(l, i, n);
          copy.from = resolve(f, "connects", l.from, i, n);
          copy.to = resolve(f, "connects", l.to, i, n);
          s.links.push_back(copy);
        }
      });
    }
    s.price_usd = optional_quantity(top, "price_usd", 0, kNoUpperBound);
    s.cloud_usd_per_hour = optional_quantity(top, "cloud_usd_per_hour", 0, kNoUpperBound);
    if (auto cal = top.optional("calibration")) {
      read_list(*cal, top, "calibration", [&](YamlFields& f) { s.calibration.push_back(read_calibration(f)); });
    }
    top.finish();
    check_references(s, top);
    return s;
  }

 private:
  template <class Fn>
  void read_list(const YAML::Node& node, YamlFields& owner, const std::string& key, Fn fn) {
    if (!node.IsSequence() || node.size() == 0) throw owner.error_at(node, key, "must be a non-empty list");
    for (std::size_t i = 0; i < node.size(); ++i) {
      YamlFields f(node[i], file_, fmt::format("{}[{}]", key, i));
      fn(f);
      f.finish();
    }
  }

  void read_sources(const YAML::Node& node, YamlFields& owner, System& s) {
    if (!node.IsMap() || node.size() == 0) throw owner.error_at(node, "sources", "must map short keys to citations");
    for (const auto& entry : node) s.sources[entry.first.as<std::string>()] = entry.second.as<std::string>();
  }

  Quantity quantity(const YAML::Node& node, const YamlFields& owner, const std::string& key, double min, double max) {
    YamlFields q(node, file_, owner.child_path(key));
    Quantity out;
    out.value = q.required_number("value", min, max);
    out.source = q.required_string("source");
    out.note = q.optional_string("note", "");
    q.finish();
    if (!sources_->count(out.source)) {
      throw q.error("source", fmt::format("names '{}', which is not a key of the top-level 'sources'", out.source));
    }
    return out;
  }

  Quantity required_quantity(YamlFields& f, const std::string& key, double min, double max) {
    return quantity(f.required(key), f, key, min, max);
  }

  std::optional<Quantity> optional_quantity(YamlFields& f, const std::string& key, double min, double max) {
    auto node = f.optional(key);
    if (!node) return std::nullopt;
    return quantity(*node, f, key, min, max);
  }

  Memory read_memory(YamlFields& f) {
    Memory m;
    m.id = f.required_string("id");
    m.kind = f.required_string("kind");
    m.capacity_gib = required_quantity(f, "capacity_gib", 1e-6, 1e9);
    m.bandwidth_gbs = required_quantity(f, "bandwidth_gbs", 1e-6, 1e9);
    m.measured_bandwidth_gbs = optional_quantity(f, "measured_bandwidth_gbs", 1e-6, 1e9);
    m.notes = f.optional_string("notes", "");
    return m;
  }

  Device read_device(YamlFields& f) {
    Device d;
    d.id = f.required_string("id");
    const auto kind = f.required_string("kind");
    if (kind == "cpu") d.kind = DeviceKind::cpu;
    else if (kind == "gpu") d.kind = DeviceKind::gpu;
    else if (kind == "npu") d.kind = DeviceKind::npu;
    else throw f.error("kind", fmt::format("must be cpu, gpu or npu, got '{}'", kind));
    d.vendor = f.required_string("vendor");
    if (!kVendors.count(d.vendor)) throw f.error("vendor", "must be one of nvidia, amd, apple, intel, generic");
    d.name = f.optional_string("name", "");
    d.architecture = f.optional_string("architecture", "");
    if (!d.architecture.empty() && !is_architecture_name(d.architecture)) {
      throw f.error("architecture", fmt::format("must be one lower-case word such as hopper or ampere, got '{}'",
                                                d.architecture));
    }
    d.product_line = f.optional_string("product_line", "");
    if (!d.product_line.empty() && (!is_architecture_name(d.product_line) || d.product_line == d.architecture)) {
      throw f.error("product_line", fmt::format("must be one lower-case word such as tegra, other than the "
                                                "architecture, got '{}'",
                                                d.product_line));
    }
    d.memory = f.required_string("memory");
    // Unknown unit counts (some NPUs) disable wave quantisation: one unit.
    if (auto units = optional_quantity(f, "compute_units", 1, 1e7)) d.compute_units = *units;
    else if (d.kind == DeviceKind::npu) d.compute_units = Quantity{1, "", "not published"};
    else throw f.error("compute_units", "is required for cpu and gpu devices");
    d.threads = optional_quantity(f, "threads", 1, 1e7);
    d.boost_clock_mhz = optional_quantity(f, "boost_clock_mhz", 1, 1e5);
    d.l1d_kib = optional_quantity(f, "l1d_kib", 1, 1e5);
    d.core_bandwidth_gbs = optional_quantity(f, "core_bandwidth_gbs", 1e-3, 1e5);
    d.l2_kib = optional_quantity(f, "l2_kib", 1, 1e6);
    d.llc_mib = optional_quantity(f, "llc_mib", 1e-3, 1e6);
    d.cache_bandwidth_gbs = optional_quantity(f, "cache_bandwidth_gbs", 1e-3, 1e6);
    d.dies = optional_quantity(f, "dies", 1, 1024);
    d.die_bandwidth_gbs = optional_quantity(f, "die_bandwidth_gbs", 1e-3, 1e5);
    if (d.kind != DeviceKind::cpu) {
      for (const auto& [key, q] : {std::pair{"core_bandwidth_gbs", &d.core_bandwidth_gbs}, {"l2_kib", &d.l2_kib},
                                   {"llc_mib", &d.llc_mib}, {"cache_bandwidth_gbs", &d.cache_bandwidth_gbs},
                                   {"dies", &d.dies}, {"die_bandwidth_gbs", &d.die_bandwidth_gbs}}) {
        if (*q) throw f.error(key, "is for cpu devices only");
      }
    }
    if (d.cache_bandwidth_gbs && !d.l2_kib && !d.llc_mib)
      throw f.error("cache_bandwidth_gbs", "needs l2_kib or llc_mib: the caches it reads");
    if (d.dies.has_value() != d.die_bandwidth_gbs.has_value())
      throw f.error(d.dies ? "dies" : "die_bandwidth_gbs", "dies and die_bandwidth_gbs go together");
    YAML::Node peaks = f.required("peak_tflops");
    YamlFields p(peaks, file_, f.child_path("peak_tflops"));
    for (const auto& dtype : kComputeDtypes) {
      if (auto q = optional_quantity(p, dtype, 1e-6, 1e7)) d.peak_tflops[dtype] = *q;
    }
    p.finish();
    // CPUs and GPUs run element-wise work on their f32 units; NPUs may have no f32 path at all.
    if (d.kind != DeviceKind::npu && !d.peak_tflops.count("f32")) throw f.error("peak_tflops", "must give f32");
    if (d.peak_tflops.empty()) throw f.error("peak_tflops", "must give at least one dtype");
    d.f16_accumulate_tflops = optional_quantity(f, "f16_accumulate_tflops", 1e-6, 1e7);
    d.tdp_w = optional_quantity(f, "tdp_w", 0, 1e6);
    d.idle_w = optional_quantity(f, "idle_w", 0, 1e6);
    if (d.idle_w && d.tdp_w && d.idle_w->value > d.tdp_w->value) {
      throw f.error("idle_w", fmt::format("of {:g} W is above tdp_w ({:g} W): a device idles below its power limit",
                                          d.idle_w->value, d.tdp_w->value));
    }
    if (auto peer = f.optional("peer_link")) {
      YamlFields pl(*peer, file_, f.child_path("peer_link"));
      PeerLink link;
      link.kind = pl.required_string("kind");
      link.bandwidth_gbs = required_quantity(pl, "bandwidth_gbs", 1e-6, 1e9);
      pl.finish();
      d.peer_link = link;
    }
    d.notes = f.optional_string("notes", "");
    return d;
  }

  Link read_link(YamlFields& f) {
    Link l;
    l.id = f.required_string("id");
    l.kind = f.required_string("kind");
    YAML::Node ends = f.required("connects");
    if (!ends.IsSequence() || ends.size() != 2) throw f.error_at(ends, "connects", "must list exactly two memory ids");
    l.from = ends[0].as<std::string>();
    l.to = ends[1].as<std::string>();
    l.bandwidth_gbs = required_quantity(f, "bandwidth_gbs", 1e-6, 1e9);
    l.latency_us = required_quantity(f, "latency_us", 0, 1e9);
    const auto duplex = f.optional_string("duplex", "full");
    if (duplex != "full" && duplex != "half") throw f.error("duplex", "must be full or half");
    l.full_duplex = duplex == "full";
    l.notes = f.optional_string("notes", "");
    return l;
  }

  CalibrationEntry read_calibration(YamlFields& f) {
    CalibrationEntry c;
    c.device = f.required_string("device");
    c.software = f.required_string("software");
    c.efficiency = f.required("efficiency");
    c.location = f.child_path("efficiency");
    read_device_efficiency(c.efficiency, file_, c.location, {});  // validate now, apply later over the profile
    if (auto p = f.optional("provenance")) {
      if (!p->IsMap()) throw f.error_at(*p, "provenance", "must be a mapping (written by llmsim calibrate)");
      c.provenance = *p;
    }
    return c;
  }

  void check_references(const System& s, YamlFields& top) {
    std::set<std::string> ids;
    for (const auto& m : s.memories)
      if (!ids.insert(m.id).second) throw top.error("memories", fmt::format("repeats the id '{}'", m.id));
    for (const auto& sw : s.switches)
      if (!ids.insert(sw.id).second) throw top.error("switches", fmt::format("repeats the id '{}'", sw.id));
    for (const auto& d : s.devices) {
      if (!ids.insert(d.id).second) throw top.error("devices", fmt::format("repeats the id '{}'", d.id));
      if (!s.find_memory(d.memory)) {
        throw top.error("devices", fmt::format("device '{}' reads memory '{}', which is not among 'memories'", d.id,
                                               d.memory));
      }
    }
    for (const auto& l : s.links) {
      if (!ids.insert(l.id).second) throw top.error("links", fmt::format("repeats the id '{}'", l.id));
      for (const auto& end : {l.from, l.to}) {
        if (!s.find_memory(end) && !s.find_switch(end)) {
          throw top.error("links", fmt::format("link '{}' connects '{}', which is not among 'memories' or 'switches'",
                                               l.id, end));
        }
      }
    }
    for (const auto& c : s.calibration) {
      if (!s.find_device(c.device)) {
        throw top.error("calibration", fmt::format("names device '{}', which is not among 'devices'", c.device));
      }
    }
  }

  // Reads `count` (default 1) and remembers it for references to `id`.
  int expand(YamlFields& f, const std::string& id) {
    const int n = static_cast<int>(f.optional_integer("count", 1, 1, 1024));
    counts_[id] = n;
    return n;
  }

  template <class T>
  static T renamed(T item, int index, int count) {
    if (count > 1) item.id += std::to_string(index);
    return item;
  }

  std::string resolve(YamlFields& f, const std::string& key, const std::string& ref, int index, int count) {
    auto it = counts_.find(ref);
    if (it == counts_.end()) return ref;  // checked by check_references
    if (it->second == 1) return ref;
    if (it->second != count) {
      throw f.error(key, fmt::format("refers to '{}', which has count {}, from an entry with count {}; counts must "
                                     "match or the target must be single",
                                     ref, it->second, count));
    }
    return ref + std::to_string(index);
  }

  std::string file_;
  YAML::Node root_;
  const std::map<std::string, std::string>* sources_ = nullptr;
  std::map<std::string, int> counts_;
};

}  // namespace

System load_system(const std::string& path) {
  return read_yaml_checked(path, [&] {
    YAML::Node root = load_yaml_file(path);
    if (is_cluster(root)) return read_cluster(path, root);
    return SystemReader(path, root).read();
  });
}

}  // namespace llmsim::hwmodels
