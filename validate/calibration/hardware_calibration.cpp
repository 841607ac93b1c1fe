#include "validate/calibration/hardware_calibration.hpp"

#include <fmt/format.h>

#include <set>

#include "common/input_error.hpp"
#include "validate/calibration/cross_validation.hpp"

namespace llmsim::validate {

std::vector<std::string> default_parameters(const sim::DeviceModel& device) {
  std::vector<std::string> names{
      "bandwidth_gbs",       "memory.kernel_fraction", "memory.half_bytes",         "launch_overhead_us",
      "matmul.max_fraction", "matmul.vector_fraction", "matmul.attention_fraction", "vector_fraction"};
  if (device.device->kind == hwmodels::DeviceKind::cpu) names.push_back("matmul.half_m");
  // Only a device whose L1 size is known can tell spilling GEMV rows from the others.
  if (device.device->l1d_kib) names.push_back("memory.row_spill_fraction");
  return names;
}

bool fits_hardware(const PredictionCase& c) {
  const bool model_level =
      c.kernel_class.rfind("op ", 0) == 0 || c.kernel_class == "decode_step" || c.kernel_class == "prefill_step";
  return !model_level && c.kernel_class.find("(in cache)") == std::string::npos;
}

namespace {

// The parameters fitted when the user names none: the device's defaults, the unpacking cost of
// each stored format the GEMV kernels read (f16, q8_0, ...), and the cost per evaluation of each
// transcendental function the fitted kernels evaluate.
std::vector<std::string> default_fit_names(const sim::DeviceModel& model,
                                           const std::vector<const PredictionCase*>& fit_cases) {
  std::vector<std::string> names = default_parameters(model);
  // Unpacking cost per weight for each stored format the GEMV kernels read (f16, q8_0, ...).
  std::set<std::string> formats;
  for (const auto* c : fit_cases) {
    const auto& op = c->ops.front().op;
    if (op.m == 1 && !op.weight_format.empty() && op.weight_format != "f32") formats.insert(op.weight_format);
  }
  for (const auto& f : formats) names.push_back("dequant_ops_per_weight." + f);
  // Cost per evaluation of each transcendental function the fitted kernels evaluate (SiLU's
  // exp, GELU's tanh). Softmax inside attention is left to matmul.attention_fraction: the
  // attention kernels alone cannot tell its exps from its dot products.
  std::set<std::string> functions;
  for (const auto* c : fit_cases) {
    const auto& op = c->ops.front().op;
    if (op.kind != workloads::OpKind::attention && op.transcendentals > 0) functions.insert(op.transcendental_fn);
  }
  for (const auto& f : functions) names.push_back("transcendental_ops." + f);
  return names;
}

}  // namespace

HardwareCalibration calibrate_hardware(const CaseSet& set, const HardwareCalibrationOptions& options) {
  std::vector<const PredictionCase*> fit_cases, unseen;
  std::set<std::size_t> devices;
  std::set<std::string> shapes;
  for (const auto& c : set.cases()) {
    devices.insert(c.device);
    if (fits_hardware(c)) {
      fit_cases.push_back(&c);
      shapes.insert(c.shape_key);
    } else {
      unseen.push_back(&c);
    }
  }
  if (devices.size() > 1) {
    throw InputError("--device", fmt::format("the records ran on {} devices of '{}'; calibrate one at a time with "
                                             "--device",
                                             devices.size(), set.system().id));
  }
  if (shapes.size() < 2) {
    throw InputError("--measurements", fmt::format("{} kernel shape(s) streaming from memory to fit; calibration needs "
                                                   "at least 2 (kernels whose working set fits in the last-level cache "
                                                   "and model steps are not fitted)",
                                                   shapes.size()));
  }
  const std::size_t device = *devices.begin();
  const auto& model = set.devices().models[device];
  std::vector<FitParameter> parameters;
  const std::vector<std::string> names =
      options.parameters.empty() ? default_fit_names(model, fit_cases) : options.parameters;
  for (const auto& name : names) parameters.push_back(make_fit_parameter(name, model));
  const EfficiencyFit fit(set.devices(), parameters, options.fit);

  HardwareCalibration out;
  out.device = model.device->id;
  const auto start = fit.start_values();
  auto compare = [&](const PredictionCase& c, double predicted) {
    return ComparedFigure{c.id, c.kernel_class, c.measured_s, predicted};
  };
  // Before: the device exactly as the profile and catalog describe it.
  auto as_is = [&](const PredictionCase& c) {
    const auto& m = set.devices().models[c.device];
    return predict_seconds(c, m, parameters_of(m));
  };
  for (const auto* c : fit_cases) out.before.push_back(compare(*c, as_is(*c)));
  const auto held = cross_validate(
      fit, fit_cases, [](const PredictionCase& c) { return c.shape_key; }, options.folds);
  std::set<int> folds;
  for (const auto& h : held) {
    out.held_out.push_back(compare(*h.c, h.predicted_s));
    folds.insert(h.fold);
  }
  out.folds = static_cast<int>(folds.size());
  const FitResult final_fit = fit.fit(fit_cases);
  out.values = final_fit.values;
  out.rms_log_error = final_fit.rms_log_error;
  for (const auto* c : fit_cases) out.in_sample.push_back(compare(*c, fit.predict(*c, final_fit.values)));
  for (const auto* c : unseen) {
    out.unseen_before.push_back(compare(*c, as_is(*c)));
    out.unseen_after.push_back(compare(*c, fit.predict(*c, final_fit.values)));
  }
  for (std::size_t j = 0; j < parameters.size(); ++j) {
    out.parameters.push_back(
        ParameterReport{parameters[j].name, start[j], final_fit.values[j], static_cast<bool>(final_fit.identified[j])});
  }
  return out;
}

}  // namespace llmsim::validate
