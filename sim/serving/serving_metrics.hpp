// Latency and throughput statistics of a serving run. Percentiles use the nearest-rank
// method (the smallest value with at least p% of the values at or below it), so they are
// values that occurred and do not depend on interpolation choices.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "sim/serving/request.hpp"
#include "sim/serving/serve_config.hpp"

namespace llmsim::sim::serving {

struct Distribution {
  double mean = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;
  std::size_t count = 0;
};

/// Nearest-rank percentile of `values` (sorted or not); 0 for none. p in (0, 100].
double percentile(std::vector<double> values, double p);
Distribution summarize(const std::vector<double>& values);

struct ServingMetrics {
  std::size_t requests = 0;
  std::size_t completed = 0;
  double makespan_s = 0;             // first arrival to last completion
  Distribution ttft_s, tpot_s, e2e_s, queueing_s;
  double requests_per_s = 0;         // completed / makespan
  double output_tokens_per_s = 0;
  double output_tokens_per_s_per_device = 0;
  double goodput_requests_per_s = 0; // completed within the SLO / makespan
  double slo_attainment = 0;         // share of completed requests within the SLO
  int64_t preemptions = 0;
  double arrival_rate_per_s = 0;     // requests sent / span of their send times (0: all at once)
  // The steady window: between the sends of the 10th- and 90th-percentile requests, so that
  // the ramp-up and the drain do not dilute the figures. Requests sent in it that meet the SLO,
  // and their output tokens, per second of the window (0 when every request is sent at once).
  double steady_window_s = 0;
  double steady_goodput_requests_per_s = 0;
  double steady_output_tokens_per_s = 0;
};

/// `devices`: devices used by all replicas, for per-device throughput.
ServingMetrics compute_metrics(const std::vector<RequestProgress>& requests, const Slo& slo, int devices);

}  // namespace llmsim::sim::serving
