#include "validate/runner/cpu/attention_kernel.hpp"

#include "validate/runner/core/output_checker.hpp"
#include "validate/runner/core/quant_blocks.hpp"
#include "validate/runner/core/test_data.hpp"
#include "validate/runner/cpu/vec_ops.hpp"

namespace llmsim::bench {

Work decode_attention_work(const AttentionShape& s, double cache_bytes_per_value) {
  const double qd = static_cast<double>(s.heads * s.head_dim);
  const double cache = 2.0 * static_cast<double>(s.context * s.row_stride()) * cache_bytes_per_value;
  // 2 flops per multiply-add in q.K and p.V; softmax's exp/sum counted as 5 per score.
  const double scores = static_cast<double>(s.heads * s.context);
  return Work{4.0 * qd * static_cast<double>(s.context) + 5.0 * scores, cache + qd * 4, qd * 4};
}

AttentionKernel::AttentionKernel(const KernelSpec& spec)
    : shape_{spec.heads, spec.kv_heads == 0 ? spec.heads : spec.kv_heads, spec.head_dim, spec.context},
      f16_(spec.dtype == "f16"),
      threads_(spec.threads),
      q_(static_cast<std::size_t>(spec.heads * spec.head_dim)),
      out_(q_.size()),
      scores_(static_cast<std::size_t>(spec.heads * spec.context)) {
  const std::int64_t cache = shape_.context * shape_.row_stride();
  fill_test_values(q_.data(), static_cast<std::int64_t>(q_.size()), 31, 1.0f, 1);
  if (f16_) {
    k16_ = AlignedBuffer<std::uint16_t>(static_cast<std::size_t>(cache));
    v16_ = AlignedBuffer<std::uint16_t>(static_cast<std::size_t>(cache));
#pragma omp parallel for num_threads(threads_) schedule(static)
    for (std::int64_t i = 0; i < cache; ++i) {
      k16_[i] = float_to_half(test_value(32, i));
      v16_[i] = float_to_half(test_value(33, i));
    }
  } else {
    k32_ = AlignedBuffer<float>(static_cast<std::size_t>(cache));
    v32_ = AlignedBuffer<float>(static_cast<std::size_t>(cache));
    fill_test_values(k32_.data(), cache, 32, 1.0f, threads_);
    fill_test_values(v32_.data(), cache, 33, 1.0f, threads_);
  }
}

Work AttentionKernel::work() const { return decode_attention_work(shape_, f16_ ? 2.0 : 4.0); }

std::string AttentionKernel::implementation() const {
  return std::string(vec_ops().isa) + " two-pass softmax attention, heads over threads, " +
         (f16_ ? "f16" : "f32") + " KV cache";
}

void AttentionKernel::run_once() {
  const void* k = f16_ ? static_cast<const void*>(k16_.data()) : k32_.data();
  const void* v = f16_ ? static_cast<const void*>(v16_.data()) : v32_.data();
  decode_attention(shape_, q_.data(), k, v, f16_, scores_.data(), out_.data(), threads_);
}

CheckResult AttentionKernel::check() {
  run_once();
  const void* k = f16_ ? static_cast<const void*>(k16_.data()) : k32_.data();
  const void* v = f16_ ? static_cast<const void*>(v16_.data()) : v32_.data();
  OutputChecker checker(1e-4);
  const std::int64_t total = shape_.heads * shape_.head_dim;
  const auto indices = sample_indices(total, 1024);
  for (std::int64_t i : indices) {
    double scale = 0;
    const double expected =
        decode_attention_reference(shape_, q_.data(), k, v, f16_, i / shape_.head_dim, i % shape_.head_dim, scale);
    checker.add(i, out_[i], expected, scale);
  }
  return checker.result(sample_method(total, static_cast<std::int64_t>(indices.size())));
}

}  // namespace llmsim::bench
