#include "sim/serving/serving_metrics.hpp"

#include <algorithm>
#include <cmath>

namespace llmsim::sim::serving {

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

Distribution summarize(const std::vector<double>& values) {
  Distribution d;
  d.count = values.size();
  if (values.empty()) return d;
  double sum = 0;
  for (double v : values) sum += v;
  d.mean = sum / static_cast<double>(values.size());
  d.p50 = percentile(values, 50);
  d.p90 = percentile(values, 90);
  d.p99 = percentile(values, 99);
  d.max = *std::max_element(values.begin(), values.end());
  return d;
}

namespace {

bool meets(const RequestProgress& r, const Slo& slo) {
  if (r.finish_s < 0) return false;
  const double tpot = r.request.output_tokens > 1
                          ? (r.finish_s - r.first_token_s) / static_cast<double>(r.request.output_tokens - 1)
                          : 0.0;
  return r.first_token_s - r.request.arrival_s <= slo.ttft_s && tpot <= slo.tpot_s;
}

void steady_window(const std::vector<RequestProgress>& requests, const Slo& slo, ServingMetrics& m) {
  std::vector<double> sent;
  for (const auto& r : requests) sent.push_back(r.request.arrival_s);
  if (sent.size() < 2) return;
  std::sort(sent.begin(), sent.end());
  // Arrivals within a nanosecond are a burst, not a rate (a rate of 1e308/s gives gaps of
  // 1e-308 s, and per-second figures over them overflow to inf).
  constexpr double kShortestWindow_s = 1e-9;
  const double span = sent.back() - sent.front();
  if (span <= kShortestWindow_s) return;
  m.arrival_rate_per_s = static_cast<double>(sent.size() - 1) / span;
  const double begin = percentile(sent, 10), end = percentile(sent, 90);
  if (end - begin <= kShortestWindow_s) return;
  m.steady_window_s = end - begin;
  double good = 0, tokens = 0;
  for (const auto& r : requests) {
    if (r.request.arrival_s < begin || r.request.arrival_s >= end) continue;
    if (meets(r, slo)) ++good;
    if (r.finish_s >= 0) tokens += static_cast<double>(r.generated);
  }
  m.steady_goodput_requests_per_s = good / m.steady_window_s;
  m.steady_output_tokens_per_s = tokens / m.steady_window_s;
}

}  // namespace

ServingMetrics compute_metrics(const std::vector<RequestProgress>& requests, const Slo& slo, int devices) {
  ServingMetrics m;
  m.requests = requests.size();
  std::vector<double> ttft, tpot, e2e, queueing;
  double first_arrival = requests.empty() ? 0.0 : requests.front().request.arrival_s;
  double last_finish = first_arrival;
  double output_tokens = 0;
  std::size_t good = 0;
  for (const auto& r : requests) {
    first_arrival = std::min(first_arrival, r.request.arrival_s);
    m.preemptions += r.preemptions;
    if (r.finish_s < 0) continue;
    ++m.completed;
    last_finish = std::max(last_finish, r.finish_s);
    output_tokens += static_cast<double>(r.generated);
    const double t_first = r.first_token_s - r.request.arrival_s;
    // TPOT over the tokens after the first; a one-token answer has none and counts as 0.
    const double t_per = r.request.output_tokens > 1
                             ? (r.finish_s - r.first_token_s) / static_cast<double>(r.request.output_tokens - 1)
                             : 0.0;
    ttft.push_back(t_first);
    tpot.push_back(t_per);
    e2e.push_back(r.finish_s - r.request.arrival_s);
    queueing.push_back(r.first_scheduled_s - r.request.arrival_s);
    if (t_first <= slo.ttft_s && t_per <= slo.tpot_s) ++good;
  }
  m.ttft_s = summarize(ttft);
  m.tpot_s = summarize(tpot);
  m.e2e_s = summarize(e2e);
  m.queueing_s = summarize(queueing);
  m.makespan_s = last_finish - first_arrival;
  if (m.makespan_s > 0) {
    m.requests_per_s = static_cast<double>(m.completed) / m.makespan_s;
    m.output_tokens_per_s = output_tokens / m.makespan_s;
    m.output_tokens_per_s_per_device = m.output_tokens_per_s / std::max(devices, 1);
    m.goodput_requests_per_s = static_cast<double>(good) / m.makespan_s;
  }
  m.slo_attainment = m.completed > 0 ? static_cast<double>(good) / static_cast<double>(m.completed) : 0.0;
  steady_window(requests, slo, m);
  return m;
}

}  // namespace llmsim::sim::serving
