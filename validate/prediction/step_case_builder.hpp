// The ops of a measured model step (a llama-bench pp/tg figure, an llmsim-bench GPT-2 decode
// step, or one op of it), lowered the way the simulator lowers them, without SimGrid. Ops
// that cost the same (one projection in every layer, one op in consecutive decode steps) are
// merged with their count, so a tg512 row costs a few hundred op evaluations.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hwmodels/software_profile.hpp"
#include "sim/data_paths.hpp"
#include "sim/device_model.hpp"
#include "validate/prediction/prediction_case.hpp"
#include "workloads/lowering.hpp"
#include "workloads/model_config.hpp"
#include "workloads/model_weights.hpp"
#include "workloads/storage_formats.hpp"

namespace llmsim::validate {

/// What a step record asks for, in llmsim's names.
struct StepSpec {
  std::string model;     // id in workloads/models or a config.json path
  std::string dtype;     // weight mix (formats.yaml)
  std::string kv_dtype;  // KV cache format
  std::int64_t batch = 1;
  std::int64_t prompt = 0;  // prefill: tokens processed; decode: tokens cached before the first step
  std::int64_t gen = 0;     // decode steps averaged (0 for a prefill)
  bool decode = true;
  std::int64_t ubatch = 0;  // prompt tokens per prefill chunk (llama-bench -ub); 0 = the profile's
};

class StepCaseBuilder {
 public:
  StepCaseBuilder(const sim::DataPaths& paths, const workloads::FormatTable& formats);

  /// Ops whose weighted roofline sum is the seconds per decode step (averaged over `gen`
  /// steps) or the seconds of the whole prefill (over the profile's chunks).
  std::vector<WeightedOp> step_ops(const StepSpec& spec, const sim::DeviceModel& device,
                                   const hwmodels::SoftwareProfile& profile);

  /// Bytes of the model's weights in the spec's format mix (what a decode step reads).
  double weight_bytes(const StepSpec& spec) { return load(spec).weights->bytes(); }

  /// The op called `name` in the full decode step at spec.prompt cached tokens, or nullopt.
  std::optional<workloads::Op> decode_op(const StepSpec& spec, const sim::DeviceModel& device,
                                         const hwmodels::SoftwareProfile& profile, const std::string& name);

 private:
  struct Loaded {
    std::unique_ptr<workloads::ModelConfig> model;
    std::unique_ptr<workloads::ModelWeights> weights;
  };
  const Loaded& load(const StepSpec& spec);
  workloads::LoweringOptions options(const StepSpec& spec, const sim::DeviceModel& device,
                                     const hwmodels::SoftwareProfile& profile) const;

  sim::DataPaths paths_;
  const workloads::FormatTable& formats_;
  std::map<std::string, Loaded> loaded_;
};

}  // namespace llmsim::validate
