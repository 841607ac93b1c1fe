// Parameters of the efficiency curves that turn datasheet peaks into achievable
// rates. They are data (software profiles, calibration results), never constants in
// code; defaults live in hwmodels/profiles/*.yaml with the reasoning behind them.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace llmsim::hwmodels {

/// One output-tile configuration a GEMM library may pick; smaller tiles waste less on
/// padding but reach a lower share of the peak (`fraction`, relative to the best tile).
struct GemmTile {
  int m = 128;
  int n = 128;
  double fraction = 1.0;
};

/// Matrix multiply (C[M,N] = A[M,K] B[K,N]) efficiency.
struct MatmulEfficiency {
  double max_fraction = 0.7;    // of the dtype peak, for a large GEMM with full waves
  std::vector<GemmTile> tiles{{128, 128, 1.0}};  // the library picks the best for each shape
  int vector_max_m = 8;         // M at or below which a GEMV-style kernel runs on the vector units
  double vector_fraction = 0.5; // of the vector (f32) peak reached by that GEMV kernel
  double attention_fraction = 0; // of the vector peak reached by attention at M <= vector_max_m; 0 = vector_fraction
};

/// Achievable streaming bandwidth: peak x stream fraction of the memory kind x kernel_fraction,
/// ramping with transfer size as bytes / (bytes + half_bytes).
struct MemoryEfficiency {
  double kernel_fraction = 0.95;  // how close the op's kernel gets to a plain stream (copy)
  double half_bytes = 0.0;        // transfer size reaching half the achievable bandwidth
  // GEMV-style kernels on a core whose L1 data cache cannot hold the activation row and one
  // weight row together: the activation is re-read from L2 for every weight row, and those
  // reads take a share of the core's outstanding misses from the weight stream. Such a
  // kernel reaches this share of kernel_fraction. 1 = no effect (and where L1 is unknown).
  double row_spill_fraction = 1.0;
};

/// One all-reduce implementation an engine calls between devices joined by peer links (NCCL's
/// or RCCL's ring, an engine's custom kernel). Its time for a message of B bytes over N ranks is
///   latency_us + B x 2(N-1)/N / (link rate x bandwidth_fraction),
/// the alpha-beta form nccl-tests' bus bandwidth is defined by. Both terms are fitted on
/// published all-reduce tables (`llmsim validate --collectives`), per implementation.
struct AllReduceImpl {
  std::string name;                 // what runs ("nccl-ring", "vllm-custom", "rccl")
  double max_bytes = 0;             // used for messages up to this size; 0 = any size
  double latency_us = 0;            // alpha: one call's fixed time, launch included
  double bandwidth_fraction = 1.0;  // beta: share of the peer link's rate the ring reaches
  std::vector<std::string> link_kinds;  // used only over these link kinds (nvlink4, ...); empty = any
  std::string basis;
};

/// Everything the timing model needs to know about one device under one software stack.
struct DeviceEfficiency {
  double launch_overhead_us = 5.0;  // fixed cost per op (kernel launch, framework dispatch)
  // Host time per model step outside the model's kernels (a generate() loop's logits
  // processing, stopping checks and cache bookkeeping), charged to the step's sampling op.
  double step_overhead_us = 0.0;
  int streams = 1;                  // ops that may run at once on the device
  std::string activation_dtype = "f16";
  double vector_fraction = 0.3;     // non-matmul ops (norms, rope, softmax) vs the f32 peak
  MatmulEfficiency matmul;
  MemoryEfficiency memory;
  // Weight storage family (float32, float16, bfloat16, fp8, int8, int4, ggml) -> dtype of the matrix path.
  std::map<std::string, std::string> matmul_dtype;
  // Weight storage family -> dtype of the multiply-adds in GEMV-style kernels (the vector path).
  // llama.cpp's CPU vec_dot quantises the activation row to 8-bit blocks and multiplies with
  // int8 dot products (SDOT, VNNI), so a q4_0 GEMV runs at the int8 vector rate while its block
  // unpacking (dequant_ops_per_weight) stays on the f32 lanes. Absent: the f32 vector peak.
  std::map<std::string, std::string> gemv_dtype;
  // Vector ops per weight spent unpacking a quantised block inside a GEMV, by storage format.
  std::map<std::string, double> dequant_ops_per_weight;
  // Time of one evaluation of a transcendental function, by function (exp, tanh, erf), in f32
  // vector-peak ops: n evaluations take n x ops / peak, whatever the op's efficiency fractions.
  // About 10-20 for SIMD polynomial code (Sleef, ggml) on a CPU; hundreds to thousands for
  // glibc's scalar expf / tanhf against an AVX peak. Absent: the evaluation is not costed
  // beyond the op's vector_ops.
  std::map<std::string, double> transcendental_ops;
  // True when quantised weights are expanded to the activation dtype by a separate op before a GEMM
  // (llama.cpp CUDA with cuBLAS, 2024), costing a write and a read of the expanded weights.
  bool dequant_before_gemm = false;
  // Quantised matmuls with M up to this unpack their blocks inside the kernel even above
  // the GEMV range (llama.cpp CUDA's MMQ kernels, used up to batch 32 in 2024), so neither
  // the expansion above nor the f16 conversions below happen. 0: only in the GEMV range.
  int quantised_kernel_max_m = 0;
  // True when GEMMs take f16 inputs and give f16 outputs around f32 activations, with a
  // conversion kernel before and after (llama.cpp CUDA's cuBLAS path).
  bool gemm_converts_io = false;
  // All-reduce implementations in the order the engine tries them; the first whose size limit
  // and link kinds admit a message is used. Empty: a ring of copies at the links' full rate
  // with the route's latency per step (no fitted collective).
  std::vector<AllReduceImpl> all_reduce;
  std::string basis;  // where these numbers come from: "default: ..." or "calibrated: ..."

  /// The implementation for a `bytes`-byte all-reduce over links of `link_kind`, or nullptr.
  const AllReduceImpl* all_reduce_for(double bytes, const std::string& link_kind) const;
};

/// Seconds of one all-reduce of `bytes` over `ranks` ranks with `impl` on links of
/// `link_gbs` GB/s per direction (the formula of AllReduceImpl).
double all_reduce_seconds(const AllReduceImpl& impl, double bytes, int ranks, double link_gbs);

/// The all-reduce implementations in force, as one assumption line ("" when none: the ring of
/// copies at the links' full rate).
std::string describe_all_reduce(const DeviceEfficiency& efficiency);

}  // namespace llmsim::hwmodels
