#include <fmt/format.h>

#include <sstream>

#include "common/input_error.hpp"
#include "app/commands.hpp"

namespace llmsim::cli {

std::map<std::string, std::string> parse_assignments(const std::string& text, const std::string& flag) {
  std::map<std::string, std::string> out;
  std::stringstream entries(text);
  std::string entry;
  while (std::getline(entries, entry, ',')) {
    if (entry.empty()) continue;
    const auto eq = entry.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == entry.size()) {
      throw InputError(flag, fmt::format("'{}' is not of the form class=device", entry));
    }
    out[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return out;
}

void add_collectives_option(CLI::App* cmd, sim::CollectiveAlgorithm& algorithm) {
  cmd->add_option_function<std::string>(
         "--collectives",
         [&algorithm](const std::string& name) { algorithm = sim::parse_collective_algorithm(name, "--collectives"); },
         "ring or tree all-reduce")
      ->default_str("ring");
}

}  // namespace llmsim::cli
