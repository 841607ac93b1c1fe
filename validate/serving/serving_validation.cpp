#include "validate/serving/serving_validation.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "sim/process_pool.hpp"
#include "sim/serving/serving_simulator.hpp"
#include "validate/corpus/corpus_report.hpp"
#include "validate/serving/serving_rows.hpp"

namespace llmsim::validate {

namespace {

struct Run {
  ServingCase serving;
  std::vector<std::size_t> rows;  // indices into the report's predicted list
};

// Child side: the run's figures, one number per line in ServingFigures order, or "error ...".
int simulate_run(const sim::DataPaths& paths, sim::serving::ServeConfig config, const HostWorkPoint& host,
                 const std::string& out_file) {
  std::string reply;
  try {
    config.host_step_us = host.step_us;
    config.host_per_sequence_us = host.per_sequence_us;
    config.host_request_us = host.request_us;
    auto requests = sim::serving::make_requests(config.workload);
    double input = 0;
    for (const auto& r : requests) input += static_cast<double>(r.prompt_tokens);
    sim::serving::ServingSimulator simulator(paths, config);
    const auto result = simulator.run(std::move(requests));
    const ServingFigures f = figures_of(result.metrics, input);
    reply = fmt::format("ok {:.17g} {:.17g} {:.17g} {:.17g} {:.17g} {:.17g} {:.17g} {:.17g} {:.17g}",
                        f.output_tokens_per_s, f.total_tokens_per_s, f.requests_per_s, f.ttft_mean_ms,
                        f.ttft_median_ms, f.ttft_p99_ms, f.tpot_mean_ms, f.tpot_median_ms, f.e2e_mean_s);
  } catch (const std::exception& e) {
    reply = std::string("error ") + e.what();
  }
  std::ofstream(out_file) << reply;
  return 0;
}

std::optional<ServingFigures> read_figures(const std::string& file, std::string& error) {
  std::ifstream in(file);
  std::string tag;
  if (!(in >> tag)) {
    error = "simulation child died";
    return std::nullopt;
  }
  if (tag != "ok") {
    std::getline(in, error);
    return std::nullopt;
  }
  ServingFigures f;
  in >> f.output_tokens_per_s >> f.total_tokens_per_s >> f.requests_per_s >> f.ttft_mean_ms >> f.ttft_median_ms >>
      f.ttft_p99_ms >> f.tpot_mean_ms >> f.tpot_median_ms >> f.e2e_mean_s;
  return f;
}

std::string group_of(const CorpusRow& row, const ServingCase& s, CvGroup cv) {
  switch (cv) {
    case CvGroup::source: return row.source_key();
    case CvGroup::hardware: return s.config.hardware;
    case CvGroup::engine: return s.config.software.substr(0, s.config.software.find('@'));  // its releases together
  }
  return "";
}

double log_error(double predicted, double measured) { return std::abs(std::log(predicted / measured)); }

double median_of(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// The grid point with the smallest mean, over metric classes (throughput, TTFT, TPOT, e2e), of
// the median |log error| of `rows`, so that each class counts alike however many rows it has;
// -1 when there are none.
int best_point(const std::vector<std::vector<double>>& predicted, const std::vector<double>& measured,
               const std::vector<std::string>& metric_class, const std::vector<std::size_t>& rows) {
  int best = -1;
  double best_score = 0;
  for (std::size_t g = 0; g < predicted.size(); ++g) {
    std::map<std::string, std::vector<double>> errors;
    bool failed = false;
    for (std::size_t r : rows) {
      failed = failed || predicted[g][r] <= 0;
      if (!failed) errors[metric_class[r]].push_back(log_error(predicted[g][r], measured[r]));
    }
    if (failed || errors.empty()) continue;  // a point that failed a run is out
    double score = 0;
    for (const auto& [cls, e] : errors) score += median_of(e) / static_cast<double>(errors.size());
    if (best < 0 || score < best_score) {
      best = static_cast<int>(g);
      best_score = score;
    }
  }
  return best;
}

}  // namespace

ServingReport validate_serving(const sim::DataPaths& paths, const CorpusMapping& mapping,
                               const std::vector<CorpusRow>& rows, CvGroup cv, const std::vector<HostWorkPoint>& grid,
                               int parallel, const std::function<void(std::size_t, std::size_t)>& progress) {
  ServingReport report;
  report.cv = cv;
  report.grid = grid;
  std::map<std::string, Run> runs;
  std::vector<std::string> run_of;  // per prediction: its run's key
  for (const auto& row : rows) {
    if (!is_serving_metric(row.metric)) continue;
    ++report.rows;
    auto mapped = map_serving_row(row, mapping);
    if (!mapped.serving) {
      report.not_expressible.emplace_back(&row, mapped.why_kind);
      continue;
    }
    ServingPrediction p;
    p.row = &row;
    p.family = mapped.serving->family;
    p.group = group_of(row, *mapped.serving, cv);
    p.measured = row.value;
    auto& run = runs[mapped.serving->key];
    if (run.rows.empty()) run.serving = *mapped.serving;
    run.rows.push_back(report.predicted.size());
    run_of.push_back(mapped.serving->key);
    report.predicted.push_back(p);
  }
  report.runs = runs.size();
  std::vector<HostWorkPoint> points = {HostWorkPoint{}};
  points.insert(points.end(), grid.begin(), grid.end());
  std::vector<const Run*> order;
  for (const auto& [key, run] : runs) order.push_back(&run);
  char dir_template[] = "/tmp/llmsim-serving-XXXXXX";
  const char* dir = ::mkdtemp(dir_template);
  if (dir == nullptr) throw std::runtime_error("cannot create a temporary directory");
  const std::size_t total = order.size() * points.size();
  std::size_t done = 0;
  auto file_of = [&](std::size_t i) { return fmt::format("{}/{}.txt", dir, i); };
  sim::run_in_children(
      total, parallel,
      [&](std::size_t i) {
        return simulate_run(paths, order[i % order.size()]->serving.config, points[i / order.size()], file_of(i));
      },
      [&](std::size_t, const sim::ChildOutcome&) {
        if (progress) progress(++done, total);
      });
  // predicted[g][r]: row r's figure at grid point g (0 = defaults); 0 when the run failed.
  std::vector<std::vector<double>> predicted(points.size(), std::vector<double>(report.predicted.size(), 0.0));
  std::vector<std::pair<const CorpusRow*, std::string>> failed;
  for (std::size_t i = 0; i < total; ++i) {
    std::string error;
    const auto figures = read_figures(file_of(i), error);
    std::remove(file_of(i).c_str());
    const Run& run = *order[i % order.size()];
    for (std::size_t r : run.rows) {
      if (figures) {
        predicted[i / order.size()][r] = figure_for(*figures, report.predicted[r].row->metric);
      } else if (i < order.size()) {
        failed.emplace_back(report.predicted[r].row, "simulation: " + error);
      }
    }
  }
  ::rmdir(dir);
  std::vector<double> measured;
  std::vector<std::string> classes;
  for (const auto& p : report.predicted) {
    measured.push_back(p.measured);
    classes.push_back(metric_class_of_family(p.family));
  }
  // Fit per engine: the grid points (1..) only; the defaults column stays the profile's.
  std::vector<std::vector<double>> fit_grid(predicted.begin() + 1, predicted.end());
  std::map<std::string, std::vector<std::size_t>> by_engine;
  for (std::size_t r = 0; r < report.predicted.size(); ++r) {
    by_engine[report.predicted[r].family.substr(0, report.predicted[r].family.find(' '))].push_back(r);
  }
  for (const auto& [engine, members] : by_engine) {
    const int all = fit_grid.empty() ? -1 : best_point(fit_grid, measured, classes, members);
    if (all >= 0) {
      const auto& g = grid[static_cast<std::size_t>(all)];
      report.fitted.push_back(fmt::format("{}: step_us {} per_sequence_us {} request_us {} (in sample, {} rows)",
                                          engine, g.step_us, g.per_sequence_us, g.request_us, members.size()));
    }
    std::set<std::string> groups;
    for (std::size_t r : members) groups.insert(report.predicted[r].group);
    for (const auto& group : groups) {
      std::vector<std::size_t> train;
      for (std::size_t r : members)
        if (report.predicted[r].group != group) train.push_back(r);
      const int held = fit_grid.empty() ? -1 : best_point(fit_grid, measured, classes, train);
      for (std::size_t r : members) {
        if (report.predicted[r].group != group) continue;
        auto& p = report.predicted[r];
        p.defaults = predicted[0][r];
        p.in_sample = all >= 0 ? fit_grid[static_cast<std::size_t>(all)][r] : p.defaults;
        p.held_out = held >= 0 ? fit_grid[static_cast<std::size_t>(held)][r] : p.defaults;
        for (const auto& at_point : fit_grid) p.at_points.push_back(at_point[r]);
      }
    }
  }
  // Rows whose default run failed are not predictions.
  std::vector<ServingPrediction> kept;
  for (const auto& p : report.predicted)
    if (p.defaults > 0 && p.held_out > 0 && p.in_sample > 0) kept.push_back(p);
  report.predicted = std::move(kept);
  report.not_expressible.insert(report.not_expressible.end(), failed.begin(), failed.end());
  return report;
}

}  // namespace llmsim::validate
