// The TrainingOptions a training request asks for on top of a deployment's lowering options:
// one place for the single-device, data-parallel and layout simulations.
#pragma once

#include "sim/simulation_context.hpp"
#include "sim/training/train_config.hpp"
#include "workloads/training_lowering.hpp"

namespace llmsim::sim::training {

/// Batch, precision, checkpointing, compilation and the request's kernel and attention
/// overrides on `base`; activations and "KV" in the precision's activation dtype, no
/// llama.cpp-style dequantisation or f16 conversions around GEMMs.
workloads::TrainingOptions training_options(const SimulationContext& c, const TrainRequest& r,
                                            const workloads::LoweringOptions& base);

/// The peak (FLOP/s) MFU is measured against: the device's matrix dtype for the precision's
/// compute family under the profile (f32 when the profile names none); `used` says which.
double matrix_peak(const DeviceModel& device, const workloads::PrecisionBytes& precision, std::string* used);

}  // namespace llmsim::sim::training
