// Runs one grid point: the scenario's loader reads the point's YAML tree, the matching
// simulation runs (one SimGrid engine: call it in a fresh process), and its headline metrics
// become one row. Metric columns per kind:
//   run:   ttft_s prefill_s prefill_tokens_per_s tpot_s decode_s decode_tokens_per_s
//          output_tokens_per_s request_s aggregate_output_tokens_per_s peak_memory_bytes fits bound
//   serve: completed makespan_s requests_per_s output_tokens_per_s output_tokens_per_s_per_device
//          goodput_requests_per_s slo_attainment ttft_mean_s ttft_p50_s ttft_p99_s tpot_mean_s
//          tpot_p50_s tpot_p99_s preemptions
//   train: step_s tokens_per_s mfu memory_per_device_bytes capacity_bytes kernels fits
// Each is the value of the same name (or path) in `predict --json`, serve.json, train.json.
#pragma once

#include <string>
#include <vector>

#include "sim/data_paths.hpp"
#include "sim/sweep/sweep_scenario.hpp"
#include "sim/sweep/sweep_table.hpp"

namespace llmsim::sim::sweep {

/// The metric column names of a kind, in CSV order.
std::vector<std::string> metric_columns(ScenarioKind kind);

/// Reads the point's configuration with the scenario's loader, without simulating anything
/// (safe in the parent process); throws the loader's InputError.
void check_point(const SweepScenario& scenario, const SweepPoint& point);

/// Simulates the point. Errors (bad values, unknown ids) are returned as a failed outcome
/// with the message; only a crash escapes.
PointOutcome evaluate_point(const DataPaths& paths, const SweepScenario& scenario, const SweepPoint& point);

}  // namespace llmsim::sim::sweep
