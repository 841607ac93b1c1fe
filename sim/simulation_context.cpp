#include "sim/simulation_context.hpp"

#include "hwmodels/catalog.hpp"
#include "workloads/model_registry.hpp"

namespace llmsim::sim {

SimulationContext::SimulationContext(const DataPaths& paths, const std::string& hardware, const std::string& model_id,
                                     const std::string& software, const std::string& dtype,
                                     const std::string& kv_dtype, int cpu_threads)
    : system(hwmodels::Catalog(paths.catalog()).load(hardware)),
      profile(hwmodels::ProfileSet(paths.profiles()).load(software)),
      kinds(hwmodels::MemoryKinds::load(paths.memory_kinds())),
      formats(workloads::FormatTable::load(paths.formats())),
      model(workloads::ModelRegistry(paths.models(), paths.model_defaults()).load(model_id)) {
  weights = std::make_unique<workloads::ModelWeights>(model, formats, formats.mix(dtype));
  kv_format = &formats.format(kv_dtype);
  for (const auto& d : system.devices) devices.push_back(make_device_model(system, d, profile, kinds, cpu_threads));
  platform = std::make_unique<Platform>(system, devices);
}

std::string SimulationContext::default_device() const {
  for (auto kind : {hwmodels::DeviceKind::gpu, hwmodels::DeviceKind::npu, hwmodels::DeviceKind::cpu})
    if (const auto* d = system.first_device(kind)) return d->id;
  return system.devices.front().id;
}

Deployment make_deployment(const SimulationContext& c, const PlacementSpec& spec, int tp, int pp,
                           const std::vector<bool>& offloaded) {
  Deployment d;
  d.placer = std::make_unique<Placer>(c.system, *c.platform, c.devices, spec, tp * pp, offloaded);
  d.primary = d.placer->used_devices().front();
  const auto& eff = c.devices[d.primary].efficiency;
  auto& o = d.base;
  o.kv_format = c.kv_format;
  o.activation_format = &c.formats.format(eff.activation_dtype);
  o.flash_attention = c.profile.flash_attention;
  o.fuse_qkv = c.profile.fuse_qkv;
  o.fuse_gate_up = c.profile.fuse_gate_up;
  o.gemv_max_m = eff.matmul.vector_max_m;
  o.dequant_before_gemm = eff.dequant_before_gemm;
  o.gemm_converts_io = eff.gemm_converts_io;
  o.quantised_kernel_max_m = eff.quantised_kernel_max_m;
  o.kernels_per_op = c.profile.kernels_per_op;
  o.tp = tp;
  o.pp = pp;
  return d;
}

}  // namespace llmsim::sim
