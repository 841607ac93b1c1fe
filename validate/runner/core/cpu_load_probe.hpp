// How busy the rest of the machine was while we measured: the share of all CPU time
// (every core, from /proc/stat) that processes other than this one used. A benchmark on a
// shared machine is only as good as this number is small.
#pragma once

#include <cstdint>

namespace llmsim::bench {

class CpuLoadProbe {
 public:
  /// Starts the interval now.
  CpuLoadProbe();
  /// Other processes' share of CPU time since construction, in [0, 1]; -1 when unknown.
  double background_load() const;

 private:
  struct Snapshot {
    std::int64_t busy = 0, total = 0;  // clock ticks, all CPUs
    double self_s = 0;                 // this process's user + system seconds
    bool valid = false;
  };
  static Snapshot take();
  Snapshot start_;
};

}  // namespace llmsim::bench
