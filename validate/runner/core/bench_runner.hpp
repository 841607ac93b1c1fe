// Runs a suite on one backend: for each case, check the kernel against the reference
// (a small shape fully, then the timed shape by sampling), time it, and write a record.
// A kernel that fails its check is reported and never recorded.
#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "validate/proto/measurement_writer.hpp"
#include "validate/runner/core/backend.hpp"
#include "validate/runner/core/record_builder.hpp"
#include "validate/runner/core/suite.hpp"

namespace llmsim::bench {

struct RunOptions {
  std::optional<int> threads;            // replaces every case's threads
  std::optional<double> max_time_s;      // replaces every case's timing.max_time_s
  bool quiet = false;                    // no progress lines
};

struct RunSummary {
  int recorded = 0;                    // records written
  int cases_run = 0;
  std::vector<std::string> skipped;    // "case: why"
  std::vector<std::string> failures;   // kernels that computed a wrong answer
  double wall_s = 0;
};

class BenchRunner {
 public:
  BenchRunner(Backend& backend, RecordBuilder records, measurements::MeasurementWriter& writer, std::ostream& log,
              RunOptions options);

  /// Precondition: at least one case of `suite` is for this backend (see cases_for).
  RunSummary run(const Suite& suite);

  /// The suite's cases meant for `backend` (its `backends:` lists).
  static std::vector<SuiteCase> cases_for(const Suite& suite, const std::string& backend);

 private:
  void run_kernel(const KernelSpec& spec, const TimingPolicy& policy, RunSummary& summary);
  void run_step(const KernelSpec& spec, const TimingPolicy& policy, RunSummary& summary);
  bool implementation_checked(const KernelSpec& spec, RunSummary& summary);
  void progress(const measurements::Measurement& record);

  Backend& backend_;
  RecordBuilder records_;
  measurements::MeasurementWriter& writer_;
  std::ostream& log_;
  RunOptions options_;
  std::set<std::string> checked_;  // implementations (class/dtype/threads) that passed the small-shape check
};

}  // namespace llmsim::bench
