#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "hwmodels/input_error.hpp"
#include "sim/atomic_file.hpp"
#include "sim/cli/commands.hpp"
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
    action = [=](const sim::DataPaths& paths) {
      const auto plan = sim::serving::load_plan_config(*file);
      const std::string dir = out->empty() ? "results/" + plan.name : *out;
      const auto& points = plan.points;
      std::size_t done = 0;
      fmt::print(stderr, "plan {}: {} configurations, {} at a time\n", plan.name, points.size(),
                 *jobs > 0 ? *jobs : plan.parallel);
      sim::run_in_children(
          points.size(), *jobs > 0 ? *jobs : plan.parallel,
          [&](std::size_t i) {
            const std::string sub = fmt::format("{}/points/{:04}", dir, i);
            std::filesystem::create_directories(sub);
            try {
              const auto config = sim::serving::config_for(plan, points[i]);
              auto requests = sim::serving::make_requests(config.workload);
              sim::serving::ServingSimulator simulator(paths, config);
              const auto result = simulator.run(std::move(requests));
              sim::write_file_atomically(sub + "/serve.json", sim::serving::serving_json(simulator.config(), result, 0).dump(2));
              return static_cast<int>(kOk);
            } catch (const InputError& e) {
              sim::write_file_atomically(sub + "/error.txt", std::string(e.what()) + "\n");
              return static_cast<int>(kInputError);
            }
          },
          [&](std::size_t, const sim::ChildOutcome&) {
            ++done;
            const int width = 30;
            const int filled = static_cast<int>(width * done / points.size());
            fmt::print(stderr, "\r  [{}{}] {}/{}", std::string(static_cast<std::size_t>(filled), '#'),
                       std::string(static_cast<std::size_t>(width - filled), '.'), done, points.size());
            if (done == points.size()) fmt::print(stderr, "\n");
          });

      std::vector<PointResult> results;
      std::string csv = "hardware,replicas,tp,max_batch,devices,usd_per_hour,ttft_p99_s,tpot_p99_s,"
                        "goodput_requests_per_s,output_tokens_per_s,meets_target,error\n";
      std::string table = fmt::format("{:<18} {:>8} {:>3} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9}  {}\n", "hardware",
                                      "replicas", "tp", "max_batch", "devices", "$/hour", "TTFT p99", "TPOT p99",
                                      "goodput", "meets");
      int cheapest = -1;
      for (std::size_t i = 0; i < points.size(); ++i) {
        const auto config = sim::serving::config_for(plan, points[i]);
        const auto r = read_point(fmt::format("{}/points/{:04}", dir, i), plan.target, config.usd_per_device_hour);
        results.push_back(r);
        const auto& p = points[i];
        if (!r.ok) {
          table += fmt::format("{:<18} {:>8} {:>3} {:>9}  failed: {}\n", p.hardware, p.replicas, p.tp, p.max_batch,
                               r.error);
          csv += fmt::format("{},{},{},{},,,,,,,false,\"{}\"\n", p.hardware, p.replicas, p.tp, p.max_batch, r.error);
          continue;
        }
        table += fmt::format("{:<18} {:>8} {:>3} {:>9} {:>7} {:>9.2f} {:>9.3f} {:>9.4f} {:>9.3f}  {}\n", p.hardware,
                             p.replicas, p.tp, p.max_batch, r.devices, r.usd_per_hour, r.ttft_p99, r.tpot_p99,
                             r.goodput, r.meets ? "yes" : "no");
        csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{},\n", p.hardware, p.replicas, p.tp, p.max_batch, r.devices,
                           r.usd_per_hour, r.ttft_p99, r.tpot_p99, r.goodput, r.tokens_per_s, r.meets);
        // Cheapest by price; without prices, by devices.
        auto cost = [&](const PointResult& x) { return x.usd_per_hour > 0 ? x.usd_per_hour : x.devices; };
        if (r.meets && (cheapest < 0 || cost(r) < cost(results[static_cast<std::size_t>(cheapest)]))) {
          cheapest = static_cast<int>(i);
        }
      }
      // Pareto front of cost against goodput: no other point is cheaper and at least as good.
      std::string pareto = "hardware,replicas,tp,max_batch,devices,usd_per_hour,goodput_requests_per_s\n";
      for (std::size_t i = 0; i < results.size(); ++i) {
        if (!results[i].ok) continue;
        bool dominated = false;
        for (std::size_t k = 0; k < results.size() && !dominated; ++k) {
          if (k == i || !results[k].ok) continue;
          const double ci = results[i].usd_per_hour > 0 ? results[i].usd_per_hour : results[i].devices;
          const double ck = results[k].usd_per_hour > 0 ? results[k].usd_per_hour : results[k].devices;
          dominated = ck <= ci && results[k].goodput >= results[i].goodput &&
                      (ck < ci || results[k].goodput > results[i].goodput);
        }
        if (!dominated) {
          const auto& p = points[i];
          pareto += fmt::format("{},{},{},{},{},{},{}\n", p.hardware, p.replicas, p.tp, p.max_batch, results[i].devices,
                                results[i].usd_per_hour, results[i].goodput);
        }
      }
      sim::write_file_atomically(dir + "/plan.csv", csv);
      sim::write_file_atomically(dir + "/pareto.csv", pareto);
      fmt::print("plan {}: {} at {} req/s, target TTFT p99 <= {} s{}\n\n{}\n", plan.name, plan.base.model,
                 plan.base.workload.rate, plan.target.ttft_p99_s,
                 plan.target.tpot_p99_s > 0 ? fmt::format(", TPOT p99 <= {} s", plan.target.tpot_p99_s) : "", table);
      if (cheapest < 0) {
        fmt::print("no configuration in the grid meets the target\n");
      } else {
        const auto& p = points[static_cast<std::size_t>(cheapest)];
        const auto& r = results[static_cast<std::size_t>(cheapest)];
        fmt::print("cheapest that meets the target: {} x {} (tp={}, max_batch {}) = {} device(s){}; TTFT p99 {:.3f} s\n",
                   p.replicas, p.hardware, p.tp, p.max_batch, r.devices,
                   r.usd_per_hour > 0 ? fmt::format(", ${:.2f}/hour", r.usd_per_hour) : "", r.ttft_p99);
      }
      fmt::print("wrote {0}/plan.csv, {0}/pareto.csv and {0}/points/*/serve.json\n", dir);
      return kOk;
    };
  });
}

}  // namespace llmsim::cli
