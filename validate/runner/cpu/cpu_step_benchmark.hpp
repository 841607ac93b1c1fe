// The model-level mode on the CPU: a TransformerStep timed end to end and op by op.
#pragma once

#include <memory>

#include "validate/runner/core/step_benchmark.hpp"
#include "validate/runner/cpu/transformer_step.hpp"

namespace llmsim::bench {

class CpuStepBenchmark : public StepBenchmark {
 public:
  CpuStepBenchmark(const TransformerConfig& config, const std::string& weight_format, std::int64_t past_tokens,
                   int threads);

  StepModel model() const override;
  const std::vector<StepOp>& ops() const override { return step_->ops(); }
  std::string implementation() const override;
  CheckResult check() override;
  double time_steps(std::int64_t steps) override;
  std::vector<double> time_ops() override;

 private:
  std::unique_ptr<TransformerStep> step_;
  int threads_;
};

}  // namespace llmsim::bench
