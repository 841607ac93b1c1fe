// Errors the runner maps to their own exit codes (README/docs/runner.md list them).
#pragma once

#include <stdexcept>
#include <string>

namespace llmsim::bench {

/// The backend was not built into this binary, or it has no usable device here.
class BackendUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A backend cannot run this kernel/format (a suite case is skipped, not an error).
class UnsupportedCase : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace llmsim::bench
