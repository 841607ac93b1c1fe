// llmsim calibrate: fits one device's efficiency parameters (and its memory's achievable
// bandwidth) to kernel measurements, reports the error before and after on shapes each fold
// did not see, and writes a system file with the fit and its provenance.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <Eigen/Core>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <set>

#include "hwmodels/catalog.hpp"
#include "common/input_error.hpp"
#include "common/output_files.hpp"
#include "validate/calibration/calibration_writer.hpp"
#include "validate/calibration/file_digest.hpp"
#include "validate/calibration/hardware_calibration.hpp"
#include "app/measurement_inputs.hpp"
#include "app/validation_commands.hpp"

namespace llmsim::cli {

namespace {

struct CalibrateFlags {
  MeasurementFlags inputs;
  std::string output;
  std::string report_json;
  std::vector<std::string> fit;
  int folds = 5;
  double prior = 0.02;
  double robust_scale = 0.1;
};

// Today (UTC), or the day of SOURCE_DATE_EPOCH for reproducible outputs.
std::string calibration_date() {
  std::time_t t = std::time(nullptr);
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH")) t = static_cast<std::time_t>(std::atoll(epoch));
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d", std::gmtime(&t));
  return text;
}

std::string percent(const validate::ErrorStats& s) { return fmt::format("{:.1f}%", 100 * s.median_abs); }

YAML::Node provenance(const MeasurementInputs& in, const CalibrateFlags& flags, const validate::HardwareCalibration& r) {
  std::set<std::string> versions, dates;
  for (std::size_t i : in.selected.records) {
    const auto& env = in.records[i].environment();
    if (!env.runner_version().empty()) versions.insert(env.runner_version());
    if (!env.started_at().empty()) dates.insert(env.started_at());
  }
  std::string base = in.system.id;
  for (const auto& c : in.system.calibration)
    if (c.provenance && c.provenance["base_system"]) base = c.provenance["base_system"].as<std::string>();
  YAML::Node p;
  p["base_system"] = base;
  p["measurements"] = flags.inputs.measurements;
  p["sha256"] = validate::sha256_of_file(flags.inputs.measurements);
  p["records"] = static_cast<int>(r.in_sample.size());
  p["runner_version"] = versions.empty() ? std::string("unknown") : fmt::format("{}", fmt::join(versions, ", "));
  p["measured_at"] = dates.empty() ? std::string("unknown") : *dates.begin() + (dates.size() > 1 ? " .. " + *dates.rbegin() : "");
  p["calibrated_at"] = calibration_date();
  p["method"] = fmt::format("Eigen {}.{}.{} LevenbergMarquardt on log(predicted/measured), Cauchy loss scale {}, "
                            "prior weight {}",
                            EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION, flags.robust_scale,
                            flags.prior);
  p["held_out"] = fmt::format("{}-fold by shape over {} kernels: median |error| {} before, {} after",
                              r.folds, r.held_out.size(), percent(validate::error_stats(r.before)),
                              percent(validate::error_stats(r.held_out)));
  return p;
}

nlohmann::json figures_json(const std::vector<validate::ComparedFigure>& figures) {
  const auto stats = validate::error_stats_by_class(figures);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [cls, s] : stats) {
    out[cls] = {{"count", s.count}, {"median_abs_error_pct", 100 * s.median_abs},
                {"mean_abs_error_pct", 100 * s.mean_abs}, {"bias_pct", 100 * s.bias}};
  }
  return out;
}

int run_calibrate(const sim::DataPaths& paths, const CalibrateFlags& flags) {
  const std::string stem = std::filesystem::path(flags.output).stem().string();
  if (std::filesystem::path(flags.output).extension() != ".yaml") {
    throw InputError("-o", fmt::format("must name a .yaml file (the system id is its stem), got '{}'", flags.output));
  }
  const auto in = load_measurement_inputs(paths, flags.inputs);
  validate::HardwareCalibrationOptions options;
  options.parameters = flags.fit;
  options.folds = flags.folds;
  options.fit.prior_weight = flags.prior;
  // One device's kernels carry per-format costs that hide behind the bandwidth at their start
  // values (docs/calibration.md): scan them off the plateau. Profile fits over many chips do
  // not (FitOptions' default): there the scan found lower in-sample minima that generalised
  // worse to a chip left out.
  options.fit.plateau_scans = 2;
  options.fit.robust_scale = flags.robust_scale;
  const auto r = validate::calibrate_hardware(*in->cases, options);

  validate::CalibrationOutput out;
  out.device = r.device;
  out.software = in->cases->profile().id;
  for (std::size_t j = 0; j < r.parameters.size(); ++j) {
    const auto& p = r.parameters[j];
    if (!p.identified) continue;
    if (p.name == "bandwidth_gbs") out.bandwidth_gbs = p.fitted;
    else out.efficiency.emplace_back(p.name, p.fitted);
  }
  const auto* device = in->system.find_device(r.device);
  out.tile_n = in->cases->devices().models.front().efficiency.matmul.tiles.front().n;
  out.provenance = provenance(*in, flags, r);
  out.basis = fmt::format("fitted to {} ({}), {}", flags.inputs.measurements, out.provenance["calibrated_at"].as<std::string>(),
                          out.provenance["held_out"].as<std::string>());
  write_file_atomically(flags.output, validate::calibrated_system_yaml(in->system, out, stem));
  hwmodels::Catalog(paths.catalog()).load(flags.output);  // what we wrote must load

  fmt::print("calibrated {} / {} on {} ({}) from {} kernel records of {}\n", in->system.id, r.device, out.software,
             device->name, r.in_sample.size(), flags.inputs.measurements);
  fmt::print("\nparameters ({} fitted; Levenberg-Marquardt, rms log error {:.3f}):\n", out.efficiency.size() +
             (out.bandwidth_gbs ? 1 : 0), r.rms_log_error);
  for (const auto& p : r.parameters) {
    fmt::print("  {:<24} {:>12.4g} -> {:>12.4g}{}\n", p.name, p.start, p.fitted,
               p.identified ? "" : "   (not fitted: no kernel responds to it)");
  }
  fmt::print("\nheld-out error ({}-fold cross-validation by shape: each kernel predicted by a fit that did not see "
             "its shape); + = predicted faster\nbefore (profile defaults and catalog):\n{}after:\n{}",
             r.folds, validate::format_error_table(validate::error_stats_by_class(r.before)),
             validate::format_error_table(validate::error_stats_by_class(r.held_out)));
  if (!r.unseen_after.empty()) {
    fmt::print("\nnever fitted (model ops and steps, in-cache kernels), roofline sum of their ops with the final fit "
               "(run `llmsim validate --hardware {}` for the simulated steps):\n{}",
               flags.output, validate::format_error_table(validate::error_stats_by_class(r.unseen_after)));
  }
  for (const auto& n : in->selected.notes) fmt::print("note: {}\n", n);
  for (const auto& s : in->cases->skipped()) fmt::print("not used: {}\n", s);
  fmt::print("\nwrote {} (system id '{}'; use it with --hardware {})\n", flags.output, stem, flags.output);

  if (!flags.report_json.empty()) {
    nlohmann::json j = {{"hardware", in->system.id},
                        {"device", r.device},
                        {"software", out.software},
                        {"output", flags.output},
                        {"folds", r.folds},
                        {"before", figures_json(r.before)},
                        {"held_out", figures_json(r.held_out)},
                        {"in_sample", figures_json(r.in_sample)},
                        {"unseen_before", figures_json(r.unseen_before)},
                        {"unseen_after", figures_json(r.unseen_after)}};
    for (const auto& p : r.parameters)
      j["parameters"][p.name] = {{"start", p.start}, {"fitted", p.fitted}, {"identified", p.identified}};
    write_file_atomically(flags.report_json, j.dump(2) + "\n");
  }
  return kOk;
}

}  // namespace

void add_calibrate_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("calibrate", "fit a device's efficiency parameters to kernel measurements");
  auto flags = std::make_shared<CalibrateFlags>();
  add_measurement_flags(*cmd, flags->inputs);
  cmd->add_option("-o,--output", flags->output, "system YAML to write (a copy of --hardware with the fit)")->required();
  cmd->add_option("--folds", flags->folds, "k of the k-fold cross-validation by shape")->capture_default_str();
  cmd->add_option("--fit", flags->fit, "parameters to fit (default: bandwidth, memory, launch and matmul efficiencies)")
      ->delimiter(',');
  add_fit_weight_flags(*cmd, flags->prior, flags->robust_scale);
  cmd->add_option("--report-json", flags->report_json, "also write the figures as JSON here");
  cmd->callback([flags, &action]() { action = [flags](const sim::DataPaths& paths) { return run_calibrate(paths, *flags); }; });
}

}  // namespace llmsim::cli
