#include "validate/prediction/step_case_builder.hpp"

#include "sim/lowering_options.hpp"

#include <algorithm>
#include <set>
#include <tuple>

#include "workloads/model_registry.hpp"

namespace llmsim::validate {

namespace {

// Ops equal in every field the timing model reads cost the same (the same projection in
// every layer, the same op in consecutive decode steps): merge them.
auto cost_fields(const workloads::Op& op) {
  return std::tie(op.kind, op.kernels, op.m, op.n, op.k, op.batch_count, op.flops, op.vector_ops, op.transcendentals,
                  op.transcendental_fn, op.weight_elements, op.weight_format, op.weight_family, op.operand_family,
                  op.weight_bytes, op.kv_read_bytes, op.kv_write_bytes, op.act_read_bytes, op.act_write_bytes);
}

class OpAccumulator {
 public:
  void add(const workloads::Op& op, double weight) {
    auto it = index_.find(op);
    if (it != index_.end()) {
      ops_[*it].weight += weight;
      return;
    }
    ops_.push_back(WeightedOp{op, weight, false, ""});
    index_.insert(ops_.size() - 1);
  }
  std::vector<WeightedOp> take() { return std::move(ops_); }

 private:
  // Orders ops (held by their index in ops_, or looked up by value) by their cost fields.
  struct ByCostFields {
    using is_transparent = void;
    const std::vector<WeightedOp>* ops;
    const workloads::Op& op(std::size_t i) const { return (*ops)[i].op; }
    const workloads::Op& op(const workloads::Op& o) const { return o; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const { return cost_fields(op(a)) < cost_fields(op(b)); }
  };
  std::vector<WeightedOp> ops_;
  std::set<std::size_t, ByCostFields> index_{ByCostFields{&ops_}};
};

// The whole step: one layer standing for the others (lower_step_representative) would miss
// the layers a mix such as q4_k_m stores in other formats.
void add_step(OpAccumulator& acc, const workloads::ModelConfig& model, const workloads::ModelWeights& weights,
              const workloads::LoweringOptions& options, double weight) {
  const auto graph = workloads::lower_step(model, weights, options);
  for (std::size_t v = 0; v < graph.size(); ++v) {
    const auto& op = graph.op(v);
    if (!op.is_communication()) acc.add(op, weight);  // one device: nothing to send
  }
}

}  // namespace

StepCaseBuilder::StepCaseBuilder(const sim::DataPaths& paths, const workloads::FormatTable& formats)
    : paths_(paths), formats_(formats) {}

const StepCaseBuilder::Loaded& StepCaseBuilder::load(const StepSpec& spec) {
  const std::string key = spec.model + "|" + spec.dtype;
  auto it = loaded_.find(key);
  if (it != loaded_.end()) return it->second;
  Loaded l;
  l.model = std::make_unique<workloads::ModelConfig>(
      workloads::ModelRegistry(paths_.models(), paths_.model_defaults()).load(spec.model));
  l.weights = std::make_unique<workloads::ModelWeights>(*l.model, formats_, formats_.mix(spec.dtype));
  return loaded_.emplace(key, std::move(l)).first->second;
}

// The options sim::make_deployment derives for a single-device placement: the same function.
workloads::LoweringOptions StepCaseBuilder::options(const StepSpec& spec, const sim::DeviceModel& device,
                                                    const hwmodels::SoftwareProfile& profile) const {
  workloads::LoweringOptions o = sim::lowering_options_for(device, profile, formats_.format(spec.kv_dtype), formats_);
  o.batch = spec.batch;
  return o;
}

std::vector<WeightedOp> StepCaseBuilder::step_ops(const StepSpec& spec, const sim::DeviceModel& device,
                                                  const hwmodels::SoftwareProfile& profile) {
  const Loaded& l = load(spec);
  workloads::LoweringOptions o = options(spec, device, profile);
  OpAccumulator acc;
  if (spec.decode) {
    const std::int64_t steps = std::max<std::int64_t>(spec.gen, 1);
    for (std::int64_t s = 0; s < steps; ++s) {
      o.past_tokens = spec.prompt + s;
      o.new_tokens = 1;
      add_step(acc, *l.model, *l.weights, o, 1.0 / static_cast<double>(steps));
    }
  } else {
    const std::int64_t chunk = spec.ubatch > 0                      ? spec.ubatch
                               : profile.prefill_chunk_tokens > 0 ? profile.prefill_chunk_tokens
                                                                  : spec.prompt;
    for (std::int64_t past = 0; past < spec.prompt; past += chunk) {
      o.past_tokens = past;
      o.new_tokens = std::min(chunk, spec.prompt - past);
      add_step(acc, *l.model, *l.weights, o, 1.0);
    }
  }
  return acc.take();
}

std::optional<workloads::Op> StepCaseBuilder::decode_op(const StepSpec& spec, const sim::DeviceModel& device,
                                                        const hwmodels::SoftwareProfile& profile,
                                                        const std::string& name) {
  const Loaded& l = load(spec);
  workloads::LoweringOptions o = options(spec, device, profile);
  o.past_tokens = spec.prompt;
  o.new_tokens = 1;
  const auto graph = workloads::lower_step(*l.model, *l.weights, o);
  for (std::size_t v = 0; v < graph.size(); ++v)
    if (graph.op(v).name == name) return graph.op(v);
  return std::nullopt;
}

}  // namespace llmsim::validate
