#include "sim/step_result.hpp"

#include <algorithm>
#include <utility>

namespace llmsim::sim {

std::string label(const StepBound& bound, const Platform& platform) {
  switch (bound.kind) {
    case BoundKind::launch: return "launch";
    case BoundKind::compute: return "compute";
    case BoundKind::memory: return "memory:" + platform.memory_name(bound.memory);
    case BoundKind::transfer: return "transfer";
    case BoundKind::contention: return "contention";
  }
  return "compute";
}

namespace {

// The copies of one collective run at once (ring hops, all-to-all pairs), so the collective
// lasts as long as its slowest copy: its time goes to that copy's narrowest link kind.
// A lone copy (an activation hand-over, a weight fetch) is its own collective.
void add_links(const Platform& platform, const PlacedStep& step, const std::vector<OpTiming>& timings,
               StepResult& r) {
  std::map<std::string, std::pair<double, std::string>> slowest;  // collective -> (span, link kind)
  std::map<std::string, std::pair<double, double>> span;          // collective -> (first issue, last end)
  for (std::size_t v = 0; v < step.graph.size(); ++v) {
    const workloads::Op& op = step.graph.op(v);
    if (op.kind != workloads::OpKind::transfer) continue;
    std::string key = op.name;
    for (const char* hop : {".ring", ".a2a", ".reduce", ".bcast"}) {
      if (const auto at = op.name.rfind(hop); at != std::string::npos) key = op.name.substr(0, at);
    }
    const double took = timings[v].end - timings[v].issued;
    auto& s = slowest[key];
    if (took > s.first) s = {took, platform.route_bottleneck(step.plan[v].data_from, step.plan[v].data_to)};
    auto [it, fresh] = span.try_emplace(key, timings[v].issued, timings[v].end);
    if (!fresh)
      it->second = {std::min(it->second.first, timings[v].issued), std::max(it->second.second, timings[v].end)};
  }
  for (const auto& [key, s] : slowest) r.seconds_by_link[s.second] += span[key].second - span[key].first;
}

// One op: its launch wait, then the time it would take alone (held by its bound), then what
// sharing hosts and links with concurrent ops added (contention).
void add_op(const PlacedStep& step, std::size_t v, const OpTiming& t, StepResult& r) {
  const workloads::Op& op = step.graph.op(v);
  const OpCost& c = step.costs[v];
  const double took = t.end - t.issued;
  r.ops += 1;
  r.flops += op.flops;
  r.bytes += op.is_communication() ? op.comm_bytes : op.bytes();
  r.seconds_by_group[op.group] += took;
  const double alone = std::max(c.compute_s, c.memory_s);
  const double ran = std::min(alone, t.end - t.start);
  const double contention = std::max(0.0, (t.end - t.start) - alone);
  const double launch = t.start - t.issued;
  StepBound bound{BoundKind::transfer};
  if (!op.is_communication()) {
    bound = c.compute_s >= c.memory_s ? StepBound{BoundKind::compute} : StepBound{BoundKind::memory, step.memory[v]};
  }
  // A copy's wait before it starts is its collective's latency steps: part of the transfer.
  r.seconds_by_bound[StepBound{op.is_communication() ? BoundKind::transfer : BoundKind::launch}] += launch;
  r.seconds_by_bound[bound] += ran;
  r.seconds_by_bound[StepBound{BoundKind::contention}] += contention;
  if (op.is_communication()) return;
  DeviceTotals& d = r.devices[step.device[v]];
  d.busy += took;
  d.by_bound[StepBound{BoundKind::launch}] += launch;
  d.by_bound[bound] += ran;
  d.by_bound[StepBound{BoundKind::contention}] += contention;
  r.busy_by_rank[op.rank] += took;
}

}  // namespace

StepResult summarise_step(const Platform& platform, const PlacedStep& step, const std::vector<OpTiming>& timings,
                          double begin, double end) {
  StepResult r;
  r.seconds = end - begin;
  for (std::size_t v = 0; v < step.graph.size(); ++v) add_op(step, v, timings[v], r);
  add_links(platform, step, timings, r);
  return r;
}

}  // namespace llmsim::sim
