#include "sim/sweep/sweep_manifest.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <filesystem>
#include <fstream>

#include "common/input_error.hpp"
#include "common/input_file.hpp"

namespace llmsim::sim::sweep {

namespace {

std::uint64_t fnv1a(const std::string& text, std::uint64_t h = 14695981039346656037ull) {
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::string sweep_hash(const SweepScenario& scenario, const SweepGrid& grid) {
  std::uint64_t h = fnv1a("llmsim-sweep-1\n" + kind_name(scenario.kind()) + "\n");
  h = fnv1a(scenario.content(), h);
  h = fnv1a("\n--grid--\n" + grid.canonical(), h);
  return fmt::format("{:016x}", h);
}

std::string manifest_path(const std::string& csv_path) { return csv_path + ".sweep.json"; }
std::string points_dir(const std::string& csv_path) { return csv_path + ".points"; }

SweepManifest SweepManifest::of(const SweepScenario& scenario, const SweepGrid& grid, const Shard& shard) {
  SweepManifest m;
  m.scenario = scenario.path();
  m.kind = kind_name(scenario.kind());
  m.hash = sweep_hash(scenario, grid);
  m.axes = grid.axes();
  m.points = grid.size();
  m.shard = shard;
  return m;
}

nlohmann::ordered_json SweepManifest::to_json() const {
  nlohmann::ordered_json axes_json = nlohmann::ordered_json::array();
  for (const auto& a : axes) axes_json.push_back({{"key", a.key}, {"values", a.values}});
  return {{"format", "llmsim-sweep-1"},
          {"scenario", scenario},
          {"kind", kind},
          {"hash", hash},
          {"axes", axes_json},
          {"points", points},
          {"shard", {{"index", shard.index}, {"count", shard.count}}}};
}

SweepManifest SweepManifest::read(const std::string& path) {
  if (!path_exists(path)) {
    throw InputError(path, "missing: every sweep CSV has this manifest beside it (copy it with the CSV)");
  }
  const std::string text = read_input_file(path, kMaxConfigBytes);
  refuse_deep_json(text, path);
  try {
    const auto j = nlohmann::json::parse(text);
    if (j.at("format").get<std::string>() != "llmsim-sweep-1") throw InputError(path, "format must be llmsim-sweep-1");
    SweepManifest m;
    m.scenario = j.at("scenario").get<std::string>();
    m.kind = j.at("kind").get<std::string>();
    m.hash = j.at("hash").get<std::string>();
    for (const auto& a : j.at("axes"))
      m.axes.push_back({a.at("key").get<std::string>(), a.at("values").get<std::vector<std::string>>()});
    m.points = j.at("points").get<std::size_t>();
    m.shard.index = j.at("shard").at("index").get<std::size_t>();
    m.shard.count = j.at("shard").at("count").get<std::size_t>();
    if (m.shard.count == 0 || m.shard.index >= m.shard.count)
      throw InputError(path, "shard index must be below its count");
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path, std::string("not a sweep manifest: ") + e.what());
  }
}

}  // namespace llmsim::sim::sweep
