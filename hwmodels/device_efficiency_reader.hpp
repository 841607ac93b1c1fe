// Reads a DeviceEfficiency mapping (a software profile's device section, or a
// calibration entry) on top of a base, so a file only states what it changes.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "hwmodels/efficiency_params.hpp"

namespace llmsim::hwmodels {

DeviceEfficiency read_device_efficiency(const YAML::Node& node, const std::string& file, const std::string& path,
                                        DeviceEfficiency base);

}  // namespace llmsim::hwmodels
