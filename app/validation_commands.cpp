#include "app/validation_commands.hpp"

namespace llmsim::cli {

void add_validation_commands(CLI::App& app, Action& action) {
  add_validate_command(app, action);
  add_calibrate_command(app, action);
  add_calibrate_profile_command(app, action);
  add_local_system_command(app, action);
}

}  // namespace llmsim::cli
