// A hardware system as the catalog describes it: devices that compute, memories they
// read, links between memories. Plain data; read from YAML by system_loader.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hwmodels/efficiency_params.hpp"
#include "hwmodels/quantity.hpp"

namespace llmsim::hwmodels {

enum class DeviceKind { cpu, gpu, npu };

std::string to_string(DeviceKind kind);
/// A device architecture name: one lower-case word of letters and digits (hopper, cdna3).
bool is_architecture_name(const std::string& name);

struct Memory {
  std::string id;
  std::string kind;  // hbm3, gddr6x, ddr5, ...
  Quantity capacity_gib;
  Quantity bandwidth_gbs;  // theoretical peak
  std::optional<Quantity> measured_bandwidth_gbs;  // a measured stream bandwidth, when known, used instead
  std::string notes;

  double capacity_bytes() const { return capacity_gib.value * 1073741824.0; }
  double bandwidth_bytes_per_s() const { return bandwidth_gbs.value * 1e9; }
};

struct PeerLink {
  std::string kind;
  Quantity bandwidth_gbs;  // per direction
};

struct Device {
  std::string id;
  DeviceKind kind = DeviceKind::gpu;
  std::string vendor;  // nvidia, amd, apple, intel, generic: selects the software profile section
  std::string name;
  // The chip generation a software profile may tune for (hopper, ampere, ...): NVIDIA's GEMM
  // and attention libraries reach different fractions of the datasheet peak per generation.
  std::string architecture;
  // A product line whose parts share a platform the datasheet peaks do not describe (tegra:
  // Jetson SoCs, whose GPU shares LPDDR and a small Arm host with the CPU): a profile may
  // give it a section, fitted on its own rows, between the vendor's and the architecture's.
  std::string product_line;
  std::string memory;  // id of the Memory it reads from
  Quantity compute_units;
  std::optional<Quantity> threads;
  std::optional<Quantity> boost_clock_mhz;
  // CPU L1 data cache per core. Known: a GEMV whose activation row and one weight row do
  // not fit in it together runs at memory.row_spill_fraction of its streaming rate.
  std::optional<Quantity> l1d_kib;
  // CPU only: the memory bandwidth one core can draw (GB/s); with fewer threads than the memory
  // needs to be saturated, the device reads at most threads x this. Absent: no per-core limit.
  std::optional<Quantity> core_bandwidth_gbs;
  // CPU only: caches a working set read every step can live in. A model step whose weights fit
  // in the LLC plus the L2 of the cores in use reads them at cache_bandwidth_gbs per core, not
  // from DRAM. Absent: everything streams from memory.
  std::optional<Quantity> l2_kib;               // per core
  std::optional<Quantity> llc_mib;              // last-level cache (L3 or system-level cache), whole device
  std::optional<Quantity> cache_bandwidth_gbs;  // what one core reads from L2/LLC
  // CPU only: dies (CCDs, tiles) whose cores reach the memory controllers through one link
  // each; the cores of n dies draw at most n x die_bandwidth_gbs. Absent: no per-die limit.
  std::optional<Quantity> dies;
  std::optional<Quantity> die_bandwidth_gbs;
  std::map<std::string, Quantity> peak_tflops;  // dense, by compute dtype
  std::optional<Quantity> f16_accumulate_tflops;
  std::optional<Quantity> tdp_w;
  std::optional<Quantity> idle_w;
  std::optional<PeerLink> peer_link;
  std::string notes;

  /// Peak operations/s for a compute dtype, or nullopt when the datasheet gives none.
  std::optional<double> peak_flops(const std::string& dtype) const;
  /// "gpu-nvidia" etc.: the key a software profile uses for this device.
  std::string profile_class() const { return to_string(kind) + "-" + vendor; }
  /// "gpu-nvidia-hopper" etc., or "" without an architecture: the profile's most specific key.
  std::string architecture_class() const { return architecture.empty() ? "" : profile_class() + "-" + architecture; }
  /// "gpu-nvidia-tegra" etc., or "" without a product line.
  std::string product_line_class() const { return product_line.empty() ? "" : profile_class() + "-" + product_line; }
};

/// A non-blocking crossbar (NVSwitch, a PCIe switch or root complex) that links attach to.
struct Switch {
  std::string id;
  std::string kind;
  std::string notes;
};

struct Link {
  std::string id;
  std::string kind;
  std::string from;  // memory or switch ids
  std::string to;
  Quantity bandwidth_gbs;  // per direction
  Quantity latency_us;
  bool full_duplex = true;  // each direction has the full bandwidth
  std::string notes;
};

/// Efficiency parameters fitted for one device under one software profile (written by
/// calibration). Kept as the YAML it was read from so it overlays the profile's defaults:
/// a calibration states only the parameters it fitted.
struct CalibrationEntry {
  std::string device;
  std::string software;
  YAML::Node efficiency;
  std::string location;  // file and path, for messages
  // Where the fit came from, as `llmsim calibrate` writes it (base_system, measurements,
  // sha256, runner_version, measured_at, calibrated_at, held-out errors); a mapping, or null.
  YAML::Node provenance;
};

struct System {
  std::string id;
  std::string name;
  std::string file;  // where it was read from
  std::map<std::string, std::string> sources;
  std::vector<Memory> memories;
  std::vector<Device> devices;
  std::vector<Switch> switches;
  std::vector<Link> links;
  std::optional<Quantity> price_usd;
  std::optional<Quantity> cloud_usd_per_hour;
  std::vector<CalibrationEntry> calibration;
  std::string notes;

  const Device* find_device(const std::string& id) const;
  const Memory* find_memory(const std::string& id) const;
  const Switch* find_switch(const std::string& id) const;
  /// Devices of a kind in file order.
  std::vector<const Device*> devices_of(DeviceKind kind) const;
  /// The first device of a kind in file order, or nullptr.
  const Device* first_device(DeviceKind kind) const;
  const Memory& memory_of(const Device& device) const;
  /// Calibrated parameters for (device, software) if the file has them.
  const CalibrationEntry* calibration_for(const std::string& device, const std::string& software) const;
};

}  // namespace llmsim::hwmodels
