// CUDA kernels against the same references where a CUDA GPU exists; otherwise skipped,
// saying why (not built, or no device/driver on this machine).
#include <catch2/catch.hpp>

#include <iostream>

#include "validate/runner/core/backend_registry.hpp"

using namespace llmsim::bench;
using namespace llmsim::measurements;

TEST_CASE("cuda kernels match their references on small shapes", "[cuda]") {
  std::unique_ptr<Backend> backend;
  try {
    backend = make_backend("cuda", BackendOptions{});
  } catch (const BackendUnavailable& e) {
    std::cout << "SKIPPED: " << e.what() << "\n";
    return;
  }
  std::vector<KernelSpec> specs;
  for (const char* dtype : {"f32", "tf32", "f16", "bf16", "fp8"}) {
    KernelSpec s;
    s.kernel = KERNEL_CLASS_GEMM;
    s.dtype = dtype;
    s.m = 64;
    s.n = 96;
    s.k = 128;
    specs.push_back(s);
  }
  // k = 160 takes the GEMV's 16-byte loads, k = 161 its 2-byte fallback.
  for (const char* dtype : {"f32", "f16"}) {
    for (std::int64_t k : {160, 161}) {
      KernelSpec g;
      g.kernel = KERNEL_CLASS_GEMV;
      g.dtype = dtype;
      g.m = 1;
      g.n = 77;
      g.k = k;
      specs.push_back(g);
    }
  }
  // Attention: grouped heads over one chunk; Llama-3-8B's shape over many chunks (the
  // split-K merge); no grouping and head_dim 64 over an uneven last chunk.
  struct AttentionShape {
    int heads, kv_heads, head_dim, context;
  };
  for (const char* dtype : {"f32", "f16"}) {
    for (const AttentionShape& shape : {AttentionShape{8, 2, 128, 300}, AttentionShape{32, 8, 128, 2048},
                                        AttentionShape{4, 4, 64, 5001}}) {
      KernelSpec a;
      a.kernel = KERNEL_CLASS_ATTENTION_DECODE;
      a.dtype = dtype;
      a.heads = shape.heads;
      a.kv_heads = shape.kv_heads;
      a.head_dim = shape.head_dim;
      a.context = shape.context;
      specs.push_back(a);
    }
  }
  KernelSpec copy;
  copy.kernel = KERNEL_CLASS_COPY;
  copy.bytes = 1 << 20;
  specs.push_back(copy);
  for (const KernelSpec& s : specs) {
    INFO(s.describe());
    const std::string why = backend->unsupported_reason(s);
    if (!why.empty()) {
      std::cout << "not on this GPU: " << why << "\n";
      continue;
    }
    auto kernel = backend->make_kernel(s);
    const CheckResult r = kernel->check();
    INFO(r.method << ": " << r.detail);
    CHECK(r.ok);
    CHECK(kernel->time_calls(2) > 0);
  }
}
