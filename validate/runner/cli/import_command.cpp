// llmsim-bench import-csv: published figures (public-measurements CSV format) into
// Measurement records beside our own.
#include <fmt/format.h>

#include "validate/proto/measurement_writer.hpp"
#include "validate/proto/public_csv_importer.hpp"
#include "validate/runner/cli/commands.hpp"

namespace llmsim::bench::cli {

namespace {

struct ImportFlags {
  std::string input;
  std::string output;
  std::vector<std::string> rows;
};

int run_import(const ImportFlags& f) {
  std::vector<measurements::RowRange> ranges;
  for (const auto& text : f.rows) ranges.push_back(measurements::parse_row_range(text, "--rows"));
  const auto result = measurements::PublicCsvImporter(ranges).import_file(f.input);
  measurements::MeasurementWriter writer(f.output);
  for (const auto& record : result.records) writer.write(record);
  for (const auto& skip : result.skipped) fmt::print(stderr, "skipped {}\n", skip);
  fmt::print("imported {} records from {} to {}\n", writer.written(), f.input, f.output);
  return kOk;
}

}  // namespace

void add_import_command(CLI::App& app, Action& action) {
  auto flags = std::make_shared<ImportFlags>();
  CLI::App* cmd = app.add_subcommand(
      "import-csv", "convert published figures (CSV with id,source,hardware,...,metric,value,unit,notes) to records");
  cmd->add_option("file", flags->input, "CSV file")->required();
  cmd->add_option("-o,--output", flags->output, "measurement file to write")->required();
  cmd->add_option("--rows", flags->rows, "row ids to import, e.g. 113-130 (repeatable; default all)");
  cmd->callback([&action, flags] { action = [flags] { return run_import(*flags); }; });
}

}  // namespace llmsim::bench::cli
