// Which kernel a matrix product runs as: the one decision that both the lowering (which adds a
// dequantise op or I/O conversions for some paths) and the cost model (which puts the op on the
// vector or the matrix units) act on. The lowering stores it on the op; the cost model reads it.
#pragma once

#include <string>

namespace llmsim::workloads {

enum class KernelPath {
  unset,             // not decided by a lowering (a hand-made op): decide from the device's rule
  vector,            // GEMV: multiply-adds (and block unpacking) on the vector units
  quantised_unpack,  // MMQ-style: quantised blocks unpacked in registers, multiplied on the vector units
  dequantise_first,  // a dequantise op expands the weights to f16, then a matrix-unit GEMM
  matrix,            // matrix units (tensor cores, XMX, AMX) at the weights' matmul dtype
};

/// A software stack's thresholds, from its profile (sim::lowering_options_for, DeviceEfficiency).
struct KernelPathRule {
  double gemv_max_m = 8;               // M up to this: GEMV kernels
  double quantised_kernel_max_m = 0;   // quantised M up to this: in-kernel unpacking
  bool dequant_before_gemm = false;    // larger quantised products expand their weights first
};

/// True for the ggml block formats and integer weights, which some paths unpack or expand.
bool is_quantised_family(const std::string& family);

/// The path a product of M rows per weight copy takes with weights of `family`.
KernelPath choose_kernel_path(const KernelPathRule& rule, double m_per_copy, const std::string& family);

/// Whether the path's multiply-adds run on the matrix units.
bool on_matrix_units(KernelPath path);

std::string to_string(KernelPath path);

}  // namespace llmsim::workloads
