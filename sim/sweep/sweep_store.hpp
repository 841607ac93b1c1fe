// Where a sweep keeps its results, and why an interruption loses nothing:
//
//   OUT.csv             the table, rows in point-index order (what users and plots read)
//   OUT.csv.sweep.json  the manifest (grid identity, shard), written before any point runs
//   OUT.csv.points/     one file per finished point, <index>.row, holding its CSV row
//
// Each point's row is written by the child that ran it to a temporary file, fsync'ed and
// renamed into place (then the folder is fsync'ed): a row file exists whole or not at all,
// whatever kills the process. The parent rebuilds OUT.csv from the rows it holds, in index
// order, the same way (temporary file, fsync, rename) at most once a second and when the sweep
// stops, so OUT.csv is always a complete table of finished points. --resume reloads the row
// files whose manifest matches and runs only the rest; the final CSV depends only on the rows,
// so it is the same bytes whatever -j, interruptions or sharding (see sweep-merge).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "sim/sweep/sweep_manifest.hpp"
#include "sim/sweep/sweep_table.hpp"

namespace llmsim::sim::sweep {

/// Writes `content` to `path` through a temporary file, fsync and rename, then fsyncs the
/// folder. InputError naming the path when it cannot.
void write_durably(const std::string& path, const std::string& content);

class SweepStore {
 public:
  explicit SweepStore(std::string csv_path);

  const std::string& csv_path() const { return csv_path_; }
  std::string row_path(std::size_t index) const;
  std::string log_path(std::size_t index) const;

  /// A fresh sweep: removes earlier row files, writes the manifest. InputError when the points
  /// folder exists but holds no manifest (it is not ours to clear).
  void start(const SweepManifest& manifest);
  /// --resume: InputError unless the stored manifest has the same grid and shard.
  void check_resumable(const SweepManifest& manifest) const;
  /// Finished rows of `points` found on disk that match `table` (failed ones excluded: they run
  /// again). Unreadable or mismatching files are reported in `dropped` and run again.
  std::map<std::size_t, std::string> load_rows(const SweepTable& table, const SweepGrid& grid,
                                               const std::vector<std::size_t>& points,
                                               std::vector<std::string>& dropped) const;
  /// A row file, durably (called in the child that ran the point).
  void save_row(std::size_t index, const std::string& row) const;
  /// The row file of `index`, or "" when there is none.
  std::string read_row(std::size_t index) const;
  /// OUT.csv from the header and the rows in index order, durably.
  void write_csv(const SweepTable& table, const std::map<std::size_t, std::string>& rows) const;

 private:
  std::string csv_path_;
  std::string points_;
};

/// Merges shard CSVs (each with its manifest) into `out`, byte-identical to the unsharded
/// sweep's CSV. InputError when the shards' grids differ, a row does not belong to its grid,
/// two shards disagree on a point, or points are missing (listed). Returns the number of
/// failed rows.
std::size_t merge_shards(const std::string& out, const std::vector<std::string>& inputs);

}  // namespace llmsim::sim::sweep
