// TransformerStep::reference_logits: the same step computed plainly in double, op by op,
// from the stored weights and cache, to check the optimised step before it is timed.
#include <algorithm>
#include <cmath>
#include <vector>

#include "validate/runner/cpu/elementwise_math.hpp"
#include "validate/runner/cpu/transformer_step.hpp"

namespace llmsim::bench {

namespace {

using Vec = std::vector<double>;

Vec layer_norm_ref(const Vec& x, const float* g, const float* b, double eps) {
  const double n = static_cast<double>(x.size());
  double mean = 0, var = 0;
  for (double v : x) mean += v / n;
  for (double v : x) var += (v - mean) * (v - mean) / n;
  Vec y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = (x[i] - mean) / std::sqrt(var + eps) * g[i] + b[i];
  return y;
}

// W x + b through the matrix's own reference (which applies the format's activation rounding).
Vec matmul_ref(const WeightMatrix& w, const float* bias, const Vec& x) {
  std::vector<float> xf(x.begin(), x.end());
  Vec y(static_cast<std::size_t>(w.rows()));
  double scale = 0;
  for (std::int64_t r = 0; r < w.rows(); ++r) y[r] = w.reference_row(r, xf.data(), scale) + (bias ? bias[r] : 0.0);
  return y;
}

}  // namespace

std::vector<double> TransformerStep::reference_logits(const std::vector<std::int64_t>& rows,
                                                      std::vector<double>& scales) const {
  const std::int64_t h = config_.hidden, heads = config_.heads, d = config_.head_dim(), pos = past_;
  std::vector<float> row(static_cast<std::size_t>(h));
  wte_->dequantize_row(token_, row.data());
  Vec x(static_cast<std::size_t>(h));
  for (std::int64_t i = 0; i < h; ++i) x[i] = static_cast<double>(row[i]) + wpe_[pos * h + i];
  for (const Layer& L : layers_) {
    const Vec qkv = matmul_ref(*L.qkv, L.b_qkv.data(), layer_norm_ref(x, L.ln1_g.data(), L.ln1_b.data(), config_.eps));
    // Keys and values: the cache's past positions, this step's at `pos`.
    auto key = [&](std::int64_t t, std::int64_t i) { return t == pos ? qkv[h + i] : L.k_cache[t * h + i]; };
    auto value = [&](std::int64_t t, std::int64_t i) { return t == pos ? qkv[2 * h + i] : L.v_cache[t * h + i]; };
    Vec attn(static_cast<std::size_t>(h), 0.0);
    for (std::int64_t head = 0; head < heads; ++head) {
      Vec p(static_cast<std::size_t>(pos + 1));
      for (std::int64_t t = 0; t <= pos; ++t) {
        double dot = 0;
        for (std::int64_t i = 0; i < d; ++i) dot += qkv[head * d + i] * key(t, head * d + i);
        p[t] = dot / std::sqrt(static_cast<double>(d));
      }
      const double max = *std::max_element(p.begin(), p.end());
      double sum = 0;
      for (double& v : p) sum += (v = std::exp(v - max));
      for (std::int64_t t = 0; t <= pos; ++t) {
        for (std::int64_t i = 0; i < d; ++i) attn[head * d + i] += p[t] / sum * value(t, head * d + i);
      }
    }
    const Vec proj = matmul_ref(*L.o, L.b_o.data(), attn);
    for (std::int64_t i = 0; i < h; ++i) x[i] += proj[i];
    Vec up = matmul_ref(*L.up, L.b_up.data(), layer_norm_ref(x, L.ln2_g.data(), L.ln2_b.data(), config_.eps));
    for (double& v : up) v = gelu_tanh_reference(v);
    const Vec down = matmul_ref(*L.down, L.b_down.data(), up);
    for (std::int64_t i = 0; i < h; ++i) x[i] += down[i];
  }
  const Vec final_norm = layer_norm_ref(x, lnf_g_.data(), lnf_b_.data(), config_.eps);
  std::vector<float> xf(final_norm.begin(), final_norm.end());
  std::vector<double> logits;
  scales.clear();
  for (std::int64_t r : rows) {
    double scale = 0;
    logits.push_back(wte_->reference_row(r, xf.data(), scale));
    scales.push_back(scale);
  }
  return logits;
}

}  // namespace llmsim::bench
