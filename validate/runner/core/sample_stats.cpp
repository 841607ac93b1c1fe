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

SampleStats summarize(std::vector<double> samples) {
  if (samples.empty()) throw std::invalid_argument("summarize: no samples");
  std::sort(samples.begin(), samples.end());
  const std::size_t n = samples.size();
  SampleStats s;
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
