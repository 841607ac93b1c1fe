#include <fmt/format.h>

#include <chrono>
#include <memory>

#include "sim/atomic_file.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/scenario_context.hpp"
#include "sim/serving/serving_report.hpp"
#include "sim/serving/serving_simulator.hpp"

namespace llmsim::cli {

void add_serve_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("serve", "simulate a model server under a stream of requests");
  auto file = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto quiet = std::make_shared<bool>(false);
  auto json = std::make_shared<bool>(false);
  auto rate = std::make_shared<double>(0);
  auto requests = std::make_shared<int64_t>(0);
  cmd->add_option("scenario", *file, "serve scenario YAML")->required();
  cmd->add_option("--out", *out, "output directory (default: results/<scenario name>)");
  cmd->add_option("--rate", *rate, "override the arrival rate (requests/s)");
  cmd->add_option("--requests", *requests, "override the number of requests");
  cmd->add_flag("--quiet", *quiet, "no report or progress");
  cmd->add_flag("--json", *json, "print the JSON summary instead of the text report");
  cmd->callback([=, &action]() {
    action = [=](const sim::DataPaths& paths) {
      auto config = sim::serving::load_serve_config(*file);
      if (*rate != 0) config.workload.rate = *rate;
      if (*requests != 0) config.workload.requests = *requests;
      const auto start = std::chrono::steady_clock::now();
      // Everything is checked before anything is written; errors name the scenario file.
      std::vector<sim::serving::Request> requests_list;
      std::unique_ptr<sim::serving::ServingSimulator> checked;
      try {
        requests_list = sim::serving::make_requests(config.workload);
        checked = std::make_unique<sim::serving::ServingSimulator>(paths, config);
      } catch (const InputError& e) {
        throw in_scenario(*file, e);
      }
      auto& simulator = *checked;
      std::size_t last_tenth = 0;
      const bool show = !*quiet && !*json;
      const auto result = simulator.run(std::move(requests_list), [&](std::size_t done, std::size_t total) {
        const std::size_t tenth = done * 10 / total;
        if (show && tenth > last_tenth) {
          last_tenth = tenth;
          fmt::print(stderr, "  {:3}% of requests served\n", tenth * 10);
        }
      });
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const std::string dir = out->empty() ? "results/" + config.name : *out;
      const auto summary = sim::serving::serving_json(config, result, wall);
      sim::write_file_atomically(dir + "/serve.json", summary.dump(2) + "\n");
      sim::write_file_atomically(dir + "/requests.csv", sim::serving::requests_csv(result));
      if (*json) {
        fmt::print("{}\n", summary.dump(2));
      } else if (!*quiet) {
        fmt::print("{}", sim::serving::serving_text(config, result, wall));
        fmt::print("\nwrote {0}/serve.json and {0}/requests.csv\n", dir);
      }
      return kOk;
    };
  });
}

}  // namespace llmsim::cli
