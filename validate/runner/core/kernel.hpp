// A kernel ready to run on one backend: its work per call, a check of its results against
// a reference, and a timer for back-to-back calls measured by the backend's own clock.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace llmsim::bench {

/// Work of one call (docs/measurement-schema.md states the conventions per class).
struct Work {
  double flops = 0;
  double bytes_read = 0;
  double bytes_written = 0;
  double bytes_moved() const { return bytes_read + bytes_written; }
};

/// Outcome of comparing a kernel's outputs with the reference.
struct CheckResult {
  bool ok = false;
  std::string method;       // "all 1344 outputs" / "256 sampled outputs of 58720256"
  double max_abs_error = 0;
  double max_rel_error = 0;  // error relative to the output's error scale (see check.hpp)
  double tolerance = 0;
  std::string detail;       // the worst output when !ok
};

class Kernel {
 public:
  virtual ~Kernel() = default;

  virtual Work work() const = 0;
  /// Which code runs ("openblas cblas_sgemm", "avx2 q4_0.q8_0 dot").
  virtual std::string implementation() const = 0;
  /// steady_clock | vulkan_timestamp | cuda_event
  virtual std::string timer() const = 0;
  /// Knobs that affect speed, recorded beside the figure.
  virtual std::map<std::string, std::string> parameters() const { return {}; }

  /// Runs one call and compares its outputs with a reference computed in double precision
  /// on the host: every output for small shapes, a fixed sample for large ones.
  virtual CheckResult check() = 0;

  /// Seconds taken by `calls` back-to-back calls (calls >= 1), by the backend's timer.
  virtual double time_calls(std::int64_t calls) = 0;
};

}  // namespace llmsim::bench
