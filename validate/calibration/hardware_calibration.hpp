// Calibration of one device under one software stack from kernel measurements: which
// records the fit may use (kernels whose working set streams from memory; never model ops
// or steps, which stay held out to check the fit), k-fold cross-validation grouped by shape
// for an honest error, then the final fit on every kernel.
#pragma once

#include <string>
#include <vector>

#include "validate/calibration/efficiency_fit.hpp"
#include "validate/calibration/error_summary.hpp"
#include "validate/prediction/case_set.hpp"

namespace llmsim::validate {

struct HardwareCalibrationOptions {
  std::vector<std::string> parameters;  // names (fit_parameter_names); empty = default_parameters()
  int folds = 5;                        // k of k-fold cross-validation by shape
  FitOptions fit;
};

struct ParameterReport {
  std::string name;
  double start = 0;    // profile default / catalog value
  double fitted = 0;
  bool identified = false;
};

struct HardwareCalibration {
  std::string device;                      // device id
  std::vector<ComparedFigure> before;      // fit kernels, start values (no fit: every figure is unseen)
  std::vector<ComparedFigure> held_out;    // the same kernels, each by the fold that did not see its shape
  std::vector<ComparedFigure> in_sample;   // the same kernels with the final fit
  std::vector<ComparedFigure> unseen_before;  // cases never in the fit (model ops and steps, in-cache kernels)
  std::vector<ComparedFigure> unseen_after;   // ... with the final fit (roofline sum of their ops)
  std::vector<ParameterReport> parameters;
  std::vector<double> values;              // final fit, parallel to `parameters`
  int folds = 0;
  double rms_log_error = 0;                // final fit, training
};

/// Names fitted by default: bandwidth_gbs, memory.kernel_fraction, memory.half_bytes,
/// launch_overhead_us, matmul.max_fraction, matmul.vector_fraction, matmul.attention_fraction,
/// vector_fraction, and for CPUs matmul.half_m (BLAS GEMM efficiency against M).
std::vector<std::string> default_parameters(const sim::DeviceModel& device);

/// True for cases the hardware fit may use: single kernels whose working set streams from memory.
bool fits_hardware(const PredictionCase& c);

/// InputError when the cases span several devices (choose one with --device) or fewer than
/// two kernel shapes are left to fit and cross-validate.
HardwareCalibration calibrate_hardware(const CaseSet& cases, const HardwareCalibrationOptions& options);

}  // namespace llmsim::validate
