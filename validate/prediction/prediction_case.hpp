// One measured figure made ready for the timing model: the ops whose roofline times add up
// to what was measured (one op for a kernel, a whole step's ops for a decode or prefill
// step), the measured seconds, and what groups it for statistics and cross-validation.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "workloads/op.hpp"

namespace llmsim::validate {

/// An op counted `weight` times (a representative layer stands for all layers of its kind;
/// decode steps of a tg512 run are averaged).
struct WeightedOp {
  workloads::Op op;
  double weight = 1.0;
  bool stream = false;        // a plain copy/triad: reaches the stream bandwidth by definition (kernel_fraction 1)
  std::string matrix_dtype;   // compute dtype the kernel states (cuBLAS tf32, ...); "" = the profile's mapping
};

struct PredictionCase {
  std::size_t record = 0;      // index into the measurement list
  std::string id;              // the record's id
  std::string kernel_class;    // gemm, gemv, decode_step, op, ... ("in-cache" kernels get their own class)
  std::string shape_key;       // records of the same kernel and shape share it (cross-validation groups)
  std::string hardware;        // system id (groups for leave-one-hardware-out)
  std::size_t device = 0;      // index of the device model the case runs on
  double measured_s = 0;       // seconds per call / step / prompt
  std::vector<WeightedOp> ops;
};

}  // namespace llmsim::validate
