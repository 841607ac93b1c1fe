// Lowering of one training step: for each micro-batch the forward pass, the loss, and the
// backward pass (activation gradients and weight gradients as separate ops, recomputing
// each layer's forward first under activation checkpointing); then, with data parallelism,
// bucketed gradient all-reduces that overlap the backward pass; then the optimizer step.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "workloads/lowering.hpp"

namespace llmsim::workloads {

/// What the forward keeps for the backward pass. `full` keeps only each layer's input and
/// recomputes the whole layer before its backward (torch.utils.checkpoint per block, Megatron's
/// --recompute-granularity full); `selective` recomputes only the core attention (scores,
/// softmax, weighted sum) before its backward and keeps everything else (Megatron's
/// --recompute-activations): it drops the score matrix an unfused kernel would keep, for one more
/// attention forward.
enum class Checkpointing { none, full, selective };
/// "none"/"false", "full"/"true" or "selective"; nullopt for anything else.
std::optional<Checkpointing> checkpointing_named(const std::string& text);
inline constexpr const char* kCheckpointingChoices = "none, full or selective (true means full)";
const char* to_string(Checkpointing c);

struct TrainingOptions {
  int64_t micro_batch = 8;      // sequences per micro-batch (per data-parallel rank)
  int64_t seq_len = 256;
  int64_t accumulation = 1;     // micro-batches per optimizer step
  std::string precision = "fp32";  // fp32 | amp-fp16 | amp-bf16 | bf16 | mixed-bf16 | fp8
  Checkpointing checkpointing = Checkpointing::none;
  bool fused = false;           // torch.compile-like fusion of element-wise chains
  bool fused_optimizer = false; // one fused AdamW kernel instead of foreach launches
  int dp = 1;                   // data-parallel ranks
  double bucket_bytes = 25e6;   // DDP gradient bucket size
  LoweringOptions base;         // formats, kernels per op, parallelism of the forward pass
};

/// Bytes per parameter and per activation value that a precision mode keeps.
struct PrecisionBytes {
  double weight = 4;       // the copy the forward reads
  double master = 0;       // an extra fp32 copy (AMP keeps fp32 parameters and casts)
  double grad = 4;
  double optimizer = 8;    // AdamW's two moments
  double activation = 4;
  std::string compute_dtype = "float32";  // weight family the matmuls run as
  // The family the transformer layers' linear GEMMs (forward, dgrad, wgrad) run as: the
  // compute dtype, except under FP8 training, where they run on the fp8 tensor cores while
  // attention, the LM head and everything else stay in the compute dtype.
  std::string gemm_dtype = "float32";
  bool fp8_gemms() const { return gemm_dtype == "float8"; }
};
PrecisionBytes precision_bytes(const std::string& precision);

/// The weight family a training matmul runs as: the LM head stays in the compute dtype, the
/// layers' GEMMs take the precision's GEMM dtype (float8 under fp8).
std::string gemm_family(const Op& op, const PrecisionBytes& p);

struct TrainingStep {
  OpGraph graph;
  double parameters = 0;
  double model_flops = 0;          // forward + backward matmul and attention FLOPs, per step
  double saved_activations = 0;    // per rank, peak of activations kept for the backward pass
  double weights_bytes = 0;        // per rank: parameters, grads and optimizer state
  double grads_bytes = 0;
  double optimizer_bytes = 0;
  double cast_bytes = 0;           // autocast's half copies of the weights
  double tokens = 0;               // per step over all ranks
};

/// InputError for an unknown precision, batch 0 or a sequence longer than the model allows.
TrainingStep lower_training_step(const ModelConfig& model, const ModelWeights& weights, const TrainingOptions& options);

}  // namespace llmsim::workloads
