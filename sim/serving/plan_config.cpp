#include "sim/serving/plan_config.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "common/yaml_fields.hpp"

namespace llmsim::sim::serving {

namespace {

template <class T>
std::vector<T> read_list(YamlFields& f, const std::string& key, std::vector<T> fallback, double min, double max) {
  auto node = f.optional(key);
  if (!node) return fallback;
  if (!node->IsSequence() || node->size() == 0) throw f.error_at(*node, key, "must be a non-empty list");
  std::vector<T> out;
  for (const auto& item : *node) {
    const double v = yaml_number(item, f.file(), f.child_path(key));
    if (v < min || v > max) throw f.error_at(item, key, "has a value out of range");
    out.push_back(static_cast<T>(v));
  }
  return out;
}

std::vector<std::string> read_names(YamlFields& f, const std::string& key, const std::string& fallback) {
  auto node = f.optional(key);
  if (!node) return {fallback};
  if (!node->IsSequence() || node->size() == 0) throw f.error_at(*node, key, "must be a non-empty list of names");
  std::vector<std::string> out;
  for (const auto& item : *node) out.push_back(item.as<std::string>());
  return out;
}

}  // namespace

std::string PlanPoint::label() const {
  return fmt::format("{}x {} tp{} b{} {} {}/{}{}", replicas, hardware, tp, max_batch, software, dtype, kv_dtype,
                     prefill_replicas > 0 ? fmt::format(" pd{}", prefill_replicas) : "");
}

namespace {
PlanConfig read_plan_config(const std::string& path);
}  // namespace

PlanConfig load_plan_config(const std::string& path) {
  return read_yaml_checked(path, [&] { return read_plan_config(path); });
}

namespace {

PlanConfig read_plan_config(const std::string& path) {
  const YAML::Node root = load_yaml_file(path);
  YamlFields f(root, path, "");
  PlanConfig p;
  p.file = path;
  p.name = f.optional_string("name", std::filesystem::path(path).stem().string());
  p.description = f.optional_string("description", "");
  std::string serve = f.required_string("serve");
  if (std::filesystem::path(serve).is_relative()) serve = (std::filesystem::path(path).parent_path() / serve).string();
  p.base = load_serve_config(serve);
  YamlFields g(f.required("grid"), path, "grid");
  const auto hardware = read_names(g, "hardware", p.base.hardware);
  const auto software = read_names(g, "software", p.base.software);
  const auto dtypes = read_names(g, "dtype", p.base.dtype);
  const auto kv_dtypes = read_names(g, "kv_dtype", p.base.kv_dtype);
  const auto replicas = read_list<int>(g, "replicas", {p.base.replicas}, 1, 4096);
  const auto tps = read_list<int>(g, "tp", {p.base.replica.tp}, 1, 64);
  const auto batches = read_list<int64_t>(g, "max_batch", {p.base.scheduler.max_batch}, 1, 1e6);
  const auto prefill = read_list<int>(g, "prefill_replicas", {p.base.disaggregated ? p.base.prefill_replicas : 0}, 0, 4096);
  g.finish();
  // Counted before the points are made: a grid of 10^9 would exhaust memory while being built.
  double count = 1;
  for (const double n : {double(hardware.size()), double(software.size()), double(dtypes.size()),
                         double(kv_dtypes.size()), double(tps.size()), double(batches.size()), double(prefill.size()),
                         double(replicas.size())}) {
    count *= n;
  }
  if (count > kMaxPlanPoints) throw g.error("grid", fmt::format("has {:g} points; at most {}", count, kMaxPlanPoints));
  for (const auto& h : hardware)
    for (const auto& sw : software)
      for (const auto& dt : dtypes)
        for (const auto& kv : kv_dtypes)
          for (int tp : tps)
            for (int64_t b : batches)
              for (int pd : prefill)
                for (int r : replicas) p.points.push_back({h, r, tp, b, sw, dt, kv, pd});
  YamlFields t(f.required("target"), path, "target");
  p.target.ttft_p99_s = t.required_number("ttft_p99_s", 1e-6, 1e6);
  p.target.tpot_p99_s = t.optional_number("tpot_p99_s", 0, 0, 1e6);
  t.finish();
  if (auto cost = f.optional("usd_per_device_hour")) {
    if (!cost->IsMap()) throw f.error_at(*cost, "usd_per_device_hour", "must map hardware ids to prices");
    for (const auto& entry : *cost) {
      p.usd_per_device_hour[entry.first.as<std::string>()] =
          yaml_number(entry.second, path, "usd_per_device_hour." + entry.first.as<std::string>());
    }
  }
  p.parallel = static_cast<int>(f.optional_integer("parallel", 2, 1, 256));
  f.finish();
  return p;
}

}  // namespace

ServeConfig config_for(const PlanConfig& plan, const PlanPoint& point) {
  ServeConfig c = plan.base;
  c.hardware = point.hardware;
  c.replicas = point.replicas;
  c.replica.tp = point.tp;
  c.replica.placement.devices.clear();  // the first tp GPUs of that hardware
  c.scheduler.max_batch = point.max_batch;
  c.stated.insert("scheduler.max_batch");
  c.software = point.software;
  c.dtype = point.dtype;
  c.kv_dtype = point.kv_dtype;
  c.disaggregated = point.prefill_replicas > 0;
  if (c.disaggregated) {
    c.prefill = c.replica;  // prefill replicas of the same tensor-parallel size, on the next devices
    c.prefill_replicas = point.prefill_replicas;
  }
  auto it = plan.usd_per_device_hour.find(point.hardware);
  if (it != plan.usd_per_device_hour.end()) c.usd_per_device_hour = it->second;
  return c;
}

}  // namespace llmsim::sim::serving
