#include "validate/runner/cuda/cuda_cases.hpp"

#include <cuda_runtime.h>
#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <stdexcept>
#include <vector>

#include "validate/runner/core/bench_errors.hpp"
#include "validate/runner/core/output_checker.hpp"
#include "validate/runner/core/test_data.hpp"
#include "validate/runner/cuda/cuda_kernel.hpp"
#include "validate/runner/cuda/cuda_kernels.hpp"

namespace llmsim::bench {

namespace {

using cuda::Storage;
using Buffers = std::vector<std::unique_ptr<CudaBuffer>>;

std::vector<float> test_values(std::int64_t n, std::uint64_t seed) {
  std::vector<float> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v[i] = test_value(seed, i);
  return v;
}

std::size_t bytes_of(Storage s) { return s == Storage::f32 ? 4 : (s == Storage::fp8_e4m3 ? 1 : 2); }

// Uploads f32 values, stores them on the device as `storage`, and replaces `values` with
// what the device holds (so references see the rounded operands). Returns the typed buffer.
std::unique_ptr<CudaBuffer> device_copy(std::vector<float>& values, Storage storage, Buffers& scratch) {
  const auto n = static_cast<std::int64_t>(values.size());
  auto f32 = std::make_unique<CudaBuffer>(values.size() * 4);
  f32->upload(values.data(), values.size() * 4);
  auto typed = std::make_unique<CudaBuffer>(values.size() * bytes_of(storage));
  cuda::convert_from_f32(f32->as<float>(), typed->get(), storage, n);
  cuda::convert_to_f32(typed->get(), storage, f32->as<float>(), n);
  cudaDeviceSynchronize();
  cuda_check_last("converting operands");
  f32->download(values.data(), values.size() * 4);
  scratch.push_back(std::move(f32));
  return typed;
}

std::vector<float> download_as_f32(const CudaBuffer& buffer, Storage storage, std::int64_t n) {
  CudaBuffer f32(static_cast<std::size_t>(n) * 4);
  cuda::convert_to_f32(buffer.get(), storage, f32.as<float>(), n);
  std::vector<float> out(static_cast<std::size_t>(n));
  f32.download(out.data(), out.size() * 4);
  return out;
}

Storage storage_for(const std::string& dtype) {
  if (dtype == "f16") return Storage::f16;
  if (dtype == "bf16") return Storage::bf16;
  if (dtype == "fp8") return Storage::fp8_e4m3;
  return Storage::f32;  // f32 and tf32 keep f32 operands
}

void blas_check(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS)
    throw std::runtime_error(fmt::format("{} failed (status {})", what, static_cast<int>(status)));
}

// cuBLASLt's fp8 GEMM (e4m3 x e4m3 -> bf16, f32 accumulate, TN), tried once: UnsupportedCase
// where cuBLASLt has no kernel for the shape.
CudaKernel::Launch fp8_gemm_launch(const CudaHandles& h, std::int64_t m, std::int64_t n, std::int64_t k, void* wp,
                                   void* ap, void* cp) {
  // The descriptors live as long as the launch closure (the kernel), then are destroyed.
  struct LtDescriptors {
    cublasLtMatmulDesc_t desc = nullptr;
    cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
    ~LtDescriptors() {
      if (c) cublasLtMatrixLayoutDestroy(c);
      if (b) cublasLtMatrixLayoutDestroy(b);
      if (a) cublasLtMatrixLayoutDestroy(a);
      if (desc) cublasLtMatmulDescDestroy(desc);
    }
  };
  auto lt = std::make_shared<LtDescriptors>();
  blas_check(cublasLtMatmulDescCreate(&lt->desc, CUBLAS_COMPUTE_32F, CUDA_R_32F), "cublasLtMatmulDescCreate");
  const cublasOperation_t transpose = CUBLAS_OP_T;
  cublasLtMatmulDescSetAttribute(lt->desc, CUBLASLT_MATMUL_DESC_TRANSA, &transpose, sizeof(transpose));
  blas_check(cublasLtMatrixLayoutCreate(&lt->a, CUDA_R_8F_E4M3, static_cast<std::uint64_t>(k),
                                        static_cast<std::uint64_t>(n), k),
             "cublasLtMatrixLayoutCreate");
  blas_check(cublasLtMatrixLayoutCreate(&lt->b, CUDA_R_8F_E4M3, static_cast<std::uint64_t>(k),
                                        static_cast<std::uint64_t>(m), k),
             "cublasLtMatrixLayoutCreate");
  blas_check(
      cublasLtMatrixLayoutCreate(&lt->c, CUDA_R_16BF, static_cast<std::uint64_t>(n), static_cast<std::uint64_t>(m), n),
      "cublasLtMatrixLayoutCreate");
  CudaKernel::Launch launch = [h, lt, wp, ap, cp] {
    const float alpha = 1.0f, beta = 0.0f;
    blas_check(cublasLtMatmul(h.lt, lt->desc, &alpha, wp, lt->a, ap, lt->b, &beta, cp, lt->c, cp, lt->c, nullptr,
                              h.workspace, h.workspace_bytes, nullptr),
               "cublasLtMatmul fp8");
  };
  try {
    launch();  // cuBLASLt has no fp8 kernel for some shapes (e.g. unaligned m): a skip, not an error
    cudaDeviceSynchronize();
  } catch (const std::runtime_error& e) {
    throw UnsupportedCase(fmt::format("cuBLASLt has no fp8 kernel for this shape ({})", e.what()));
  }
  return launch;
}

// Row-major C[m x n] = A[m x k] W[n x k]^T is, column-major, C^T = op_T(W) A^T: "TN".
std::unique_ptr<Kernel> gemm(const CudaHandles& h, const KernelSpec& s) {
  const std::int64_t m = s.m, n = s.n, k = s.k;
  const Storage in = storage_for(s.dtype);
  const Storage out = s.dtype == "fp8" ? Storage::bf16 : in;  // fp8 GEMMs write bf16
  Buffers buffers;
  auto a_values = test_values(m * k, 11), w_values = test_values(n * k, 12);
  auto a = device_copy(a_values, in, buffers);
  auto w = device_copy(w_values, in, buffers);
  auto c = std::make_unique<CudaBuffer>(static_cast<std::size_t>(m * n) * bytes_of(out));
  CudaKernel::Launch launch;
  std::string impl;
  if (s.dtype == "fp8") {
    launch = fp8_gemm_launch(h, m, n, k, w->get(), a->get(), c->get());
    impl = "cublasLt fp8 e4m3 x e4m3 -> bf16, f32 accumulate, TN";
  } else {
    const cudaDataType_t type = in == Storage::f16 ? CUDA_R_16F : (in == Storage::bf16 ? CUDA_R_16BF : CUDA_R_32F);
    const cublasComputeType_t compute = s.dtype == "tf32" ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
    launch = [h, type, compute, m, n, k, wp = w->get(), ap = a->get(), cp = c->get()] {
      const float alpha = 1.0f, beta = 0.0f;
      blas_check(cublasGemmEx(h.blas, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(n), static_cast<int>(m),
                              static_cast<int>(k), &alpha, wp, type, static_cast<int>(k), ap, type, static_cast<int>(k),
                              &beta, cp, type, static_cast<int>(n), compute, CUBLAS_GEMM_DEFAULT),
                 "cublasGemmEx");
    };
    impl = fmt::format("cublasGemmEx {} ({} compute), TN", s.dtype, s.dtype == "tf32" ? "tf32" : "f32");
  }
  const double tol = s.dtype == "f32" ? 1e-4 : (s.dtype == "tf32" || s.dtype == "f16" ? 3e-3 : 1.5e-2);
  CudaBuffer* c_raw = c.get();
  auto checker = [=, a_values = std::move(a_values), w_values = std::move(w_values)] {
    const auto got = download_as_f32(*c_raw, out, m * n);
    OutputChecker check(tol);
    const auto idx = sample_indices(m * n, 256);
    for (std::int64_t i : idx) {
      const std::int64_t r = i / n, col = i % n;
      double sum = 0, scale = 0;
      for (std::int64_t l = 0; l < k; ++l) {
        const double p = static_cast<double>(a_values[r * k + l]) * w_values[col * k + l];
        sum += p;
        scale += std::abs(p);
      }
      check.add(i, got[i], sum, scale);
    }
    return check.result(sample_method(m * n, static_cast<std::int64_t>(idx.size())));
  };
  const double eb = static_cast<double>(bytes_of(in));
  Work work{2.0 * m * n * k, eb * (m * k + n * k), static_cast<double>(bytes_of(out)) * m * n};
  buffers.push_back(std::move(a));
  buffers.push_back(std::move(w));
  buffers.push_back(std::move(c));
  return std::make_unique<CudaKernel>(std::move(buffers), launch, checker, work, impl);
}

std::unique_ptr<Kernel> gemv(const CudaHandles& h, const KernelSpec& s) {
  const std::int64_t n = s.n, k = s.k;
  const Storage in = storage_for(s.dtype);
  Buffers buffers;
  auto w_values = test_values(n * k, 21), x_values = test_values(k, 22);
  auto w = device_copy(w_values, in, buffers);
  auto x = std::make_unique<CudaBuffer>(x_values.size() * 4);
  x->upload(x_values.data(), x_values.size() * 4);
  auto y = std::make_unique<CudaBuffer>(static_cast<std::size_t>(n) * 4);
  CudaKernel::Launch launch;
  if (in == Storage::f32) {
    launch = [h, n, k, wp = w->as<float>(), xp = x->as<float>(), yp = y->as<float>()] {
      const float alpha = 1.0f, beta = 0.0f;
      blas_check(cublasSgemv(h.blas, CUBLAS_OP_T, static_cast<int>(k), static_cast<int>(n), &alpha, wp,
                             static_cast<int>(k), xp, 1, &beta, yp, 1),
                 "cublasSgemv");
    };
  } else {
    launch = [n, k, wp = w->get(), xp = x->as<float>(), yp = y->as<float>()] { cuda::gemv_f16(wp, xp, yp, n, k); };
  }
  CudaBuffer* y_raw = y.get();
  auto checker = [=, w_values = std::move(w_values), x_values = std::move(x_values)] {
    std::vector<float> got(static_cast<std::size_t>(n));
    y_raw->download(got.data(), got.size() * 4);
    OutputChecker check(1e-4);
    const auto idx = sample_indices(n, 256);
    for (std::int64_t r : idx) {
      double sum = 0, scale = 0;
      for (std::int64_t i = 0; i < k; ++i) {
        const double p = static_cast<double>(w_values[r * k + i]) * x_values[i];
        sum += p;
        scale += std::abs(p);
      }
      check.add(r, got[r], sum, scale);
    }
    return check.result(sample_method(n, static_cast<std::int64_t>(idx.size())));
  };
  Work work{2.0 * n * k, static_cast<double>(bytes_of(in)) * n * k + 4.0 * k, 4.0 * n};
  const std::string impl = in == Storage::f32 ? "cublasSgemv" : "llmsim f16 gemv, one warp per row";
  buffers.push_back(std::move(w));
  buffers.push_back(std::move(x));
  buffers.push_back(std::move(y));
  return std::make_unique<CudaKernel>(std::move(buffers), launch, checker, work, impl);
}

std::unique_ptr<Kernel> copy(const KernelSpec& s) {
  const std::int64_t n = s.bytes / 8;
  const auto values = test_values(n, 1);
  Buffers buffers;
  auto src = std::make_unique<CudaBuffer>(static_cast<std::size_t>(n) * 4);
  src->upload(values.data(), values.size() * 4);
  auto dst = std::make_unique<CudaBuffer>(static_cast<std::size_t>(n) * 4);
  auto launch = [sp = src->get(), dp = dst->get(), bytes = static_cast<std::size_t>(n) * 4] {
    cudaMemcpyAsync(dp, sp, bytes, cudaMemcpyDeviceToDevice);
  };
  CudaBuffer* dst_raw = dst.get();
  auto checker = [n, dst_raw] {
    std::vector<float> got(static_cast<std::size_t>(n));
    dst_raw->download(got.data(), got.size() * 4);
    OutputChecker check(0.0);
    const auto idx = sample_indices(n, 4096);
    for (std::int64_t i : idx) check.add(i, got[i], test_value(1, i), 1.0);
    return check.result(sample_method(n, static_cast<std::int64_t>(idx.size())));
  };
  const double bytes = static_cast<double>(n) * 4;
  buffers.push_back(std::move(src));
  buffers.push_back(std::move(dst));
  return std::make_unique<CudaKernel>(std::move(buffers), launch, checker, Work{0, bytes, bytes},
                                      "cudaMemcpyAsync device to device");
}

std::unique_ptr<Kernel> attention(const KernelSpec& s) {
  const int heads = static_cast<int>(s.heads), kv = static_cast<int>(s.kv_heads == 0 ? s.heads : s.kv_heads);
  const int d = static_cast<int>(s.head_dim), context = static_cast<int>(s.context);
  const Storage in = storage_for(s.dtype);
  const std::int64_t cache = static_cast<std::int64_t>(context) * kv * d;
  Buffers buffers;
  auto q_values = test_values(static_cast<std::int64_t>(heads) * d, 31);
  auto k_values = test_values(cache, 32), v_values = test_values(cache, 33);
  auto k = device_copy(k_values, in, buffers);
  auto v = device_copy(v_values, in, buffers);
  auto q = std::make_unique<CudaBuffer>(q_values.size() * 4);
  q->upload(q_values.data(), q_values.size() * 4);
  auto out = std::make_unique<CudaBuffer>(q_values.size() * 4);
  auto workspace = std::make_unique<CudaBuffer>(cuda::attention_workspace_floats(heads, kv, d, context) * 4);
  const bool f16 = in == Storage::f16;
  auto launch = [=, qp = q->as<float>(), kp = k->get(), vp = v->get(), wp = workspace->as<float>(),
                 op = out->as<float>()] { cuda::attention_decode(qp, kp, vp, f16, wp, op, heads, kv, d, context); };
  CudaBuffer* out_raw = out.get();
  auto checker = [=, q_values = std::move(q_values), k_values = std::move(k_values), v_values = std::move(v_values)] {
    std::vector<float> got(q_values.size());
    out_raw->download(got.data(), got.size() * 4);
    OutputChecker check(1e-3);
    const auto idx = sample_indices(static_cast<std::int64_t>(got.size()), 256);
    for (std::int64_t i : idx) {
      const std::int64_t h = i / d, dim = i % d, offset = (h / (heads / kv)) * d, stride = kv * d;
      std::vector<double> p(static_cast<std::size_t>(context));
      double max = -INFINITY, sum = 0, value = 0, scale = 0;
      for (int t = 0; t < context; ++t) {
        double dot = 0;
        for (int j = 0; j < d; ++j) dot += static_cast<double>(q_values[h * d + j]) * k_values[t * stride + offset + j];
        p[t] = dot / std::sqrt(static_cast<double>(d));
        max = std::max(max, p[t]);
      }
      for (double& x : p) sum += (x = std::exp(x - max));
      for (int t = 0; t < context; ++t) {
        value += p[t] / sum * v_values[t * stride + offset + dim];
        scale += p[t] / sum * std::abs(v_values[t * stride + offset + dim]);
      }
      check.add(i, got[i], value, scale);
    }
    return check.result(sample_method(static_cast<std::int64_t>(got.size()), static_cast<std::int64_t>(idx.size())));
  };
  const double qd = static_cast<double>(heads) * d;
  Work work{4.0 * qd * context + 5.0 * heads * context, 2.0 * cache * bytes_of(in) + 4 * qd, 4 * qd};
  buffers.push_back(std::move(k));
  buffers.push_back(std::move(v));
  buffers.push_back(std::move(q));
  buffers.push_back(std::move(out));
  buffers.push_back(std::move(workspace));
  return std::make_unique<CudaKernel>(
      std::move(buffers), launch, checker, work,
      fmt::format("llmsim split-K decode attention (block per KV head and context chunk, then a merge), {} KV",
                  s.dtype));
}

}  // namespace

std::string cuda_unsupported_reason(const CudaHandles& h, const KernelSpec& s) {
  const int cc = 10 * h.cc_major + h.cc_minor;
  const std::string& d = s.dtype;
  switch (s.kernel) {
    case measurements::KERNEL_CLASS_GEMM:
      if (d == "q8_0" || d == "q4_0") return fmt::format("the cuda backend has no {} gemm", d);
      if ((d == "tf32" || d == "bf16") && cc < 80) return fmt::format("{} needs compute capability 8.0+", d);
      if (d == "fp8" && cc < 89) return "fp8 needs compute capability 8.9+ (Ada, Hopper)";
      if (d == "fp8" && (s.k % 16 != 0 || s.n % 16 != 0)) return "fp8 GEMM needs n and k multiples of 16";
      return "";
    case measurements::KERNEL_CLASS_GEMV:
      return d == "f32" || d == "f16" ? "" : fmt::format("the cuda backend has no {} gemv", d);
    case measurements::KERNEL_CLASS_ATTENTION_DECODE:
      if (d != "f32" && d != "f16") return fmt::format("the cuda backend has no {} attention", d);
      return cuda::attention_unsupported(static_cast<int>(s.heads),
                                         static_cast<int>(s.kv_heads == 0 ? s.heads : s.kv_heads),
                                         static_cast<int>(s.head_dim));
    case measurements::KERNEL_CLASS_COPY:
      return d == "f32" ? "" : "copy moves f32 arrays";
    default:
      return fmt::format("the cuda backend has no {} kernel", kernel_name(s));
  }
}

std::unique_ptr<Kernel> make_cuda_kernel(const CudaHandles& handles, const KernelSpec& spec) {
  switch (spec.kernel) {
    case measurements::KERNEL_CLASS_GEMM:
      return gemm(handles, spec);
    case measurements::KERNEL_CLASS_GEMV:
      return gemv(handles, spec);
    case measurements::KERNEL_CLASS_COPY:
      return copy(spec);
    case measurements::KERNEL_CLASS_ATTENTION_DECODE:
      return attention(spec);
    default:
      throw UnsupportedCase(cuda_unsupported_reason(handles, spec));
  }
}

}  // namespace llmsim::bench
