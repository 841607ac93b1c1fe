#include "sim/op_cost.hpp"

#include <algorithm>

#include "hwmodels/efficiency_model.hpp"

namespace llmsim::sim {

using workloads::Op;
using workloads::OpKind;

std::string to_string(Bound bound) {
  switch (bound) {
    case Bound::launch: return "launch";
    case Bound::compute: return "compute";
    case Bound::memory: return "memory";
  }
  return "?";
}

Bound OpCost::bound() const {
  if (launch_s >= compute_s && launch_s >= memory_s) return Bound::launch;
  return compute_s >= memory_s ? Bound::compute : Bound::memory;
}

namespace {

double dequant_ops(const Op& op, const hwmodels::DeviceEfficiency& e) {
  auto it = e.dequant_ops_per_weight.find(op.weight_format);
  if (it == e.dequant_ops_per_weight.end()) it = e.dequant_ops_per_weight.find(op.weight_family);
  return it == e.dequant_ops_per_weight.end() ? 0.0 : it->second * op.weight_elements;
}

// Vector-op equivalents of the op's transcendental evaluations on this device and stack.
double transcendental_ops(const Op& op, const hwmodels::DeviceEfficiency& e) {
  if (op.transcendentals <= 0) return 0.0;
  auto it = e.transcendental_ops.find(op.transcendental_fn);
  return it == e.transcendental_ops.end() ? 0.0 : it->second * op.transcendentals;
}

std::string matrix_dtype(const Op& op, const hwmodels::DeviceEfficiency& e) {
  const std::string& family = !op.weight_family.empty() ? op.weight_family : op.operand_family;
  auto it = e.matmul_dtype.find(family);
  return it != e.matmul_dtype.end() ? it->second : "f32";
}

// The dtype whose peak a GEMV's multiply-adds run at, or "" for the f32 vector peak.
std::string gemv_dtype(const Op& op, const hwmodels::DeviceEfficiency& e) {
  if (op.weight_family.empty()) return "";
  auto it = e.gemv_dtype.find(op.weight_family);
  return it != e.gemv_dtype.end() ? it->second : "";
}

}  // namespace

workloads::KernelPath kernel_path_on(const DeviceModel& device, const Op& op) {
  const auto& e = device.efficiency;
  const workloads::KernelPathRule rule{static_cast<double>(e.matmul.vector_max_m),
                                       static_cast<double>(e.quantised_kernel_max_m), e.dequant_before_gemm};
  return workloads::choose_kernel_path(rule, op.m, op.weight_family);
}

OpCost cost_op(const Op& op, const DeviceModel& d) {
  const auto& e = d.efficiency;
  OpCost c;
  c.launch_s = op.kernels * e.launch_overhead_us * 1e-6;
  if (op.kind == workloads::OpKind::sampling) c.launch_s += e.step_overhead_us * 1e-6;

  const double vector_peak = d.peak("f32", &c.compute_dtype);
  const bool matmul_like = op.is_matmul_like();
  // MMQ-style kernels of 2024 unpack blocks and multiply with dp4a on the vector units, like
  // the GEMV kernels, only with more rows: they take the vector path, not the tensor cores.
  // The lowering decided the path (stored on the op); an op built by hand gets the device's rule.
  const auto path = op.kernel_path != workloads::KernelPath::unset ? op.kernel_path : kernel_path_on(d, op);
  if (matmul_like && on_matrix_units(path)) {
    // Matrix units, with tile and wave quantisation; softmax/bias work on the vector units.
    const double peak = d.peak(matrix_dtype(op, e), &c.compute_dtype);
    c.efficiency = hwmodels::gemm_efficiency(e.matmul, op.m, op.n, op.batch_count, d.units());
    c.compute_s = op.flops / (peak * c.efficiency) + op.vector_ops / (vector_peak * e.vector_fraction);
  } else if (matmul_like) {
    // GEMV-style kernel: multiply-adds plus unpacking of quantised blocks on the vector units.
    c.vector_path = true;
    const bool attention = op.kind == OpKind::attention && e.matmul.attention_fraction > 0;
    c.efficiency = attention ? e.matmul.attention_fraction : e.matmul.vector_fraction;
    const std::string dot_dtype = attention ? "" : gemv_dtype(op, e);
    if (dot_dtype.empty()) {
      c.compute_s = (op.flops + op.vector_ops + dequant_ops(op, e)) / (vector_peak * c.efficiency);
    } else {
      const double dot_peak = d.peak(dot_dtype, &c.compute_dtype);
      c.compute_s = op.flops / (dot_peak * c.efficiency) +
                    (op.vector_ops + dequant_ops(op, e)) / (vector_peak * c.efficiency);
    }
  } else {
    c.vector_path = true;
    c.efficiency = e.vector_fraction;
    const double extra = op.kind == OpKind::dequantize ? dequant_ops(op, e) : 0.0;
    c.compute_s = (op.flops + op.vector_ops + extra) / (vector_peak * c.efficiency);
  }

  // Transcendental evaluations at the vector peak: their cost per evaluation is stated in ops
  // of that peak already (it includes how far the library's code falls short of it).
  c.compute_s += transcendental_ops(op, e) / vector_peak;

  const double bytes = op.bytes();
  double memory_efficiency = hwmodels::memory_kernel_efficiency(e.memory, bytes);
  if (c.vector_path && matmul_like && op.kind != OpKind::attention && op.weight_elements > 0 && d.device &&
      d.device->l1d_kib) {
    // Per output row the kernel reads one weight row and the whole activation row. ggml
    // block formats multiply against activations quantised to 8-bit blocks first (q8_0: 34
    // bytes per 32), whatever the activation dtype between ops.
    const double rows = std::max(op.m * op.batch_count, 1.0);
    constexpr double kQ8BytesPerElement = 34.0 / 32.0;
    const double act_row = op.weight_family == "ggml" ? op.k * kQ8BytesPerElement : op.act_read_bytes / rows;
    const double row_bytes = op.k * op.weight_bytes / op.weight_elements + act_row;
    if (hwmodels::gemv_row_spills_l1(row_bytes, d.device->l1d_kib->value * 1024)) {
      memory_efficiency *= e.memory.row_spill_fraction;
      c.row_spills_l1 = true;
    }
  }
  c.link_bytes = bytes / std::max(memory_efficiency, 1e-9);
  c.memory_s = c.link_bytes / d.achievable_bytes_per_s;
  return c;
}

}  // namespace llmsim::sim
