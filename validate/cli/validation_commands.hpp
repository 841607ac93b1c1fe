// The validation subcommands of llmsim, implemented in validate/ (sim must not depend on
// validate) and attached to the llmsim executable by validate/CMakeLists.txt.
#pragma once

#include "sim/cli/commands.hpp"

namespace llmsim::cli {

void add_validate_command(CLI::App& app, Action& action);
void add_calibrate_command(CLI::App& app, Action& action);
void add_calibrate_profile_command(CLI::App& app, Action& action);
void add_local_system_command(CLI::App& app, Action& action);

}  // namespace llmsim::cli
