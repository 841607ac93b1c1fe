// Summary statistics of timing samples (seconds per call).
#pragma once

#include <vector>

namespace llmsim::bench {

struct SampleStats {
  double min = 0, median = 0, mean = 0, p90 = 0, max = 0;
  double cv = 0;  // sample standard deviation / mean; 0 for fewer than 2 samples
  // Level shift over time: the samples, in the order taken, cut into up to 8 consecutive
  // parts of >= 4 samples; (largest part median - smallest) / smallest. A steady machine
  // gives a few percent; a neighbour taking a core or memory bandwidth mid-case shows up
  // here even when it is invisible to the guest's /proc/stat. 0 for fewer than 8 samples.
  double drift = 0;
};

/// Precondition: `samples` is not empty, in the order taken. p90 is the nearest-rank 90th percentile.
SampleStats summarize(std::vector<double> samples);

/// The median of `samples` (mean of the two middle values for an even count); not empty.
double median_of(std::vector<double> samples);

}  // namespace llmsim::bench
