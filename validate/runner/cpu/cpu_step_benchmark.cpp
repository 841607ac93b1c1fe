#include "validate/runner/cpu/cpu_step_benchmark.hpp"

#include <fmt/format.h>

#include <chrono>

#include "validate/runner/core/output_checker.hpp"
#include "validate/runner/cpu/vec_ops.hpp"

namespace llmsim::bench {

CpuStepBenchmark::CpuStepBenchmark(const TransformerConfig& config, const std::string& weight_format,
                                   std::int64_t past_tokens, int threads)
    : step_(std::make_unique<TransformerStep>(config, weight_format, past_tokens, threads)), threads_(threads) {}

StepModel CpuStepBenchmark::model() const {
  const auto& c = step_->config();
  return StepModel{c.name, c.layers, c.hidden, c.heads, c.vocab, step_->past_tokens(), step_->weight_format()};
}

std::string CpuStepBenchmark::implementation() const {
  return fmt::format("llmsim-bench transformer step: {} {} matmuls (GEMV), openmp, {} threads", vec_ops().isa,
                     step_->weight_format(), threads_);
}

CheckResult CpuStepBenchmark::check() {
  step_->run(nullptr);
  const auto rows = sample_indices(step_->config().vocab, 512);
  std::vector<double> scales;
  const std::vector<double> expected = step_->reference_logits(rows, scales);
  // Rounding differences grow through the layers; block formats also round activations to
  // q8_0, where a value on a rounding edge may land one step apart from the reference.
  const bool blocks = step_->weight_format() == "q8_0" || step_->weight_format() == "q4_0";
  OutputChecker checker(blocks ? 5e-3 : 1e-3);
  for (std::size_t i = 0; i < rows.size(); ++i) checker.add(rows[i], step_->logits()[rows[i]], expected[i], scales[i]);
  return checker.result(fmt::format("logits: {} (reference step in double)",
                                    sample_method(step_->config().vocab, static_cast<std::int64_t>(rows.size()))));
}

double CpuStepBenchmark::time_steps(std::int64_t steps) {
  const auto start = std::chrono::steady_clock::now();
  for (std::int64_t i = 0; i < steps; ++i) step_->run(nullptr);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::vector<double> CpuStepBenchmark::time_ops() {
  std::vector<double> times;
  step_->run(&times);
  return times;
}

}  // namespace llmsim::bench
