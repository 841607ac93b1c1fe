// One decode step of a GPT-2-architecture transformer with random weights, run op by op
// on the CPU: embedding, then per layer LayerNorm, fused QKV matmul, KV store, attention
// over the cache, output projection, residual, LayerNorm, MLP up, GELU, down, residual;
// then the final norm, the tied LM head and argmax sampling. Op names and kinds are
// workloads::lower_step's, so measured and predicted ops pair up by name.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "validate/runner/core/aligned_buffer.hpp"
#include "validate/runner/core/step_benchmark.hpp"
#include "validate/runner/cpu/transformer_config.hpp"
#include "validate/runner/cpu/weight_matrix.hpp"

namespace llmsim::bench {

class TransformerStep {
 public:
  /// Matmul weights in `weight_format` (f32 f16 q8_0 q4_0); norms, biases, positions and
  /// the KV cache in f32. The cache holds `past_tokens` random positions (< n_positions).
  TransformerStep(TransformerConfig config, std::string weight_format, std::int64_t past_tokens, int threads);
  // Ops hold pointers into this object.
  TransformerStep(const TransformerStep&) = delete;
  TransformerStep& operator=(const TransformerStep&) = delete;

  const std::vector<StepOp>& ops() const { return ops_; }
  /// One step for the same token at position past_tokens (so every step does identical
  /// work); with `op_times`, the seconds of each op in ops() order.
  void run(std::vector<double>* op_times);

  const float* logits() const { return logits_.data(); }
  int next_token() const { return next_token_; }

  /// The step's logits at `rows`, recomputed in double from the same weights and cache;
  /// scales[i] gets the error scale of rows[i] (sum |w h| of its LM-head dot product).
  std::vector<double> reference_logits(const std::vector<std::int64_t>& rows, std::vector<double>& scales) const;

  const TransformerConfig& config() const { return config_; }
  const std::string& weight_format() const { return format_; }
  std::int64_t past_tokens() const { return past_; }

 private:
  struct Layer {
    AlignedBuffer<float> ln1_g, ln1_b, ln2_g, ln2_b, b_qkv, b_o, b_up, b_down, k_cache, v_cache;
    std::unique_ptr<WeightMatrix> qkv, o, up, down;
  };

  void build_ops();
  void append_op(StepOp op, std::function<void()> action);
  void add_matmul(const std::string& name, const std::string& group, int layer, WeightMatrix& w, const float* bias,
                  const float* x, float* y);
  Work norm_work() const;

  TransformerConfig config_;
  std::string format_;
  std::int64_t past_;
  int threads_;
  int token_ = 0;
  int next_token_ = 0;
  std::unique_ptr<WeightMatrix> wte_;  // token embeddings, tied to the LM head
  AlignedBuffer<float> wpe_, lnf_g_, lnf_b_;
  std::vector<Layer> layers_;
  AlignedBuffer<float> x_, xn_, qkv_, attn_, proj_, up_, act_, logits_, scores_;
  std::vector<StepOp> ops_;
  std::vector<std::function<void()>> actions_;
};

}  // namespace llmsim::bench
