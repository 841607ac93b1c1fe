// Compares kernel outputs with reference values. Each output carries its own error scale
// (for a dot product, the sum of |a_i * b_i|), so one tolerance fits short and long
// reductions alike and a wrong result (error ~ the scale itself) never passes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "validate/runner/core/kernel.hpp"

namespace llmsim::bench {

class OutputChecker {
 public:
  /// An output passes when |got - expected| <= tolerance * scale.
  explicit OutputChecker(double tolerance) : tolerance_(tolerance) {}

  void add(std::int64_t index, double got, double expected, double scale);
  CheckResult result(const std::string& method) const;

 private:
  double tolerance_;
  std::int64_t compared_ = 0;
  double max_abs_ = 0, max_rel_ = 0;
  bool ok_ = true;
  std::string worst_;
};

/// Indices to compare for `total` outputs: all of them when total <= limit, else `limit`
/// spread evenly (first and last included).
std::vector<std::int64_t> sample_indices(std::int64_t total, std::int64_t limit);

/// "all 96 outputs" or "256 sampled outputs of 58720256".
std::string sample_method(std::int64_t total, std::int64_t compared);

}  // namespace llmsim::bench
