// The sweep's CSV: one row per grid point, in point-index order. Columns:
//   index, <one per swept key, named exactly as given to --set>, status, <metrics>, error
// status is ok, does_not_fit or failed; a failed row has empty metrics and its message in
// `error` (newlines folded, quoted as RFC 4180 asks when it holds a comma or a quote).
// Numbers are written as the JSON reports write them (shortest text that reads back exactly).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/csv_reader.hpp"  // split_csv_line, for the readers of a sweep table
#include "common/output_files.hpp"
#include "sim/sweep/sweep_grid.hpp"

namespace llmsim::sim::sweep {

inline constexpr const char* kStatusOk = "ok";
inline constexpr const char* kStatusDoesNotFit = "does_not_fit";
inline constexpr const char* kStatusFailed = "failed";

/// What one point produced: its status, one value per metric column (empty when failed), and
/// the error message of a failed point.
struct PointOutcome {
  std::string status = kStatusFailed;
  std::vector<std::string> metrics;
  std::string error;
};

class SweepTable {
 public:
  SweepTable(const SweepGrid& grid, std::vector<std::string> metric_columns);

  const std::vector<std::string>& columns() const { return columns_; }
  /// The header line, '\n'-terminated.
  std::string header() const;
  /// One point's row, '\n'-terminated; failed outcomes get empty metric cells.
  std::string row(std::size_t index, const SweepPoint& point, const PointOutcome& outcome) const;
  /// Whether `row` is a complete row of this table for point `index` (its index and swept
  /// values match, it has every column and one terminating newline). Used on --resume to
  /// trust a stored row, and by merge.
  bool row_matches(const std::string& row, std::size_t index, const SweepPoint& point) const;
  /// The status cell of a row that row_matches.
  std::string row_status(const std::string& row) const;

 private:
  std::vector<std::string> columns_;
  std::size_t status_column_ = 0;
};

}  // namespace llmsim::sim::sweep
