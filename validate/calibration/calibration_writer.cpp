#include "validate/calibration/calibration_writer.hpp"

#include <fmt/format.h>

#include "common/input_error.hpp"
#include "common/yaml_fields.hpp"
#include "validate/calibration/fit_parameter.hpp"

namespace llmsim::validate {

namespace {

// The memories entry that holds `memory_id` (an entry with `count: N` holds id0..id(N-1)).
YAML::Node memory_entry(YAML::Node memories, const std::string& memory_id) {
  for (auto m : memories) {
    const auto id = m["id"].as<std::string>();
    if (id == memory_id) return m;
    if (m["count"] && memory_id.rfind(id, 0) == 0) return m;
  }
  return YAML::Node();
}

}  // namespace

YAML::Node number_node(double value, int digits) { return YAML::Node(fmt::format("{:.{}g}", value, digits)); }

YAML::Node efficiency_node(const std::vector<std::pair<std::string, double>>& values, const std::string& basis,
                           int tile_n) {
  YAML::Node e;
  e["basis"] = basis;
  for (const auto& [name, value] : values) {
    if (name == "matmul.half_m") {
      for (const auto& t : half_m_tiles(value, tile_n)) {
        YAML::Node tile;
        tile["m"] = t.m;
        tile["n"] = t.n;
        tile["fraction"] = number_node(t.fraction);
        e["matmul"]["tiles"].push_back(tile);
      }
      continue;
    }
    const auto dot = name.find('.');
    if (dot == std::string::npos) {
      e[name] = number_node(value);
    } else {
      e[name.substr(0, dot)][name.substr(dot + 1)] = number_node(value);
    }
  }
  return e;
}

std::string calibrated_system_yaml(const hwmodels::System& base, const CalibrationOutput& cal,
                                   const std::string& output_id) {
  YAML::Node root = load_yaml_file(base.file);
  root["id"] = output_id;
  root["name"] = fmt::format("{} (calibrated)", base.name);
  root["sources"]["calibration"] =
      fmt::format("llmsim calibrate: {} records of {} (sha256 {}), fitted {}", cal.provenance["records"].as<std::string>(),
                  cal.provenance["measurements"].as<std::string>(), cal.provenance["sha256"].as<std::string>(),
                  cal.provenance["calibrated_at"].as<std::string>());
  if (cal.bandwidth_gbs) {
    const auto* device = base.find_device(cal.device);
    YAML::Node memory = memory_entry(root["memories"], device->memory);
    if (!memory) throw InputError(base.file, fmt::format("no memories entry holds '{}'", device->memory));
    YAML::Node q;
    q["value"] = number_node(*cal.bandwidth_gbs);
    q["source"] = "calibration";
    q["note"] = "achievable stream bandwidth fitted to the measurements (copy/triad and streaming kernels)";
    memory["measured_bandwidth_gbs"] = q;
  }
  YAML::Node entries(YAML::NodeType::Sequence);
  if (root["calibration"]) {
    for (const auto& c : root["calibration"]) {
      const bool same = c["device"].as<std::string>() == cal.device && c["software"].as<std::string>() == cal.software;
      if (!same) entries.push_back(c);
    }
  }
  YAML::Node entry;
  entry["device"] = cal.device;
  entry["software"] = cal.software;
  entry["efficiency"] = efficiency_node(cal.efficiency, cal.basis, cal.tile_n);
  entry["provenance"] = cal.provenance;
  entries.push_back(entry);
  root["calibration"] = entries;
  YAML::Emitter out;
  out << root;
  return fmt::format("# Written by `llmsim calibrate` from {} (sha256 {}).\n# Base system: {}. Do not edit the "
                     "calibration entry by hand: re-run the calibration.\n{}\n",
                     cal.provenance["measurements"].as<std::string>(), cal.provenance["sha256"].as<std::string>(),
                     base.file, out.c_str());
}

}  // namespace llmsim::validate
