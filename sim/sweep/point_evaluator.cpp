#include "sim/sweep/point_evaluator.hpp"

#include <exception>
#include <nlohmann/json.hpp>
#include <utility>

#include "common/input_error.hpp"
#include "sim/predictor.hpp"
#include "sim/report.hpp"
#include "sim/scenario.hpp"
#include "sim/serving/serve_config.hpp"
#include "sim/serving/serving_report.hpp"
#include "sim/serving/serving_simulator.hpp"
#include "sim/training/train_config.hpp"
#include "sim/training/trainer.hpp"

namespace llmsim::sim::sweep {

namespace {

// (column, JSON pointer into the kind's result JSON)
using MetricTable = std::vector<std::pair<std::string, std::string>>;

const MetricTable& metric_table(ScenarioKind kind) {
  static const MetricTable run = {
      {"ttft_s", "/ttft_s"},
      {"prefill_s", "/prefill_s"},
      {"prefill_tokens_per_s", "/prefill_tokens_per_s"},
      {"tpot_s", "/tpot_s"},
      {"decode_s", "/decode_s"},
      {"decode_tokens_per_s", "/decode_tokens_per_s"},
      {"output_tokens_per_s", "/output_tokens_per_s"},
      {"request_s", "/request_s"},
      {"aggregate_output_tokens_per_s", "/aggregate_output_tokens_per_s"},
      {"peak_memory_bytes", "/peak_memory_bytes"},
      {"fits", "/fits"},
      {"bound", "/bound"},
  };
  static const MetricTable serve = {
      {"completed", "/completed"},
      {"makespan_s", "/makespan_s"},
      {"requests_per_s", "/requests_per_s"},
      {"output_tokens_per_s", "/output_tokens_per_s"},
      {"output_tokens_per_s_per_device", "/output_tokens_per_s_per_device"},
      {"goodput_requests_per_s", "/goodput_requests_per_s"},
      {"slo_attainment", "/slo_attainment"},
      {"ttft_mean_s", "/ttft_s/mean"},
      {"ttft_p50_s", "/ttft_s/p50"},
      {"ttft_p99_s", "/ttft_s/p99"},
      {"tpot_mean_s", "/tpot_s/mean"},
      {"tpot_p50_s", "/tpot_s/p50"},
      {"tpot_p99_s", "/tpot_s/p99"},
      {"preemptions", "/preemptions"},
  };
  static const MetricTable train = {
      {"step_s", "/step_s"},
      {"tokens_per_s", "/tokens_per_s"},
      {"mfu", "/mfu"},
      {"memory_per_device_bytes", "/memory/per_device_bytes"},
      {"capacity_bytes", "/memory/capacity_bytes"},
      {"kernels", "/kernels"},
      {"fits", "/fits"},
  };
  switch (kind) {
    case ScenarioKind::kServe:
      return serve;
    case ScenarioKind::kTrain:
      return train;
    case ScenarioKind::kRun:
      break;
  }
  return run;
}

// A JSON value as its CSV text: strings bare, numbers and booleans as the JSON writes them.
template <typename Json>
std::string cell(const Json& j, const std::string& pointer) {
  const typename Json::json_pointer ptr(pointer);
  if (!j.contains(ptr)) return "";
  const auto& v = j.at(ptr);
  if (v.is_string()) return v.template get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

template <typename Json>
PointOutcome outcome_from(ScenarioKind kind, const Json& j, bool fits) {
  PointOutcome o;
  o.status = fits ? kStatusOk : kStatusDoesNotFit;
  for (const auto& [column, pointer] : metric_table(kind)) o.metrics.push_back(cell(j, pointer));
  return o;
}

}  // namespace

std::vector<std::string> metric_columns(ScenarioKind kind) {
  std::vector<std::string> names;
  for (const auto& entry : metric_table(kind)) names.push_back(entry.first);
  return names;
}

void check_point(const SweepScenario& scenario, const SweepPoint& point) {
  const YAML::Node tree = scenario.tree_for(point);
  switch (scenario.kind()) {
    case ScenarioKind::kRun:
      load_scenario(tree, scenario.path());
      break;
    case ScenarioKind::kServe:
      serving::load_serve_config(tree, scenario.path());
      break;
    case ScenarioKind::kTrain:
      training::load_train_config(tree, scenario.path());
      break;
  }
}

PointOutcome evaluate_point(const DataPaths& paths, const SweepScenario& scenario, const SweepPoint& point) {
  try {
    const YAML::Node tree = scenario.tree_for(point);
    switch (scenario.kind()) {
      case ScenarioKind::kRun: {
        const Scenario s = load_scenario(tree, scenario.path());
        const Prediction p = Predictor(paths).predict(s.request);
        return outcome_from(ScenarioKind::kRun, to_json(p), p.fits);
      }
      case ScenarioKind::kServe: {
        auto config = serving::load_serve_config(tree, scenario.path());
        auto requests = serving::make_requests(config.workload);
        serving::ServingSimulator simulator(paths, config);
        const auto result = simulator.run(std::move(requests));
        // wall time 0: it differs from run to run and is not a metric of the point
        return outcome_from(ScenarioKind::kServe, serving::serving_json(simulator.config(), result, 0), true);
      }
      case ScenarioKind::kTrain: {
        const auto config = training::load_train_config(tree, scenario.path());
        const auto result = training::simulate_training(paths, config.request);
        return outcome_from(ScenarioKind::kTrain, training::to_json(result), result.fits);
      }
    }
  } catch (const InputError& e) {
    PointOutcome o;
    o.error = e.what();
    return o;
  } catch (const std::exception& e) {
    PointOutcome o;
    o.error = std::string("internal error: ") + e.what();
    return o;
  }
  return {};
}

}  // namespace llmsim::sim::sweep
