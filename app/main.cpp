// llmsim: predict what an LLM workload does on given hardware, and why.
#include <fmt/format.h>

#include <cstdio>
#include <exception>

#include "common/input_error.hpp"
#include "app/commands.hpp"

int main(int argc, char** argv) {
  using namespace llmsim;
  CLI::App app{"llmsim: discrete-event simulation of LLM workloads on heterogeneous hardware"};
  app.require_subcommand(1);
  cli::Action action;
  cli::add_predict_command(app, action);
  cli::add_run_command(app, action);
  cli::add_serve_command(app, action);
  cli::add_plan_command(app, action);
  cli::add_train_command(app, action);
  cli::add_catalog_commands(app, action);
  cli::add_chakra_commands(app, action);
  cli::add_validation_commands(app, action);
  cli::add_sweep_commands(app, action);
  cli::add_plot_command(app, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? cli::kOk : cli::kUsageError;
  } catch (const InputError& e) {  // a flag value refused where it is read (--placement, --collectives)
    fmt::print(stderr, "llmsim: error: {}\n", e.what());
    return cli::kInputError;
  }
  try {
    return action(sim::DataPaths::discover(argv[0]));
  } catch (const InputError& e) {
    fmt::print(stderr, "llmsim: error: {}\n", e.what());
    return cli::kInputError;
  } catch (const std::exception& e) {
    fmt::print(stderr, "llmsim: internal error: {}\n", e.what());
    return cli::kInternalError;
  }
}
