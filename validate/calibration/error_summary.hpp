// How far predictions are from measurements, per class and overall. The error of one figure
// is the error of its predicted rate: measured time / predicted time - 1, so +10% means the
// model is 10% too fast (optimistic), as docs/accuracy.md reports tokens/s.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace llmsim::validate {

struct ComparedFigure {
  std::string id;
  std::string kernel_class;
  double measured_s = 0;
  double predicted_s = 0;
  double error() const { return measured_s / predicted_s - 1.0; }  // of the rate; + = predicted faster
};

struct ErrorStats {
  std::size_t count = 0;
  double median_abs = 0;   // median |error|, as a fraction
  double mean_abs = 0;
  double bias = 0;         // median signed error: + = the model is optimistic
  std::vector<ComparedFigure> worst;  // largest |error| first, up to 3
};

/// Statistics over `figures` (empty -> count 0).
ErrorStats error_stats(const std::vector<ComparedFigure>& figures);

/// Statistics per kernel class plus "overall" over the figures whose class is not listed in
/// `excluded_from_overall` (classes reported apart, such as in-cache kernels).
std::map<std::string, ErrorStats> error_stats_by_class(const std::vector<ComparedFigure>& figures,
                                                       const std::vector<std::string>& excluded_from_overall = {});

/// A fixed-width table: class, count, median, mean, bias, worst case.
std::string format_error_table(const std::map<std::string, ErrorStats>& stats);

}  // namespace llmsim::validate
