#include "validate/runner/cpu/transformer_step.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "validate/runner/core/test_data.hpp"
#include "validate/runner/cpu/attention_kernel.hpp"
#include "validate/runner/cpu/decode_attention.hpp"
#include "validate/runner/cpu/elementwise_math.hpp"

namespace llmsim::bench {

namespace {

AlignedBuffer<float> vector_of(std::int64_t n, std::uint64_t seed, float scale, float offset) {
  AlignedBuffer<float> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v[i] = offset + scale * test_value(seed, i);
  return v;
}

StepOp step_op(std::string name, std::string kind, std::string group, int layer, std::string dtype) {
  StepOp op;
  op.name = std::move(name);
  op.kind = std::move(kind);
  op.group = std::move(group);
  op.layer = layer;
  op.dtype = std::move(dtype);
  return op;
}

}  // namespace

TransformerStep::TransformerStep(TransformerConfig config, std::string weight_format, std::int64_t past_tokens,
                                 int threads)
    : config_(std::move(config)), format_(std::move(weight_format)), past_(past_tokens), threads_(threads) {
  const std::int64_t h = config_.hidden, f = config_.ffn(), ctx = past_ + 1;
  // Weights uniform in +-1/sqrt(fan_in) keep activations O(1) through the layers.
  const float in_h = 1.0f / std::sqrt(static_cast<float>(h)), in_f = 1.0f / std::sqrt(static_cast<float>(f));
  token_ = 1234 % config_.vocab;
  wte_ = std::make_unique<WeightMatrix>(format_, config_.vocab, h, 1000, 1.0f, threads_);
  wpe_ = vector_of(static_cast<std::int64_t>(config_.positions) * h, 1001, 0.1f, 0.0f);
  lnf_g_ = vector_of(h, 1002, 0.1f, 1.0f);
  lnf_b_ = vector_of(h, 1003, 0.1f, 0.0f);
  for (int l = 0; l < config_.layers; ++l) {
    const std::uint64_t s = 2000 + 32 * static_cast<std::uint64_t>(l);
    Layer layer;
    layer.ln1_g = vector_of(h, s + 0, 0.1f, 1.0f);
    layer.ln1_b = vector_of(h, s + 1, 0.1f, 0.0f);
    layer.ln2_g = vector_of(h, s + 2, 0.1f, 1.0f);
    layer.ln2_b = vector_of(h, s + 3, 0.1f, 0.0f);
    layer.b_qkv = vector_of(3 * h, s + 4, 0.02f, 0.0f);
    layer.b_o = vector_of(h, s + 5, 0.02f, 0.0f);
    layer.b_up = vector_of(f, s + 6, 0.02f, 0.0f);
    layer.b_down = vector_of(h, s + 7, 0.02f, 0.0f);
    layer.qkv = std::make_unique<WeightMatrix>(format_, 3 * h, h, s + 8, in_h, threads_);
    layer.o = std::make_unique<WeightMatrix>(format_, h, h, s + 9, in_h, threads_);
    layer.up = std::make_unique<WeightMatrix>(format_, f, h, s + 10, in_h, threads_);
    layer.down = std::make_unique<WeightMatrix>(format_, h, f, s + 11, in_f, threads_);
    layer.k_cache = AlignedBuffer<float>(static_cast<std::size_t>(ctx * h));
    layer.v_cache = AlignedBuffer<float>(static_cast<std::size_t>(ctx * h));
    fill_test_values(layer.k_cache.data(), ctx * h, s + 12, 1.0f, threads_);
    fill_test_values(layer.v_cache.data(), ctx * h, s + 13, 1.0f, threads_);
    layers_.push_back(std::move(layer));
  }
  x_ = AlignedBuffer<float>(static_cast<std::size_t>(h));
  xn_ = AlignedBuffer<float>(static_cast<std::size_t>(h));
  qkv_ = AlignedBuffer<float>(static_cast<std::size_t>(3 * h));
  attn_ = AlignedBuffer<float>(static_cast<std::size_t>(h));
  proj_ = AlignedBuffer<float>(static_cast<std::size_t>(h));
  up_ = AlignedBuffer<float>(static_cast<std::size_t>(f));
  act_ = AlignedBuffer<float>(static_cast<std::size_t>(f));
  logits_ = AlignedBuffer<float>(static_cast<std::size_t>(config_.vocab));
  scores_ = AlignedBuffer<float>(static_cast<std::size_t>(config_.heads * ctx));
  build_ops();
}

void TransformerStep::append_op(StepOp op, std::function<void()> action) {
  ops_.push_back(std::move(op));
  actions_.push_back(std::move(action));
}

Work TransformerStep::norm_work() const {
  const double h = config_.hidden;
  return Work{7 * h, 3 * h * 4, h * 4};
}

void TransformerStep::add_matmul(const std::string& name, const std::string& group, int layer, WeightMatrix& w,
                                 const float* bias, const float* x, float* y) {
  StepOp op = step_op(name, "matmul", group, layer, format_);
  op.m = 1;
  op.n = w.rows();
  op.k = w.cols();
  const double n = static_cast<double>(w.rows()), k = static_cast<double>(w.cols());
  op.work = Work{2 * n * k + (bias ? n : 0), w.bytes() + (bias ? 4 * n : 0) + w.activation_bytes(), 4 * n};
  const int threads = threads_;
  const std::int64_t rows = w.rows();
  append_op(op, [&w, bias, x, y, threads, rows] {
    w.gemv(x, y, threads);
    if (bias) add(y, bias, y, rows);
  });
}

void TransformerStep::build_ops() {
  const std::int64_t h = config_.hidden, f = config_.ffn(), pos = past_;
  const double hd = static_cast<double>(h);
  const float eps = config_.eps;
  {
    StepOp op = step_op("embedding", "embedding", "embedding", -1, format_);
    op.elements = h;
    op.work = Work{hd, wte_->bytes() / config_.vocab + 4 * hd, 4 * hd};
    append_op(op, [this, h, pos] {
      wte_->dequantize_row(token_, x_.data());
      add(x_.data(), wpe_.data() + pos * h, x_.data(), h);
    });
  }
  for (int l = 0; l < config_.layers; ++l) {
    Layer& L = layers_[static_cast<std::size_t>(l)];
    auto name = [l](const char* what) { return fmt::format("L{}.{}", l, what); };
    StepOp norm1 = step_op(name("attn_norm"), "norm", "norm", l, "f32");
    norm1.elements = h;
    norm1.work = norm_work();
    append_op(norm1, [this, &L, h, eps] { layer_norm(x_.data(), L.ln1_g.data(), L.ln1_b.data(), xn_.data(), h, eps); });
    add_matmul(name("attn_qkv"), "attention", l, *L.qkv, L.b_qkv.data(), xn_.data(), qkv_.data());
    StepOp store = step_op(name("kv_store"), "kv_store", "attention", l, "f32");
    store.elements = 2 * h;
    store.work = Work{0, 8 * hd, 8 * hd};
    append_op(store, [this, &L, h, pos] {
      std::memcpy(L.k_cache.data() + pos * h, qkv_.data() + h, static_cast<std::size_t>(h) * sizeof(float));
      std::memcpy(L.v_cache.data() + pos * h, qkv_.data() + 2 * h, static_cast<std::size_t>(h) * sizeof(float));
    });
    const AttentionShape shape{config_.heads, config_.heads, config_.head_dim(), pos + 1};
    StepOp attention = step_op(name("attention"), "attention", "attention", l, "f32");
    attention.heads = shape.heads;
    attention.head_dim = shape.head_dim;
    attention.context = shape.context;
    attention.work = decode_attention_work(shape, 4.0);
    append_op(attention, [this, &L, shape] {
      decode_attention(shape, qkv_.data(), L.k_cache.data(), L.v_cache.data(), false, scores_.data(), attn_.data(),
                       threads_);
    });
    add_matmul(name("attn_output"), "attention", l, *L.o, L.b_o.data(), attn_.data(), proj_.data());
    StepOp res1 = step_op(name("attn_residual"), "elementwise", "other", l, "f32");
    res1.elements = h;
    res1.work = Work{hd, 8 * hd, 4 * hd};
    append_op(res1, [this, h] { add(x_.data(), proj_.data(), x_.data(), h); });
    StepOp norm2 = step_op(name("ffn_norm"), "norm", "norm", l, "f32");
    norm2.elements = h;
    norm2.work = norm_work();
    append_op(norm2, [this, &L, h, eps] { layer_norm(x_.data(), L.ln2_g.data(), L.ln2_b.data(), xn_.data(), h, eps); });
    add_matmul(name("ffn_up"), "mlp", l, *L.up, L.b_up.data(), xn_.data(), up_.data());
    StepOp act = step_op(name("ffn_act"), "elementwise", "mlp", l, "f32");
    act.elements = f;
    act.work = Work{8.0 * static_cast<double>(f), 4.0 * static_cast<double>(f), 4.0 * static_cast<double>(f)};
    append_op(act, [this, f] { gelu_tanh(up_.data(), act_.data(), f, 1); });
    add_matmul(name("ffn_down"), "mlp", l, *L.down, L.b_down.data(), act_.data(), proj_.data());
    StepOp res2 = step_op(name("ffn_residual"), "elementwise", "other", l, "f32");
    res2.elements = h;
    res2.work = Work{hd, 8 * hd, 4 * hd};
    append_op(res2, [this, h] { add(x_.data(), proj_.data(), x_.data(), h); });
  }
  StepOp normf = step_op("output_norm", "norm", "norm", -1, "f32");
  normf.elements = h;
  normf.work = norm_work();
  append_op(normf, [this, h, eps] { layer_norm(x_.data(), lnf_g_.data(), lnf_b_.data(), xn_.data(), h, eps); });
  add_matmul("lm_head", "lm_head", -1, *wte_, nullptr, xn_.data(), logits_.data());
  StepOp sampling = step_op("sampling", "sampling", "other", -1, "f32");
  const double vocab = config_.vocab;
  sampling.elements = config_.vocab;
  sampling.work = Work{vocab, 4 * vocab, 4};
  append_op(sampling, [this] {
    next_token_ = static_cast<int>(std::max_element(logits_.data(), logits_.data() + config_.vocab) - logits_.data());
  });
}

void TransformerStep::run(std::vector<double>* op_times) {
  if (!op_times) {
    for (auto& action : actions_) action();
    return;
  }
  op_times->assign(actions_.size(), 0.0);
  auto last = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < actions_.size(); ++i) {
    actions_[i]();
    const auto now = std::chrono::steady_clock::now();
    (*op_times)[i] = std::chrono::duration<double>(now - last).count();
    last = now;
  }
}

}  // namespace llmsim::bench
