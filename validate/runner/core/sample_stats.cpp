#include "validate/runner/core/sample_stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace llmsim::bench {

double median_of(std::vector<double> samples) {
  if (samples.empty()) throw std::invalid_argument("median_of: no samples");
  std::sort(samples.begin(), samples.end());
  const std::size_t n = samples.size();
  return n % 2 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
}

namespace {

double drift_of(const std::vector<double>& in_order) {
  constexpr std::size_t kMaxParts = 8, kMinPerPart = 4;
  const std::size_t parts = std::min(kMaxParts, in_order.size() / kMinPerPart);
  if (parts < 2) return 0;
  double lowest = 0, highest = 0;
  for (std::size_t p = 0; p < parts; ++p) {
    // Part p holds samples [n p / parts, n (p + 1) / parts): sizes differ by at most one.
    const auto begin = in_order.begin() + static_cast<std::ptrdiff_t>(in_order.size() * p / parts);
    const auto end = in_order.begin() + static_cast<std::ptrdiff_t>(in_order.size() * (p + 1) / parts);
    const double m = median_of(std::vector<double>(begin, end));
    lowest = p == 0 ? m : std::min(lowest, m);
    highest = p == 0 ? m : std::max(highest, m);
  }
  return lowest > 0 ? (highest - lowest) / lowest : 0;
}

}  // namespace

SampleStats summarize(std::vector<double> samples) {
  if (samples.empty()) throw std::invalid_argument("summarize: no samples");
  SampleStats s;
  s.drift = drift_of(samples);
  std::sort(samples.begin(), samples.end());
  const std::size_t n = samples.size();
  s.min = samples.front();
  s.max = samples.back();
  s.median = median_of(samples);
  s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(n);
  const auto rank = static_cast<std::size_t>(std::ceil(0.9 * static_cast<double>(n)));
  s.p90 = samples[std::max<std::size_t>(rank, 1) - 1];
  if (n > 1 && s.mean > 0) {
    double squares = 0;
    for (double v : samples) squares += (v - s.mean) * (v - s.mean);
    s.cv = std::sqrt(squares / static_cast<double>(n - 1)) / s.mean;
  }
  return s;
}

}  // namespace llmsim::bench
