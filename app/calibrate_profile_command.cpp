// llmsim calibrate-profile: fits a software profile's per-class efficiencies to end-to-end
// figures (llama-bench rows) of many devices and reports leave-one-hardware-out errors.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <memory>

#include "common/output_files.hpp"
#include "validate/calibration/file_digest.hpp"
#include "validate/calibration/profile_calibration.hpp"
#include "app/measurement_inputs.hpp"
#include "app/validation_commands.hpp"
#include "validate/proto/measurement_reader.hpp"

namespace llmsim::cli {

namespace {

using validate::ComparedFigure;
using validate::ProfileRow;

struct ProfileFlags {
  std::string measurements;
  std::string software = "llama.cpp";
  std::string output;
  std::string markdown;
  std::string report_json;
  std::vector<std::string> fit{"launch_overhead_us", "matmul.max_fraction", "matmul.vector_fraction",
                               "memory.kernel_fraction"};
  double prior = 0.02;
  double robust_scale = 0.1;
};

struct HardwareSummary {
  std::vector<ComparedFigure> before, held_out, in_sample;
  std::string note;
};

std::map<std::string, HardwareSummary> by_hardware(const validate::ProfileCalibration& r) {
  std::map<std::string, HardwareSummary> out;
  for (const auto& row : r.rows) {
    auto& h = out[row.hardware];
    h.before.push_back(row.before);
    h.held_out.push_back(row.held_out);
    h.in_sample.push_back(row.in_sample);
    if (!row.note.empty()) h.note = row.note;
  }
  return out;
}

std::string markdown_table(const validate::ProfileCalibration& r) {
  std::string out = "| hardware | rows | default: median \\|error\\| | leave-one-hardware-out: median \\|error\\| | "
                    "worst held-out row | in-sample fit |\n|---|---:|---:|---:|---|---:|\n";
  std::vector<ComparedFigure> before, held, in;
  for (const auto& [hw, h] : by_hardware(r)) {
    const auto s = validate::error_stats(h.held_out);
    out += fmt::format("| {}{} | {} | {:.1f}% | {:.1f}% | {:+.1f}% | {:.1f}% |\n", hw,
                       h.note.empty() ? "" : " (" + h.note + ")", h.before.size(),
                       100 * validate::error_stats(h.before).median_abs, 100 * s.median_abs,
                       100 * s.worst.front().error(), 100 * validate::error_stats(h.in_sample).median_abs);
    before.insert(before.end(), h.before.begin(), h.before.end());
    held.insert(held.end(), h.held_out.begin(), h.held_out.end());
    in.insert(in.end(), h.in_sample.begin(), h.in_sample.end());
  }
  out += fmt::format("| **all** | {} | {:.1f}% | **{:.1f}%** | | {:.1f}% |\n", before.size(),
                     100 * validate::error_stats(before).median_abs, 100 * validate::error_stats(held).median_abs,
                     100 * validate::error_stats(in).median_abs);
  return out;
}

int run_calibrate_profile(const sim::DataPaths& paths, const ProfileFlags& flags) {
  const auto records = measurements::read_measurements(flags.measurements);
  const auto names = validate::PublicNames::load(paths.root() + "/validate/data/public_names.yaml");
  validate::ProfileCalibrator calibrator(paths, flags.software);
  calibrator.add(records, names);
  validate::FitOptions options;
  options.prior_weight = flags.prior;
  options.robust_scale = flags.robust_scale;
  const auto r = calibrator.run(flags.fit, options);

  fmt::print("software profile {} fitted to {} end-to-end rows of {} ({} pieces of hardware)\n\n",
             calibrator.profile().id, r.rows.size(), flags.measurements, by_hardware(r).size());
  fmt::print("{:<16} {:<12} {:<7} {:<7} {:>9} {:>9} {:>7} {:>9} {:>7}\n", "hardware", "model", "dtype", "test",
             "measured", "default", "error", "held-out", "error");
  std::vector<ComparedFigure> before, held, in;
  for (const auto& row : r.rows) {
    fmt::print("{:<16} {:<12} {:<7} {:<7} {:>8.4g}s {:>8.4g}s {:>+6.1f}% {:>8.4g}s {:>+6.1f}%\n", row.hardware,
               row.model, row.dtype, row.test, row.before.measured_s, row.before.predicted_s, 100 * row.before.error(),
               row.held_out.predicted_s, 100 * row.held_out.error());
    before.push_back(row.before);
    held.push_back(row.held_out);
    in.push_back(row.in_sample);
  }
  fmt::print("\nper hardware (median |error| of tokens/s; + = predicted faster):\n{}", markdown_table(r));
  const auto sb = validate::error_stats(before), sh = validate::error_stats(held), si = validate::error_stats(in);
  fmt::print("\nmedian |error|: defaults {:.1f}%, leave-one-hardware-out {:.1f}%, fitted on all rows {:.1f}%\n",
             100 * sb.median_abs, 100 * sh.median_abs, 100 * si.median_abs);
  fmt::print("\nfitted parameters (on all rows):\n");
  for (std::size_t j = 0; j < r.parameters.size(); ++j) {
    fmt::print("  {:<36} {:>10.4g} -> {:>10.4g}{}\n", r.parameters[j].label(), r.start[j], r.values[j],
               r.identified[j] ? "" : "  (not fitted: no row responds to it)");
  }
  for (const auto& s : r.skipped) fmt::print("not used: {}\n", s);

  if (!flags.output.empty()) {
    const std::string provenance =
        fmt::format("{} rows of {} (sha256 {}), leave-one-hardware-out median |error| {:.1f}% (defaults {:.1f}%)",
                    r.rows.size(), flags.measurements, validate::sha256_of_file(flags.measurements),
                    100 * sh.median_abs, 100 * sb.median_abs);
    write_file_atomically(flags.output, validate::calibrated_profile_yaml(calibrator.profile(), r, provenance));
    hwmodels::load_software_profile(flags.output);  // what we wrote must load
    fmt::print("\nwrote {} (use it with --software {})\n", flags.output, flags.output);
  }
  if (!flags.markdown.empty()) write_file_atomically(flags.markdown, markdown_table(r));
  if (!flags.report_json.empty()) {
    nlohmann::json j = {{"software", calibrator.profile().id},
                        {"rows", r.rows.size()},
                        {"median_abs_error_pct",
                         {{"defaults", 100 * sb.median_abs}, {"leave_one_hardware_out", 100 * sh.median_abs},
                          {"in_sample", 100 * si.median_abs}}}};
    for (const auto& [hw, h] : by_hardware(r)) {
      j["hardware"][hw] = {{"rows", h.before.size()},
                           {"defaults", 100 * validate::error_stats(h.before).median_abs},
                           {"leave_one_hardware_out", 100 * validate::error_stats(h.held_out).median_abs}};
    }
    write_file_atomically(flags.report_json, j.dump(2) + "\n");
  }
  return kOk;
}

}  // namespace

void add_calibrate_profile_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("calibrate-profile",
                                 "fit a software profile to end-to-end figures of many devices (leave-one-hardware-out)");
  auto flags = std::make_shared<ProfileFlags>();
  cmd->add_option("--measurements", flags->measurements, "records with decode/prefill step figures (import-csv)")
      ->required();
  cmd->add_option("--software", flags->software, "profile id or file to fit")->capture_default_str();
  cmd->add_option("-o,--output", flags->output, "write the fitted profile here (a copy with fitted class sections)");
  cmd->add_option("--fit", flags->fit, "parameters to fit per device class")->delimiter(',')->capture_default_str();
  add_fit_weight_flags(*cmd, flags->prior, flags->robust_scale);
  cmd->add_option("--markdown", flags->markdown, "write the per-hardware table as Markdown here");
  cmd->add_option("--report-json", flags->report_json, "write the figures as JSON here");
  cmd->callback([flags, &action]() {
    action = [flags](const sim::DataPaths& paths) { return run_calibrate_profile(paths, *flags); };
  });
}

}  // namespace llmsim::cli
