// llmsim-bench export: a measurement file as CSV (the columns a comparison needs) or JSON
// (every field).
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/input_error.hpp"
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
  std::ostringstream text;
  if (f.json) {
    measurements::write_json(records, text);
  } else {
    measurements::write_csv(records, text);
  }
  if (f.output.empty()) {
    std::cout << text.str();
    return kOk;
  }
  // Whole, then renamed into place: an interrupted export never leaves a cut-off table.
  const std::string temp = f.output + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream file(temp, std::ios::binary | std::ios::trunc);
    file << text.str();
    file.flush();
    if (!file) {
      std::filesystem::remove(temp);
      throw InputError(f.output, "cannot create the output file");
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, f.output, ec);
  if (ec) {
    std::filesystem::remove(temp);
    throw InputError(f.output, "cannot move the finished file into place: " + ec.message());
  }
  fmt::print(stderr, "wrote {} records to {}\n", records.size(), f.output);
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
