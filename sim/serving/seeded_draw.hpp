// Random draws for workloads from one seeded generator, with the distributions written here
// (not std::*_distribution, whose output differs between standard libraries), so a seed gives
// the same requests on every platform.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

namespace llmsim::sim::serving {

class SeededDraw {
 public:
  explicit SeededDraw(uint64_t seed) : engine_(seed) {}
  /// Uniform in (0, 1) from the generator's 53 high bits: the same doubles everywhere.
  double uniform() { return (static_cast<double>(engine_() >> 11) + 0.5) * 0x1.0p-53; }
  double exponential(double rate) { return -std::log(uniform()) / rate; }
  double normal() { return std::sqrt(-2.0 * std::log(uniform())) * std::cos(2.0 * kPi * uniform()); }
  /// Log-normal with the given mean and log-space sigma.
  double lognormal(double mean, double sigma) { return mean * std::exp(sigma * normal() - sigma * sigma / 2.0); }
  /// A whole number in [0, n), n >= 1.
  uint64_t below(uint64_t n) { return static_cast<uint64_t>(uniform() * static_cast<double>(n)) % n; }

 private:
  static constexpr double kPi = 3.14159265358979323846;
  std::mt19937_64 engine_;
};

}  // namespace llmsim::sim::serving
