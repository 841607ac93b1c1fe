#include "sim/energy_cost.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace llmsim::sim {

namespace {

// A device with no idle_w idles at this share of its tdp_w: the median idle/TDP ratio of the
// catalog parts whose idle_w is a published measurement (5 parts, 3.4% to 17.4%; 2026-12-06).
constexpr double kDefaultIdleShare = 0.077;

// The device whose tdp_w a device without one shares: another device reading the same memory
// (an APU's or Apple chip's NPU sits inside the package whose limit the CPU or GPU states).
const hwmodels::Device* package_of(const hwmodels::System& system, const hwmodels::Device& device) {
  if (device.tdp_w) return &device;
  for (const auto& other : system.devices)
    if (other.tdp_w && other.memory == device.memory) return &other;
  return nullptr;
}

// Used devices grouped into power budgets: devices reading one memory and stating the same
// tdp_w share one package limit (the catalog's APU files say so in their notes), and a device
// that states no tdp_w on such a memory is part of that package.
std::vector<PowerBudget> power_budgets(const hwmodels::System& system, const EnergyCostInput& in,
                                       std::vector<std::string>& assumptions) {
  std::vector<PowerBudget> budgets;
  std::vector<std::string> keys;  // memory id + tdp, one per budget
  std::vector<std::string> idle_defaulted, joined;
  for (const auto& device : system.devices) {
    auto busy = in.active_s.find(device.id);
    if (busy == in.active_s.end() || busy->second <= 0) continue;
    const hwmodels::Device* package = package_of(system, device);
    if (!package) {
      assumptions.push_back(
          fmt::format("device {} has no tdp_w in {} and shares no package that has one: its energy is not counted",
                      device.id, system.id));
      continue;
    }
    if (package != &device) joined.push_back(fmt::format("{} (in {}'s package)", device.id, package->id));
    if (!package->idle_w) idle_defaulted.push_back(package->id);
    const double idle = package->idle_w ? package->idle_w->value : kDefaultIdleShare * package->tdp_w->value;
    const std::string key = fmt::format("{}@{}", package->memory, package->tdp_w->value);
    auto it = std::find(keys.begin(), keys.end(), key);
    if (it == keys.end()) {
      keys.push_back(key);
      budgets.push_back({device.id, idle, package->tdp_w->value, busy->second, 0});
    } else {
      auto& b = budgets[static_cast<std::size_t>(it - keys.begin())];
      b.devices += "+" + device.id;
      b.idle_w = std::max(b.idle_w, idle);
      // The package is busy while any member runs. Members of one package mostly take turns
      // (an iGPU waits while the NPU computes its share), so their busy times add, up to the
      // request: taking the busiest member's alone made a split run look cheaper than one
      // device doing all of it (seed 002's NPU variant, 416 J against 478 J, though slower).
      b.active_s = std::min(in.seconds, b.active_s + busy->second);
    }
  }
  if (!idle_defaulted.empty()) {
    std::sort(idle_defaulted.begin(), idle_defaulted.end());
    idle_defaulted.erase(std::unique(idle_defaulted.begin(), idle_defaulted.end()), idle_defaulted.end());
    assumptions.push_back(fmt::format("no idle_w for {}: idle at {:.1f}% of tdp_w, the median of the catalog parts "
                                      "whose idle power is measured",
                                      fmt::join(idle_defaulted, ", "), 100 * kDefaultIdleShare));
  }
  if (!joined.empty()) {
    assumptions.push_back(fmt::format("devices with no tdp_w of their own draw from their package's budget: {}",
                                      fmt::join(joined, ", ")));
  }
  return budgets;
}

}  // namespace

EnergyCost estimate_energy_cost(const hwmodels::System& system, const EnergyCostInput& in) {
  EnergyCost e;
  e.items = in.items;
  e.item_name = in.item_name;
  e.output_tokens = in.output_tokens;
  e.budgets = power_budgets(system, in, e.assumptions);
  for (auto& b : e.budgets) {
    const double busy = std::min(b.active_s, in.seconds);
    b.energy_j = b.idle_w * in.seconds + (b.tdp_w - b.idle_w) * busy;
    e.energy_j += b.energy_j;
    e.energy_at_tdp_j += b.tdp_w * in.seconds;
    e.has_energy = true;
  }
  if (e.has_energy) {
    e.average_power_w = in.seconds > 0 ? e.energy_j / in.seconds : 0;
    e.assumptions.insert(e.assumptions.begin(),
                         "energy: each used device (or shared package) draws idle_w for the whole request and tdp_w "
                         "while it runs an op, memory-bound or not (P = idle + (TDP - idle) x active fraction); waits "
                         "for kernel launches count as idle (a low estimate for launch-bound runs; energy_at_tdp_j is "
                         "the high one); host CPU and DRAM, fans and power-supply losses are not counted");
  }
  if (in.usd_per_hour > 0) {
    e.usd_per_hour = in.usd_per_hour;
    e.usd_per_hour_basis =
        in.usd_per_hour_source.empty() ? "usd_per_hour of the request" : "usd_per_hour: " + in.usd_per_hour_source;
  } else if (system.cloud_usd_per_hour && system.cloud_usd_per_hour->value > 0) {
    e.usd_per_hour = system.cloud_usd_per_hour->value;
    const auto source = system.sources.find(system.cloud_usd_per_hour->source);
    e.usd_per_hour_basis =
        "cloud_usd_per_hour of " + system.id + (source != system.sources.end() ? ": " + source->second : std::string());
  }
  if (e.usd_per_hour > 0) {
    e.has_cost = true;
    e.usd = e.usd_per_hour / 3600.0 * in.seconds;
    e.assumptions.push_back(
        fmt::format("cost: ${}/hour ({}) x the request's {:.4g} s; the machine is paid only while "
                    "it works (no idle time between requests)",
                    e.usd_per_hour, e.usd_per_hour_basis, in.seconds));
  }
  return e;
}

}  // namespace llmsim::sim
