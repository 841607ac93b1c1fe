// Decode attention as a kernel: one token's query against a KV cache of `context`
// positions, f32 or f16 cache, heads split over threads.
#pragma once

#include <cstdint>

#include "validate/runner/core/aligned_buffer.hpp"
#include "validate/runner/core/kernel_spec.hpp"
#include "validate/runner/cpu/cpu_kernel.hpp"
#include "validate/runner/cpu/decode_attention.hpp"

namespace llmsim::bench {

class AttentionKernel : public CpuKernel {
 public:
  /// spec.dtype f32 or f16 (the cache's format); kv_heads 0 means heads.
  explicit AttentionKernel(const KernelSpec& spec);

  Work work() const override;
  std::string implementation() const override;
  CheckResult check() override;

 protected:
  void run_once() override;

 private:
  AttentionShape shape_;
  bool f16_;
  int threads_;
  AlignedBuffer<float> q_, out_, scores_, k32_, v32_;
  AlignedBuffer<std::uint16_t> k16_, v16_;
};

/// Work of decode attention on `shape` with a cache of `cache_bytes_per_value` bytes per value.
Work decode_attention_work(const AttentionShape& shape, double cache_bytes_per_value);

}  // namespace llmsim::bench
