#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>

#include "common/input_error.hpp"
#include "common/input_file.hpp"
#include "common/output_files.hpp"
#include "app/commands.hpp"
#include "app/recorded_steps.hpp"
#include "sim/op_table_writer.hpp"
#include "sim/predictor.hpp"
#include "sim/process_pool.hpp"
#include "sim/report.hpp"
#include "sim/scenario.hpp"
#include "sim/trace_writer.hpp"

namespace llmsim::cli {

namespace {

namespace fs = std::filesystem;

nlohmann::ordered_json request_json(const sim::PredictRequest& r) {
  const auto& p = r.placement;
  return {{"hardware", r.hardware}, {"device", r.device},   {"model", r.model},   {"software", r.software},
          {"dtype", r.dtype},       {"kv_dtype", r.kv_dtype}, {"batch", r.batch},  {"prompt", r.prompt},
          {"gen", r.gen},           {"tp", r.tp},           {"pp", r.pp},         {"microbatches", r.microbatches},
          {"replicas", r.replicas}, {"threads", r.threads}, {"ubatch", r.ubatch}, {"extend_context", r.extend_context}, {"images", r.images},   {"image_tiles", r.image_tiles},
          {"usd_per_hour", r.usd_per_hour}, {"usd_per_hour_source", r.usd_per_hour_source},
          {"placement",
           {{"policy", sim::to_string(p.policy)}, {"devices", p.devices}, {"op_classes", p.op_classes},
            {"split_layer", p.split_layer}, {"offload_memory", p.offload_memory},
            {"memory_fraction", p.memory_fraction}, {"prefetch", p.prefetch}, {"collectives", sim::to_string(p.collectives)}}}};
}

// The predictor names a bad value by the flag that would carry it ("--dtype: unknown dtype");
// in a scenario the user wrote a key in a file, so say that instead: "FILE: dtype: ...".
sim::Prediction predict_from_scenario(const sim::DataPaths& paths, const sim::Scenario& scenario,
                                      const sim::PredictRequest& request, sim::TraceWriter& tracer,
                                      sim::OpTableWriter& table) {
  try {
    return sim::Predictor(paths).predict(request, {tracer.observer(), table.observer()});
  } catch (const InputError& e) {
    const std::string& where = e.where();
    if (where.rfind("--", 0) != 0) throw;
    std::string key = where.substr(2);
    std::replace(key.begin(), key.end(), '-', '_');
    const std::string what = std::string(e.what()).substr(where.size() + 2);  // drop "--flag: "
    throw InputError(scenario.file, key + ": " + what);
  }
}

// One prediction with its three output files in `dir`; returns the exit code.
int run_one(const sim::DataPaths& paths, const sim::Scenario& scenario, const sim::PredictRequest& request,
            const std::string& dir, nlohmann::ordered_json scenario_json, bool print) {
  // run always writes ops.csv (every step) and trace.json: the steps it records are bounded.
  check_recorded_steps(request, scenario.file, "`llmsim predict` without --trace and --ops-csv runs any length in "
                                               "constant memory");
  sim::TraceWriter tracer(scenario.trace_decode_steps);
  sim::OpTableWriter table;
  const sim::Prediction p = predict_from_scenario(paths, scenario, request, tracer, table);
  nlohmann::ordered_json result;
  result["scenario"] = std::move(scenario_json);  // the resolved inputs, so the run can be repeated
  result["prediction"] = sim::to_json(p);
  ResultSet files(dir);
  files.add("result.json", result.dump(2) + "\n");
  files.add("ops.csv", table.csv());
  files.add("trace.json", tracer.json());
  files.commit();
  if (print) fmt::print("{}", sim::to_text(p));
  return p.fits ? kOk : kDoesNotFit;
}

nlohmann::ordered_json scenario_header(const sim::Scenario& s) {
  return {{"file", s.file}, {"name", s.name}, {"description", s.description},
          {"trace_decode_steps", s.trace_decode_steps}};
}

std::string fmt_rate(double v) { return v > 0 ? fmt::format("{:.1f}", v) : "-"; }

// The comparison of the variants: the summary CSV, the printed table and, when some variant has
// power or price data, the energy and cost table.
struct VariantSummary {
  std::string csv = "variant,status,placement,decode_tokens_per_s,ttft_s,request_s,aggregate_output_tokens_per_s,"
                    "decode_bound,decode_floor_tokens_per_s,memory_bytes,fits,joules_per_item,usd_per_item\n";
  std::string table = fmt::format("{:<28} {:>10} {:>9} {:>10} {:>11} {:>13}  {:<16} {}\n", "variant", "decode t/s",
                                  "TTFT s", "request s", "aggregate", "floor t/s", "decode bound", "memory");
  std::string energy_table;

  void add(const std::string& name, const nlohmann::ordered_json& p) {
    const double gen = p["gen"].get<double>() * p["batch"].get<double>();
    const double floor_s = p["decode"]["ceiling_seconds"].get<double>();
    const double floor_rate = floor_s > 0 ? gen / floor_s : 0;
    const bool fits = p["fits"].get<bool>();
    double memory = 0;
    for (const auto& m : p["memories"]) memory += m["total_bytes"].get<double>();
    table += fmt::format("{:<28} {:>10} {:>9.3f} {:>10.3f} {:>11} {:>13}  {:<16} {:.1f} GB{}\n", name,
                         fmt_rate(p["decode_tokens_per_s"].get<double>()), p["ttft_s"].get<double>(),
                         p["request_s"].get<double>(), fmt_rate(p["aggregate_output_tokens_per_s"].get<double>()),
                         fmt_rate(floor_rate), p["decode"]["bound"].get<std::string>(), memory / 1e9,
                         fits ? "" : " (does not fit)");
    const auto& e = p["energy_cost"];
    const bool has_energy = e["has_energy"].get<bool>(), has_cost = e["has_cost"].get<bool>();
    auto number = [](const nlohmann::ordered_json& x) { return fmt::format("{}", x.get<double>()); };
    csv += csv_record({name, "ok", p["placement"].get<std::string>(), number(p["decode_tokens_per_s"]),
                       number(p["ttft_s"]), number(p["request_s"]), number(p["aggregate_output_tokens_per_s"]),
                       p["decode"]["bound"].get<std::string>(), fmt::format("{}", floor_rate), fmt::format("{}", memory),
                       fits ? "true" : "false", has_energy ? number(e["joules_per_item"]) : "",
                       has_cost ? number(e["usd_per_item"]) : ""});
    if (!has_energy && !has_cost) return;
    energy_table += fmt::format("{:<28} {:<9} {:>10.4f} {:>10} {:>12} {:>8} {:>7}\n", name, e["item"].get<std::string>(),
                                p["request_s"].get<double>() / std::max(1.0, e["items"].get<double>()),
                                has_energy ? fmt::format("{:.1f}", e["joules_per_item"].get<double>()) : "-",
                                has_cost ? fmt::format("{:.6f}", e["usd_per_item"].get<double>()) : "-",
                                has_cost ? fmt::format("{:.2f}", e["usd_per_hour"].get<double>()) : "-",
                                has_energy ? fmt::format("{:.0f}", e["average_power_w"].get<double>()) : "-");
  }

  void failed(const std::string& name, const std::string& error) {
    table += fmt::format("{:<28} failed: {}\n", name, error);
    csv += csv_record({name, "failed", error, "", "", "", "", "", "", "", "", "", ""});
  }

  std::string text() const {
    if (energy_table.empty()) return table;
    return table + fmt::format("\n{:<28} {:<9} {:>10} {:>10} {:>12} {:>8} {:>7}\n{}", "variant", "per", "seconds",
                               "joules", "USD", "USD/h", "avg W", energy_table) +
           "energy: idle_w all the time + (tdp_w - idle_w) while running ops (launch waits at idle), the devices' "
           "board power only; cost: usd_per_hour x time (see each result.json's assumptions)\n";
  }
};

// Runs every variant in its own process (one SimGrid engine each) and writes the comparison.
int run_variants(const sim::DataPaths& paths, const sim::Scenario& s, const std::string& dir, bool quiet) {
  const auto& variants = s.variants;
  // Variant names are the user's text: each becomes a safe directory name, and two names that
  // would share one are refused before anything runs.
  FileNames names(s.file + ": variants");
  std::vector<std::string> subdirs;
  for (const auto& v : variants) subdirs.push_back(dir + "/" + names.claim(v.name));
  const auto outcomes = sim::run_in_children(
      variants.size(), 2,
      [&](std::size_t i) {
        const auto& v = variants[i];
        const std::string& sub = subdirs[i];
        fs::create_directories(sub);
        try {
          auto header = scenario_header(s);
          header["variant"] = v.name;
          header["variant_description"] = v.description;
          header["request"] = request_json(v.request);
          return run_one(paths, s, v.request, sub, header, false);
        } catch (const InputError& e) {
          write_file_atomically(sub + "/error.txt", std::string(e.what()) + "\n");
          return static_cast<int>(kInputError);
        }
      },
      [&](std::size_t i, const sim::ChildOutcome& o) {
        if (!quiet) fmt::print(stderr, "  variant {} done (exit {})\n", variants[i].name, o.exit_code);
      });

  nlohmann::ordered_json combined;
  combined["scenario"] = scenario_header(s);
  combined["variants"] = nlohmann::ordered_json::array();
  VariantSummary summary;
  int worst = kOk;
  for (std::size_t i = 0; i < variants.size(); ++i) {
    const auto& v = variants[i];
    nlohmann::ordered_json entry{{"name", v.name}, {"description", v.description}, {"exit_code", outcomes[i].exit_code}};
    const bool ran = outcomes[i].exit_code == kOk || outcomes[i].exit_code == kDoesNotFit;
    if (std::ifstream in(subdirs[i] + "/result.json"); in && ran) {
      entry["prediction"] = nlohmann::ordered_json::parse(in)["prediction"];
      summary.add(v.name, entry["prediction"]);
    } else {
      std::string error = "failed";
      if (std::ifstream err(subdirs[i] + "/error.txt"); err) std::getline(err, error);
      entry["error"] = error;
      summary.failed(v.name, error);
      worst = kInputError;
    }
    combined["variants"].push_back(entry);
  }
  ResultSet files(dir);
  files.add("result.json", combined.dump(2) + "\n");
  files.add("summary.csv", summary.csv);
  files.commit();
  if (!quiet) {
    fmt::print("scenario {}: {}\n\n{}\nwrote {}/result.json, {}/summary.csv and per variant result.json, ops.csv, "
               "trace.json\n", s.name, s.description, summary.text(), dir, dir);
  }
  return worst;
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
      if (!path_exists(path)) {
        const auto shipped = fs::path(paths.scenarios()) / (path + (path.ends_with(".yaml") ? "" : ".yaml"));
        if (fs::exists(shipped)) path = shipped.string();
      }
      const sim::Scenario scenario = sim::load_scenario(path);
      const std::string dir = out->empty() ? "results/" + safe_file_name(scenario.name, scenario.file + ": name") : *out;
      if (!scenario.variants.empty()) return run_variants(paths, scenario, dir, *quiet);
      if (!*quiet) fmt::print("scenario {}: {}\n\n", scenario.name, scenario.description);
      auto header = scenario_header(scenario);
      header["request"] = request_json(scenario.request);
      const int code = run_one(paths, scenario, scenario.request, dir, header, !*quiet);
      if (!*quiet) {
        fmt::print("\nwrote {0}/result.json, {0}/ops.csv, {0}/trace.json (open the trace in ui.perfetto.dev)\n", dir);
      }
      return code;
    };
  });
}

}  // namespace llmsim::cli
