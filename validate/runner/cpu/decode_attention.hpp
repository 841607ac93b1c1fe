// Attention of one new token over a KV cache, per head: scores = q.K^T / sqrt(d), softmax,
// out = p.V, with grouped KV heads (head h reads KV head h / (heads / kv_heads)).
// Cache layout: position-major, [context][kv_heads * head_dim], f32 or f16.
#pragma once

#include <cstdint>

namespace llmsim::bench {

struct AttentionShape {
  std::int64_t heads = 0, kv_heads = 0, head_dim = 0, context = 0;
  std::int64_t row_stride() const { return kv_heads * head_dim; }
};

/// q, out: [heads * head_dim]; scores: scratch of heads * context floats.
/// `k`/`v` point at f32 (f16 == false) or f16 bit patterns (f16 == true).
void decode_attention(const AttentionShape& shape, const float* q, const void* k, const void* v, bool f16,
                      float* scores, float* out, int threads);

/// Reference output (double) for one element of out, and its error scale sum p_t |v_t|.
double decode_attention_reference(const AttentionShape& shape, const float* q, const void* k, const void* v,
                                  bool f16, std::int64_t head, std::int64_t dim, double& scale);

}  // namespace llmsim::bench
