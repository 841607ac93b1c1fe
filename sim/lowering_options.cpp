#include "sim/lowering_options.hpp"

namespace llmsim::sim {

workloads::LoweringOptions lowering_options_for(const DeviceModel& device, const hwmodels::SoftwareProfile& profile,
                                                const workloads::StorageFormat& kv_format,
                                                const workloads::FormatTable& formats) {
  const auto& eff = device.efficiency;
  workloads::LoweringOptions o;
  o.kv_format = &kv_format;
  o.activation_format = &formats.format(eff.activation_dtype);
  o.flash_attention = profile.flash_attention;
  o.fuse_qkv = profile.fuse_qkv;
  o.fuse_gate_up = profile.fuse_gate_up;
  o.gemv_max_m = eff.matmul.vector_max_m;
  o.dequant_before_gemm = eff.dequant_before_gemm;
  o.gemm_converts_io = eff.gemm_converts_io;
  o.quantised_kernel_max_m = eff.quantised_kernel_max_m;
  o.kernels_per_op = profile.kernels_per_op;
  return o;
}

}  // namespace llmsim::sim
