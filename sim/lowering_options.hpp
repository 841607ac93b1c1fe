// The lowering settings a device and a software profile imply: which kernels the stack
// launches (GEMV vs matrix path, quantised kernels, fused QKV, flash attention, kernels per
// op) and the formats of activations and KV cache. One function for predict, serve, train,
// Chakra export and calibration, so a fit always sees the lowering the simulator runs.
#pragma once

#include "hwmodels/software_profile.hpp"
#include "sim/device_model.hpp"
#include "workloads/lowering.hpp"
#include "workloads/storage_formats.hpp"

namespace llmsim::sim {

/// Options with batch, tokens and parallelism still at their defaults (the caller sets them
/// per step). `device` is the one whose profile section shapes the lowering.
workloads::LoweringOptions lowering_options_for(const DeviceModel& device, const hwmodels::SoftwareProfile& profile,
                                                const workloads::StorageFormat& kv_format,
                                                const workloads::FormatTable& formats);

}  // namespace llmsim::sim
