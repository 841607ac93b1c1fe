#include "workloads/kernel_path.hpp"

namespace llmsim::workloads {

bool is_quantised_family(const std::string& family) { return family == "ggml" || family == "int4" || family == "int8"; }

KernelPath choose_kernel_path(const KernelPathRule& rule, double m_per_copy, const std::string& family) {
  if (m_per_copy <= rule.gemv_max_m) return KernelPath::vector;
  if (!is_quantised_family(family)) return KernelPath::matrix;
  if (m_per_copy <= rule.quantised_kernel_max_m) return KernelPath::quantised_unpack;
  return rule.dequant_before_gemm ? KernelPath::dequantise_first : KernelPath::matrix;
}

bool on_matrix_units(KernelPath path) { return path == KernelPath::dequantise_first || path == KernelPath::matrix; }

std::string to_string(KernelPath path) {
  switch (path) {
    case KernelPath::unset: return "unset";
    case KernelPath::vector: return "vector";
    case KernelPath::quantised_unpack: return "quantised_unpack";
    case KernelPath::dequantise_first: return "dequantise_first";
    case KernelPath::matrix: return "matrix";
  }
  return "unset";
}

}  // namespace llmsim::workloads
