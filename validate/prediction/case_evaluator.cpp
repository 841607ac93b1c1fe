#include "validate/prediction/case_evaluator.hpp"

#include <algorithm>

#include "sim/op_cost.hpp"

namespace llmsim::validate {

DeviceParameters parameters_of(const sim::DeviceModel& device) {
  return DeviceParameters{device.efficiency, device.achievable_bytes_per_s};
}

double predict_seconds(const PredictionCase& c, const sim::DeviceModel& base, const DeviceParameters& params) {
  // A fit calls this hundreds of thousands of times: the scratch model is per thread and
  // assigned, not constructed, so its maps and strings reuse their storage between calls.
  thread_local sim::DeviceModel d;
  d = base;
  d.efficiency = params.efficiency;
  d.achievable_bytes_per_s = params.bandwidth_bytes_per_s;
  auto& e = d.efficiency;
  const double kernel_fraction = e.memory.kernel_fraction;
  double seconds = 0;
  for (const auto& w : c.ops) {
    if (w.stream) e.memory.kernel_fraction = 1.0;  // a plain stream is what the achievable bandwidth measures
    const workloads::Op& op = w.op;
    if (w.matrix_dtype.empty()) {
      seconds += w.weight * sim::cost_op(op, d).roofline_s();
    } else {
      // A kernel that states its compute dtype (cuBLAS tf32) runs at that dtype's peak.
      auto [entry, added] = e.matmul_dtype.try_emplace(op.weight_family);
      const std::string saved = entry->second;
      entry->second = w.matrix_dtype;
      seconds += w.weight * sim::cost_op(op, d).roofline_s();
      if (added) e.matmul_dtype.erase(entry);
      else entry->second = saved;
    }
    e.memory.kernel_fraction = kernel_fraction;
  }
  return seconds;
}

double roofline_floor_seconds(const PredictionCase& c, const sim::DeviceModel& base) {
  double peak = 0;
  for (const auto& [dtype, q] : base.device->peak_tflops) peak = std::max(peak, q.value * 1e12);
  if (base.device->f16_accumulate_tflops) peak = std::max(peak, base.device->f16_accumulate_tflops->value * 1e12);
  const double bandwidth = base.memory->bandwidth_bytes_per_s();
  double seconds = 0;
  for (const auto& w : c.ops) {
    seconds += w.weight * std::max(w.op.flops / peak, w.op.bytes() / bandwidth);
  }
  return seconds;
}

}  // namespace llmsim::validate
