// The op a kernel measurement stands for: a copy becomes a streaming elementwise op, a
// GEMM a matmul of its M x N x K, an attention kernel an attention op over its KV cache,
// each with the FLOPs and bytes the record states (docs/measurement-schema.md counts work
// the way workloads/ does). cost_op then predicts it like any op of a lowered model.
#pragma once

#include <optional>
#include <string>

#include "measurement.pb.h"
#include "validate/prediction/prediction_case.hpp"
#include "workloads/storage_formats.hpp"

namespace llmsim::validate {

class KernelOpBuilder {
 public:
  explicit KernelOpBuilder(const workloads::FormatTable& formats) : formats_(formats) {}

  /// The op for a kernel record (copy, triad, gemm, gemv, attention_decode, rmsnorm, silu, gelu),
  /// or nullopt with `why_not` set for records it cannot express (model steps and ops are
  /// predicted from the lowered model instead; rate-only imports state no shape).
  std::optional<WeightedOp> build(const measurements::Measurement& record, std::string& why_not) const;

 private:
  const workloads::StorageFormat* format_of(const std::string& dtype) const;
  const workloads::FormatTable& formats_;
};

/// True when a kernel repeatedly called on the same buffers keeps its whole working set in
/// the device's last-level cache (the record's l3_bytes, else l2_bytes) and is larger than
/// 64 KiB: the timing model streams every byte from DRAM/HBM, so such a figure is outside
/// what it describes. Tiny kernels are not flagged: launch cost dominates them either way.
bool cache_resident(const measurements::Measurement& record);

/// Bytes a kernel touches per call: the suite's working set for streams, else bytes moved.
double working_set_bytes(const measurements::Measurement& record);

}  // namespace llmsim::validate
