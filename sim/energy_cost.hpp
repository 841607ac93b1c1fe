// Energy and money for one simulated request: device power from the catalog (idle_w,
// tdp_w) applied to the simulated busy time of each device, and an hourly price applied to
// the request's wall time. Plain arithmetic, kept apart from the simulation so it can be
// checked against hand-worked numbers.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "hwmodels/system.hpp"

namespace llmsim::sim {

/// One power budget: a device, or devices that share one package limit (an APU's CPU, GPU
/// and NPU read one memory and state one tdp_w, which the catalog notes is not additive).
struct PowerBudget {
  std::string devices;  // "gpu", or "cpu+gpu+npu"
  double idle_w = 0;    // catalog idle_w (0 when the file gives none)
  double tdp_w = 0;     // catalog tdp_w
  double active_s = 0;  // seconds some member ran an op's work; the longest member's for a shared budget
  double energy_j = 0;  // idle_w x request time + (tdp_w - idle_w) x active_s
};

struct EnergyCostInput {
  double seconds = 0;                      // the request, end to end
  std::map<std::string, double> active_s;  // per device id: seconds it ran ops, waits for launches excluded
  double items = 0;                        // what "per item" divides by (images, else sequences)
  std::string item_name = "sequence";      // "image" or "sequence"
  double output_tokens = 0;                // generated tokens over the batch
  double usd_per_hour = 0;                 // 0: take the system file's cloud_usd_per_hour, if any
  std::string usd_per_hour_source;         // where the scenario's price came from (free text)
};

struct EnergyCost {
  bool has_energy = false;     // some used device has a tdp_w
  double energy_j = 0;         // sum over power budgets
  double energy_at_tdp_j = 0;  // upper bound: every budget at tdp_w for the whole request
  double average_power_w = 0;  // energy_j / seconds
  std::vector<PowerBudget> budgets;
  bool has_cost = false;  // an hourly price is known
  double usd_per_hour = 0;
  std::string usd_per_hour_basis;
  double usd = 0;  // usd_per_hour / 3600 x seconds
  double items = 0;
  std::string item_name;
  double output_tokens = 0;
  std::vector<std::string> assumptions;

  double joules_per_item() const { return items > 0 ? energy_j / items : 0; }
  double usd_per_item() const { return items > 0 ? usd / items : 0; }
  double joules_per_output_token() const { return output_tokens > 0 ? energy_j / output_tokens : 0; }
  double usd_per_million_output_tokens() const { return output_tokens > 0 ? usd / output_tokens * 1e6 : 0; }
};

/// Energy model: a power budget draws idle_w for the whole request and tdp_w while active
/// (P = idle + (TDP - idle) x active fraction; time spent waiting for the host to launch the
/// next kernel counts as idle, so launch-bound runs get a low estimate, `energy_at_tdp_j` the high one); devices the
/// request did not use, host CPUs that only hold offloaded weights, DRAM, fans and PSU losses are not counted. Devices
/// without tdp_w are left out and named in `assumptions`. Cost = usd_per_hour x seconds / 3600.
EnergyCost estimate_energy_cost(const hwmodels::System& system, const EnergyCostInput& input);

}  // namespace llmsim::sim
