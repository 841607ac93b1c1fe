// A suite: named cases to measure, read from a YAML file (validate/runner/suites/*.yaml;
// docs/runner.md describes the format). List-valued fields expand into every combination.
#pragma once

#include <string>
#include <vector>

#include "validate/runner/core/kernel_spec.hpp"
#include "validate/runner/core/timing_policy.hpp"

namespace llmsim::bench {

struct SuiteCase {
  KernelSpec spec;
  std::vector<std::string> backends;  // empty: every backend that supports the case
  TimingPolicy timing;
  bool runs_on(const std::string& backend) const;
};

struct Suite {
  std::string name;
  std::string file;
  std::string description;
  std::vector<SuiteCase> cases;
};

/// Reads and expands a suite file. Throws InputError naming the file, line and field for
/// unknown keys, unknown kernels or formats, and values out of range.
Suite load_suite(const std::string& path);

/// dtypes a suite may name (backends decide which they run).
const std::vector<std::string>& known_dtypes();

}  // namespace llmsim::bench
