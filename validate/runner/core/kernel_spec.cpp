#include "validate/runner/core/kernel_spec.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "validate/proto/kernel_class_names.hpp"
#include "validate/runner/core/size_text.hpp"

namespace llmsim::bench {

using measurements::KernelClass;

namespace {

std::string shape_text(const KernelSpec& s, const char* sep) {
  switch (s.kernel) {
    case measurements::KERNEL_CLASS_COPY:
    case measurements::KERNEL_CLASS_TRIAD:
      return fmt::format("bytes={}", format_size(s.bytes));
    case measurements::KERNEL_CLASS_GEMM:
      return fmt::format("m={}{}n={}{}k={}", s.m, sep, s.n, sep, s.k);
    case measurements::KERNEL_CLASS_GEMV:
      return fmt::format("n={}{}k={}{}", s.n, sep, s.k, s.impl.empty() ? "" : fmt::format("{}impl={}", sep, s.impl));
    case measurements::KERNEL_CLASS_ATTENTION_DECODE:
      return fmt::format("heads={}{}kv_heads={}{}head_dim={}{}context={}", s.heads, sep, s.kv_heads, sep,
                         s.head_dim, sep, s.context);
    case measurements::KERNEL_CLASS_RMSNORM:
      return fmt::format("m={}{}n={}", s.m, sep, s.n);
    case measurements::KERNEL_CLASS_SILU:
    case measurements::KERNEL_CLASS_GELU:
      return fmt::format("elements={}", s.elements);
    case measurements::KERNEL_CLASS_DECODE_STEP:
      return fmt::format("model={}{}context={}", s.model, sep, s.context);
    default:
      return "";
  }
}

}  // namespace

std::string kernel_name(const KernelSpec& spec) { return measurements::kernel_class_name(spec.kernel); }

std::string KernelSpec::id(const std::string& backend) const {
  return fmt::format("{}/{}/{}/{}/t={}", backend, kernel_name(*this), dtype, shape_text(*this, ","), threads);
}

std::string KernelSpec::describe() const {
  return fmt::format("{} {} {}{}", kernel_name(*this), dtype, shape_text(*this, " "),
                     threads > 0 ? fmt::format(" threads={}", threads) : "");
}

KernelSpec KernelSpec::small_variant() const {
  KernelSpec s = *this;
  // Block formats need k to be a multiple of 32; everything stays a multiple of 32.
  s.m = std::min<std::int64_t>(m, 7);
  s.n = std::min<std::int64_t>(n, 96);
  s.k = std::min<std::int64_t>(k, 160);
  s.context = std::min<std::int64_t>(context, 37);
  s.elements = std::min<std::int64_t>(elements, 1000);
  s.bytes = std::min<std::int64_t>(bytes, 12288);
  return s;
}

}  // namespace llmsim::bench
