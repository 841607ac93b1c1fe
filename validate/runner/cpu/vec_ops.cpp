#include "validate/runner/cpu/vec_ops.hpp"

#include <cpuid.h>
#include <immintrin.h>

#include <span>

namespace llmsim::bench {

namespace {

// ---- portable versions: the definition of each operation --------------------------------

float dot_f32_scalar(const float* w, const float* x, std::int64_t n) {
  float sum = 0;
  for (std::int64_t i = 0; i < n; ++i) sum += w[i] * x[i];
  return sum;
}

float dot_f16_scalar(const std::uint16_t* w, const float* x, std::int64_t n) {
  float sum = 0;
  for (std::int64_t i = 0; i < n; ++i) sum += half_to_float(w[i]) * x[i];
  return sum;
}

float dot_q8_0_scalar(const BlockQ8_0* w, const BlockQ8_0* x, std::int64_t blocks) {
  float sum = 0;
  for (std::int64_t b = 0; b < blocks; ++b) {
    int acc = 0;
    for (int j = 0; j < kQuantBlock; ++j) acc += w[b].qs[j] * x[b].qs[j];
    sum += half_to_float(w[b].d) * half_to_float(x[b].d) * static_cast<float>(acc);
  }
  return sum;
}

float dot_q4_0_scalar(const BlockQ4_0* w, const BlockQ8_0* x, std::int64_t blocks) {
  float sum = 0;
  for (std::int64_t b = 0; b < blocks; ++b) {
    int acc = 0;
    for (int j = 0; j < kQuantBlock / 2; ++j) {
      acc += ((w[b].qs[j] & 0x0f) - 8) * x[b].qs[j];
      acc += ((w[b].qs[j] >> 4) - 8) * x[b].qs[j + kQuantBlock / 2];
    }
    sum += half_to_float(w[b].d) * half_to_float(x[b].d) * static_cast<float>(acc);
  }
  return sum;
}

void axpy_f32_scalar(float a, const float* v, float* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) y[i] += a * v[i];
}

void axpy_f16_scalar(float a, const std::uint16_t* v, float* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) y[i] += a * half_to_float(v[i]);
}

// ---- AVX2 + FMA + F16C -----------------------------------------------------------------

#define LLMSIM_AVX2 __attribute__((target("avx2,fma,f16c")))

LLMSIM_AVX2 float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

LLMSIM_AVX2 float dot_f32_avx2(const float* w, const float* x, std::int64_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
  std::int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 16), _mm256_loadu_ps(x + i + 16), a2);
    a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 24), _mm256_loadu_ps(x + i + 24), a3);
  }
  for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
  float sum = hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  for (; i < n; ++i) sum += w[i] * x[i];
  return sum;
}

LLMSIM_AVX2 float dot_f16_avx2(const std::uint16_t* w, const float* x, std::int64_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i)));
    const __m256 w1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i + 8)));
    a0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + i), a0);
    a1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + i + 8), a1);
  }
  float sum = hsum(_mm256_add_ps(a0, a1));
  for (; i < n; ++i) sum += half_to_float(w[i]) * x[i];
  return sum;
}

// Signed int8 x int8 products summed to 8 int32 lanes: maddubs needs an unsigned operand,
// so multiply |w| by x carrying w's sign (ggml's trick).
LLMSIM_AVX2 __m256 block_dot(__m256i w, __m256i x) {
  const __m256i products = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
  return _mm256_cvtepi32_ps(_mm256_madd_epi16(products, _mm256_set1_epi16(1)));
}

LLMSIM_AVX2 float dot_q8_0_avx2(const BlockQ8_0* w, const BlockQ8_0* x, std::int64_t blocks) {
  __m256 acc = _mm256_setzero_ps();
  for (std::int64_t b = 0; b < blocks; ++b) {
    const __m256 d = _mm256_set1_ps(_cvtsh_ss(w[b].d) * _cvtsh_ss(x[b].d));
    const __m256i qw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs));
    const __m256i qx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs));
    acc = _mm256_fmadd_ps(d, block_dot(qw, qx), acc);
  }
  return hsum(acc);
}

LLMSIM_AVX2 float dot_q4_0_avx2(const BlockQ4_0* w, const BlockQ8_0* x, std::int64_t blocks) {
  __m256 acc = _mm256_setzero_ps();
  const __m256i low_mask = _mm256_set1_epi8(0x0f);
  const __m256i eight = _mm256_set1_epi8(8);
  for (std::int64_t b = 0; b < blocks; ++b) {
    const __m256 d = _mm256_set1_ps(_cvtsh_ss(w[b].d) * _cvtsh_ss(x[b].d));
    // Weights 0..15 are the low nibbles, 16..31 the high nibbles of the same 16 bytes.
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b].qs));
    const __m256i nibbles = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), low_mask);
    const __m256i qw = _mm256_sub_epi8(nibbles, eight);
    const __m256i qx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs));
    acc = _mm256_fmadd_ps(d, block_dot(qw, qx), acc);
  }
  return hsum(acc);
}

LLMSIM_AVX2 void axpy_f32_avx2(float a, const float* v, float* y, std::int64_t n) {
  const __m256 av = _mm256_set1_ps(a);
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(v + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * v[i];
}

LLMSIM_AVX2 void axpy_f16_avx2(float a, const std::uint16_t* v, float* y, std::int64_t n) {
  const __m256 av = _mm256_set1_ps(a);
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 vv = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v + i)));
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, vv, _mm256_loadu_ps(y + i)));
  }
  for (; i < n; ++i) y[i] += a * half_to_float(v[i]);
}

const VecOps kScalar{dot_f32_scalar, dot_f16_scalar, dot_q8_0_scalar, dot_q4_0_scalar,
                     axpy_f32_scalar, axpy_f16_scalar, "scalar"};
const VecOps kAvx2{dot_f32_avx2, dot_f16_avx2, dot_q8_0_avx2, dot_q4_0_avx2, axpy_f32_avx2, axpy_f16_avx2, "avx2"};

bool has_avx2() {
  __builtin_cpu_init();
  // clang 14's __builtin_cpu_supports does not know "f16c": CPUID leaf 1, ECX bit 29.
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  const bool f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0;
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c;
}

}  // namespace

const VecOps& vec_ops(bool force_scalar) {
  static const bool avx2 = has_avx2();
  return avx2 && !force_scalar ? kAvx2 : kScalar;
}

void quantize_row_q8_0(const float* x, BlockQ8_0* out, std::int64_t n) {
  for (std::int64_t b = 0; b < n / kQuantBlock; ++b) {
    out[b] = quantize_q8_0(std::span<const float, kQuantBlock>(x + b * kQuantBlock, kQuantBlock));
  }
}

}  // namespace llmsim::bench
