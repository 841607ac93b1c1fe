// A progress display for long predictions: a StepObserver that, once a run has taken more
// than a few seconds of wall time, prints how many prefill chunks and decode steps are done
// to stderr, at most once every few seconds. Short runs print nothing.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <cstdio>

#include "sim/step_view.hpp"

namespace llmsim::cli {

class ProgressDisplay {
 public:
  /// `every_s`: seconds of wall time before the first line and between lines.
  explicit ProgressDisplay(double every_s = 5.0) : every_s_(every_s), last_(Clock::now()) {}

  sim::StepObserver observer() {
    return [this](const sim::StepView& view) {
      const auto now = Clock::now();
      if (std::chrono::duration<double>(now - last_).count() < every_s_) return;
      last_ = now;
      fmt::print(stderr, "  {} {} of {} simulated\n", view.phase, view.index + 1, view.steps_in_phase);
    };
  }

 private:
  using Clock = std::chrono::steady_clock;
  double every_s_;
  Clock::time_point last_;
};

}  // namespace llmsim::cli
