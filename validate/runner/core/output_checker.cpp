#include "validate/runner/core/output_checker.hpp"

#include <fmt/format.h>

#include <cmath>

namespace llmsim::bench {

void OutputChecker::add(std::int64_t index, double got, double expected, double scale) {
  ++compared_;
  const double error = std::abs(got - expected);
  const double rel = error / std::max(scale, 1e-30);
  const bool pass = std::isfinite(got) && rel <= tolerance_;
  if (compared_ == 1 || !(rel <= max_rel_)) {
    worst_ = fmt::format("output {}: got {:.7g}, expected {:.7g} (error scale {:.3g})", index, got, expected, scale);
  }
  if (!pass) ok_ = false;
  max_abs_ = std::max(max_abs_, std::isfinite(error) ? error : INFINITY);
  max_rel_ = std::max(max_rel_, std::isfinite(rel) ? rel : INFINITY);
}

CheckResult OutputChecker::result(const std::string& method) const {
  CheckResult r;
  r.ok = ok_ && compared_ > 0;
  r.method = method;
  r.max_abs_error = max_abs_;
  r.max_rel_error = max_rel_;
  r.tolerance = tolerance_;
  r.detail = compared_ == 0 ? "no outputs were compared" : worst_;
  return r;
}

std::vector<std::int64_t> sample_indices(std::int64_t total, std::int64_t limit) {
  std::vector<std::int64_t> indices;
  if (total <= limit) {
    for (std::int64_t i = 0; i < total; ++i) indices.push_back(i);
    return indices;
  }
  for (std::int64_t j = 0; j < limit; ++j) indices.push_back(j * (total - 1) / (limit - 1));
  return indices;
}

std::string sample_method(std::int64_t total, std::int64_t compared) {
  return compared >= total ? fmt::format("all {} outputs", total)
                           : fmt::format("{} sampled outputs of {}", compared, total);
}

}  // namespace llmsim::bench
