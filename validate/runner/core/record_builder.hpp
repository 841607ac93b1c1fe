// Turns what a case produced (its spec, work, samples and check) into a Measurement record
// carrying the device, environment and provenance every record needs on its own.
#pragma once

#include <map>
#include <string>

#include "measurement.pb.h"
#include "validate/runner/core/kernel.hpp"
#include "validate/runner/core/kernel_spec.hpp"
#include "validate/runner/core/sampler.hpp"
#include "validate/runner/core/step_benchmark.hpp"

namespace llmsim::bench {

/// What every record of one run shares.
struct RunContext {
  std::string backend;
  measurements::Device device;
  measurements::Environment environment;
};

/// Facts about the code that ran, beside the spec.
struct KernelFacts {
  Work work;
  std::string implementation;
  std::string timer;
  std::map<std::string, std::string> parameters;
};

class RecordBuilder {
 public:
  explicit RecordBuilder(RunContext context) : context_(std::move(context)) {}

  measurements::Measurement kernel(const KernelSpec& spec, const KernelFacts& facts, const SampleSet& samples,
                                   const TimingPolicy& policy, const CheckResult& check) const;
  /// The whole step (DECODE_STEP), its work the sum of its ops'.
  measurements::Measurement step(const KernelSpec& spec, const StepBenchmark& bench, const SampleSet& samples,
                                 const TimingPolicy& policy, const CheckResult& check) const;
  /// One op of the step (OP); `samples` are that op's times over the instrumented steps.
  measurements::Measurement op(const KernelSpec& spec, const StepBenchmark& bench, const StepOp& op,
                               const SampleSet& samples, const TimingPolicy& policy,
                               const CheckResult& check) const;

  const RunContext& context() const { return context_; }

 private:
  measurements::Measurement common(const KernelSpec& spec, const KernelFacts& facts, const SampleSet& samples,
                                   const TimingPolicy& policy, const CheckResult& check) const;
  RunContext context_;
};

}  // namespace llmsim::bench
