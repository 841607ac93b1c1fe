#include "hwmodels/system.hpp"

#include <algorithm>
#include <stdexcept>

namespace llmsim::hwmodels {

bool is_architecture_name(const std::string& name) {
  if (name.empty() || name.front() < 'a' || name.front() > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

std::string to_string(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::cpu: return "cpu";
    case DeviceKind::gpu: return "gpu";
    case DeviceKind::npu: return "npu";
  }
  return "?";
}

std::optional<double> Device::peak_flops(const std::string& dtype) const {
  auto it = peak_tflops.find(dtype);
  if (it == peak_tflops.end()) return std::nullopt;
  return it->second.value * 1e12;
}

const Device* System::find_device(const std::string& device_id) const {
  for (const auto& device : devices)
    if (device.id == device_id) return &device;
  return nullptr;
}

const Memory* System::find_memory(const std::string& memory_id) const {
  for (const auto& memory : memories)
    if (memory.id == memory_id) return &memory;
  return nullptr;
}

const Switch* System::find_switch(const std::string& switch_id) const {
  for (const auto& s : switches)
    if (s.id == switch_id) return &s;
  return nullptr;
}

std::vector<const Device*> System::devices_of(DeviceKind kind) const {
  std::vector<const Device*> out;
  for (const auto& device : devices)
    if (device.kind == kind) out.push_back(&device);
  return out;
}

const Device* System::first_device(DeviceKind kind) const {
  for (const auto& device : devices)
    if (device.kind == kind) return &device;
  return nullptr;
}

const Memory& System::memory_of(const Device& device) const {
  const Memory* memory = find_memory(device.memory);
  // The loader guarantees every device names an existing memory.
  if (!memory) throw std::logic_error("device " + device.id + " has no memory " + device.memory);
  return *memory;
}

const CalibrationEntry* System::calibration_for(const std::string& device, const std::string& software) const {
  for (const auto& entry : calibration)
    if (entry.device == device && entry.software == software) return &entry;
  return nullptr;
}

}  // namespace llmsim::hwmodels
