#include "sim/sweep/sweep_table.hpp"

namespace llmsim::sim::sweep {

SweepTable::SweepTable(const SweepGrid& grid, std::vector<std::string> metric_columns) {
  columns_.push_back("index");
  for (const auto& axis : grid.axes()) columns_.push_back(axis.key);
  status_column_ = columns_.size();
  columns_.push_back("status");
  for (auto& m : metric_columns) columns_.push_back(std::move(m));
  columns_.push_back("error");
}

std::string SweepTable::header() const { return csv_record(columns_); }

std::string SweepTable::row(std::size_t index, const SweepPoint& point, const PointOutcome& outcome) const {
  std::vector<std::string> cells{std::to_string(index)};
  for (const auto& kv : point) cells.push_back(kv.second);
  cells.push_back(outcome.status);
  const std::size_t metrics = columns_.size() - status_column_ - 2;
  for (std::size_t i = 0; i < metrics; ++i) {
    const bool shown = outcome.status != kStatusFailed && i < outcome.metrics.size();
    cells.push_back(shown ? outcome.metrics[i] : "");
  }
  cells.push_back(outcome.error);
  return csv_record(cells);
}

bool SweepTable::row_matches(const std::string& row, std::size_t index, const SweepPoint& point) const {
  if (row.empty() || row.back() != '\n' || row.find('\n') != row.size() - 1) return false;
  const auto cells = split_csv_line(row.substr(0, row.size() - 1));
  if (cells.size() != columns_.size() || cells[0] != std::to_string(index)) return false;
  if (point.size() + 1 != status_column_) return false;
  for (std::size_t k = 0; k < point.size(); ++k) {
    if (cells[k + 1] != point[k].second) return false;
  }
  const auto& status = cells[status_column_];
  return status == kStatusOk || status == kStatusDoesNotFit || status == kStatusFailed;
}

std::string SweepTable::row_status(const std::string& row) const {
  const auto cells = split_csv_line(row.substr(0, row.size() - 1));
  return cells.size() > status_column_ ? cells[status_column_] : "";
}

}  // namespace llmsim::sim::sweep
