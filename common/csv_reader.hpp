// Reading CSV (RFC 4180: quoted cells may hold commas, doubled quotes and line breaks), the
// counterpart of csv_field/csv_record in output_files.hpp. Every CSV llmsim reads goes through
// here, so quoting, blank lines, CRLF endings and ragged rows are handled one way, and each
// error names the file and line. Texts come from read_input_file (size-checked, BOM dropped).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmsim {

/// One record: its cells with the quoting undone, and the line it starts on (1-based).
struct CsvRecord {
  std::vector<std::string> cells;
  int line = 0;
};

/// Splits one line that holds no line break. Blanks are kept as they are; a quote left open
/// runs to the end of the line (for tables llmsim wrote itself, which csv_field quoted).
std::vector<std::string> split_csv_line(std::string_view line);

/// Reads records one at a time from a whole text. Blank lines are skipped; spaces and tabs
/// around a cell (outside its quotes) are dropped, as spreadsheet exports add them.
class CsvReader {
 public:
  /// `file` names the text in errors ("file:line: ...").
  CsvReader(std::string file, std::string text);

  /// The next record into `out`; false at the end. InputError on a quote left open at the end
  /// of the text or text after a closing quote.
  bool next(CsvRecord& out);

  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::string text_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

/// A header record: column names to positions. Refuses an empty name and a name given twice
/// (which column would win is a guess).
class CsvHeader {
 public:
  CsvHeader(const CsvRecord& header, const std::string& file);

  std::optional<std::size_t> find(const std::string& name) const;
  /// InputError "file:line: the header has no column 'name'" when absent.
  std::size_t require(const std::string& name) const;
  std::size_t size() const { return names_.size(); }
  const std::vector<std::string>& names() const { return names_; }

  /// InputError unless `row` has one cell per column ("file:line: 3 cells, the header has 16").
  void check_width(const CsvRecord& row) const;
  /// The cell of column `name` in `row`, or "" when the header has no such column.
  const std::string& cell(const CsvRecord& row, const std::string& name) const;

 private:
  std::string file_;
  int line_ = 0;
  std::vector<std::string> names_;
};

}  // namespace llmsim
