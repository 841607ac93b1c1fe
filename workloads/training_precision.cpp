// What a training precision keeps per parameter and activation, and the checkpointing names.
#include <fmt/format.h>

#include "common/input_error.hpp"
#include "workloads/training_lowering.hpp"

namespace llmsim::workloads {

std::optional<Checkpointing> checkpointing_named(const std::string& text) {
  if (text == "none" || text == "false") return Checkpointing::none;
  if (text == "full" || text == "true") return Checkpointing::full;
  if (text == "selective") return Checkpointing::selective;
  return std::nullopt;
}

const char* to_string(Checkpointing c) {
  switch (c) {
    case Checkpointing::full: return "full";
    case Checkpointing::selective: return "selective";
    case Checkpointing::none: break;
  }
  return "none";
}

std::string gemm_family(const Op& op, const PrecisionBytes& p) {
  return op.group == "lm_head" ? p.compute_dtype : p.gemm_dtype;
}

PrecisionBytes precision_bytes(const std::string& precision) {
  PrecisionBytes p;
  if (precision == "fp32") return p;
  if (precision == "amp-fp16" || precision == "amp-bf16") {
    // torch.autocast: fp32 parameters, grads and moments; matmuls on half casts; activations
    // mostly half.
    p.activation = 2;
    p.compute_dtype = precision == "amp-fp16" ? "float16" : "bfloat16";
    p.gemm_dtype = p.compute_dtype;
    return p;
  }
  if (precision == "bf16") {  // everything in bf16, moments too
    p.weight = 2;
    p.grad = 2;
    p.optimizer = 4;
    p.activation = 2;
    p.compute_dtype = "bfloat16";
    p.gemm_dtype = p.compute_dtype;
    return p;
  }
  if (precision == "mixed-bf16" || precision == "fp8") {
    // Megatron-LM / NeMo mixed precision: bf16 parameters the forward reads, an fp32 main copy,
    // fp32 main gradients and fp32 Adam moments; no per-forward casts. "fp8" adds Transformer
    // Engine's FP8 GEMMs for the transformer layers' linear layers (delayed scaling; the fp8
    // weight copy TE caches is not counted).
    p.weight = 2;
    p.master = 4;
    p.grad = 4;
    p.optimizer = 8;
    p.activation = 2;
    p.compute_dtype = "bfloat16";
    p.gemm_dtype = precision == "fp8" ? "float8" : p.compute_dtype;
    return p;
  }
  throw InputError("precision", fmt::format("must be fp32, amp-fp16, amp-bf16, bf16, mixed-bf16 or fp8, got '{}'",
                                            precision));
}

}  // namespace llmsim::workloads
