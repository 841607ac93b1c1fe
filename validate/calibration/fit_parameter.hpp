// The efficiency parameters a calibration may fit, each with its admissible range. Ranges
// keep every fit physical: fractions of a peak stay in (0, 1], an achievable bandwidth stays
// at or below the memory's datasheet peak, so a calibrated model never predicts a kernel
// faster than the roofline allows.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "sim/device_model.hpp"
#include "validate/prediction/case_evaluator.hpp"

namespace llmsim::validate {

struct FitParameter {
  std::string name;       // path under a calibration's `efficiency:` ("memory.kernel_fraction"), or "bandwidth_gbs"
  std::string scope;      // which devices it belongs to: "" = every device of the fit, else a profile class ("gpu-apple")
  double lower = 0;       // admissible range, in the unit of `name` (GB/s, us, bytes, fraction)
  double upper = 1;
  bool log_scale = false; // searched on a log scale (rates, sizes)
  std::function<double(const DeviceParameters&)> get;
  std::function<void(DeviceParameters&, double)> set;

  std::string label() const { return scope.empty() ? name : scope + ":" + name; }
};

/// The parameter called `name` for `device` (whose memory's datasheet peak bounds the
/// bandwidth). Known names: fit_parameter_names(); InputError listing them otherwise.
FitParameter make_fit_parameter(const std::string& name, const sim::DeviceModel& device, const std::string& scope = "");

/// bandwidth_gbs, launch_overhead_us, vector_fraction, matmul.max_fraction, matmul.vector_fraction,
/// matmul.attention_fraction, matmul.half_m (GEMM efficiency curve m / (m + half_m)),
/// memory.kernel_fraction, memory.half_bytes, dequant_ops_per_weight.FORMAT, transcendental_ops.FUNCTION
std::vector<std::string> fit_parameter_names();

/// The tile ladder expressing efficiency m / (m + half_m) relative to a 1024-row tile: tiles
/// 1, 2, 4 ... 1024 rows by `tile_n` columns, fraction (m / (m + half_m)) / (1024 / (1024 + half_m)).
std::vector<hwmodels::GemmTile> half_m_tiles(double half_m, int tile_n);

}  // namespace llmsim::validate
