// What every simulation of one model on one system loads first, and the SimGrid platform
// built from it (one per process). A Deployment is one placement of the model on some of
// the context's devices (a replica); several may share a context.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hwmodels/memory_kinds.hpp"
#include "hwmodels/software_profile.hpp"
#include "hwmodels/system.hpp"
#include "sim/data_paths.hpp"
#include "sim/placement.hpp"
#include "sim/platform.hpp"
#include "workloads/lowering.hpp"
#include "workloads/model_config.hpp"
#include "workloads/model_weights.hpp"
#include "workloads/storage_formats.hpp"

namespace llmsim::sim {

class SimulationContext {
 public:
  /// Loads everything; InputError for unknown ids or bad files. Creates the process's platform.
  SimulationContext(const DataPaths& paths, const std::string& hardware, const std::string& model,
                    const std::string& software, const std::string& dtype, const std::string& kv_dtype,
                    int cpu_threads = 0);
  SimulationContext(const SimulationContext&) = delete;
  SimulationContext& operator=(const SimulationContext&) = delete;

  /// The first GPU, else NPU, else CPU.
  std::string default_device() const;

  hwmodels::System system;
  hwmodels::SoftwareProfile profile;
  hwmodels::MemoryKinds kinds;
  workloads::FormatTable formats;
  workloads::ModelConfig model;
  std::unique_ptr<workloads::ModelWeights> weights;
  const workloads::StorageFormat* kv_format = nullptr;
  std::vector<DeviceModel> devices;  // one per system device, in file order
  std::unique_ptr<Platform> platform;
};

/// One placement of the model: its placer and the lowering options its main device implies.
struct Deployment {
  std::unique_ptr<Placer> placer;
  workloads::LoweringOptions base;  // batch, tokens and parallelism still to be set per step
  std::size_t primary = 0;          // the device whose profile section shapes the lowering
};

/// Ranks = max(tp, ep) x cp x pp; `offloaded[l]` marks layers kept in the offload memory.
Deployment make_deployment(const SimulationContext& context, const PlacementSpec& spec, int tp, int pp,
                           const std::vector<bool>& offloaded, int ep = 1, int cp = 1);

}  // namespace llmsim::sim
