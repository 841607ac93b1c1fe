// `llmsim sweep`: expands the grid, runs the points this shard owns that are not finished yet
// in parallel children, records each row as it comes, and stops cleanly on SIGINT/SIGTERM.
#pragma once

#include <string>
#include <vector>

#include "sim/data_paths.hpp"

namespace llmsim::sim::sweep {

struct SweepOptions {
  std::string scenario;           // path of the scenario file
  std::vector<std::string> sets;  // "KEY=V1,V2,..." per axis
  std::string kind = "auto";      // auto | run | serve | train
  int jobs = 0;                   // parallel children; 0 = number of cores
  std::string output;             // CSV path; "" = results/<scenario>/sweep[.shard-I-of-N].csv
  bool resume = false;
  std::string shard;        // "I/N" or "" for the whole grid
  bool quiet = false;       // no progress or summary
  std::string resume_hint;  // the command line that resumes this sweep (printed on SIGINT)
};

/// Exit codes: 0 every point ran (some may not fit), 1 some point failed or the input is bad
/// (InputError), 130 interrupted (finished rows kept; resume with --resume).
int run_sweep(const DataPaths& paths, const SweepOptions& options);

/// The CSV path a sweep writes when no -o is given.
std::string default_output(const std::string& scenario, const std::string& shard);

}  // namespace llmsim::sim::sweep
