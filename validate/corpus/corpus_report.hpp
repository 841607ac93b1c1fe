// The corpus validation's tables: coverage (rows, sources, hardware, engines, models; what
// is expressible and why not), then median and 90th-percentile absolute error and signed
// bias per family (device class x engine x phase) and per phase, for the profile defaults,
// the fit on every row (in sample) and the fit with the row's group held out.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "validate/corpus/corpus_validation.hpp"

namespace llmsim::validate {

struct CorpusErrorStats {
  std::size_t count = 0;
  double median_abs = 0, p90_abs = 0, bias = 0;  // fractions; bias is the median signed error (+ = optimistic)
};

/// Error of the predicted rate: measured_s / predicted_s - 1 (+ = llmsim predicts faster).
CorpusErrorStats corpus_error_stats(const std::vector<double>& errors);

/// Signed errors of one group of rows in the three columns every corpus report shows.
struct ErrorColumns {
  std::vector<double> defaults, in_sample, held_out;
};
/// One line per group: rows, median |error| per column, then the held-out p90 and bias.
std::string error_table(const std::string& title, const std::map<std::string, ErrorColumns>& groups,
                        std::size_t name_width = 44);

/// The whole report as text (what `llmsim validate --corpus` prints).
std::string corpus_report_text(const CorpusReport& report);
/// The same as JSON.
nlohmann::json corpus_report_json(const CorpusReport& report);
/// One line per row: id, source, family, measured and predicted rates, or why it is not expressible.
std::string corpus_rows_csv(const CorpusReport& report);

}  // namespace llmsim::validate
