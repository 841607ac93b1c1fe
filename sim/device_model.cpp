#include "sim/device_model.hpp"

#include <fmt/format.h>

#include <algorithm>
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
  if (chain == kFallbacks.end()) {
    if (auto value = device->peak_flops(dtype)) {
      if (used) *used = dtype;
      return *value * compute_scale;
    }
  } else {
    for (const auto& candidate : chain->second) {
      if (auto value = device->peak_flops(candidate)) {
        if (used) *used = candidate;
        return *value * compute_scale;
      }
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

double cache_capacity_bytes(const hwmodels::Device& device, int active_cores) {
  const double cores = active_cores > 0 ? active_cores : device.compute_units.value;
  double bytes = 0;
  if (device.llc_mib) bytes += device.llc_mib->value * 1048576.0;
  if (device.l2_kib) bytes += cores * device.l2_kib->value * 1024.0;
  return bytes;
}

namespace {

int cores_in_use(const hwmodels::Device& device, int cpu_threads) {
  const int cores = static_cast<int>(device.compute_units.value);
  return cpu_threads > 0 ? std::min(cpu_threads, cores) : cores;
}

}  // namespace

bool reads_from_cache(const hwmodels::Device& device, int cpu_threads, double resident_bytes) {
  return device.kind == hwmodels::DeviceKind::cpu && resident_bytes > 0 && device.cache_bandwidth_gbs &&
         resident_bytes <= cache_capacity_bytes(device, cores_in_use(device, cpu_threads));
}

namespace {

// The tighter of the device's bandwidth so far and `cap`, with the reason stated.
void cap_bandwidth(DeviceModel& d, double cap, const std::string& why) {
  if (cap >= d.achievable_bytes_per_s) return;
  d.achievable_bytes_per_s = cap;
  d.bandwidth_basis = fmt::format("{}, below the memory's {}", why, d.bandwidth_basis);
}

}  // namespace

DeviceModel make_device_model(const hwmodels::System& system, const hwmodels::Device& device,
                              const hwmodels::SoftwareProfile& profile, const hwmodels::MemoryKinds& kinds,
                              int cpu_threads, double resident_bytes) {
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
  if (device.kind != hwmodels::DeviceKind::cpu) return d;
  const int cores = static_cast<int>(device.compute_units.value);
  const int used = cores_in_use(device, cpu_threads);
  if (used < cores) {
    d.active_cores = used;
    d.compute_scale = static_cast<double>(used) / cores;
    d.threads_basis = fmt::format("{} threads on {} of {} cores: peaks x {:.3g}", cpu_threads, used, cores,
                                  d.compute_scale);
    if (device.core_bandwidth_gbs) {
      cap_bandwidth(d, used * device.core_bandwidth_gbs->value * 1e9,
                    fmt::format("{} threads x {} GB/s per core ({})", used, device.core_bandwidth_gbs->value,
                                device.core_bandwidth_gbs->source));
    }
  } else if (cpu_threads > 0) {
    d.threads_basis = fmt::format("{} threads on {} cores: every core (SMT threads add no peak)", cpu_threads, cores);
  }
  if (device.dies) {
    // The scheduler spreads a process's threads over the dies (one last-level cache domain
    // each) before doubling up, so n threads reach min(n, dies) die links.
    const int dies = std::min(used, static_cast<int>(device.dies->value));
    cap_bandwidth(d, dies * device.die_bandwidth_gbs->value * 1e9,
                  fmt::format("{} of {} dies x {} GB/s per die link ({})", dies, device.dies->value,
                              device.die_bandwidth_gbs->value, device.die_bandwidth_gbs->source));
  }
  if (reads_from_cache(device, cpu_threads, resident_bytes)) {
    const double cache = cache_capacity_bytes(device, used);
    d.cache_resident = true;
    d.achievable_bytes_per_s = used * device.cache_bandwidth_gbs->value * 1e9;
    d.bandwidth_basis = fmt::format(
        "{:.1f} MB read every step fits in {:.1f} MB of cache (LLC + L2 of {} cores): {} cores x {} GB/s from "
        "cache ({})",
        resident_bytes / 1e6, cache / 1e6, used, used, device.cache_bandwidth_gbs->value,
        device.cache_bandwidth_gbs->source);
  }
  return d;
}

}  // namespace llmsim::sim
