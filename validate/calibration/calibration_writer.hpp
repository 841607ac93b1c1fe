// Writes a calibration as data: a copy of the system file with the fitted efficiency
// parameters in a `calibration:` entry for (device, software), the fitted achievable
// bandwidth as the memory's `measured_bandwidth_gbs`, and where it all came from, so that
// `--hardware OUT.yaml` predicts with it.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "hwmodels/system.hpp"

namespace llmsim::validate {

struct CalibrationOutput {
  std::string device;    // device id
  std::string software;  // profile id
  std::vector<std::pair<std::string, double>> efficiency;  // fitted parameter -> value ("matmul.max_fraction", ...)
  std::optional<double> bandwidth_gbs;                     // fitted achievable bandwidth of the device's memory
  int tile_n = 1;                                          // N of the GEMM tiles when matmul.half_m was fitted
  std::string basis;                                       // one line for reports ("calibrated: ...")
  YAML::Node provenance;                                   // map: base_system, measurements, sha256, ...
};

/// The YAML text of `base` (re-read from base.file) with id `output_id` and `cal` applied;
/// an existing entry for the same (device, software) is replaced.
std::string calibrated_system_yaml(const hwmodels::System& base, const CalibrationOutput& cal,
                                   const std::string& output_id);

/// A number written with `digits` significant digits (yaml-cpp writes 17 otherwise).
YAML::Node number_node(double value, int digits = 4);

/// `{max_fraction: 0.6}` under `matmul` for "matmul.max_fraction", a tile ladder for "matmul.half_m".
YAML::Node efficiency_node(const std::vector<std::pair<std::string, double>>& values, const std::string& basis,
                           int tile_n);

}  // namespace llmsim::validate
