// Reads the measurement corpus: every *.csv of a directory, in the 16-column schema of
// validate/data/corpus/README.md. Every row is checked where it is read: a missing source,
// a value that is not a finite positive number, a unit that is not the metric's, a count
// that is not a whole number, an id used twice or a reserved source is an InputError
// naming file:line, so a bad row can never reach the statistics.
#pragma once

#include <string>
#include <vector>

#include "validate/corpus/corpus_row.hpp"
#include "validate/corpus/reserved_sources.hpp"

namespace llmsim::validate {

class CorpusReader {
 public:
  explicit CorpusReader(ReservedSources reserved) : reserved_(std::move(reserved)) {}

  /// All rows of `dir`/*.csv, files in name order. InputError when the directory has none.
  std::vector<CorpusRow> read_dir(const std::string& dir) const;
  /// The rows of one file (ids are checked unique within it).
  std::vector<CorpusRow> read_file(const std::string& path) const;

  /// metric -> the unit it must be given in.
  static const std::vector<std::pair<std::string, std::string>>& metric_units();

 private:
  ReservedSources reserved_;
};

}  // namespace llmsim::validate
