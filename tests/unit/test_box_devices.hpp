// Device models for the test systems of tests/fixtures/hw: every device at its memory's
// measured bandwidth and default efficiency, so that tests can work out times by hand.
#pragma once

#include <vector>

#include "hwmodels/system.hpp"
#include "sim/device_model.hpp"

namespace llmsim::test {

inline std::vector<sim::DeviceModel> devices_at_measured_bandwidth(const hwmodels::System& system) {
  std::vector<sim::DeviceModel> devices;
  for (const auto& d : system.devices) {
    sim::DeviceModel m;
    m.device = &d;
    m.memory = &system.memory_of(d);
    m.achievable_bytes_per_s = m.memory->measured_bandwidth_gbs->value * 1e9;
    devices.push_back(m);
  }
  return devices;
}

}  // namespace llmsim::test
