// The model-level mode: a whole decode step of a small transformer, timed end to end and
// op by op. Ops carry the names and kinds workloads::lower_step gives them ("L3.attn_qkv",
// matmul), so each measured op can be matched with the simulator's op.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "validate/runner/core/kernel.hpp"

namespace llmsim::bench {

struct StepOp {
  std::string name;   // L3.attn_qkv, output_norm, lm_head ...
  std::string kind;   // embedding | norm | matmul | kv_store | attention | elementwise | sampling
  std::string group;  // embedding | attention | mlp | norm | lm_head | other
  int layer = -1;
  std::string dtype = "f32";
  std::int64_t m = 0, n = 0, k = 0;                       // matmul: 1 x k times (n x k)^T
  std::int64_t heads = 0, head_dim = 0, context = 0;      // attention
  std::int64_t elements = 0;                              // element-wise and norms
  Work work;
};

struct StepModel {
  std::string model;
  int layers = 0, hidden = 0, heads = 0, vocab = 0;
  std::int64_t past_tokens = 0;
  std::string weight_format;
};

class StepBenchmark {
 public:
  virtual ~StepBenchmark() = default;

  virtual StepModel model() const = 0;
  virtual const std::vector<StepOp>& ops() const = 0;
  virtual std::string implementation() const = 0;
  /// Runs one step and compares its logits with a double-precision reference step.
  virtual CheckResult check() = 0;
  /// Seconds for `steps` uninstrumented decode steps.
  virtual double time_steps(std::int64_t steps) = 0;
  /// One instrumented step: seconds per op, in ops() order.
  virtual std::vector<double> time_ops() = 0;
};

}  // namespace llmsim::bench
