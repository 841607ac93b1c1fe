#include "validate/corpus/corpus_validation.hpp"

#include <fmt/format.h>

#include <set>

#include "hwmodels/catalog.hpp"
#include "hwmodels/input_error.hpp"
#include "validate/prediction/case_evaluator.hpp"

namespace llmsim::validate {

CvGroup parse_cv_group(const std::string& text) {
  if (text == "source") return CvGroup::source;
  if (text == "hardware") return CvGroup::hardware;
  if (text == "engine") return CvGroup::engine;
  throw InputError("--cv", fmt::format("expected source, hardware or engine, got '{}'", text));
}

std::string to_string(CvGroup g) {
  switch (g) {
    case CvGroup::source: return "source";
    case CvGroup::hardware: return "hardware";
    case CvGroup::engine: return "engine";
  }
  return "?";
}

struct CorpusValidator::ProfileFit {
  hwmodels::SoftwareProfile profile;
  DeviceTable devices;
  std::map<std::string, std::size_t> device_index;  // "hardware/kind" -> index into devices
  std::vector<PredictionCase> cases;
  std::vector<std::size_t> predictions;             // index into the report's predictions, parallel to cases
};

CorpusValidator::CorpusValidator(const sim::DataPaths& paths, CorpusMapping mapping)
    : paths_(paths),
      mapping_(std::move(mapping)),
      kinds_(hwmodels::MemoryKinds::load(paths.memory_kinds())),
      formats_(workloads::FormatTable::load(paths.formats())),
      steps_(std::make_unique<StepCaseBuilder>(paths, formats_)) {}

CorpusValidator::~CorpusValidator() = default;

CorpusValidator::ProfileFit& CorpusValidator::profile_fit(const std::string& profile) {
  auto& slot = fits_[profile];
  if (!slot) {
    slot = std::make_unique<ProfileFit>();
    slot->profile = hwmodels::ProfileSet(paths_.profiles()).load(profile);
  }
  return *slot;
}

std::size_t CorpusValidator::device_for(ProfileFit& fit, const std::string& hardware, const std::string& kind) {
  const std::string key = hardware + "/" + kind;
  if (auto it = fit.device_index.find(key); it != fit.device_index.end()) return it->second;
  const hwmodels::System* system = nullptr;
  for (const auto& s : systems_)
    if (s.id == hardware) system = &s;
  if (!system) {
    systems_.push_back(hwmodels::Catalog(paths_.catalog()).load(hardware));
    system = &systems_.back();
  }
  const auto device_kind = kind == "cpu" ? hwmodels::DeviceKind::cpu : hwmodels::DeviceKind::gpu;
  const hwmodels::Device* device = system->first_device(device_kind);
  if (!device) throw InputError(hardware, fmt::format("the catalog system has no {} device", kind));
  fit.devices.models.push_back(sim::make_device_model(*system, *device, fit.profile, kinds_));
  fit.devices.scopes.push_back(device->profile_class());
  fit.device_index[key] = fit.devices.models.size() - 1;
  return fit.devices.models.size() - 1;
}

namespace {

std::string group_of(const CorpusRow& row, const CorpusSituation& s, CvGroup cv) {
  switch (cv) {
    case CvGroup::source: return row.source_key();
    case CvGroup::hardware: return s.hardware;
    case CvGroup::engine: return s.profile;
  }
  return "";
}

// The measured rate as seconds per decode step (all sequences) or per prompt batch.
double measured_seconds(const CorpusRow& row, const CorpusSituation& s) {
  const double batch = static_cast<double>(s.step.batch);
  return s.step.decode ? batch / row.value : batch * static_cast<double>(s.step.prompt) / row.value;
}

std::string rows_list(const std::vector<const PredictionCase*>& cases, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < cases.size() && i < limit; ++i) out += (i ? "," : "") + cases[i]->id;
  if (cases.size() > limit) out += fmt::format(",... ({} rows)", cases.size());
  return out;
}

}  // namespace

CorpusReport CorpusValidator::run(const std::vector<CorpusRow>& rows, CvGroup cv,
                                  const std::vector<std::string>& parameters, const FitOptions& options) {
  CorpusReport report;
  report.cv = cv;
  report.rows = rows.size();
  for (const auto& row : rows) {
    const MappedRow mapped = mapping_.map(row);
    if (!mapped.situation) {
      report.not_expressible.emplace_back(&row, mapped.why_kind + ": " + mapped.why_not);
      continue;
    }
    const CorpusSituation& s = *mapped.situation;
    try {
      ProfileFit& fit = profile_fit(s.profile);
      PredictionCase c;
      c.id = std::to_string(row.id);
      c.kernel_class = s.step.decode ? "decode_step" : "prefill_step";
      c.hardware = s.hardware;
      c.shape_key = group_of(row, s, cv);
      c.device = device_for(fit, s.hardware, s.device);
      c.measured_s = measured_seconds(row, s);
      const auto& model = fit.devices.models[c.device];
      c.ops = steps_->step_ops(s.step, model, fit.profile);
      CorpusPrediction p;
      p.row = &row;
      p.situation = s;
      p.family = fmt::format("{} / {} / {}", fit.devices.scopes[c.device], s.profile, s.phase);
      p.group = c.shape_key;
      p.measured_s = c.measured_s;
      p.defaults_s = predict_seconds(c, model, parameters_of(model));
      fit.cases.push_back(std::move(c));
      fit.predictions.push_back(report.predicted.size());
      report.predicted.push_back(p);
    } catch (const InputError& e) {
      report.not_expressible.emplace_back(&row, fmt::format("lowering: {}: {}", e.where(), e.what()));
    }
  }
  for (auto& [name, fit] : fits_) {
    if (fit->cases.empty()) continue;
    std::set<std::string> scopes;
    for (const auto& c : fit->cases) scopes.insert(fit->devices.scopes[c.device]);
    std::vector<FitParameter> params;
    for (const auto& scope : scopes) {
      std::size_t d = 0;
      while (fit->devices.scopes[d] != scope) ++d;
      for (const auto& p : parameters) params.push_back(make_fit_parameter(p, fit->devices.models[d], scope));
    }
    const EfficiencyFit model(fit->devices, params, options);
    std::vector<const PredictionCase*> all;
    for (const auto& c : fit->cases) all.push_back(&c);
    const FitResult everything = model.fit(all);
    const auto start = model.start_values();
    for (std::size_t j = 0; j < params.size(); ++j) {
      std::vector<const PredictionCase*> used;
      for (const auto* c : all)
        if (fit->devices.scopes[c->device] == params[j].scope) used.push_back(c);
      report.fitted.push_back(fmt::format("{} {} {:.4g} -> {:.4g}{} (rows {})", name, params[j].label(), start[j],
                                          everything.values[j], everything.identified[j] ? "" : " (not identified)",
                                          rows_list(used, 12)));
    }
    std::set<std::string> groups;
    for (const auto& c : fit->cases) groups.insert(c.shape_key);
    for (std::size_t i = 0; i < fit->cases.size(); ++i) {
      report.predicted[fit->predictions[i]].in_sample_s = model.predict(fit->cases[i], everything.values);
    }
    // Leave one group out: the fit never sees a row of the group it predicts.
    for (const auto& g : groups) {
      std::vector<const PredictionCase*> train;
      for (const auto* c : all)
        if (c->shape_key != g) train.push_back(c);
      const std::vector<double> values = train.empty() ? start : model.fit(train).values;
      for (std::size_t i = 0; i < fit->cases.size(); ++i) {
        if (fit->cases[i].shape_key == g) {
          report.predicted[fit->predictions[i]].held_out_s = model.predict(fit->cases[i], values);
        }
      }
    }
  }
  return report;
}

}  // namespace llmsim::validate
