#include "sim/trace_simulation_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace llmsim::sim {

namespace {

std::string ms(double seconds) { return fmt::format("{:.4f} ms", seconds * 1e3); }

}  // namespace

nlohmann::ordered_json to_json(const TraceSimulation& s) {
  nlohmann::ordered_json j;
  j["hardware"] = s.hardware_id;
  j["software"] = s.software;
  j["mode"] = s.replay ? "replay" : "roofline";
  j["ranks"] = s.ranks;
  j["nodes"] = s.nodes;
  j["node_types"] = s.node_types;
  j["ops"] = s.ops;
  j["placed_ops"] = s.placed_ops;
  j["total_s"] = s.seconds;
  auto ranks = nlohmann::ordered_json::array();
  for (const auto& r : s.rank_times) {
    ranks.push_back({{"rank", r.rank},
                     {"device", r.device},
                     {"busy_s", r.busy_s},
                     {"busy_fraction", s.seconds > 0 ? r.busy_s / s.seconds : 0.0}});
  }
  j["rank_busy"] = ranks;
  j["seconds_by_group"] = s.seconds_by_group;
  j["seconds_by_bound"] = s.seconds_by_bound;
  j["assumptions"] = s.assumptions;
  return j;
}

std::string to_text(const TraceSimulation& s) {
  std::string out = fmt::format("Chakra trace: {} rank(s), {} nodes -> {} ops ({} after placement) on {}, {} profile\n",
                                s.ranks, s.nodes, s.ops, s.placed_ops, s.hardware_id, s.software);
  out += fmt::format("simulated time ({}): {}\n\nbusy per rank:\n", s.replay ? "replay" : "roofline", ms(s.seconds));
  for (const auto& r : s.rank_times) {
    out += fmt::format("  rank {:<4} {:<16} {:>12}  {:5.1f}%\n", r.rank, r.device, ms(r.busy_s),
                       s.seconds > 0 ? 100.0 * r.busy_s / s.seconds : 0.0);
  }
  // Op classes, largest first; times overlap across ranks, so they add up to more than the total.
  std::vector<std::pair<std::string, double>> groups(s.seconds_by_group.begin(), s.seconds_by_group.end());
  std::stable_sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  out += "\ntime by op class (summed over ranks and streams):\n";
  for (const auto& [group, seconds] : groups) out += fmt::format("  {:<16} {:>12}\n", group, ms(seconds));
  // What held the ops up (docs/timing-model.md): summed over ops in the same way.
  out += "\ntime by bound (summed over ranks and streams):\n";
  for (const auto& [bound, seconds] : s.seconds_by_bound) out += fmt::format("  {:<16} {:>12}\n", bound, ms(seconds));
  out += "\nassumptions:\n";
  for (const auto& a : s.assumptions) out += "  - " + a + "\n";
  return out;
}

}  // namespace llmsim::sim
