#include "validate/prediction/case_set.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/input_error.hpp"
#include "validate/prediction/kernel_op_builder.hpp"
#include "validate/proto/kernel_class_names.hpp"

namespace llmsim::validate {

namespace {

using measurements::Measurement;

bool is_step(const Measurement& r) {
  return r.kernel() == measurements::KERNEL_CLASS_DECODE_STEP || r.kernel() == measurements::KERNEL_CLASS_PREFILL_STEP;
}

}  // namespace

std::string statistics_class(const Measurement& r) {
  if (r.kernel() == measurements::KERNEL_CLASS_OP) return "op " + r.model().op_kind();
  const std::string name = measurements::kernel_class_name(r.kernel());
  return cache_resident(r) ? name + " (in cache)" : name;
}

CaseSet::CaseSet(const sim::DataPaths& paths, const hwmodels::System& system, const std::string& software)
    : system_(system),
      profile_(hwmodels::ProfileSet(paths.profiles()).load(software)),
      kinds_(hwmodels::MemoryKinds::load(paths.memory_kinds())),
      formats_(workloads::FormatTable::load(paths.formats())),
      steps_(std::make_unique<StepCaseBuilder>(paths, formats_)) {}

std::size_t CaseSet::device_index(const std::string& id) {
  auto it = std::find(device_ids_.begin(), device_ids_.end(), id);
  if (it != device_ids_.end()) return static_cast<std::size_t>(it - device_ids_.begin());
  const auto* device = system_.find_device(id);
  devices_.models.push_back(sim::make_device_model(system_, *device, profile_, kinds_));
  devices_.scopes.push_back(device->profile_class());
  device_ids_.push_back(id);
  return device_ids_.size() - 1;
}

StepSpec step_spec_of(const Measurement& r, const PublicNames& names) {
  StepSpec s;
  const bool imported = r.provenance().origin() == measurements::ORIGIN_IMPORTED;
  s.model = names.model_id(r.model().model());
  s.dtype = r.model().weight_format().empty() ? r.dtype() : r.model().weight_format();
  // llmsim-bench keeps its KV cache in f32; llama-bench's default cache type is f16.
  s.kv_dtype = imported ? "f16" : "f32";
  s.batch = std::max<std::int64_t>(r.model().batch(), 1);
  s.decode = r.kernel() != measurements::KERNEL_CLASS_PREFILL_STEP;
  if (s.decode) {
    s.prompt = imported ? r.model().prompt_tokens() : r.model().past_tokens();
    s.gen = imported ? std::max<std::int64_t>(r.model().generated_tokens(), 1) : 1;
  } else {
    s.prompt = r.model().prompt_tokens() > 0 ? r.model().prompt_tokens() : r.model().new_tokens();
  }
  return s;
}

void CaseSet::add(const std::vector<Measurement>& records, const SelectedRecords& selected, const PublicNames& names,
                  bool fastest) {
  const KernelOpBuilder kernels(formats_);
  for (std::size_t j = 0; j < selected.records.size(); ++j) {
    const std::size_t i = selected.records[j];
    const Measurement& r = records[i];
    PredictionCase c;
    c.record = i;
    c.id = r.id();
    c.kernel_class = statistics_class(r);
    c.shape_key = r.id();
    c.hardware = system_.id;
    c.device = device_index(selected.device_ids[j]);
    c.measured_s = fastest && r.timing().min_s() > 0 ? r.timing().min_s() : r.timing().median_s();
    const auto& device = devices_.models[c.device];
    std::string why_not;
    try {
      if (c.measured_s <= 0) {
        why_not = "has no time (median_s is 0)";
      } else if (is_step(r)) {
        c.ops = steps_->step_ops(step_spec_of(r, names), device, profile_);
      } else if (r.kernel() == measurements::KERNEL_CLASS_OP) {
        if (auto op = steps_->decode_op(step_spec_of(r, names), device, profile_, r.model().op_name())) {
          c.ops.push_back(WeightedOp{*op, 1.0, false, ""});
        } else {
          why_not = fmt::format("the lowered {} step has no op named '{}'", r.model().model(), r.model().op_name());
        }
      } else if (auto op = kernels.build(r, why_not)) {
        c.ops.push_back(*op);
      }
    } catch (const InputError& e) {
      why_not = e.what();
    }
    if (c.ops.empty()) {
      skipped_.push_back(fmt::format("record {} ({}): {}", i + 1, r.id(), why_not));
      continue;
    }
    cases_.push_back(std::move(c));
  }
}

}  // namespace llmsim::validate
