// A catalog test system with the shipped memory kinds and llama.cpp profile, and the device
// models a CPU test builds from it (threads, resident bytes).
#pragma once

#include <string>

#include "hwmodels/catalog.hpp"
#include "hwmodels/memory_kinds.hpp"
#include "hwmodels/software_profile.hpp"
#include "sim/device_model.hpp"
#include "test_paths.hpp"

namespace llmsim::test {

struct CpuFixture {
  explicit CpuFixture(const std::string& system_file)
      : system(hwmodels::Catalog(catalog_dir()).load(fixture(system_file))) {}

  hwmodels::System system;
  hwmodels::MemoryKinds kinds = hwmodels::MemoryKinds::load(source_dir() + "/hwmodels/defaults/memory-kinds.yaml");
  hwmodels::SoftwareProfile profile = hwmodels::ProfileSet(source_dir() + "/hwmodels/profiles").load("llama.cpp");

  sim::DeviceModel model(const std::string& id, int threads, double resident_bytes = 0) const {
    return sim::make_device_model(system, *system.find_device(id), profile, kinds, threads, resident_bytes);
  }
};

}  // namespace llmsim::test
