// llmsim validate: predicts every measured kernel, op and step with the hardware model and
// reports the error per class and overall, plus a predicted-vs-measured CSV for plots.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <memory>

#include "common/input_error.hpp"
#include "common/output_files.hpp"
#include "validate/calibration/error_summary.hpp"
#include "app/measurement_inputs.hpp"
#include "app/validation_commands.hpp"
#include "validate/collectives/collective_validation.hpp"
#include "validate/prediction/case_evaluator.hpp"
#include "validate/prediction/step_simulation.hpp"

namespace llmsim::cli {

namespace {

using validate::ComparedFigure;

struct ValidateFlags {
  MeasurementFlags inputs;
  CorpusFlags corpus;
  std::string collectives;  // --collectives TABLE: the all-reduce model against published tables
  std::string csv;
  bool json = false;
  bool simulate = true;
  int jobs = 2;
};

bool is_step_class(const std::string& cls) { return cls == "decode_step" || cls == "prefill_step"; }

std::string csv_text(const MeasurementInputs& in, const std::vector<ComparedFigure>& figures,
                     const std::vector<double>& roofline_sums, const std::vector<double>& floors) {
  std::string out = "id,class,device,dtype,measured_s,predicted_s,roofline_sum_s,floor_s,error_pct,cv,background_load\n";
  const auto& cases = in.cases->cases();
  for (std::size_t i = 0; i < figures.size(); ++i) {
    const auto& r = in.records[cases[i].record];
    const auto& f = figures[i];
    out += fmt::format("\"{}\",{},{},{},{:.6g},{:.6g},{:.6g},{:.6g},{:.2f},{:.4g},{:.3g}\n", f.id, f.kernel_class,
                       in.cases->devices().models[cases[i].device].device->id, r.dtype(), f.measured_s, f.predicted_s,
                       roofline_sums[i], floors[i], 100 * f.error(), r.timing().cv(), r.timing().background_load());
  }
  return out;
}

nlohmann::json stats_json(const std::map<std::string, validate::ErrorStats>& stats) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [cls, s] : stats) {
    nlohmann::json worst = nlohmann::json::array();
    for (const auto& w : s.worst) worst.push_back({{"id", w.id}, {"error_pct", 100 * w.error()}});
    out[cls] = {{"count", s.count},       {"median_abs_error_pct", 100 * s.median_abs},
                {"mean_abs_error_pct", 100 * s.mean_abs}, {"bias_pct", 100 * s.bias}, {"worst", worst}};
  }
  return out;
}

// llmsim validate --collectives TABLE: fits and cross-validates the all-reduce model
// (alpha + ring bytes at a share of the peer link) per implementation.
int run_collective_validation(const sim::DataPaths& paths, const ValidateFlags& flags) {
  if (flags.corpus.cv == "engine") throw InputError("--cv", "with --collectives: hold out by source or hardware");
  const std::string& table = flags.collectives;
  const std::string mapping = !flags.corpus.mapping.empty()
                                  ? flags.corpus.mapping
                                  : (std::filesystem::path(table).parent_path() / "mapping.yaml").string();
  const auto report = validate::validate_collectives(
      table, mapping, paths.catalog(),
      flags.corpus.cv == "source" ? validate::CollectiveCv::source : validate::CollectiveCv::hardware);
  if (!flags.csv.empty()) write_file_atomically(flags.csv, validate::collective_rows_csv(report));
  fmt::print("{}", validate::collective_report_text(report));
  if (!flags.csv.empty()) fmt::print("one line per row: {}\n", flags.csv);
  return kOk;
}

int run_validate(const sim::DataPaths& paths, const ValidateFlags& flags) {
  if (!flags.collectives.empty()) return run_collective_validation(paths, flags);
  if (!flags.corpus.dir.empty()) {
    auto corpus = flags.corpus;
    corpus.json = flags.json;
    corpus.rows_csv = flags.csv;
    corpus.jobs = flags.jobs;
    return run_corpus_validation(paths, corpus);
  }
  if (flags.inputs.measurements.empty()) throw InputError("--measurements", "is required (or give --corpus DIR)");
  if (flags.inputs.hardware.empty()) throw InputError("--hardware", "is required with --measurements");
  const auto in = load_measurement_inputs(paths, flags.inputs);
  const auto& set = *in->cases;
  const auto& cases = set.cases();
  std::vector<ComparedFigure> figures;
  std::vector<double> roofline_sums, floors;
  std::vector<std::size_t> steps;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    const auto& device = set.devices().models[c.device];
    const double sum = validate::predict_seconds(c, device, validate::parameters_of(device));
    roofline_sums.push_back(sum);
    floors.push_back(validate::roofline_floor_seconds(c, device));
    figures.push_back(ComparedFigure{c.id, c.kernel_class, c.measured_s, sum});
    if (is_step_class(c.kernel_class)) steps.push_back(i);
  }
  // Whole steps: the simulator's own answer (SimGrid), one child process per step.
  std::vector<std::string> notes;
  if (flags.simulate && !steps.empty()) {
    std::vector<validate::StepSpec> specs;
    for (std::size_t i : steps) specs.push_back(validate::step_spec_of(in->records[cases[i].record], in->names));
    const auto& device_id = set.devices().models[cases[steps.front()].device].device->id;
    const auto simulated = validate::simulate_steps(paths, in->system.file, device_id, in->software, specs, flags.jobs);
    for (std::size_t j = 0; j < steps.size(); ++j) {
      if (simulated[j].seconds) {
        figures[steps[j]].predicted_s = *simulated[j].seconds;
      } else {
        notes.push_back(fmt::format("{}: the simulator refused it ({}); its roofline sum is reported",
                                    cases[steps[j]].id, simulated[j].error));
      }
    }
  }
  // In-cache kernels are shown in their own classes and left out of "overall".
  std::vector<std::string> in_cache;
  for (const auto& f : figures)
    if (f.kernel_class.find("(in cache)") != std::string::npos) in_cache.push_back(f.kernel_class);
  const auto reported = validate::error_stats_by_class(figures, in_cache);

  if (!flags.csv.empty()) write_file_atomically(flags.csv, csv_text(*in, figures, roofline_sums, floors));
  if (flags.json) {
    nlohmann::json j = {{"hardware", in->system.id},         {"software", set.profile().id},
                        {"measurements", flags.inputs.measurements}, {"classes", stats_json(reported)},
                        {"skipped", set.skipped()},          {"notes", notes}};
    for (const auto& n : in->selected.notes) j["notes"].push_back(n);
    fmt::print("{}\n", j.dump(2));
    return kOk;
  }
  fmt::print("{} records of {} on {} ({}), software {}\n", cases.size(), flags.inputs.measurements, in->system.id,
             in->system.name, set.profile().id);
  for (const auto& d : set.devices().models) {
    fmt::print("  {}: efficiency {}\n  {}: bandwidth {}\n", d.device->id, d.efficiency.basis, d.memory->id,
               d.bandwidth_basis);
  }
  fmt::print("\nerror of the predicted rate (+ = predicted faster than measured); overall leaves out kernels whose "
             "working set fits in the last-level cache (the timing model streams from memory)\n");
  fmt::print("{}", validate::format_error_table(reported));
  for (const auto& n : in->selected.notes) fmt::print("note: {}\n", n);
  for (const auto& n : notes) fmt::print("note: {}\n", n);
  if (!set.skipped().empty()) {
    fmt::print("not predicted ({}):\n", set.skipped().size());
    for (const auto& s : set.skipped()) fmt::print("  {}\n", s);
  }
  if (!flags.csv.empty()) fmt::print("predicted vs measured: {}\n", flags.csv);
  return kOk;
}

}  // namespace

void add_validate_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("validate", "predict measured kernels and steps and report the error per class");
  auto flags = std::make_shared<ValidateFlags>();
  add_measurement_flags(*cmd, flags->inputs, false);
  cmd->add_option("--corpus", flags->corpus.dir,
                  "validate against the public measurement corpus in this directory (validate/data/corpus) instead");
  cmd->add_option("--collectives", flags->collectives,
                  "fit and cross-validate the all-reduce model on a published all-reduce table "
                  "(validate/data/collectives/allreduce_single_node.csv; rules in mapping.yaml beside it)");
  cmd->add_option("--cv", flags->corpus.cv,
                  "with --corpus: hold out by source, hardware or engine; with --collectives: source or hardware")
      ->check(CLI::IsMember({"source", "hardware", "engine"}))
      ->capture_default_str();
  cmd->add_option("--mapping", flags->corpus.mapping, "with --corpus or --collectives: name mapping (default mapping.yaml in the corpus or table's directory)");
  cmd->add_option("--reserved", flags->corpus.reserved,
                  "with --corpus: reserved-sources list (default validate/reserved_sources.txt)");
  cmd->add_option("--fit", flags->corpus.fit, "with --corpus: parameters fitted per profile and device class")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_flag("--serving", flags->corpus.serving,
               "with --corpus: the serving rows (throughput, TTFT, TPOT), each published run simulated as llmsim serve");
  cmd->add_option("--host-grid", flags->corpus.host_grid,
                  "with --serving: host work to fit, as STEP_US,...:PER_SEQUENCE_US,...:REQUEST_US,...");
  cmd->add_option("--grid-csv", flags->corpus.grid_csv,
                  "with --serving and --host-grid: every row's figure at every grid point, one line per row");
  cmd->add_option("--csv", flags->csv, "write predicted vs measured, one row per record, here");
  cmd->add_flag("--json", flags->json, "print the statistics as one JSON object");
  cmd->add_flag("!--no-simulate", flags->simulate, "predict steps by their ops' roofline sum, without SimGrid");
  cmd->add_option("--jobs", flags->jobs, "steps simulated at once (child processes)")->capture_default_str();
  cmd->callback([flags, &action]() { action = [flags](const sim::DataPaths& paths) { return run_validate(paths, *flags); }; });
}

}  // namespace llmsim::cli
