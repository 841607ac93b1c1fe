// Run-to-run comparison of measurement files: the same cases timed in two or more runs,
// matched by record id, and how far each case's figure moved between them. This is how a
// repeatability claim ("triad repeats within 5%") is checked, and how a driver or library
// upgrade is compared with the run before it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "measurement.pb.h"

namespace llmsim::bench {

/// Which per-record statistic is compared: the median (the figure llmsim predicts) or the
/// fastest sample (STREAM's "best rate" convention, the least disturbed figure).
enum class CompareStat { kMedian, kMin };

struct CaseComparison {
  std::string id;
  measurements::KernelClass kernel = measurements::KERNEL_CLASS_UNSPECIFIED;
  std::vector<std::optional<double>> seconds;  // per run: the statistic, seconds per call; empty where absent
  std::vector<double> cv;                      // per run: the record's own cv (0 where absent)
  double gflops = 0, gbytes = 0;               // work of one call, to show rates
  double spread = 0;                           // (slowest - fastest) / slowest over the runs that have the case
  double max_background_load = 0;              // worst over the runs (-1 unknown counts as 0)
  double max_drift = 0;                        // largest level shift within one run (Timing.drift, from samples_s)
  bool in_every_run = false;
  bool within = true;                          // spread <= tolerance (cases in fewer than 2 runs are within)
};

struct RunComparison {
  std::vector<CaseComparison> cases;  // in the order of the first run that has each id
  int compared = 0;                   // cases present in at least two runs
  int beyond = 0;                     // of those, how many spread more than the tolerance
};

/// `runs[i]` holds the records of run i. Throws InputError (naming `names[i]`) when one run
/// holds the same id twice, or when runs disagree on a case's work (different shapes under
/// one id cannot be compared).
RunComparison compare_runs(const std::vector<std::vector<measurements::Measurement>>& runs,
                           const std::vector<std::string>& names, CompareStat stat, double tolerance);

}  // namespace llmsim::bench
