#include "validate/runner/cpu/decode_attention.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "validate/runner/core/quant_blocks.hpp"
#include "validate/runner/cpu/vec_ops.hpp"

namespace llmsim::bench {

namespace {

double cache_value(const void* cache, bool f16, std::int64_t index) {
  return f16 ? half_to_float(static_cast<const std::uint16_t*>(cache)[index])
             : static_cast<const float*>(cache)[index];
}

}  // namespace

void decode_attention(const AttentionShape& s, const float* q, const void* k, const void* v, bool f16,
                      float* scores, float* out, int threads) {
  const VecOps& ops = vec_ops();
  const std::int64_t group = s.heads / s.kv_heads, stride = s.row_stride(), d = s.head_dim;
  const float inv_sqrt_d = 1.0f / std::sqrt(static_cast<float>(d));
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::int64_t h = 0; h < s.heads; ++h) {
    const std::int64_t offset = (h / group) * d;
    const float* qh = q + h * d;
    float* sc = scores + h * s.context;
    float max = -INFINITY;
    for (std::int64_t t = 0; t < s.context; ++t) {
      const std::int64_t at = t * stride + offset;
      sc[t] = inv_sqrt_d * (f16 ? ops.dot_f16(static_cast<const std::uint16_t*>(k) + at, qh, d)
                                : ops.dot_f32(static_cast<const float*>(k) + at, qh, d));
      max = std::max(max, sc[t]);
    }
    float sum = 0;
    for (std::int64_t t = 0; t < s.context; ++t) {
      sc[t] = std::exp(sc[t] - max);
      sum += sc[t];
    }
    float* oh = out + h * d;
    std::fill(oh, oh + d, 0.0f);
    const float inv_sum = 1.0f / sum;
    for (std::int64_t t = 0; t < s.context; ++t) {
      const std::int64_t at = t * stride + offset;
      if (f16) {
        ops.axpy_f16(sc[t] * inv_sum, static_cast<const std::uint16_t*>(v) + at, oh, d);
      } else {
        ops.axpy_f32(sc[t] * inv_sum, static_cast<const float*>(v) + at, oh, d);
      }
    }
  }
}

double decode_attention_reference(const AttentionShape& s, const float* q, const void* k, const void* v, bool f16,
                                  std::int64_t head, std::int64_t dim, double& scale) {
  const std::int64_t group = s.heads / s.kv_heads, stride = s.row_stride(), d = s.head_dim;
  const std::int64_t offset = (head / group) * d;
  std::vector<double> p(static_cast<std::size_t>(s.context));
  double max = -INFINITY;
  for (std::int64_t t = 0; t < s.context; ++t) {
    double dot = 0;
    for (std::int64_t i = 0; i < d; ++i) dot += q[head * d + i] * cache_value(k, f16, t * stride + offset + i);
    p[t] = dot / std::sqrt(static_cast<double>(d));
    max = std::max(max, p[t]);
  }
  double sum = 0;
  for (double& x : p) sum += (x = std::exp(x - max));
  double out = 0;
  scale = 0;
  for (std::int64_t t = 0; t < s.context; ++t) {
    const double value = cache_value(v, f16, t * stride + offset + dim);
    out += p[t] / sum * value;
    scale += p[t] / sum * std::abs(value);
  }
  return out;
}

}  // namespace llmsim::bench
