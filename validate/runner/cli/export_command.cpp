// llmsim-bench export: a measurement file as CSV (the columns a comparison needs) or JSON
// (every field).
#include <fmt/format.h>

#include <fstream>
#include <iostream>

#include "hwmodels/input_error.hpp"
#include "validate/proto/measurement_reader.hpp"
#include "validate/proto/measurement_table.hpp"
#include "validate/runner/cli/commands.hpp"

namespace llmsim::bench::cli {

namespace {

struct ExportFlags {
  std::string input;
  std::string output;
  bool csv = false;
  bool json = false;
};

int run_export(const ExportFlags& f) {
  const auto records = measurements::read_measurements(f.input);
  std::ofstream file;
  if (!f.output.empty()) {
    file.open(f.output);
    if (!file) throw InputError(f.output, "cannot create the output file");
  }
  std::ostream& out = f.output.empty() ? std::cout : file;
  if (f.json) {
    measurements::write_json(records, out);
  } else {
    measurements::write_csv(records, out);
  }
  if (!f.output.empty()) fmt::print(stderr, "wrote {} records to {}\n", records.size(), f.output);
  return kOk;
}

}  // namespace

void add_export_command(CLI::App& app, Action& action) {
  auto flags = std::make_shared<ExportFlags>();
  CLI::App* cmd = app.add_subcommand("export", "print a measurement file as CSV or JSON");
  cmd->add_option("file", flags->input, "measurement file (.pb) written by run or import-csv")->required();
  auto* csv = cmd->add_flag("--csv", flags->csv, "CSV, one row per record");
  auto* json = cmd->add_flag("--json", flags->json, "JSON array, every field");
  csv->excludes(json);
  cmd->add_option("-o,--output", flags->output, "write here instead of standard output");
  cmd->callback([&action, flags] {
    if (!flags->csv && !flags->json) throw CLI::ValidationError("export", "give --csv or --json");
    action = [flags] { return run_export(*flags); };
  });
}

}  // namespace llmsim::bench::cli
