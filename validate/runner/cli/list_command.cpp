// llmsim-bench list: the backends built into this binary and the suites it can find.
#include <fmt/format.h>

#include "common/name_listing.hpp"
#include "validate/runner/cli/commands.hpp"
#include "validate/runner/core/backend_registry.hpp"
#include "validate/runner/core/data_locator.hpp"
#include "validate/runner/core/host_info.hpp"

namespace llmsim::bench::cli {

void add_list_command(CLI::App& app, Action& action, const std::string& argv0) {
  CLI::App* cmd = app.add_subcommand("list", "show the built backends and the known suites");
  cmd->callback([&action, argv0] {
    action = [argv0] {
      const DataLocator data(argv0);
      fmt::print("llmsim-bench {}\n", runner_version());
      fmt::print("backends built: {}\n", join_names(built_backends()));
      fmt::print("suites: {} (in {}/validate/runner/suites)\n", join_names(data.suite_names()), data.root());
      fmt::print("kernels: copy, triad, gemm, gemv, attention_decode, rmsnorm, silu, gelu, decode_step\n");
      return kOk;
    };
  });
}

}  // namespace llmsim::bench::cli
