// How long and how often a case is timed. Suites set these (per suite and per case);
// the defaults suit kernels from microseconds to about a second.
#pragma once

namespace llmsim::bench {

struct TimingPolicy {
  double warmup_s = 0.05;          // run (untimed) for at least this long first, >= 2 calls
  int min_samples = 5;             // before the median may be judged stable
  int max_samples = 200;           // cap on samples
  double max_time_s = 1.0;         // cap on the case's wall time, warm-up included (>= 3 samples are always taken)
  double min_sample_s = 1e-3;      // calls are batched so one sample lasts at least this long
  double stable_tolerance = 0.01;  // the median "stopped moving" when it changes less than this, twice running
  // Keep sampling at least this long (warm-up included) before the median may be judged
  // stable: on a shared machine whose memory bandwidth drifts over seconds, samples spread
  // over a longer window show the drift as spread (cv, p90) instead of as a different median
  // from one run to the next. 0: stop as soon as the median is stable.
  double min_time_s = 0;
};

}  // namespace llmsim::bench
