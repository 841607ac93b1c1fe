// The llmsim-bench subcommands. Each registers its flags and returns the function that
// runs it; main() only parses and maps errors to the exit codes below.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace llmsim::bench::cli {

/// Exit codes (docs/runner.md lists them; scripts rely on them).
enum ExitCode : int {
  kOk = 0,
  kInputError = 1,          // unknown suite or model, malformed suite YAML / CSV / record file
  kUsageError = 2,          // bad command line, unknown backend
  kBackendUnavailable = 3,  // backend not built in, or no device for it on this machine
  kInternalError = 4,
  kVerificationFailed = 5,  // a kernel computed a wrong answer: it was not recorded
  kRunsDiffer = 6,          // compare: some case moved more than --tolerance between runs
};

using Action = std::function<int()>;

/// `argv0` and the full command line are recorded with each run.
void add_run_command(CLI::App& app, Action& action, const std::string& argv0, const std::string& command_line);
void add_export_command(CLI::App& app, Action& action);
void add_import_command(CLI::App& app, Action& action);
void add_compare_command(CLI::App& app, Action& action);
void add_list_command(CLI::App& app, Action& action, const std::string& argv0);

}  // namespace llmsim::bench::cli
