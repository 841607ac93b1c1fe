// MLPerf Inference-style verdicts of a serving run. The limits are the scenario's (MLPerf's
// Llama-2-70B server limits by default: TTFT p99 <= 2 s, TPOT p99 <= 200 ms); LoadGen's minimum
// duration and query counts are not enforced, and the summary says so.
#include <fmt/format.h>

#include "sim/serving/serving_report.hpp"

namespace llmsim::sim::serving {

MlperfVerdict mlperf_verdict(const ServeConfig& c, const ServingMetrics& m) {
  MlperfVerdict v;
  const bool all_done = m.completed == m.requests;
  v.checks.push_back(fmt::format("all {} samples completed: {}", m.requests, all_done ? "Yes" : "NO"));
  v.valid = all_done;
  if (c.mlperf.scenario == "Server") {
    const bool ttft = m.ttft_s.p99 <= c.mlperf.ttft_p99_s;
    const bool tpot = m.tpot_s.p99 <= c.mlperf.tpot_p99_s;
    v.checks.push_back(fmt::format("TTFT p99 {:.4f} s <= {} s: {}", m.ttft_s.p99, c.mlperf.ttft_p99_s, ttft ? "Yes" : "NO"));
    v.checks.push_back(fmt::format("TPOT p99 {:.4f} s <= {} s: {}", m.tpot_s.p99, c.mlperf.tpot_p99_s, tpot ? "Yes" : "NO"));
    v.valid = v.valid && ttft && tpot;
  }
  return v;
}

std::string mlperf_summary_text(const ServeConfig& c, const ServingResult& r) {
  const auto& m = r.metrics;
  const auto v = mlperf_verdict(c, m);
  std::string out = "================================================\n";
  out += "MLPerf Results Summary (simulated by llmsim, not an MLPerf result)\n";
  out += "================================================\n";
  out += fmt::format("Scenario : {}\n", c.mlperf.scenario);
  out += "Mode     : PerformanceOnly\n";
  if (c.mlperf.scenario == "Server") out += fmt::format("Target QPS : {}\n", c.workload.rate);
  out += fmt::format("Completed samples per second    : {:.2f}\n", m.requests_per_s);
  out += fmt::format("Completed tokens per second     : {:.2f}\n", m.output_tokens_per_s);
  out += fmt::format("Result is : {}\n", v.valid ? "VALID" : "INVALID");
  for (const auto& check : v.checks) out += "  " + check + "\n";
  out += fmt::format("  (LoadGen's minimum duration and sample count are not enforced: {} samples, {:.1f} s simulated)\n",
                     m.requests, m.makespan_s);
  return out;
}

}  // namespace llmsim::sim::serving
