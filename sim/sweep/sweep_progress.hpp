// Progress of a sweep on stderr: on a terminal, one bar redrawn in place
//   [##########..........] 12/40 points  1 failed  0:13 elapsed  ETA 0:31
// elsewhere (logs, CI, Slurm), the same figures as a plain line at most every 10 seconds
// and when the sweep ends.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace llmsim::sim::sweep {

class SweepProgress {
 public:
  /// `total` points in this run, `already` of them finished before it (--resume).
  SweepProgress(std::size_t total, std::size_t already, bool enabled);

  /// A point finished (`failed` when its status is failed).
  void point_done(bool failed);
  /// Ends the display (a newline after the bar).
  void finish();

  std::size_t done() const { return done_; }
  std::size_t failed() const { return failed_; }

 private:
  void draw(bool force);

  std::size_t total_;
  std::size_t already_;
  std::size_t done_;
  std::size_t failed_ = 0;
  bool enabled_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_line_;
};

/// "m:ss" (or "h:mm:ss") for a duration in seconds.
std::string format_duration(double seconds);

}  // namespace llmsim::sim::sweep
