#include "sim/serving/serving_report.hpp"

#include <fmt/format.h>

#include <cmath>

namespace llmsim::sim::serving {

namespace {

nlohmann::ordered_json distribution_json(const Distribution& d) {
  return {{"mean", d.mean}, {"p50", d.p50}, {"p90", d.p90}, {"p99", d.p99}, {"max", d.max}, {"count", d.count}};
}

nlohmann::ordered_json config_json(const ServeConfig& c) {
  const auto& w = c.workload;
  const auto& s = c.scheduler;
  nlohmann::ordered_json j = {
      {"file", c.file},
      {"name", c.name},
      {"hardware", c.hardware},
      {"model", c.model},
      {"software", c.software},
      {"dtype", c.dtype},
      {"kv_dtype", c.kv_dtype},
      {"replica", {{"tp", c.replica.tp}, {"pp", c.replica.pp}, {"devices", c.replica.placement.devices}}},
      {"replicas", c.replicas},
      {"router", c.router},
      {"scheduler",
       {{"policy", s.policy}, {"max_batch", s.max_batch}, {"max_batched_tokens", s.max_batched_tokens},
        {"chunk_tokens", s.chunk_tokens}, {"static_timeout_s", s.static_timeout_s}, {"preemption", s.preemption}}},
      {"kv", {{"block_tokens", c.block_tokens}, {"gpu_memory_utilization", c.gpu_memory_utilization}}},
      {"workload",
       {{"arrival", to_string(w.arrival)}, {"rate", std::isinf(w.rate) ? nlohmann::json("inf") : nlohmann::json(w.rate)},  // JSON has no inf
        {"requests", w.requests}, {"burst_size", w.burst_size},
        {"trace_file", w.trace_file}, {"seed", w.seed},
        {"lengths",
         {{"distribution", w.lengths.distribution}, {"prompt_mean", w.lengths.prompt_mean},
          {"output_mean", w.lengths.output_mean}, {"sigma", w.lengths.sigma}, {"prompt_max", w.lengths.prompt_max},
          {"output_max", w.lengths.output_max}}}}},
      {"slo", {{"ttft_s", c.slo.ttft_s}, {"tpot_s", c.slo.tpot_s}}},
      {"usd_per_device_hour", c.usd_per_device_hour}};
  if (c.disaggregated) {
    j["disaggregated"] = {{"prefill", {{"tp", c.prefill.tp}, {"pp", c.prefill.pp}, {"devices", c.prefill.placement.devices}}},
                          {"prefill_replicas", c.prefill_replicas}};
  }
  return j;
}

}  // namespace

nlohmann::ordered_json serving_json(const ServeConfig& config, const ServingResult& r, double wall_s) {
  const auto& m = r.metrics;
  nlohmann::ordered_json j;
  j["config"] = config_json(config);
  j["requests"] = m.requests;
  j["completed"] = m.completed;
  j["makespan_s"] = m.makespan_s;
  j["requests_per_s"] = m.requests_per_s;
  j["output_tokens_per_s"] = m.output_tokens_per_s;
  j["output_tokens_per_s_per_device"] = m.output_tokens_per_s_per_device;
  j["devices"] = r.devices;
  j["goodput_requests_per_s"] = m.goodput_requests_per_s;
  j["arrival_rate_per_s"] = m.arrival_rate_per_s;
  j["steady_window"] = {{"seconds", m.steady_window_s},
                        {"goodput_requests_per_s", m.steady_goodput_requests_per_s},
                        {"output_tokens_per_s", m.steady_output_tokens_per_s}};
  j["slo_attainment"] = m.slo_attainment;
  j["ttft_s"] = distribution_json(m.ttft_s);
  j["tpot_s"] = distribution_json(m.tpot_s);
  j["e2e_s"] = distribution_json(m.e2e_s);
  j["queueing_s"] = distribution_json(m.queueing_s);
  j["preemptions"] = m.preemptions;
  if (!config.mlperf.scenario.empty()) {
    const auto v = mlperf_verdict(config, m);
    j["mlperf"] = {{"scenario", config.mlperf.scenario}, {"result", v.valid ? "VALID" : "INVALID"}, {"checks", v.checks}};
  }
  if (config.usd_per_device_hour > 0 && m.output_tokens_per_s > 0) {
    j["usd_per_million_output_tokens"] =
        config.usd_per_device_hour * r.devices / 3600.0 / m.output_tokens_per_s * 1e6;
  }
  nlohmann::ordered_json replicas = nlohmann::ordered_json::array();
  for (const auto& rep : r.replicas) {
    nlohmann::ordered_json series = nlohmann::ordered_json::array();
    for (const auto& [t, u] : rep.kv_utilisation) series.push_back({t, u});
    replicas.push_back({{"role", rep.role},
                        {"steps", rep.steps},
                        {"busy_s", rep.busy_s},
                        {"kv_blocks", rep.kv_blocks},
                        {"kv_blocks_peak", rep.kv_blocks_peak},
                        {"preemptions", rep.preemptions},
                        {"kv_utilisation", series}});
  }
  j["replicas"] = replicas;
  j["simulation"] = {{"step_graphs_simulated", r.simulated_steps},
                     {"memo_hits", r.memo_hits},
                     {"simulated_ops", r.simulated_ops},
                     {"wall_s", wall_s}};
  j["assumptions"] = r.assumptions;
  return j;
}

std::string requests_csv(const ServingResult& result) {
  std::string out = "id,arrival_s,prompt_tokens,output_tokens,replica,first_scheduled_s,first_token_s,finish_s,"
                    "ttft_s,tpot_s,e2e_s,queueing_s,preemptions\n";
  for (const auto& r : result.requests) {
    const double ttft = r.first_token_s - r.request.arrival_s;
    const double tpot = r.request.output_tokens > 1
                            ? (r.finish_s - r.first_token_s) / static_cast<double>(r.request.output_tokens - 1)
                            : 0.0;
    out += fmt::format("{},{:.9g},{},{},{},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{}\n", r.request.id,
                       r.request.arrival_s, r.request.prompt_tokens, r.request.output_tokens, r.replica,
                       r.first_scheduled_s, r.first_token_s, r.finish_s, ttft, tpot, r.finish_s - r.request.arrival_s,
                       r.first_scheduled_s - r.request.arrival_s, r.preemptions);
  }
  return out;
}

std::string serving_text(const ServeConfig& c, const ServingResult& r, double wall_s) {
  const auto& m = r.metrics;
  std::string out = fmt::format("{} on {}: {} x (tp={} pp={}) {}{}, {} scheduler, {} router\n", c.model, c.hardware,
                                c.replicas, c.replica.tp, c.replica.pp, c.software,
                                c.disaggregated ? fmt::format(" + {} prefill replicas", c.prefill_replicas) : "",
                                c.scheduler.policy, c.router);
  out += fmt::format("traffic: {} requests, {} arrivals{}{}; sent at {}\n\n", m.requests, to_string(c.workload.arrival),
                     c.workload.arrival == ArrivalProcess::trace ? " from " + c.workload.trace_file
                                                   : fmt::format(" at {} req/s (seed {})", c.workload.rate, c.workload.seed),
                     c.workload.max_concurrency > 0 ? fmt::format(", at most {} in flight", c.workload.max_concurrency)
                                                     : "",
                     m.arrival_rate_per_s > 0 ? fmt::format("{:.3f} req/s measured", m.arrival_rate_per_s)
                                              : std::string("once (all at time 0)"));
  auto line = [&](const char* name, const Distribution& d) {
    out += fmt::format("{:<12} mean {:9.4f}  p50 {:9.4f}  p90 {:9.4f}  p99 {:9.4f}  max {:9.4f} s\n", name, d.mean,
                       d.p50, d.p90, d.p99, d.max);
  };
  line("TTFT", m.ttft_s);
  line("TPOT", m.tpot_s);
  line("end to end", m.e2e_s);
  line("queueing", m.queueing_s);
  out += fmt::format("\nthroughput   {:.3f} requests/s, {:.1f} output tokens/s ({:.1f} per device, {} devices)\n",
                     m.requests_per_s, m.output_tokens_per_s, m.output_tokens_per_s_per_device, r.devices);
  out += fmt::format("SLO          TTFT <= {} s and TPOT <= {} s: {:.1f}% of requests, goodput {:.3f} requests/s\n",
                     c.slo.ttft_s, c.slo.tpot_s, 100 * m.slo_attainment, m.goodput_requests_per_s);
  if (m.steady_window_s > 0) {
    out += fmt::format("steady       {:.1f} output tokens/s, goodput {:.3f} requests/s over the {:.1f} s between the 10th "
                       "and 90th percentile sends (no ramp-up or drain)\n",
                       m.steady_output_tokens_per_s, m.steady_goodput_requests_per_s, m.steady_window_s);
  }
  if (c.usd_per_device_hour > 0 && m.output_tokens_per_s > 0) {
    out += fmt::format("cost         ${:.3f} per million output tokens at ${}/device-hour\n",
                       c.usd_per_device_hour * r.devices / 3600.0 / m.output_tokens_per_s * 1e6, c.usd_per_device_hour);
  }
  out += fmt::format("preemptions  {}\n", m.preemptions);
  for (std::size_t i = 0; i < r.replicas.size(); ++i) {
    const auto& rep = r.replicas[i];
    out += fmt::format("replica {} ({}): {} steps, busy {:.1f}% of {:.2f} s, KV peak {} of {} blocks\n", i, rep.role,
                       rep.steps, m.makespan_s > 0 ? 100 * rep.busy_s / m.makespan_s : 0.0, m.makespan_s,
                       rep.kv_blocks_peak, rep.kv_blocks);
    if (i >= 7 && r.replicas.size() > 9) {
      out += fmt::format("... and {} more replicas\n", r.replicas.size() - i - 1);
      break;
    }
  }
  out += fmt::format("\nsimulation: {} step graphs simulated ({:.0f} ops), {} memo hits, {:.2f} s wall\n",
                     r.simulated_steps, r.simulated_ops, r.memo_hits, wall_s);
  if (!c.mlperf.scenario.empty()) out += "\n" + mlperf_summary_text(c, r) + "\n";
  out += "assumptions:\n";
  for (const auto& a : r.assumptions) out += "  - " + a + "\n";
  return out;
}

}  // namespace llmsim::sim::serving
