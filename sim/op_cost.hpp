// The roofline of one op on one device (docs/timing-model.md, section 2): launch
// overhead plus the larger of arithmetic time and memory time, each at its
// achievable rate. SimGrid later shares devices and links between concurrent ops;
// this is the op's time alone.
#pragma once

#include <string>

#include "sim/device_model.hpp"
#include "workloads/op.hpp"

namespace llmsim::sim {

enum class Bound { launch, compute, memory };
std::string to_string(Bound bound);

struct OpCost {
  double launch_s = 0;     // kernels x launch overhead
  double compute_s = 0;    // arithmetic at the achievable rate of the path it runs on
  double memory_s = 0;     // bytes at the achievable bandwidth (alone on the link)
  double link_bytes = 0;   // bytes charged to the memory link: bytes / kernel efficiency
  std::string compute_dtype;  // dtype whose peak was used
  bool vector_path = false;   // GEMV / element-wise units rather than the matrix units
  double efficiency = 0;      // fraction of that peak reached
  bool row_spills_l1 = false; // a GEMV whose activation and weight rows overflow L1: memory.row_spill_fraction applied

  double roofline_s() const { return launch_s + (compute_s > memory_s ? compute_s : memory_s); }
  Bound bound() const;
};

/// Cost of `op` on `device`. Precondition: the op's byte and FLOP counts are finite and >= 0.
OpCost cost_op(const workloads::Op& op, const DeviceModel& device);

/// The kernel path a product takes on `device` by that device's profile rule: for ops the
/// lowering did not decide (hand-made ones) and ops placed on another device than the one the
/// lowering was shaped for.
workloads::KernelPath kernel_path_on(const DeviceModel& device, const workloads::Op& op);

}  // namespace llmsim::sim
