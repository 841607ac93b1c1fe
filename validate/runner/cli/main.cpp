// llmsim-bench: measure the kernels LLM inference spends its time in (CPU, Vulkan, CUDA),
// and write them as Measurement records the simulator validates and calibrates against.
#include <fmt/format.h>

#include <exception>
#include <stdexcept>

#include "common/input_error.hpp"
#include "validate/runner/cli/commands.hpp"
#include "validate/runner/core/bench_errors.hpp"

int main(int argc, char** argv) {
  using namespace llmsim::bench;
  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
  CLI::App app{"llmsim-bench: micro-benchmarks of LLM kernels (CPU, Vulkan, CUDA) for llmsim's calibration"};
  app.require_subcommand(1);
  cli::Action action;
  cli::add_run_command(app, action, argv[0], command_line);
  cli::add_export_command(app, action);
  cli::add_import_command(app, action);
  cli::add_compare_command(app, action);
  cli::add_list_command(app, action, argv[0]);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? cli::kOk : cli::kUsageError;
  }
  try {
    return action();
  } catch (const llmsim::InputError& e) {
    fmt::print(stderr, "llmsim-bench: error: {}\n", e.what());
    return cli::kInputError;
  } catch (const BackendUnavailable& e) {
    fmt::print(stderr, "llmsim-bench: backend unavailable: {}\n", e.what());
    return cli::kBackendUnavailable;
  } catch (const std::exception& e) {
    fmt::print(stderr, "llmsim-bench: internal error: {}\n", e.what());
    return cli::kInternalError;
  }
}
