#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "hwmodels/catalog.hpp"
#include "common/input_error.hpp"
#include "common/output_files.hpp"
#include "app/commands.hpp"
#include "sim/process_pool.hpp"
#include "sim/serving/plan_config.hpp"
#include "sim/serving/serving_report.hpp"
#include "sim/serving/serving_simulator.hpp"

namespace llmsim::cli {

namespace {

struct PointResult {
  bool ok = false;
  std::string error;
  int devices = 0;
  double usd_per_hour = 0;
  double ttft_p99 = 0, tpot_p99 = 0, goodput = 0, tokens_per_s = 0;
  bool complete = false;
  bool meets = false;
};

PointResult read_point(const std::string& dir, const sim::serving::PlanTarget& target, double usd_per_device_hour) {
  PointResult r;
  if (std::ifstream err(dir + "/error.txt"); err) {
    std::getline(err, r.error);
    return r;
  }
  std::ifstream in(dir + "/serve.json");
  if (!in) {
    r.error = "the simulation did not finish";
    return r;
  }
  const auto j = nlohmann::json::parse(in);
  r.ok = true;
  r.devices = j["devices"].get<int>();
  r.usd_per_hour = r.devices * usd_per_device_hour;
  r.ttft_p99 = j["ttft_s"]["p99"].get<double>();
  r.tpot_p99 = j["tpot_s"]["p99"].get<double>();
  r.goodput = j["goodput_requests_per_s"].get<double>();
  r.tokens_per_s = j["output_tokens_per_s"].get<double>();
  r.complete = j["completed"].get<std::size_t>() == j["requests"].get<std::size_t>();
  r.meets = r.complete && r.ttft_p99 <= target.ttft_p99_s && (target.tpot_p99_s <= 0 || r.tpot_p99 <= target.tpot_p99_s);
  return r;
}

// Price per device-hour: the plan's, else the catalog system's cloud_usd_per_hour divided by
// its GPUs (a whole-instance price shared by the GPUs it rents), else 0 (not priced).
std::map<std::string, std::pair<double, std::string>> device_prices(const sim::DataPaths& paths,
                                                                    const sim::serving::PlanConfig& plan) {
  std::map<std::string, std::pair<double, std::string>> out;
  const hwmodels::Catalog catalog(paths.catalog());
  for (const auto& p : plan.points) {
    if (out.count(p.hardware)) continue;
    if (auto it = plan.usd_per_device_hour.find(p.hardware); it != plan.usd_per_device_hour.end()) {
      out[p.hardware] = {it->second, "the plan's usd_per_device_hour"};
      continue;
    }
    double price = plan.base.usd_per_device_hour;
    std::string basis = price > 0 ? "the serve scenario's cost" : "not priced";
    try {
      const auto system = catalog.load(p.hardware);
      const auto gpus = system.devices_of(hwmodels::DeviceKind::gpu).size();
      if (price <= 0 && system.cloud_usd_per_hour && system.cloud_usd_per_hour->value > 0 && gpus > 0) {
        price = system.cloud_usd_per_hour->value / static_cast<double>(gpus);
        basis = fmt::format("catalog {}: cloud_usd_per_hour {} / {} GPUs", p.hardware, system.cloud_usd_per_hour->value,
                            gpus);
      }
    } catch (const InputError&) {
      // an unknown hardware fails its grid points with the loader's message
    }
    out[p.hardware] = {price, basis};
  }
  return out;
}

int simulate_point(const sim::DataPaths& paths, const sim::serving::PlanConfig& plan, std::size_t i, double price,
                   const std::string& dir) {
  const std::string sub = fmt::format("{}/points/{:04}", dir, i);
  std::filesystem::create_directories(sub);
  try {
    auto config = sim::serving::config_for(plan, plan.points[i]);
    config.usd_per_device_hour = price;
    auto requests = sim::serving::make_requests(config.workload);
    sim::serving::ServingSimulator simulator(paths, config);
    const auto result = simulator.run(std::move(requests));
    write_file_atomically(sub + "/serve.json", sim::serving::serving_json(simulator.config(), result, 0).dump(2));
    return static_cast<int>(kOk);
  } catch (const InputError& e) {
    write_file_atomically(sub + "/error.txt", std::string(e.what()) + "\n");
    return static_cast<int>(kInputError);
  }
}

double cost_of(const PointResult& r) { return r.usd_per_hour > 0 ? r.usd_per_hour : r.devices; }

// Pareto front of cost against goodput: no other point is cheaper and at least as good.
std::string pareto_csv(const std::vector<sim::serving::PlanPoint>& points, const std::vector<PointResult>& results) {
  std::string out = "hardware,replicas,tp,max_batch,devices,usd_per_hour,goodput_requests_per_s,configuration\n";
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (!results[i].ok) continue;
    bool dominated = false;
    for (std::size_t k = 0; k < results.size() && !dominated; ++k) {
      if (k == i || !results[k].ok) continue;
      const double ci = cost_of(results[i]), ck = cost_of(results[k]);
      dominated = ck <= ci && results[k].goodput >= results[i].goodput &&
                  (ck < ci || results[k].goodput > results[i].goodput);
    }
    if (dominated) continue;
    const auto& p = points[i];
    out += fmt::format("{},{},{},{},{},{},{},{}\n", p.hardware, p.replicas, p.tp, p.max_batch, results[i].devices,
                       results[i].usd_per_hour, results[i].goodput, p.label());
  }
  return out;
}

struct PlanTables {
  std::vector<PointResult> results;
  std::string csv, table;
  int cheapest = -1;
};

PlanTables read_results(const sim::serving::PlanConfig& plan, const std::string& dir,
                        const std::map<std::string, std::pair<double, std::string>>& prices) {
  PlanTables t;
  t.csv = "hardware,replicas,tp,max_batch,devices,usd_per_hour,ttft_p99_s,tpot_p99_s,goodput_requests_per_s,"
          "output_tokens_per_s,meets_target,error,software,dtype,kv_dtype,prefill_replicas\n";
  t.table = fmt::format("{:<44} {:>7} {:>9} {:>9} {:>9} {:>9}  {}\n", "configuration", "devices", "$/hour", "TTFT p99",
                        "TPOT p99", "goodput", "meets");
  for (std::size_t i = 0; i < plan.points.size(); ++i) {
    const auto& p = plan.points[i];
    const auto r = read_point(fmt::format("{}/points/{:04}", dir, i), plan.target, prices.at(p.hardware).first);
    t.results.push_back(r);
    if (!r.ok) {
      t.table += fmt::format("{:<44}  failed: {}\n", p.label(), r.error);
      t.csv += csv_record({p.hardware, std::to_string(p.replicas), std::to_string(p.tp), std::to_string(p.max_batch),
                           "", "", "", "", "", "", "false", r.error, p.software, p.dtype, p.kv_dtype,
                           std::to_string(p.prefill_replicas)});
      continue;
    }
    t.table += fmt::format("{:<44} {:>7} {:>9.2f} {:>9.3f} {:>9.4f} {:>9.3f}  {}\n", p.label(), r.devices,
                           r.usd_per_hour, r.ttft_p99, r.tpot_p99, r.goodput, r.meets ? "yes" : "no");
    t.csv += csv_record({p.hardware, std::to_string(p.replicas), std::to_string(p.tp), std::to_string(p.max_batch),
                         std::to_string(r.devices), fmt::format("{}", r.usd_per_hour), fmt::format("{}", r.ttft_p99),
                         fmt::format("{}", r.tpot_p99), fmt::format("{}", r.goodput), fmt::format("{}", r.tokens_per_s),
                         r.meets ? "true" : "false", "", p.software, p.dtype, p.kv_dtype,
                         std::to_string(p.prefill_replicas)});
    // Cheapest by price; without prices, by devices.
    if (r.meets && (t.cheapest < 0 || cost_of(r) < cost_of(t.results[static_cast<std::size_t>(t.cheapest)]))) {
      t.cheapest = static_cast<int>(i);
    }
  }
  return t;
}

int run_plan(const sim::DataPaths& paths, const std::string& file, const std::string& out, int jobs) {
  const auto plan = sim::serving::load_plan_config(file);
  const std::string dir = out.empty() ? "results/" + safe_file_name(plan.name, "plan name") : out;
  const auto& points = plan.points;
  const auto prices = device_prices(paths, plan);
  const int parallel = jobs > 0 ? jobs : plan.parallel;
  std::size_t done = 0;
  fmt::print(stderr, "plan {}: {} configurations, {} at a time\n", plan.name, points.size(), parallel);
  sim::run_in_children(
      points.size(), parallel,
      [&](std::size_t i) { return simulate_point(paths, plan, i, prices.at(points[i].hardware).first, dir); },
      [&](std::size_t, const sim::ChildOutcome&) {
        ++done;
        const int width = 30;
        const int filled = static_cast<int>(width * done / points.size());
        fmt::print(stderr, "\r  [{}{}] {}/{}", std::string(static_cast<std::size_t>(filled), '#'),
                   std::string(static_cast<std::size_t>(width - filled), '.'), done, points.size());
        if (done == points.size()) fmt::print(stderr, "\n");
      });
  const auto t = read_results(plan, dir, prices);
  ResultSet files(dir);
  files.add("plan.csv", t.csv);
  files.add("pareto.csv", pareto_csv(points, t.results));
  files.commit();
  fmt::print("plan {}: {} at {} req/s, target TTFT p99 <= {} s{}\n\n{}\n", plan.name, plan.base.model,
             plan.base.workload.rate, plan.target.ttft_p99_s,
             plan.target.tpot_p99_s > 0 ? fmt::format(", TPOT p99 <= {} s", plan.target.tpot_p99_s) : "", t.table);
  fmt::print("prices per device-hour:\n");
  for (const auto& [hardware, price] : prices) fmt::print("  {}: ${:.3f} ({})\n", hardware, price.first, price.second);
  if (t.cheapest < 0) {
    fmt::print("no configuration in the grid meets the target\n");
  } else {
    const auto& p = points[static_cast<std::size_t>(t.cheapest)];
    const auto& r = t.results[static_cast<std::size_t>(t.cheapest)];
    fmt::print("cheapest that meets the target: {} = {} device(s){}; TTFT p99 {:.3f} s\n", p.label(), r.devices,
               r.usd_per_hour > 0 ? fmt::format(", ${:.2f}/hour", r.usd_per_hour) : "", r.ttft_p99);
  }
  fmt::print("wrote {0}/plan.csv, {0}/pareto.csv and {0}/points/*/serve.json (llmsim plot pareto {0})\n", dir);
  return kOk;
}

}  // namespace

void add_plan_command(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand("plan", "find the cheapest configuration that meets a rate under an SLO");
  auto file = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto jobs = std::make_shared<int>(0);
  cmd->add_option("plan", *file, "plan YAML (a serve scenario, a grid and a target)")->required();
  cmd->add_option("--out", *out, "output directory (default: results/<plan name>)");
  cmd->add_option("-j,--jobs", *jobs, "grid points simulated at once (default: the plan's 'parallel')");
  cmd->callback([=, &action]() {
    action = [=](const sim::DataPaths& paths) { return run_plan(paths, *file, *out, *jobs); };
  });
}

}  // namespace llmsim::cli
