// The sidecar OUT.csv.sweep.json written beside every sweep CSV: what grid of which scenario
// (by a hash of the file's bytes and the axes) the rows belong to, and which shard. --resume
// and sweep-merge refuse rows whose manifest differs, so a CSV never mixes two grids.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/sweep/sweep_grid.hpp"
#include "sim/sweep/sweep_scenario.hpp"

namespace llmsim::sim::sweep {

struct SweepManifest {
  std::string scenario;  // the path given (informative; not part of the identity)
  std::string kind;      // run | serve | train
  std::string hash;      // sweep_hash(): 16 hex digits
  std::vector<SweepAxis> axes;
  std::size_t points = 0;  // of the whole grid
  Shard shard;

  static SweepManifest of(const SweepScenario& scenario, const SweepGrid& grid, const Shard& shard);
  nlohmann::ordered_json to_json() const;
  /// InputError naming `path` when it is missing or malformed.
  static SweepManifest read(const std::string& path);
  /// Same scenario bytes, kind and grid (shards may differ).
  bool same_grid(const SweepManifest& other) const { return hash == other.hash && points == other.points; }
};

/// 64-bit FNV-1a of the scenario kind, the scenario file's bytes and the grid's canonical text,
/// as 16 hex digits. The data files (catalog, models) it reads are not part of it.
std::string sweep_hash(const SweepScenario& scenario, const SweepGrid& grid);

/// Where the manifest and the finished points of the CSV at `csv_path` live.
std::string manifest_path(const std::string& csv_path);
std::string points_dir(const std::string& csv_path);

}  // namespace llmsim::sim::sweep
