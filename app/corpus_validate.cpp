// llmsim validate --corpus DIR: reads the public measurement corpus, refuses bad or reserved
// rows, predicts every expressible row and prints the cross-validated error table.
#include <fmt/format.h>

#include <map>

#include "common/input_error.hpp"
#include "common/output_files.hpp"
#include "hwmodels/software_profile.hpp"
#include "app/validation_commands.hpp"
#include "validate/corpus/corpus_reader.hpp"
#include "validate/corpus/corpus_report.hpp"
#include "validate/corpus/corpus_validation.hpp"
#include "validate/serving/serving_validation.hpp"

#include <sstream>

namespace llmsim::cli {

namespace {

std::vector<double> numbers(const std::string& text, const std::string& flag) {
  std::vector<double> out;
  std::stringstream in(text);
  std::string cell;
  while (std::getline(in, cell, ',')) {
    try {
      std::size_t used = 0;
      const double v = std::stod(cell, &used);
      if (used == cell.size() && v >= 0 && v <= 1e8) {
        out.push_back(v);
        continue;
      }
    } catch (const std::exception&) {
    }
    throw InputError(flag, fmt::format("'{}' is not a time in microseconds from 0 to 1e8", cell));
  }
  return out;
}

// "0,2000:0,30:0,20000" -> every (step_us, per_sequence_us, request_us) triple; a missing
// part is 0.
std::vector<validate::HostWorkPoint> host_grid(const std::string& text) {
  if (text.empty()) return {};
  std::vector<std::vector<double>> parts;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ':')) parts.push_back(numbers(part, "--host-grid"));
  if (parts.size() > 3) throw InputError("--host-grid", "has at most three parts: STEP_US:PER_SEQUENCE_US:REQUEST_US");
  while (parts.size() < 3) parts.push_back({0});
  std::vector<validate::HostWorkPoint> out;
  for (double s : parts[0])
    for (double q : parts[1])
      for (double r : parts[2]) out.push_back({s, q, r});
  if (out.empty() || out.size() > 400) throw InputError("--host-grid", "must give 1 to 400 (step, per-sequence) pairs");
  return out;
}

int run_serving_validation(const sim::DataPaths& paths, const validate::CorpusMapping& mapping,
                           const std::vector<validate::CorpusRow>& rows, const CorpusFlags& flags) {
  const auto cv = validate::parse_cv_group(flags.cv);
  const auto grid = host_grid(flags.host_grid);
  std::size_t last = 0;
  const auto report = validate::validate_serving(paths, mapping, rows, cv, grid, std::max(flags.jobs, 1),
                                                 [&](std::size_t done, std::size_t total) {
                                                   if (flags.json || done * 20 / total == last) return;
                                                   last = done * 20 / total;
                                                   fmt::print(stderr, "  {}/{} runs simulated\n", done, total);
                                                 });
  if (!flags.rows_csv.empty()) write_file_atomically(flags.rows_csv, validate::serving_rows_csv(report));
  if (!flags.grid_csv.empty()) write_file_atomically(flags.grid_csv, validate::serving_grid_csv(report));
  fmt::print("{}", validate::serving_report_text(report));
  if (!flags.rows_csv.empty()) fmt::print("one line per row: {}\n", flags.rows_csv);
  return kOk;
}

}  // namespace

int run_corpus_validation(const sim::DataPaths& paths, const CorpusFlags& flags) {
  const auto cv = validate::parse_cv_group(flags.cv);
  const std::string reserved_path =
      flags.reserved.empty() ? paths.root() + "/validate/reserved_sources.txt" : flags.reserved;
  const std::string mapping_path = flags.mapping.empty() ? flags.dir + "/mapping.yaml" : flags.mapping;
  const validate::CorpusReader reader(validate::ReservedSources::load(reserved_path));
  const auto rows = reader.read_dir(flags.dir);
  if (flags.serving) return run_serving_validation(paths, validate::CorpusMapping::load(mapping_path), rows, flags);
  validate::CorpusValidator validator(paths, validate::CorpusMapping::load(mapping_path));
  if (!flags.json) fmt::print(stderr, "corpus: {} rows read; predicting and cross-validating by {}...\n", rows.size(), flags.cv);
  const auto report = validator.run(rows, cv, flags.fit, validate::FitOptions{});
  if (!flags.rows_csv.empty()) write_file_atomically(flags.rows_csv, validate::corpus_rows_csv(report));
  if (flags.json) {
    fmt::print("{}\n", validate::corpus_report_json(report).dump(2));
    return kOk;
  }
  fmt::print("{}", validate::corpus_report_text(report));
  // Which rows ran at a stated engine build (mapping.yaml `builds`, the profile's `builds:`).
  std::map<std::string, int> at_build;
  for (const auto& p : report.predicted)
    if (p.situation.build > 0) ++at_build[hwmodels::build_label(p.situation.profile, p.situation.build, p.situation.backend)];
  if (!at_build.empty()) {
    fmt::print("\npredicted with the kernel paths of a stated engine build (rows):");
    for (const auto& [label, n] : at_build) fmt::print(" {} {}", label, n);
    fmt::print("\n");
  }
  fmt::print("\nfitted on every expressible row (what the in-sample column uses):\n");
  for (const auto& f : report.fitted) fmt::print("  {}\n", f);
  if (!flags.rows_csv.empty()) fmt::print("one line per row: {}\n", flags.rows_csv);
  return kOk;
}

}  // namespace llmsim::cli
