#include "validate/calibration/profile_calibration.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

#include "hwmodels/catalog.hpp"
#include "common/input_error.hpp"
#include "common/yaml_fields.hpp"
#include "validate/calibration/calibration_writer.hpp"
#include "validate/calibration/cross_validation.hpp"
#include "validate/prediction/case_evaluator.hpp"
#include "validate/prediction/case_set.hpp"
#include "validate/prediction/record_selection.hpp"

namespace llmsim::validate {

namespace {

using measurements::Measurement;

std::string test_name(const Measurement& r) {
  if (r.kernel() == measurements::KERNEL_CLASS_PREFILL_STEP) return fmt::format("pp{}", r.model().prompt_tokens());
  return fmt::format("tg{}", r.model().generated_tokens());
}

// A class section's architecture sections (gpu-nvidia-hopper under gpu-nvidia) overlay it, so
// a value fitted for the class must not stay shadowed there: the fit ran with them applied and
// its value is the one every device of the class should take.
void drop_from_architecture_sections(YAML::Node devices, const std::string& scope, const YAML::Node& fitted) {
  for (auto entry : devices) {
    const auto key = entry.first.as<std::string>();
    if (!key.starts_with(scope + "-") || !hwmodels::is_architecture_name(key.substr(scope.size() + 1))) continue;
    YAML::Node section = entry.second;
    for (const auto& value : fitted) {
      const auto name = value.first.as<std::string>();
      if (name == "basis" || !section[name]) continue;
      if (value.second.IsMap() && section[name].IsMap()) {
        for (const auto& sub : value.second) section[name].remove(sub.first.as<std::string>());
      } else {
        section.remove(name);
      }
    }
  }
}

}  // namespace

ProfileCalibrator::ProfileCalibrator(const sim::DataPaths& paths, const std::string& software)
    : paths_(paths),
      profile_(hwmodels::ProfileSet(paths.profiles()).load(software)),
      kinds_(hwmodels::MemoryKinds::load(paths.memory_kinds())),
      formats_(workloads::FormatTable::load(paths.formats())),
      steps_(std::make_unique<StepCaseBuilder>(paths, formats_)) {}

std::size_t ProfileCalibrator::device_for(const std::string& hardware) {
  for (std::size_t i = 0; i < systems_.size(); ++i)
    if (systems_[i].id == hardware) return i;
  systems_.push_back(hwmodels::Catalog(paths_.catalog()).load(hardware));
  const auto& system = systems_.back();
  const hwmodels::Device* device = system.first_device(hwmodels::DeviceKind::gpu);
  if (!device) device = &system.devices.front();
  devices_.models.push_back(sim::make_device_model(system, *device, profile_, kinds_));
  devices_.scopes.push_back(profile_.fit_scope(*device));
  return systems_.size() - 1;
}

void ProfileCalibrator::add(const std::vector<Measurement>& records, const PublicNames& names) {
  for (std::size_t i = 0; i < records.size(); ++i) {
    const Measurement& r = records[i];
    const bool step = r.kernel() == measurements::KERNEL_CLASS_DECODE_STEP ||
                      r.kernel() == measurements::KERNEL_CLASS_PREFILL_STEP;
    if (!step || software_profile_of(r) != profile_.id) continue;
    const std::string hardware = measured_hardware(r, names);
    if (hardware.empty()) {
      skipped_.push_back(fmt::format("record {} ({}): hardware '{}' is not in validate/data/public_names.yaml", i + 1,
                                     r.id(), r.device().name()));
      continue;
    }
    PredictionCase c;
    c.record = i;
    c.id = r.id();
    c.kernel_class = measurements::KERNEL_CLASS_DECODE_STEP == r.kernel() ? "decode_step" : "prefill_step";
    c.hardware = hardware;
    c.shape_key = r.id();
    c.device = device_for(hardware);
    c.measured_s = r.timing().median_s();
    const StepSpec spec = step_spec_of(r, names);
    c.ops = steps_->step_ops(spec, devices_.models[c.device], profile_);
    ProfileRow row;
    row.hardware = hardware;
    row.test = test_name(r);
    row.model = spec.model;
    row.dtype = spec.dtype;
    row.note = names.hardware_note(r.device().name());
    cases_.push_back(std::move(c));
    rows_.push_back(row);
  }
}

ProfileCalibration ProfileCalibrator::run(const std::vector<std::string>& names, const FitOptions& options) const {
  std::set<std::string> hardware, scopes;
  for (const auto& c : cases_) {
    hardware.insert(c.hardware);
    scopes.insert(devices_.scopes[c.device]);
  }
  if (hardware.size() < 2) {
    throw InputError("--measurements", fmt::format("end-to-end figures of {} piece(s) of hardware for profile '{}'; "
                                                   "leave-one-hardware-out needs at least 2",
                                                   hardware.size(), profile_.id));
  }
  ProfileCalibration out;
  for (const auto& scope : scopes) {
    std::size_t d = 0;
    while (devices_.scopes[d] != scope) ++d;
    for (const auto& name : names) out.parameters.push_back(make_fit_parameter(name, devices_.models[d], scope));
  }
  const EfficiencyFit fit(devices_, out.parameters, options);
  std::vector<const PredictionCase*> all;
  for (const auto& c : cases_) all.push_back(&c);
  out.start = fit.start_values();
  const auto held = cross_validate(fit, all, [](const PredictionCase& c) { return c.hardware; },
                                   static_cast<int>(hardware.size()));
  std::map<const PredictionCase*, double> held_out;
  for (const auto& h : held) held_out[h.c] = h.predicted_s;
  const FitResult final_fit = fit.fit(all);
  out.values = final_fit.values;
  out.identified = final_fit.identified;
  for (std::size_t i = 0; i < cases_.size(); ++i) {
    const auto& c = cases_[i];
    ProfileRow row = rows_[i];
    const auto& model = devices_.models[c.device];
    row.before = ComparedFigure{c.id, c.kernel_class, c.measured_s, predict_seconds(c, model, parameters_of(model))};
    row.held_out = ComparedFigure{c.id, c.kernel_class, c.measured_s, held_out.at(&c)};
    row.in_sample = ComparedFigure{c.id, c.kernel_class, c.measured_s, fit.predict(c, out.values)};
    out.rows.push_back(row);
  }
  out.skipped = skipped_;
  return out;
}

std::string calibrated_profile_yaml(const hwmodels::SoftwareProfile& profile, const ProfileCalibration& result,
                                    const std::string& provenance_comment) {
  YAML::Node root = hwmodels::resolved_profile_yaml(profile.file);  // a based_on profile's copy stands alone
  std::map<std::string, std::vector<std::pair<std::string, double>>> by_scope;
  for (std::size_t j = 0; j < result.parameters.size(); ++j) {
    if (result.identified[j]) by_scope[result.parameters[j].scope].emplace_back(result.parameters[j].name, result.values[j]);
  }
  for (const auto& [scope, values] : by_scope) {
    const YAML::Node fitted = efficiency_node(values, "", 1);
    YAML::Node section = root["devices"][scope];
    const std::string old_basis = section["basis"] ? section["basis"].as<std::string>() : std::string();
    for (const auto& entry : fitted) {
      const auto key = entry.first.as<std::string>();
      if (key == "basis") continue;
      if (entry.second.IsMap()) {
        for (const auto& sub : entry.second) section[key][sub.first.as<std::string>()] = sub.second;
      } else {
        section[key] = entry.second;
      }
    }
    section["basis"] = fmt::format("fitted by llmsim calibrate-profile ({}){}", provenance_comment,
                                   old_basis.empty() ? "" : "; structure: " + old_basis);
    drop_from_architecture_sections(root["devices"], scope, fitted);
  }
  YAML::Emitter out;
  out << root;
  return fmt::format("# Written by `llmsim calibrate-profile`: {}.\n# The profile's structure is {}'s; the fitted "
                     "efficiencies replace its defaults per device class.\n{}\n",
                     provenance_comment, profile.file, out.c_str());
}

}  // namespace llmsim::validate
