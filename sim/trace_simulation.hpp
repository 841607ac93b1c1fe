// Simulates an imported Chakra trace with the same pieces as `predict`: ranks map to
// devices, the Placer expands collectives and sends into link transfers, the Executor
// runs everything on SimGrid. Ops carrying llmsim's attributes are costed exactly as a
// lowered step; ops known only by num_ops / tensor_size get the roofline of those; CPU
// ops, and with `replay` every non-communication op, take their recorded duration.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "sim/data_paths.hpp"
#include "sim/placement.hpp"
#include "sim/step_view.hpp"
#include "workloads/chakra/trace_importer.hpp"

namespace llmsim::sim {

struct TraceSimulationRequest {
  std::string hardware;                // catalog id or system file
  std::string software = "llama.cpp";  // profile: launch overhead, efficiencies
  std::vector<std::string> devices;    // one per rank (ids or kinds); default the first GPUs
  CollectiveAlgorithm collectives = CollectiveAlgorithm::ring;
  bool replay = false;                 // non-communication ops take their duration_micros
  std::string compute_dtype = "f16";   // whose peak num_ops-only compute nodes run at
};

struct RankTime {
  int rank = 0;
  std::string device;
  double busy_s = 0;  // its non-communication ops, launch included
};

struct TraceSimulation {
  std::string hardware_id;
  std::string software;
  bool replay = false;
  int ranks = 0;
  std::size_t nodes = 0;       // Chakra nodes read
  std::size_t ops = 0;         // ops after merging collectives and send/recv pairs
  std::size_t placed_ops = 0;  // after placement (collectives as link transfers)
  std::map<std::string, std::size_t> node_types;
  double seconds = 0;  // first op issued to last op done
  std::vector<RankTime> rank_times;
  std::map<std::string, double> seconds_by_group;  // op class (attention, mlp, comm, compute, ...)
  std::map<std::string, double> seconds_by_bound;  // launch, compute, memory:<id>, transfer, contention
  std::vector<std::string> assumptions;
};

/// Creates the process's SimGrid engine (one simulation per process). InputError for an
/// unknown system, profile or device, or too few devices for the ranks.
TraceSimulation simulate_trace(const DataPaths& paths, const chakra::ImportedTrace& trace,
                               const TraceSimulationRequest& request, const std::vector<StepObserver>& observers = {});

}  // namespace llmsim::sim
