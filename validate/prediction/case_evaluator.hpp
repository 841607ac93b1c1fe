// Predicts a PredictionCase with the roofline of sim/op_cost: the sum over its ops of
// weight x (launch + max(compute, memory)), on a device whose efficiency parameters and
// achievable bandwidth calibration may change. Single-stream stacks (llama.cpp,
// llmsim-bench: one op at a time on one device) take exactly this long in the SimGrid
// executor too, so a fit can evaluate thousands of candidates without a simulation.
#pragma once

#include "hwmodels/efficiency_params.hpp"
#include "sim/device_model.hpp"
#include "validate/prediction/prediction_case.hpp"

namespace llmsim::validate {

/// What calibration may change about one device: its efficiency under one software profile
/// and the achievable (stream) bandwidth of the memory it reads.
struct DeviceParameters {
  hwmodels::DeviceEfficiency efficiency;
  double bandwidth_bytes_per_s = 0;
};

/// The parameters a device model has now (profile or calibration, catalog bandwidth).
DeviceParameters parameters_of(const sim::DeviceModel& device);

/// Predicted seconds of `c` on `base` with `params` in force.
double predict_seconds(const PredictionCase& c, const sim::DeviceModel& base, const DeviceParameters& params);

/// The roofline ceiling of `c` on `base` as a time floor: every op at the device's highest
/// datasheet peak and its memory's datasheet bandwidth, no launch cost. No efficiency <= 1 and
/// no bandwidth <= the datasheet's can predict less time than this.
double roofline_floor_seconds(const PredictionCase& c, const sim::DeviceModel& base);

}  // namespace llmsim::validate
