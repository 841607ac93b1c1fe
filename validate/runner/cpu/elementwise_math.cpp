#include "validate/runner/cpu/elementwise_math.hpp"

#include <cmath>

namespace llmsim::bench {

// This file is built with -fno-math-errno so the exp/tanh loops vectorise.

void rms_norm(const float* x, const float* w, float* y, std::int64_t rows, std::int64_t n, float eps, int threads) {
#pragma omp parallel for num_threads(threads) schedule(static) if (rows > 1)
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    float squares = 0;
#pragma omp simd reduction(+ : squares)
    for (std::int64_t i = 0; i < n; ++i) squares += xr[i] * xr[i];
    const float inv = 1.0f / std::sqrt(squares / static_cast<float>(n) + eps);
#pragma omp simd
    for (std::int64_t i = 0; i < n; ++i) yr[i] = xr[i] * inv * w[i];
  }
}

void layer_norm(const float* x, const float* g, const float* b, float* y, std::int64_t n, float eps) {
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (std::int64_t i = 0; i < n; ++i) sum += x[i];
  const float mean = sum / static_cast<float>(n);
  float var = 0;
#pragma omp simd reduction(+ : var)
  for (std::int64_t i = 0; i < n; ++i) var += (x[i] - mean) * (x[i] - mean);
  const float inv = 1.0f / std::sqrt(var / static_cast<float>(n) + eps);
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) y[i] = (x[i] - mean) * inv * g[i] + b[i];
}

void silu(const float* x, float* y, std::int64_t n, int threads) {
#pragma omp parallel for simd num_threads(threads) schedule(static) if (n > 32768)
  for (std::int64_t i = 0; i < n; ++i) y[i] = x[i] / (1.0f + std::exp(-x[i]));
}

void gelu_tanh(const float* x, float* y, std::int64_t n, int threads) {
  constexpr float kSqrt2OverPi = 0.7978845608028654f;
#pragma omp parallel for simd num_threads(threads) schedule(static) if (n > 32768)
  for (std::int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    y[i] = 0.5f * v * (1.0f + std::tanh(kSqrt2OverPi * (v + 0.044715f * v * v * v)));
  }
}

void add(const float* a, const float* b, float* y, std::int64_t n) {
#pragma omp simd
  for (std::int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}

double silu_reference(double x) { return x / (1.0 + std::exp(-x)); }

double gelu_tanh_reference(double x) {
  return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}

}  // namespace llmsim::bench
