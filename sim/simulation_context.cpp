#include "sim/simulation_context.hpp"

#include <algorithm>

#include "hwmodels/catalog.hpp"
#include "sim/lowering_options.hpp"
#include "workloads/gguf/gguf_model.hpp"
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
  if (model_id.ends_with(".gguf")) {
    // A GGUF file states every tensor's format: its own mix replaces --dtype.
    const auto gguf = workloads::gguf_model(workloads::read_gguf(model_id));
    formats.add_mix(gguf.mix);
    weights = std::make_unique<workloads::ModelWeights>(model, formats, formats.mix(gguf.mix.name));
  } else {
    weights = std::make_unique<workloads::ModelWeights>(model, formats, formats.mix(dtype));
  }
  kv_format = &formats.format(kv_dtype);
  // A CPU whose caches hold the whole model reads it from there. A placement that gives the CPU
  // only part of a larger model may fit too; that hit is not claimed.
  for (const auto& d : system.devices)
    devices.push_back(make_device_model(system, d, profile, kinds, cpu_threads, weights->bytes()));
  platform = std::make_unique<Platform>(system, devices);
}

std::string SimulationContext::default_device() const {
  for (auto kind : {hwmodels::DeviceKind::gpu, hwmodels::DeviceKind::npu, hwmodels::DeviceKind::cpu})
    if (const auto* d = system.first_device(kind)) return d->id;
  return system.devices.front().id;
}

Deployment make_deployment(const SimulationContext& c, const PlacementSpec& spec, int tp, int pp,
                           const std::vector<bool>& offloaded, int ep, int cp) {
  Deployment d;
  d.placer = std::make_unique<Placer>(c.system, *c.platform, c.devices, spec, std::max(tp, ep) * cp * pp, offloaded);
  d.primary = d.placer->used_devices().front();
  auto& o = d.base;
  o = lowering_options_for(c.devices[d.primary], c.profile, *c.kv_format, c.formats);
  o.tp = tp;
  o.pp = pp;
  o.ep = ep;
  o.cp = cp;
  return d;
}

}  // namespace llmsim::sim
