#include "validate/calibration/error_summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace llmsim::validate {

namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

ErrorStats error_stats(const std::vector<ComparedFigure>& figures) {
  ErrorStats s;
  s.count = figures.size();
  if (figures.empty()) return s;
  std::vector<double> abs_errors, errors;
  for (const auto& f : figures) {
    errors.push_back(f.error());
    abs_errors.push_back(std::abs(f.error()));
  }
  s.median_abs = median(abs_errors);
  double sum = 0;
  for (double e : abs_errors) sum += e;
  s.mean_abs = sum / static_cast<double>(abs_errors.size());
  s.bias = median(errors);
  s.worst = figures;
  std::stable_sort(s.worst.begin(), s.worst.end(),
                   [](const auto& a, const auto& b) { return std::abs(a.error()) > std::abs(b.error()); });
  if (s.worst.size() > 3) s.worst.resize(3);
  return s;
}

std::map<std::string, ErrorStats> error_stats_by_class(const std::vector<ComparedFigure>& figures,
                                                       const std::vector<std::string>& excluded_from_overall) {
  std::map<std::string, std::vector<ComparedFigure>> by_class;
  std::vector<ComparedFigure> overall;
  for (const auto& f : figures) {
    by_class[f.kernel_class].push_back(f);
    if (std::find(excluded_from_overall.begin(), excluded_from_overall.end(), f.kernel_class) ==
        excluded_from_overall.end()) {
      overall.push_back(f);
    }
  }
  std::map<std::string, ErrorStats> out;
  for (const auto& [cls, list] : by_class) out[cls] = error_stats(list);
  out["overall"] = error_stats(overall);
  return out;
}

std::string format_error_table(const std::map<std::string, ErrorStats>& stats) {
  std::string out = fmt::format("{:<18} {:>5} {:>8} {:>8} {:>8}  {}\n", "class", "count", "median", "mean", "bias",
                                "worst (error: id)");
  auto row = [&](const std::string& name, const ErrorStats& s) {
    std::string worst;
    for (const auto& w : s.worst) worst += fmt::format("{}{:+.1f}%: {}", worst.empty() ? "" : "; ", 100 * w.error(), w.id);
    out += fmt::format("{:<18} {:>5} {:>7.1f}% {:>7.1f}% {:>+7.1f}%  {}\n", name, s.count, 100 * s.median_abs,
                       100 * s.mean_abs, 100 * s.bias, worst);
  };
  for (const auto& [name, s] : stats)
    if (name != "overall") row(name, s);
  if (auto it = stats.find("overall"); it != stats.end()) row("overall", it->second);
  return out;
}

}  // namespace llmsim::validate
