// `llmsim sweep` and `llmsim sweep-merge` (docs/sweeps.md).
#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "app/commands.hpp"
#include "common/input_file.hpp"
#include "sim/sweep/sweep_runner.hpp"
#include "sim/sweep/sweep_store.hpp"

namespace llmsim::cli {

namespace {

namespace fs = std::filesystem;

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=,:@+%") ==
                        std::string::npos) {
    return s;
  }
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string resume_hint(const sim::sweep::SweepOptions& o, const std::string& given) {
  std::string cmd = "llmsim sweep " + shell_quote(given);
  for (const auto& s : o.sets) cmd += " --set " + shell_quote(s);
  if (o.kind != "auto") cmd += " --kind " + o.kind;
  if (!o.shard.empty()) cmd += " --shard " + o.shard;
  if (o.jobs > 0) cmd += fmt::format(" -j {}", o.jobs);
  cmd += " -o " + shell_quote(o.output.empty() ? sim::sweep::default_output(given, o.shard) : o.output);
  return cmd + " --resume";
}

}  // namespace

void add_sweep_commands(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("sweep",
                                 "run a scenario over a grid of field values in parallel processes, one CSV row "
                                 "per point (docs/sweeps.md)");
  auto options = std::make_shared<sim::sweep::SweepOptions>();
  auto file = std::make_shared<std::string>();
  cmd->add_option("scenario", *file, "run, serve or train scenario YAML (a path, or a name under scenarios/)")
      ->required();
  cmd->add_option("--set", options->sets,
                  "KEY=V1,V2,...: an axis of the grid (repeat; nested keys dotted: "
                  "workload.rate=5,10; variant=NAME,... picks variants)")
      ->take_all()
      ->allow_extra_args(false);  // one KEY=VALUES per --set, so the scenario may follow
  cmd->add_option("-j,--jobs", options->jobs, "points run at once (default: number of cores)");
  cmd->add_option("-o,--output", options->output, "CSV to write (default: results/<scenario>/sweep.csv)");
  cmd->add_flag("--resume", options->resume, "skip the points an earlier run of the same sweep finished");
  cmd->add_option("--shard", options->shard,
                  "I/N: run only points i with i % N == I (0-based I; "
                  "SLURM_ARRAY_TASK_ID with --array=0-(N-1))");
  cmd->add_option("--kind", options->kind, "scenario type: auto, run, serve or train")->capture_default_str();
  cmd->add_flag("--quiet", options->quiet, "no progress or summary");
  cmd->callback([=, &action]() {
    action = [=](const sim::DataPaths& paths) {
      sim::sweep::SweepOptions o = *options;
      o.scenario = *file;
      if (!path_exists(o.scenario)) {
        const auto shipped = fs::path(paths.scenarios()) / (*file + (file->ends_with(".yaml") ? "" : ".yaml"));
        if (fs::exists(shipped)) o.scenario = shipped.string();
      }
      o.resume_hint = resume_hint(o, *file);
      return sim::sweep::run_sweep(paths, o);
    };
  });

  auto* merge = app.add_subcommand("sweep-merge", "merge the CSVs of a sharded sweep into the unsharded sweep's CSV");
  auto out = std::make_shared<std::string>();
  auto inputs = std::make_shared<std::vector<std::string>>();
  merge->add_option("output", *out, "merged CSV to write")->required();
  merge->add_option("shards", *inputs, "shard CSVs (each with its .sweep.json beside it)")->required();
  merge->callback([=, &action]() {
    action = [=](const sim::DataPaths&) {
      const std::size_t failed = sim::sweep::merge_shards(*out, *inputs);
      fmt::print(stderr, "sweep-merge: wrote {} from {} shard(s){}\n", *out, inputs->size(),
                 failed ? fmt::format(", {} failed point(s)", failed) : "");
      return failed ? kInputError : kOk;
    };
  });
}

}  // namespace llmsim::cli
