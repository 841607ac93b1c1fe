#include "common/csv_reader.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/input_error.hpp"

namespace llmsim {

namespace {

bool blank(char c) { return c == ' ' || c == '\t'; }

void trim_right(std::string& s) {
  while (!s.empty() && (blank(s.back()) || s.back() == '\r')) s.pop_back();
}

}  // namespace

std::vector<std::string> split_csv_line(std::string_view line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      cells.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  return cells;
}

CsvReader::CsvReader(std::string file, std::string text) : file_(std::move(file)), text_(std::move(text)) {}

bool CsvReader::next(CsvRecord& out) {
  out.cells.clear();
  // Skip blank lines (only blanks, or nothing, before the line break).
  while (pos_ < text_.size()) {
    std::size_t end = text_.find('\n', pos_);
    if (end == std::string::npos) end = text_.size();
    const auto line = std::string_view(text_).substr(pos_, end - pos_);
    if (line.find_first_not_of(" \t\r") != std::string_view::npos) break;
    pos_ = std::min(end + 1, text_.size());
    ++line_;
  }
  if (pos_ >= text_.size()) return false;
  out.line = line_;
  std::string cell;
  bool quoted_cell = false;  // the current cell had quotes: its inner blanks are the user's
  while (true) {
    // Blanks before a cell are not part of it.
    while (pos_ < text_.size() && blank(text_[pos_])) ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '"') {
      quoted_cell = true;
      const int opened = line_;
      ++pos_;
      while (true) {
        if (pos_ >= text_.size()) {
          throw InputError(fmt::format("{}:{}", file_, opened), "a quoted cell is never closed");
        }
        const char c = text_[pos_++];
        if (c == '"') {
          if (pos_ < text_.size() && text_[pos_] == '"') {
            cell += '"';
            ++pos_;
            continue;
          }
          break;
        }
        if (c == '\n') ++line_;
        cell += c;
      }
      while (pos_ < text_.size() && (blank(text_[pos_]) || text_[pos_] == '\r')) ++pos_;
      if (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n') {
        throw InputError(fmt::format("{}:{}", file_, line_), "text after a closing quote (write \"\" for a quote)");
      }
    } else {
      while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n') cell += text_[pos_++];
    }
    if (!quoted_cell) trim_right(cell);
    out.cells.push_back(std::move(cell));
    cell.clear();
    quoted_cell = false;
    if (pos_ >= text_.size()) break;
    const char sep = text_[pos_++];
    if (sep == '\n') {
      ++line_;
      break;
    }
  }
  return true;
}

CsvHeader::CsvHeader(const CsvRecord& header, const std::string& file)
    : file_(file), line_(header.line), names_(header.cells) {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    const auto where = fmt::format("{}:{}", file_, line_);
    if (names_[i].empty()) throw InputError(where, fmt::format("header column {} has no name", i + 1));
    for (std::size_t j = 0; j < i; ++j) {
      if (names_[j] == names_[i]) {
        throw InputError(where, fmt::format("the header names column '{}' twice (columns {} and {})", names_[i], j + 1,
                                            i + 1));
      }
    }
  }
}

std::optional<std::size_t> CsvHeader::find(const std::string& name) const {
  const auto it = std::find(names_.begin(), names_.end(), name);
  if (it == names_.end()) return std::nullopt;
  return static_cast<std::size_t>(it - names_.begin());
}

std::size_t CsvHeader::require(const std::string& name) const {
  if (const auto i = find(name)) return *i;
  throw InputError(fmt::format("{}:{}", file_, line_), fmt::format("the header has no column '{}'", name));
}

void CsvHeader::check_width(const CsvRecord& row) const {
  if (row.cells.size() == names_.size()) return;
  throw InputError(fmt::format("{}:{}", file_, row.line),
                   fmt::format("{} cells, but the header has {} columns", row.cells.size(), names_.size()));
}

const std::string& CsvHeader::cell(const CsvRecord& row, const std::string& name) const {
  static const std::string none;
  const auto i = find(name);
  return i && *i < row.cells.size() ? row.cells[*i] : none;
}

}  // namespace llmsim
