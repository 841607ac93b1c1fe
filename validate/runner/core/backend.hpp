// A place kernels run: the CPU, a Vulkan device or a CUDA device. It describes its device
// and libraries for the records and builds kernels for the cases it supports.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "measurement.pb.h"
#include "validate/runner/core/bench_errors.hpp"
#include "validate/runner/core/kernel.hpp"
#include "validate/runner/core/kernel_spec.hpp"
#include "validate/runner/core/step_benchmark.hpp"

namespace llmsim::bench {

class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::string name() const = 0;
  virtual measurements::Device device() const = 0;
  /// library -> version, recorded in every measurement.
  virtual std::map<std::string, std::string> libraries() const = 0;

  /// "" when the backend can run `spec`, else why not ("vulkan has no q8_0 gemv").
  virtual std::string unsupported_reason(const KernelSpec& spec) const = 0;
  /// Allocates and initialises operands. Precondition: unsupported_reason(spec) is "".
  virtual std::unique_ptr<Kernel> make_kernel(const KernelSpec& spec) = 0;
  /// The model-level mode; only the CPU backend has it.
  virtual std::unique_ptr<StepBenchmark> make_step(const KernelSpec& spec) {
    throw UnsupportedCase(name() + " has no model-level mode (" + spec.model + ")");
  }
  /// CPU threads a spec's `threads` (0 = all) means on this backend; 0 where threads do not apply.
  virtual int resolve_threads(int requested) const {
    (void)requested;
    return 0;
  }
};

}  // namespace llmsim::bench
