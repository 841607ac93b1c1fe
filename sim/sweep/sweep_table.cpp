#include "sim/sweep/sweep_table.hpp"

namespace llmsim::sim::sweep {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cells.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cells.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  return cells;
}

SweepTable::SweepTable(const SweepGrid& grid, std::vector<std::string> metric_columns) {
  columns_.push_back("index");
  for (const auto& axis : grid.axes()) columns_.push_back(axis.key);
  status_column_ = columns_.size();
  columns_.push_back("status");
  for (auto& m : metric_columns) columns_.push_back(std::move(m));
  columns_.push_back("error");
}

std::string SweepTable::header() const {
  std::string line;
  for (std::size_t i = 0; i < columns_.size(); ++i) line += (i ? "," : "") + csv_field(columns_[i]);
  return line + "\n";
}

std::string SweepTable::row(std::size_t index, const SweepPoint& point, const PointOutcome& outcome) const {
  std::string line = std::to_string(index);
  for (const auto& kv : point) line += "," + csv_field(kv.second);
  line += "," + csv_field(outcome.status);
  const std::size_t metrics = columns_.size() - status_column_ - 2;
  for (std::size_t i = 0; i < metrics; ++i) {
    line += ",";
    if (outcome.status != kStatusFailed && i < outcome.metrics.size()) line += csv_field(outcome.metrics[i]);
  }
  return line + "," + csv_field(outcome.error) + "\n";
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
