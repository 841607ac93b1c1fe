#include "validate/runner/vulkan/vulkan_kernels.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <span>

#include "validate/runner/core/bench_errors.hpp"
#include "validate/runner/core/output_checker.hpp"
#include "validate/runner/core/quant_blocks.hpp"
#include "validate/runner/core/test_data.hpp"
#include "validate/runner/cpu/elementwise_math.hpp"
#include "validate/runner/vulkan/vulkan_kernel.hpp"

namespace llmsim::bench {

using measurements::KernelClass;

namespace {

constexpr std::uint32_t kMaxGroups = 65535;

std::vector<float> test_values(std::int64_t n, std::uint64_t seed, float scale = 1.0f) {
  std::vector<float> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v[i] = test_value(seed, i) * scale;
  return v;
}

template <class... T>
std::vector<std::uint8_t> push_bytes(T... values) {
  std::vector<std::uint8_t> bytes((sizeof(T) + ...));
  std::size_t at = 0;
  ((std::memcpy(bytes.data() + at, &values, sizeof(values)), at += sizeof(values)), ...);
  return bytes;
}

std::uint32_t groups(std::int64_t items, std::int64_t per_group) {
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>((items + per_group - 1) / per_group, 1, kMaxGroups));
}

std::unique_ptr<VulkanBuffer> buffer(VulkanContext& c, std::size_t bytes, const void* data = nullptr) {
  auto b = std::make_unique<VulkanBuffer>(c, std::max<std::size_t>(bytes, 16));
  if (data) b->upload(data, bytes);
  return b;
}

template <class T>
std::vector<T> download(VulkanKernel& k, std::size_t index, std::int64_t count) {
  std::vector<T> out(static_cast<std::size_t>(count));
  k.buffer(index).download(out.data(), out.size() * sizeof(T));
  return out;
}

// Streaming kernels: arrays of a multiple of 4 floats (the shaders move vec4s).
std::unique_ptr<Kernel> stream(VulkanContext& c, const KernelSpec& s) {
  const bool triad = s.kernel == measurements::KERNEL_CLASS_TRIAD;
  const std::int64_t n = (s.bytes / (triad ? 12 : 8)) / 4 * 4;
  std::vector<std::unique_ptr<VulkanBuffer>> buffers;
  const std::size_t bytes = static_cast<std::size_t>(n) * 4;
  if (triad) {
    buffers.push_back(buffer(c, bytes));
    buffers.push_back(buffer(c, bytes, test_values(n, 2).data()));
    buffers.push_back(buffer(c, bytes, test_values(n, 3).data()));
  } else {
    buffers.push_back(buffer(c, bytes, test_values(n, 1).data()));
    buffers.push_back(buffer(c, bytes));
  }
  const auto n4 = static_cast<std::uint32_t>(n / 4);
  VulkanKernel::Launch launch{triad ? "triad" : "copy", triad ? push_bytes(n4, 3.0f) : push_bytes(n4),
                              groups(n / 4, 256), 1};
  const double array = static_cast<double>(bytes);
  Work work{triad ? 2.0 * static_cast<double>(n) : 0.0, triad ? 2 * array : array, array};
  auto checker = [n, triad](VulkanKernel& k) {
    const auto out = download<float>(k, triad ? 0 : 1, n);
    OutputChecker check(triad ? 1e-6 : 0.0);
    const auto idx = sample_indices(n, 4096);
    for (std::int64_t i : idx) {
      if (triad) {
        const double b = test_value(2, i), cc = test_value(3, i);
        check.add(i, out[i], b + 3.0 * cc, std::abs(b) + std::abs(3.0 * cc) + 1e-30);
      } else {
        check.add(i, out[i], test_value(1, i), 1.0);
      }
    }
    return check.result(sample_method(n, static_cast<std::int64_t>(idx.size())));
  };
  return std::make_unique<VulkanKernel>(c, std::move(buffers), launch, work,
                                        triad ? "glsl triad, vec4 grid-stride" : "glsl copy, vec4 grid-stride", checker);
}

std::unique_ptr<Kernel> silu(VulkanContext& c, const KernelSpec& s) {
  const std::int64_t n = s.elements;
  std::vector<std::unique_ptr<VulkanBuffer>> buffers;
  const auto x = test_values(n, 41, 4.0f);
  buffers.push_back(buffer(c, x.size() * 4, x.data()));
  buffers.push_back(buffer(c, x.size() * 4));
  VulkanKernel::Launch launch{"silu", push_bytes(static_cast<std::uint32_t>(n)), groups(n, 256), 1};
  const double bytes = static_cast<double>(n) * 4;
  auto checker = [n, x](VulkanKernel& k) {
    const auto y = download<float>(k, 1, n);
    OutputChecker check(1e-4);
    const auto idx = sample_indices(n, 4096);
    for (std::int64_t i : idx) check.add(i, y[i], silu_reference(x[i]), std::abs(x[i]) + 1e-6);
    return check.result(sample_method(n, static_cast<std::int64_t>(idx.size())));
  };
  return std::make_unique<VulkanKernel>(c, std::move(buffers), launch, Work{4 * static_cast<double>(n), bytes, bytes},
                                        "glsl silu, grid-stride", checker);
}

std::unique_ptr<Kernel> rmsnorm(VulkanContext& c, const KernelSpec& s) {
  const std::int64_t rows = s.m, n = s.n;
  const auto x = test_values(rows * n, 41, 4.0f);
  const auto w = test_values(n, 42);
  std::vector<std::unique_ptr<VulkanBuffer>> buffers;
  buffers.push_back(buffer(c, x.size() * 4, x.data()));
  buffers.push_back(buffer(c, w.size() * 4, w.data()));
  buffers.push_back(buffer(c, x.size() * 4));
  constexpr float eps = 1e-5f;
  VulkanKernel::Launch launch{"rmsnorm", push_bytes(static_cast<std::uint32_t>(n), eps),
                              static_cast<std::uint32_t>(rows), 1};
  const double count = static_cast<double>(rows * n);
  auto checker = [rows, n, x, w](VulkanKernel& k) {
    const auto y = download<float>(k, 2, rows * n);
    OutputChecker check(1e-4);
    const auto idx = sample_indices(rows * n, 4096);
    for (std::int64_t i : idx) {
      const std::int64_t r = i / n;
      double squares = 0;
      for (std::int64_t j = 0; j < n; ++j) squares += static_cast<double>(x[r * n + j]) * x[r * n + j];
      const double inv = 1.0 / std::sqrt(squares / static_cast<double>(n) + eps);
      const double expected = x[i] * inv * w[i % n];
      check.add(i, y[i], expected, std::abs(expected) + 1e-6);
    }
    return check.result(sample_method(rows * n, static_cast<std::int64_t>(idx.size())));
  };
  return std::make_unique<VulkanKernel>(c, std::move(buffers), launch,
                                        Work{4 * count, (count + static_cast<double>(n)) * 4, count * 4},
                                        "glsl rmsnorm, one workgroup of 256 per row", checker);
}

// Weights for GEMV in the shader's layout, and the float values they stand for.
struct PackedWeights {
  std::vector<std::uint8_t> bytes;
  std::vector<float> values;  // row-major n x k, as the shader sees them
};

PackedWeights pack_weights(const std::string& dtype, std::int64_t n, std::int64_t k) {
  PackedWeights p;
  p.values = test_values(n * k, 21);
  if (dtype == "f32") {
    p.bytes.resize(p.values.size() * 4);
    std::memcpy(p.bytes.data(), p.values.data(), p.bytes.size());
  } else if (dtype == "f16") {
    std::vector<std::uint16_t> halves(p.values.size());
    for (std::size_t i = 0; i < halves.size(); ++i) {
      halves[i] = float_to_half(p.values[i]);
      p.values[i] = half_to_float(halves[i]);
    }
    p.bytes.resize(halves.size() * 2);
    std::memcpy(p.bytes.data(), halves.data(), p.bytes.size());
  } else {  // q4_0
    const std::int64_t blocks = n * k / kQuantBlock;
    p.bytes.resize(static_cast<std::size_t>(blocks) * sizeof(BlockQ4_0));
    for (std::int64_t b = 0; b < blocks; ++b) {
      const BlockQ4_0 block =
          quantize_q4_0(std::span<const float, kQuantBlock>(p.values.data() + b * kQuantBlock, kQuantBlock));
      std::memcpy(p.bytes.data() + b * sizeof(BlockQ4_0), &block, sizeof(block));
      dequantize(block, std::span<float, kQuantBlock>(p.values.data() + b * kQuantBlock, kQuantBlock));
    }
  }
  p.bytes.resize((p.bytes.size() + 3) / 4 * 4);  // whole uint words: the q4_0 shader reads 20 bytes per 18-byte block
  return p;
}

std::unique_ptr<Kernel> gemv(VulkanContext& c, const KernelSpec& s) {
  const std::int64_t n = s.n, k = s.k;
  PackedWeights w = pack_weights(s.dtype, n, k);
  const auto x = test_values(k, 22);
  std::vector<std::unique_ptr<VulkanBuffer>> buffers;
  buffers.push_back(buffer(c, w.bytes.size(), w.bytes.data()));
  buffers.push_back(buffer(c, x.size() * 4, x.data()));
  buffers.push_back(buffer(c, static_cast<std::size_t>(n) * 4));
  VulkanKernel::Launch launch{"gemv_" + s.dtype,
                              push_bytes(static_cast<std::uint32_t>(n), static_cast<std::uint32_t>(k)),
                              static_cast<std::uint32_t>(std::min<std::int64_t>(n, kMaxGroups)), 1};
  const double weight_bytes = s.dtype == "f32"   ? 4.0 * n * k
                              : s.dtype == "f16" ? 2.0 * n * k
                                                 : static_cast<double>(n * k / kQuantBlock) * sizeof(BlockQ4_0);
  Work work{2.0 * n * k, weight_bytes + 4.0 * k, 4.0 * n};
  auto checker = [n, k, values = std::move(w.values), x](VulkanKernel& kernel) {
    const auto y = download<float>(kernel, 2, n);
    OutputChecker check(1e-4);
    const auto idx = sample_indices(n, 512);
    for (std::int64_t r : idx) {
      double sum = 0, scale = 0;
      for (std::int64_t i = 0; i < k; ++i) {
        sum += static_cast<double>(values[r * k + i]) * x[i];
        scale += std::abs(static_cast<double>(values[r * k + i]) * x[i]);
      }
      check.add(r, y[r], sum, scale);
    }
    return check.result(sample_method(n, static_cast<std::int64_t>(idx.size())));
  };
  return std::make_unique<VulkanKernel>(c, std::move(buffers), launch, work,
                                        fmt::format("glsl gemv_{}, one workgroup of 64 per row", s.dtype), checker);
}

std::unique_ptr<Kernel> gemm(VulkanContext& c, const KernelSpec& s) {
  const std::int64_t m = s.m, n = s.n, k = s.k;
  const auto a = test_values(m * k, 11), w = test_values(n * k, 12);
  std::vector<std::unique_ptr<VulkanBuffer>> buffers;
  buffers.push_back(buffer(c, a.size() * 4, a.data()));
  buffers.push_back(buffer(c, w.size() * 4, w.data()));
  buffers.push_back(buffer(c, static_cast<std::size_t>(m * n) * 4));
  VulkanKernel::Launch launch{"gemm_tiled",
                              push_bytes(static_cast<std::uint32_t>(m), static_cast<std::uint32_t>(n),
                                         static_cast<std::uint32_t>(k)),
                              static_cast<std::uint32_t>((n + 15) / 16), static_cast<std::uint32_t>((m + 15) / 16)};
  Work work{2.0 * m * n * k, 4.0 * (m * k + n * k), 4.0 * m * n};
  auto checker = [m, n, k, a, w](VulkanKernel& kernel) {
    const auto out = download<float>(kernel, 2, m * n);
    OutputChecker check(1e-4);
    const auto idx = sample_indices(m * n, 512);
    for (std::int64_t i : idx) {
      const std::int64_t r = i / n, col = i % n;
      double sum = 0, scale = 0;
      for (std::int64_t l = 0; l < k; ++l) {
        sum += static_cast<double>(a[r * k + l]) * w[col * k + l];
        scale += std::abs(static_cast<double>(a[r * k + l]) * w[col * k + l]);
      }
      check.add(i, out[i], sum, scale);
    }
    return check.result(sample_method(m * n, static_cast<std::int64_t>(idx.size())));
  };
  return std::make_unique<VulkanKernel>(c, std::move(buffers), launch, work,
                                        "glsl gemm_tiled, 16x16 shared-memory tiles, W transposed", checker);
}

// Largest buffer a case needs, to compare with the device's storage-buffer range.
double largest_buffer(const KernelSpec& s) {
  switch (s.kernel) {
    case measurements::KERNEL_CLASS_COPY: return static_cast<double>(s.bytes) / 2;
    case measurements::KERNEL_CLASS_TRIAD: return static_cast<double>(s.bytes) / 3;
    case measurements::KERNEL_CLASS_GEMM: return 4.0 * std::max({s.m * s.k, s.n * s.k, s.m * s.n});
    case measurements::KERNEL_CLASS_GEMV: return 4.0 * s.n * s.k;
    case measurements::KERNEL_CLASS_RMSNORM: return 4.0 * s.m * s.n;
    case measurements::KERNEL_CLASS_SILU: return 4.0 * s.elements;
    default: return 0;
  }
}

}  // namespace

std::string vulkan_unsupported_reason(const VulkanContext& context, const KernelSpec& s) {
  const bool f32 = s.dtype == "f32";
  switch (s.kernel) {
    case measurements::KERNEL_CLASS_COPY:
    case measurements::KERNEL_CLASS_TRIAD:
    case measurements::KERNEL_CLASS_SILU:
    case measurements::KERNEL_CLASS_RMSNORM:
    case measurements::KERNEL_CLASS_GEMM:
      if (!f32) return fmt::format("the vulkan backend has no {} {} kernel", s.dtype, kernel_name(s));
      break;
    case measurements::KERNEL_CLASS_GEMV:
      if (!f32 && s.dtype != "f16" && s.dtype != "q4_0") return fmt::format("the vulkan backend has no {} gemv", s.dtype);
      if (s.dtype == "f16" && s.k % 2 != 0) return "f16 gemv needs an even k";
      if (s.dtype == "q4_0" && s.k % kQuantBlock != 0) return "q4_0 gemv needs k to be a multiple of 32";
      break;
    default:
      return fmt::format("the vulkan backend has no {} kernel", kernel_name(s));
  }
  if (largest_buffer(s) > static_cast<double>(context.properties().limits.maxStorageBufferRange)) {
    return fmt::format("a buffer would exceed the device's storage-buffer range of {} bytes",
                       context.properties().limits.maxStorageBufferRange);
  }
  return "";
}

std::unique_ptr<Kernel> make_vulkan_kernel(VulkanContext& context, const KernelSpec& spec) {
  switch (spec.kernel) {
    case measurements::KERNEL_CLASS_COPY:
    case measurements::KERNEL_CLASS_TRIAD: return stream(context, spec);
    case measurements::KERNEL_CLASS_SILU: return silu(context, spec);
    case measurements::KERNEL_CLASS_RMSNORM: return rmsnorm(context, spec);
    case measurements::KERNEL_CLASS_GEMV: return gemv(context, spec);
    case measurements::KERNEL_CLASS_GEMM: return gemm(context, spec);
    default: throw UnsupportedCase(vulkan_unsupported_reason(context, spec));
  }
}

}  // namespace llmsim::bench
