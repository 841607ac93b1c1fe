#include "sim/device_model.hpp"

#include <fmt/format.h>

#include <map>
#include <stdexcept>
#include <vector>

namespace llmsim::sim {

namespace {

// When a device lacks a dtype, the work runs on the next wider format it does have.
const std::map<std::string, std::vector<std::string>> kFallbacks = {
    {"f32", {"f32", "tf32", "bf16", "f16"}},
    {"tf32", {"tf32", "f32"}},
    {"f16", {"f16", "bf16", "f32"}},
    {"f16acc", {"f16", "bf16", "f32"}},
    {"bf16", {"bf16", "f16", "f32"}},
    {"fp8", {"fp8", "f16", "bf16", "int8", "f32"}},
    {"int8", {"int8", "f16", "bf16", "f32"}},
    // int8 dot products on a CPU's vector units (VNNI, SDOT/SMMLA): the int8 peak unless the
    // catalog lists a matrix unit (AMX) there and gives the vector rate apart.
    {"int8_simd", {"int8_simd", "int8", "f16", "bf16", "f32"}},
    // bf16 dot products on a CPU's vector units (AVX512_BF16); without them, f32 after conversion.
    {"bf16_simd", {"bf16_simd", "bf16", "f32"}},
    {"int4", {"int4", "int8", "f16", "bf16", "f32"}},
    {"fp4", {"fp4", "fp8", "f16", "bf16", "f32"}},
};

}  // namespace

double DeviceModel::peak(const std::string& dtype, std::string* used) const {
  // f16 inputs with f16 accumulation: GeForce parts list a separate, faster rate.
  if (dtype == "f16acc" && device->f16_accumulate_tflops) {
    if (used) *used = "f16acc";
    return device->f16_accumulate_tflops->value * 1e12;
  }
  auto chain = kFallbacks.find(dtype);
  const std::vector<std::string> single{dtype};
  for (const auto& candidate : chain == kFallbacks.end() ? single : chain->second) {
    if (auto value = device->peak_flops(candidate)) {
      if (used) *used = candidate;
      return *value * compute_scale;
    }
  }
  // NPUs may list only int8: use whatever they have.
  const auto& first = *device->peak_tflops.begin();
  if (used) *used = first.first;
  return first.second.value * 1e12 * compute_scale;
}

int DeviceModel::units() const {
  return active_cores > 0 ? active_cores : static_cast<int>(device->compute_units.value);
}

DeviceModel make_device_model(const hwmodels::System& system, const hwmodels::Device& device,
                              const hwmodels::SoftwareProfile& profile, const hwmodels::MemoryKinds& kinds,
                              int cpu_threads) {
  DeviceModel d;
  d.device = &device;
  d.memory = &system.memory_of(device);
  d.efficiency = profile.efficiency_for(system, device);
  d.achievable_bytes_per_s = kinds.achievable_bytes_per_s(*d.memory);
  if (d.memory->measured_bandwidth_gbs) {
    d.bandwidth_basis = fmt::format("measured {} GB/s ({})", d.memory->measured_bandwidth_gbs->value,
                                    d.memory->measured_bandwidth_gbs->source);
  } else {
    const auto& fraction = kinds.stream_fraction(d.memory->kind);
    d.bandwidth_basis = fmt::format("{} GB/s peak x {} stream fraction of {} ({})", d.memory->bandwidth_gbs.value,
                                    fraction.value, d.memory->kind, fraction.source);
  }
  const int cores = static_cast<int>(device.compute_units.value);
  if (device.kind == hwmodels::DeviceKind::cpu && cpu_threads > 0 && cpu_threads < cores) {
    d.active_cores = cpu_threads;
    d.compute_scale = static_cast<double>(cpu_threads) / cores;
    d.threads_basis = fmt::format("{} threads on {} of {} cores: peaks x {:.3g}", cpu_threads, cpu_threads, cores,
                                  d.compute_scale);
    if (device.core_bandwidth_gbs) {
      const double cap = cpu_threads * device.core_bandwidth_gbs->value * 1e9;
      if (cap < d.achievable_bytes_per_s) {
        d.achievable_bytes_per_s = cap;
        d.bandwidth_basis = fmt::format("{} threads x {} GB/s per core ({}), below the memory's {}", cpu_threads,
                                        device.core_bandwidth_gbs->value, device.core_bandwidth_gbs->source,
                                        d.bandwidth_basis);
      }
    }
  } else if (device.kind == hwmodels::DeviceKind::cpu && cpu_threads >= cores) {
    d.threads_basis = fmt::format("{} threads on {} cores: every core (SMT threads add no peak)", cpu_threads, cores);
  }
  return d;
}

}  // namespace llmsim::sim
