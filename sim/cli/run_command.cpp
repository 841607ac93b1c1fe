#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "sim/atomic_file.hpp"
#include "sim/cli/commands.hpp"
#include "sim/op_table_writer.hpp"
#include "sim/predictor.hpp"
#include "sim/report.hpp"
#include "sim/scenario.hpp"
#include "sim/trace_writer.hpp"

namespace llmsim::cli {

namespace {

nlohmann::ordered_json scenario_json(const sim::Scenario& s) {
  const auto& r = s.request;
  return {{"file", s.file},       {"name", s.name},         {"description", s.description},
          {"hardware", r.hardware}, {"device", r.device},     {"model", r.model},
          {"software", r.software}, {"dtype", r.dtype},       {"kv_dtype", r.kv_dtype},
          {"batch", r.batch},       {"prompt", r.prompt},     {"gen", r.gen},
          {"tp", r.tp},             {"pp", r.pp},             {"trace_decode_steps", s.trace_decode_steps}};
}

}  // namespace

void add_run_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("run", "run a scenario file, writing results JSON, per-op CSV and a trace");
  auto file = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("scenario", *file, "scenario YAML (a path, or a name under the installed scenarios/)")->required();
  cmd->add_option("--out", *out, "output directory (default: results/<scenario name>)");
  cmd->add_flag("--quiet", *quiet, "do not print the report");
  cmd->callback([=, &action]() {
    action = [=](const sim::DataPaths& paths) {
      std::string path = *file;
      if (!std::filesystem::exists(path)) {
        const auto shipped = std::filesystem::path(paths.scenarios()) / (path + (path.ends_with(".yaml") ? "" : ".yaml"));
        if (std::filesystem::exists(shipped)) path = shipped.string();
      }
      const sim::Scenario scenario = sim::load_scenario(path);
      const std::string dir = out->empty() ? "results/" + scenario.name : *out;
      sim::TraceWriter tracer(scenario.trace_decode_steps);
      sim::OpTableWriter table;
      const sim::Prediction p = sim::Predictor(paths).predict(scenario.request, {tracer.observer(), table.observer()});
      nlohmann::ordered_json result;
      result["scenario"] = scenario_json(scenario);  // the resolved inputs, so the run can be repeated
      result["prediction"] = sim::to_json(p);
      sim::write_file_atomically(dir + "/result.json", result.dump(2) + "\n");
      sim::write_file_atomically(dir + "/ops.csv", table.csv());
      sim::write_file_atomically(dir + "/trace.json", tracer.json());
      if (!*quiet) {
        fmt::print("scenario {}: {}\n\n{}", scenario.name, scenario.description, sim::to_text(p));
        fmt::print("\nwrote {0}/result.json, {0}/ops.csv, {0}/trace.json (open the trace in ui.perfetto.dev)\n", dir);
      }
      return p.fits ? kOk : kDoesNotFit;
    };
  });
}

}  // namespace llmsim::cli
