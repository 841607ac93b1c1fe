// Element-wise and normalisation kernels of a transformer layer, f32, with references.
#pragma once

#include <cstdint>

namespace llmsim::bench {

/// y = x / sqrt(mean(x^2) + eps) * w for each of `rows` rows of n; rows over threads.
void rms_norm(const float* x, const float* w, float* y, std::int64_t rows, std::int64_t n, float eps, int threads);
/// y = (x - mean) / sqrt(var + eps) * g + b on one row of n (GPT-2's LayerNorm).
void layer_norm(const float* x, const float* g, const float* b, float* y, std::int64_t n, float eps);
/// y = x * sigmoid(x), elements split over threads.
void silu(const float* x, float* y, std::int64_t n, int threads);
/// GPT-2's gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
void gelu_tanh(const float* x, float* y, std::int64_t n, int threads);
/// y = a + b.
void add(const float* a, const float* b, float* y, std::int64_t n);

double silu_reference(double x);
double gelu_tanh_reference(double x);

}  // namespace llmsim::bench
