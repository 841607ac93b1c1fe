#include <fmt/format.h>

#include <fstream>
#include <memory>

#include "common/input_error.hpp"
#include "common/output_files.hpp"
#include "app/commands.hpp"
#include "app/scenario_context.hpp"
#include "app/train_search.hpp"
#include "sim/process_pool.hpp"
#include "sim/training/trainer.hpp"

namespace llmsim::cli {

namespace {

// The table and summary.csv of a scenario with several variants, read back from each
// variant's train.json; the exit code is the worst variant's.
int summarise_variants(const sim::training::TrainConfig& config, const std::vector<sim::training::TrainVariant>& runs,
                       const std::vector<std::string>& subdirs, const std::vector<sim::ChildOutcome>& outcomes,
                       const std::string& dir, bool quiet) {
  std::string table = fmt::format("{:<34} {:>7} {:>10} {:>10} {:>7} {:>9} {:>8}  {}\n", "variant", "batch", "step ms",
                                  "tokens/s", "MFU %", "memory MB", "kernels", "bound / phases");
  std::string csv = "variant,batch,precision,compile,step_s,tokens_per_s,mfu,memory_bytes,kernels,fits\n";
  int worst = kOk;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    std::ifstream in(subdirs[i] + "/train.json");
    if (!in) {
      table += fmt::format("{:<34} failed (exit {})\n", runs[i].name, outcomes[i].exit_code);
      worst = kInputError;
      continue;
    }
    const auto j = nlohmann::json::parse(in);
    double launch = 0, total = 0;
    for (const auto& [k, v] : j["seconds_by_bound"].items()) {
      total += v.get<double>();
      if (k == "launch") launch = v.get<double>();
    }
    const bool fits = j["fits"].get<bool>();
    if (!fits) worst = std::max(worst, static_cast<int>(kDoesNotFit));
    // Layout runs say where their step goes; single-device runs how much is launch overhead.
    const std::string detail = j.contains("layout") && !j["layout"]["description"].get<std::string>().empty()
                                   ? fmt::format("{}, bubble {:.0f}%", j["layout"]["description"].get<std::string>(),
                                                 100 * j["layout"]["bubble_fraction"].get<double>())
                                   : fmt::format("launch {:.0f}% of op time", total > 0 ? 100 * launch / total : 0.0);
    table += fmt::format("{:<34} {:>7} {:>10.2f} {:>10.0f} {:>7.2f} {:>9.1f}{} {:>8.0f}  {}\n", runs[i].name,
                         j["batch"].get<int64_t>(), 1e3 * j["step_s"].get<double>(), j["tokens_per_s"].get<double>(),
                         100 * j["mfu"].get<double>(), j["memory"]["per_device_bytes"].get<double>() / 1e6,
                         fits ? " " : "!", j["kernels"].get<double>(), detail);
    csv += csv_record({runs[i].name, j["batch"].dump(), j["precision"].get<std::string>(), j["compile"].dump(),
                       j["step_s"].dump(), j["tokens_per_s"].dump(), j["mfu"].dump(),
                       j["memory"]["per_device_bytes"].dump(), j["kernels"].dump(), j["fits"].dump()});
  }
  write_file_atomically(dir + "/summary.csv", csv);
  if (!quiet) {
    fmt::print(
        "training scenario {}: {}\n\n{}{}\nwrote {}/summary.csv and per variant train.json\n", config.name,
        config.description, table,
        worst == kDoesNotFit ? "! = does not fit in its device's memory (memory per device of the worst stage)\n" : "",
        dir);
  }
  return worst;
}

}  // namespace

void add_train_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("train", "simulate training steps: throughput, MFU, memory, where time goes");
  auto file = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto quiet = std::make_shared<bool>(false);
  auto search = std::make_shared<bool>(false);
  cmd->add_option("scenario", *file, "training scenario YAML")->required();
  cmd->add_flag("--search", *search,
                "try every tp x pp x dp layout and ZeRO stage on all GPUs of the system at the scenario's global "
                "batch (batch x accumulation x dp); rank them by tokens/s");
  cmd->add_option("--out", *out, "output directory (default: results/<scenario name>)");
  cmd->add_flag("--quiet", *quiet, "no report");
  cmd->callback([=, &action]() {
    action = [=](const sim::DataPaths& paths) {
      const auto config = sim::training::load_train_config(*file);
      const std::string dir = out->empty() ? "results/" + safe_file_name(config.name, *file + ": name") : *out;
      if (*search) {
        const auto& base = config.variants.empty() ? config.request : config.variants.front().request;
        return run_train_search(paths, base, dir, *quiet);
      }
      std::vector<sim::training::TrainVariant> runs = config.variants;
      if (runs.empty()) runs.push_back({config.name, config.description, config.request});
      FileNames names(*file + ": variants");
      std::vector<std::string> subdirs;
      for (const auto& run : runs) subdirs.push_back(runs.size() == 1 ? dir : dir + "/" + names.claim(run.name));
      // One SimGrid engine per process: every variant runs in a child.
      const auto outcomes = sim::run_in_children(runs.size(), 2, [&](std::size_t i) {
        const std::string& sub = subdirs[i];
        try {
          const auto result = sim::training::simulate_training(paths, runs[i].request);
          auto j = sim::training::to_json(result);
          j["variant"] = runs[i].name;
          j["variant_description"] = runs[i].description;
          write_file_atomically(sub + "/train.json", j.dump(2) + "\n");
          if (!*quiet && runs.size() == 1) fmt::print("{}", sim::training::to_text(result));
          return result.fits ? static_cast<int>(kOk) : static_cast<int>(kDoesNotFit);
        } catch (const InputError& raw) {
          const auto e = in_scenario(*file, raw);
          write_file_atomically(sub + "/error.txt", std::string(e.what()) + "\n");
          fmt::print(stderr, "llmsim: error: {}\n", e.what());
          return static_cast<int>(kInputError);
        }
      });
      if (runs.size() == 1) return outcomes[0].exit_code;
      return summarise_variants(config, runs, subdirs, outcomes, dir, *quiet);
    };
  });
}

}  // namespace llmsim::cli
