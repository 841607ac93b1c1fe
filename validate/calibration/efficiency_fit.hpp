// Least-squares fit of efficiency parameters to measured times with Eigen's
// Levenberg-Marquardt (unsupported/Eigen/NonLinearOptimization, forward-difference
// Jacobian). Residuals are log(predicted / measured), so a kernel 2x too slow weighs as much
// as one 2x too fast and microsecond kernels count as much as second-long steps; a Cauchy
// loss keeps a kernel the model cannot express from dragging every parameter. Each
// parameter is searched through a logistic map onto its admissible range, so every
// iterate, and the result, stays physical. A weak prior pulls parameters the data does not
// pin down back to their starting (profile) values.
#pragma once

#include <string>
#include <vector>

#include "sim/device_model.hpp"
#include "validate/calibration/fit_parameter.hpp"
#include "validate/prediction/prediction_case.hpp"

namespace llmsim::validate {

/// The devices cases run on (PredictionCase::device indexes it) and their profile class,
/// which decides the scoped parameters that apply to them.
struct DeviceTable {
  std::vector<sim::DeviceModel> models;
  std::vector<std::string> scopes;  // profile class per device ("cpu-generic", "gpu-nvidia")
};

struct FitOptions {
  double prior_weight = 0.02;  // residual per unit of the parameter's logistic coordinate from its start
  double robust_scale = 0.1;   // Cauchy loss scale on log errors (0.1 ~ 10%); 0 = plain least squares
  int extra_starts = 6;        // descents from spread-out points besides the profile's values and the middle
  int max_evaluations = 4000;  // per descent
  int plateau_scans = 0;       // rounds of one-coordinate scans from the best descent (llmsim calibrate: 2)
};

struct FitResult {
  std::vector<double> values;       // per parameter, in its unit
  std::vector<bool> identified;     // false: no training case responds to it; left at its start value
  double rms_log_error = 0;         // over the training cases, at the fitted values
  int evaluations = 0;
  int status = 0;                   // Eigen's LevenbergMarquardtSpace::Status
};

class EfficiencyFit {
 public:
  EfficiencyFit(const DeviceTable& devices, std::vector<FitParameter> parameters, FitOptions options = {});

  /// Fits to `train` (cases with measured_s > 0). Start values come from the first device
  /// each parameter applies to.
  FitResult fit(const std::vector<const PredictionCase*>& train) const;

  /// The parameters of device `d` with `values` applied (those in scope of d).
  DeviceParameters apply(std::size_t device, const std::vector<double>& values) const;
  /// Predicted seconds of `c` with `values` in force.
  double predict(const PredictionCase& c, const std::vector<double>& values) const;

  const std::vector<FitParameter>& parameters() const { return parameters_; }
  /// Start values: each parameter as the first device in its scope has it.
  std::vector<double> start_values() const;

 private:
  bool in_scope(const FitParameter& p, std::size_t device) const;
  /// Whether halving or doubling parameter j from `value` (others at `values`) moves some case by >= 2%.
  bool responds(const std::vector<const PredictionCase*>& train, const std::vector<double>& values, std::size_t j,
                double value) const;

  const DeviceTable& devices_;
  std::vector<FitParameter> parameters_;
  FitOptions options_;
};

}  // namespace llmsim::validate
