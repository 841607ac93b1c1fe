// One operator of a lowered workload: what it computes (FLOPs, shape) and what it
// moves (bytes per kind of tensor). Hardware-independent; sim/ turns it into time.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "workloads/kernel_path.hpp"

namespace llmsim::workloads {

enum class OpKind {
  embedding,   // row gather from the embedding table (+ positions / scaling)
  norm,        // RMSNorm / LayerNorm, with its weight
  matmul,      // activations x weights (projections, LM head, experts)
  rope,        // rotary position embedding on q and k
  kv_store,    // append this step's K and V to the cache
  attention,   // scores, softmax and values over the KV cache (fused or not)
  elementwise, // residual adds, activation x gate, scaling
  router,      // MoE top-k selection
  dequantize,  // expand quantised weights to the activation dtype before a GEMM
  sampling,    // pick the next token from the logits
  collective,  // all-reduce / all-gather among tensor-parallel ranks
  send,        // activations from one pipeline stage to the next
  transfer,    // bytes copied between memories (added by placement: offload, device hand-over)
  scan,        // recurrence over the sequence with a carried state (RWKV WKV, Mamba SSD)
  loss,        // training: cross-entropy over the logits
  optimizer,   // training: parameter update (AdamW)
};

std::string to_string(OpKind kind);

// What a collective op does among its ranks (comm_bytes: the whole tensor, as in NCCL's count):
// a ring all-reduce moves 2(N-1)/N of it over each link, an all-gather or reduce-scatter
// (N-1)/N, an all-to-all sends comm_bytes / (N-1) to every other rank.
enum class Collective { none, all_reduce, all_gather, reduce_scatter, all_to_all };

std::string to_string(Collective c);
/// "all_reduce", "all_gather", "reduce_scatter", "all_to_all"; nullopt otherwise.
std::optional<Collective> collective_named(const std::string& name);

struct Op {
  std::string name;   // unique in its graph, e.g. "L3.attn_q" or "L3.attn_q@r2.m1"
  OpKind kind = OpKind::elementwise;
  std::string group;  // breakdown class: embedding, attention, mlp, norm, lm_head, comm, other
  int layer = -1;     // -1 outside the layer stack
  int kernels = 1;    // kernel launches this op stands for (launch overhead is per kernel)
  int rank = 0;       // parallel rank that computes it: stage x tp + tensor rank
  int microbatch = 0;
  bool sums_inputs = false;  // a residual add or sum: its gradient passes through, reading no input

  // GEMM shape of matmul-like work: batch_count independent products of M x K by K x N.
  double m = 0, n = 0, k = 0, batch_count = 1;
  double flops = 0;       // multiply-add work, 2 per MAC
  double vector_ops = 0;  // other arithmetic: elementwise, softmax, norms
  // Evaluations of one transcendental function (softmax's exp, an activation's tanh) on top of
  // vector_ops: their cost per evaluation depends on the library (scalar libm, SIMD
  // polynomials, a GPU's special-function units), so it is a device parameter per function.
  double transcendentals = 0;
  std::string transcendental_fn;  // "exp", "tanh", "erf"; "" when transcendentals == 0
  double weight_elements = 0;
  std::string weight_format;   // storage format of its weights, "" if none
  std::string weight_family;   // float16, ggml, int8, ...
  std::string operand_family;  // for attention: family of the KV cache
  std::string weight_key;      // the stored tensor it reads ("attn_q@3"), for memory accounting
  double weight_resident_bytes = 0;  // bytes of that tensor (shard) kept in memory

  double weight_bytes = 0;
  KernelPath kernel_path = KernelPath::unset;  // decided by the lowering (choose_kernel_path)
  bool reads_expanded_weights = false;  // weights were expanded by a dequantize op just before
  bool host_expert = false;  // a routed-expert op whose weights stay in host memory (--n-cpu-moe):
                             // placement computes it on the host CPU or copies its weights in
  double kv_read_bytes = 0;
  double kv_write_bytes = 0;
  double act_read_bytes = 0;
  double act_write_bytes = 0;
  double output_bytes = 0;  // the tensor it hands to its consumers (moved if they sit elsewhere)

  // Communication ops: payload per participating rank and who takes part
  // (collective: the tensor-parallel group; send: {from, to}).
  Collective collective = Collective::none;
  double comm_bytes = 0;
  std::vector<int> ranks;

  double bytes() const { return weight_bytes + kv_read_bytes + kv_write_bytes + act_read_bytes + act_write_bytes; }
  bool is_matmul_like() const { return m > 0 && n > 0 && k > 0; }
  bool is_communication() const {
    return kind == OpKind::collective || kind == OpKind::send || kind == OpKind::transfer;
  }
};

}  // namespace llmsim::workloads
