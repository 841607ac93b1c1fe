// Every CPU kernel computes the right answer on small shapes (each check compares every
// output with a double-precision reference) and states the work hand-counted below.
#include <catch2/catch.hpp>

#include <utility>

#include "validate/runner/cpu/cpu_backend.hpp"

using namespace llmsim::bench;
using namespace llmsim::measurements;

namespace {

KernelSpec spec(KernelClass kernel, const std::string& dtype, int threads) {
  KernelSpec s;
  s.kernel = kernel;
  s.dtype = dtype;
  s.threads = threads;
  return s;
}

void require_correct(CpuBackend& backend, const KernelSpec& s) {
  INFO(s.describe());
  REQUIRE(backend.unsupported_reason(s).empty());
  const CheckResult r = backend.make_kernel(s)->check();
  INFO(r.method << ": " << r.detail);
  CHECK(r.ok);
  CHECK(r.method.rfind("all ", 0) == 0);  // small shapes compare every output
}

}  // namespace

TEST_CASE("cpu kernels match their references on small shapes", "[cpu]") {
  CpuBackend backend;
  for (int threads : {1, 2}) {
    for (auto kernel : {KERNEL_CLASS_COPY, KERNEL_CLASS_TRIAD}) {
      KernelSpec s = spec(kernel, "f32", threads);
      s.bytes = 12 * 1000;
      require_correct(backend, s);
    }
    KernelSpec gemm = spec(KERNEL_CLASS_GEMM, "f32", threads);
    gemm.m = 5;
    gemm.n = 17;
    gemm.k = 40;
    require_correct(backend, gemm);
    for (const char* dtype : {"f32", "f16", "q8_0", "q4_0"}) {
      KernelSpec gemv = spec(KERNEL_CLASS_GEMV, dtype, threads);
      gemv.m = 1;
      gemv.n = 33;
      gemv.k = 96;
      require_correct(backend, gemv);
    }
    for (const char* dtype : {"f32", "f16"}) {
      KernelSpec att = spec(KERNEL_CLASS_ATTENTION_DECODE, dtype, threads);
      att.heads = 8;
      att.kv_heads = 2;
      att.head_dim = 32;
      att.context = 19;
      require_correct(backend, att);
    }
    KernelSpec norm = spec(KERNEL_CLASS_RMSNORM, "f32", threads);
    norm.m = 3;
    norm.n = 100;
    require_correct(backend, norm);
    KernelSpec silu = spec(KERNEL_CLASS_SILU, "f32", threads);
    silu.elements = 999;
    require_correct(backend, silu);
    KernelSpec gelu = spec(KERNEL_CLASS_GELU, "f32", threads);
    gelu.elements = 999;
    require_correct(backend, gelu);
  }
}

TEST_CASE("large shapes are checked on a sample of their outputs", "[cpu]") {
  CpuBackend backend;
  KernelSpec gemv = spec(KERNEL_CLASS_GEMV, "q4_0", 2);
  gemv.m = 1;
  gemv.n = 4096;
  gemv.k = 256;
  const CheckResult r = backend.make_kernel(gemv)->check();
  CHECK(r.ok);
  CHECK(r.method == "256 sampled outputs of 4096");
}

TEST_CASE("cpu kernels count their work by the documented conventions", "[cpu]") {
  CpuBackend backend;
  KernelSpec gemm = spec(KERNEL_CLASS_GEMM, "f32", 1);
  gemm.m = 2;
  gemm.n = 3;
  gemm.k = 4;
  const llmsim::bench::Work w = backend.make_kernel(gemm)->work();
  CHECK(w.flops == 2 * 2 * 3 * 4);
  CHECK(w.bytes_read == (2 * 4 + 3 * 4) * 4);
  CHECK(w.bytes_written == 2 * 3 * 4);

  KernelSpec triad = spec(KERNEL_CLASS_TRIAD, "f32", 1);
  triad.bytes = 1200;  // three arrays of 100 floats
  const llmsim::bench::Work t = backend.make_kernel(triad)->work();
  CHECK(t.bytes_read == 800);
  CHECK(t.bytes_written == 400);
  CHECK(t.flops == 200);

  KernelSpec gemv = spec(KERNEL_CLASS_GEMV, "q4_0", 1);
  gemv.m = 1;
  gemv.n = 10;
  gemv.k = 64;
  const llmsim::bench::Work g = backend.make_kernel(gemv)->work();
  // 10 rows x 2 blocks x 18 bytes, the f32 activations and their q8_0 copy (2 x 34).
  CHECK(g.bytes_read == 10 * 2 * 18 + 64 * 4 + 2 * 34);
  CHECK(g.flops == 2 * 10 * 64);

  // SiLU 4 per element (exp, add, divide, multiply), GELU 8 (tanh and 7 multiply/adds).
  for (auto [kernel, flops] : {std::pair{KERNEL_CLASS_SILU, 4.0}, std::pair{KERNEL_CLASS_GELU, 8.0}}) {
    KernelSpec s = spec(kernel, "f32", 1);
    s.elements = 100;
    const llmsim::bench::Work e = backend.make_kernel(s)->work();
    CHECK(e.flops == flops * 100);
    CHECK(e.bytes_read == 400);
    CHECK(e.bytes_written == 400);
  }
}

TEST_CASE("the cpu backend names what it cannot run", "[cpu]") {
  CpuBackend backend;
  KernelSpec gemm = spec(KERNEL_CLASS_GEMM, "bf16", 1);
  CHECK(backend.unsupported_reason(gemm) == "the cpu backend has no bf16 gemm kernel");
  KernelSpec gelu = spec(KERNEL_CLASS_GELU, "f16", 1);
  CHECK(backend.unsupported_reason(gelu) == "the cpu backend has no f16 gelu kernel");
  CHECK(backend.resolve_threads(0) >= 1);
  CHECK(backend.resolve_threads(3) == 3);
}
