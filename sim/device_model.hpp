// One device as the timing model sees it: its datasheet entry, the memory it reads,
// the efficiency parameters in force (profile defaults or calibration) and the
// achievable bandwidth of that memory, each with where it came from.
#pragma once

#include <optional>
#include <string>

#include "hwmodels/efficiency_params.hpp"
#include "hwmodels/memory_kinds.hpp"
#include "hwmodels/software_profile.hpp"
#include "hwmodels/system.hpp"

namespace llmsim::sim {

struct DeviceModel {
  const hwmodels::Device* device = nullptr;
  const hwmodels::Memory* memory = nullptr;
  hwmodels::DeviceEfficiency efficiency;
  double achievable_bytes_per_s = 0;  // stream bandwidth of its memory
  std::string bandwidth_basis;        // how achievable_bytes_per_s was obtained
  // CPUs run on the threads the engine starts: `active_cores` of the device's cores compute
  // (0 = all of them; SMT threads beyond the cores add nothing), which scales every peak.
  int active_cores = 0;
  double compute_scale = 1.0;         // active_cores / cores
  std::string threads_basis;          // "" when every core is used
  bool cache_resident = false;        // the working set is read from the CPU's caches, not its memory

  /// Peak ops/s for a compute dtype, falling back to the next wider dtype the datasheet
  /// gives (fp8 -> f16 -> f32, int4 -> int8 -> f16 -> f32, ...). Sets `used` to the dtype
  /// whose peak was taken.
  double peak(const std::string& dtype, std::string* used = nullptr) const;
  int units() const;
};

/// Bytes a CPU's caches hold for a working set read every step: its LLC plus the L2 of the
/// `active_cores` in use (0 = every core). 0 when the catalog gives neither cache.
double cache_capacity_bytes(const hwmodels::Device& device, int active_cores = 0);

/// Whether a CPU on `cpu_threads` (0 = every core) reads `resident_bytes` from its caches: they
/// fit in cache_capacity_bytes and the catalog gives cache_bandwidth_gbs.
bool reads_from_cache(const hwmodels::Device& device, int cpu_threads, double resident_bytes);

/// `cpu_threads` > 0: a CPU device computes on min(threads, cores) cores and reads at most
/// that many times its core_bandwidth_gbs; other devices ignore it. A CPU with dies reads at
/// most (dies its threads spread over) x die_bandwidth_gbs. `resident_bytes` > 0: the bytes the
/// device reads every step (a model's weights); when they fit in its caches and the catalog
/// gives cache_bandwidth_gbs, the device reads at that rate per core instead of from memory.
DeviceModel make_device_model(const hwmodels::System& system, const hwmodels::Device& device,
                              const hwmodels::SoftwareProfile& profile, const hwmodels::MemoryKinds& kinds,
                              int cpu_threads = 0, double resident_bytes = 0);

}  // namespace llmsim::sim
