#include "sim/training/training_options.hpp"

namespace llmsim::sim::training {

workloads::TrainingOptions training_options(const SimulationContext& c, const TrainRequest& r,
                                            const workloads::LoweringOptions& base) {
  const auto precision = workloads::precision_bytes(r.precision);
  workloads::TrainingOptions o;
  o.micro_batch = r.batch;
  o.seq_len = r.seq_len;
  o.accumulation = r.accumulation;
  o.precision = r.precision;
  o.checkpointing = r.checkpointing;
  o.fused = r.compile;
  o.fused_optimizer = r.fused_optimizer;
  o.dp = r.dp;
  o.base = base;
  o.base.sequence_parallel = r.sequence_parallel;
  for (const auto& [key, count] : r.kernels_per_op) o.base.kernels_per_op[key] = count;
  if (r.flash_attention) o.base.flash_attention = *r.flash_attention;
  const char* activations = precision.activation == 4 ? "f32" : precision.compute_dtype == "float16" ? "f16" : "bf16";
  o.base.activation_format = &c.formats.format(activations);
  o.base.kv_format = o.base.activation_format;
  o.base.dequant_before_gemm = false;
  o.base.gemm_converts_io = false;
  return o;
}

double matrix_peak(const DeviceModel& device, const workloads::PrecisionBytes& precision, std::string* used) {
  const auto& dtypes = device.efficiency.matmul_dtype;
  const auto it = dtypes.find(precision.gemm_dtype);  // the peak the GEMMs run at (fp8 under FP8 training)
  return device.peak(it != dtypes.end() ? it->second : std::string("f32"), used);
}

}  // namespace llmsim::sim::training
