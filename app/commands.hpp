// The llmsim subcommands. Each registers its flags on the CLI11 app and returns the
// function that runs it; main() only parses and maps errors to exit codes.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <map>
#include <string>

#include "sim/data_paths.hpp"
#include "sim/placement.hpp"

namespace llmsim::cli {

/// Exit codes (documented in README.md).
enum ExitCode : int {
  kOk = 0,
  kInputError = 1,   // bad file, id, flag value
  kUsageError = 2,   // bad command line
  kDoesNotFit = 3,   // prediction made, but the model does not fit in the device memory
  kInternalError = 4,
};

using Action = std::function<int(const sim::DataPaths&)>;

/// "a=b,c=d" -> {a: b, c: d}; InputError naming `flag` on a malformed entry.
std::map<std::string, std::string> parse_assignments(const std::string& text, const std::string& flag);

/// --collectives ring|tree, parsed when the flag is read (InputError naming the flag otherwise).
void add_collectives_option(CLI::App* cmd, sim::CollectiveAlgorithm& algorithm);

void add_predict_command(CLI::App& app, Action& action);
void add_run_command(CLI::App& app, Action& action);
void add_serve_command(CLI::App& app, Action& action);
void add_plan_command(CLI::App& app, Action& action);
void add_train_command(CLI::App& app, Action& action);
void add_catalog_commands(CLI::App& app, Action& action);
/// `llmsim hardware compare` (app/hardware_compare.cpp), under the `hardware` subcommand.
void add_hardware_compare_command(CLI::App& hardware, Action& action);
void add_chakra_commands(CLI::App& app, Action& action);
void add_validation_commands(CLI::App& app, Action& action);  // validation_commands.cpp: validate, calibrate, ...
void add_sweep_commands(CLI::App& app, Action& action);       // sweep, sweep-merge
void add_plot_command(CLI::App& app, Action& action);         // plots/ scripts under python3

}  // namespace llmsim::cli
