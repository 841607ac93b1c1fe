// What one simulated step took and where the time went, summed once from its ops' timings:
// by typed bound (launch, compute, memory of a named memory, transfer, contention), by op
// group, by device, by rank and by link kind. Predict adds it to its phases and Chakra replay
// reports it; serve and train take its `seconds` through their own step rules (representative
// layers, pipeline schedules) from the same Executor timings.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "sim/executor.hpp"
#include "sim/placement.hpp"
#include "sim/platform.hpp"

namespace llmsim::sim {

enum class BoundKind { launch, compute, memory, transfer, contention };

/// What held an op up: memory bounds name the memory (platform memory index).
struct StepBound {
  BoundKind kind = BoundKind::compute;
  std::size_t memory = 0;  // only for BoundKind::memory

  auto operator<=>(const StepBound&) const = default;
};

/// "launch", "compute", "memory:<memory id>", "transfer", "contention".
std::string label(const StepBound& bound, const Platform& platform);

struct DeviceTotals {
  double busy = 0;  // its compute stream had an op (launch included)
  std::map<StepBound, double> by_bound;
};

struct StepResult {
  double seconds = 0;  // the step's makespan
  double ops = 0, flops = 0;
  double bytes = 0;  // moved by compute ops, or carried by communication ops
  std::map<StepBound, double> seconds_by_bound;     // summed over ops (they overlap across streams)
  std::map<std::string, double> seconds_by_group;   // attention, mlp, norm, comm, ...
  std::map<std::string, double> seconds_by_link;    // a collective's wall time by its narrowest link kind
  std::map<std::size_t, DeviceTotals> devices;      // compute ops, by platform device index
  std::map<int, double> busy_by_rank;               // compute ops, by parallel rank
};

/// Sums a step that ran from `begin` to `end` (simulated seconds).
StepResult summarise_step(const Platform& platform, const PlacedStep& step, const std::vector<OpTiming>& timings,
                          double begin, double end);

}  // namespace llmsim::sim
