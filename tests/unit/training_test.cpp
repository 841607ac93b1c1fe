// Training-step lowering against sums worked out by hand from the model configs.
#include <catch2/catch.hpp>

#include <map>

#include "common/input_error.hpp"
#include "test_paths.hpp"
#include "workloads/lowering.hpp"
#include "workloads/model_registry.hpp"
#include "workloads/training_lowering.hpp"

using namespace llmsim;
using namespace llmsim::workloads;

namespace {

struct Fixture {
  FormatTable formats = FormatTable::load(test::formats_file());
  ModelRegistry registry{test::models_dir(), test::model_defaults()};

  TrainingOptions options(int64_t batch, int64_t seq) const {
    TrainingOptions o;
    o.micro_batch = batch;
    o.seq_len = seq;
    o.base.flash_attention = true;
    o.base.activation_format = &formats.format("f32");
    o.base.kv_format = &formats.format("f32");
    o.base.dequant_before_gemm = false;
    o.base.gemm_converts_io = false;
    return o;
  }

  TrainingStep lower(const std::string& model_id, const TrainingOptions& o, const std::string& dtype = "f32") const {
    const auto model = registry.load(model_id);
    const ModelWeights w(model, formats, formats.mix(dtype));
    return lower_training_step(model, w, o);
  }
};

double total_flops(const OpGraph& g) {
  double sum = 0;
  for (OpId v = 0; v < g.size(); ++v) sum += g.op(v).flops;
  return sum;
}

const Op& find_op(const OpGraph& g, const std::string& name) {
  for (OpId v = 0; v < g.size(); ++v) {
    if (g.op(v).name == name) return g.op(v);
  }
  FAIL("no op named " << name);
  throw;
}

// GPT-2 small (HF config): 12 layers, d 768, 12 heads of 64, MLP 3072, vocab 50257, 1024
// positions, LM head tied to the token table.
constexpr double kGpt2Parameters = 124'439'808;  // as Hugging Face reports for "gpt2"
// Matrix parameters per layer: c_attn 768x2304 + attn c_proj 768x768 + c_fc 768x3072 +
// mlp c_proj 3072x768.
constexpr double kGpt2LayerMatrix = 768.0 * 2304 + 768.0 * 768 + 768.0 * 3072 + 3072.0 * 768;  // 7,077,888
constexpr double kGpt2LmHead = 768.0 * 50257;

// Batch 4 x 128 tokens: each causal sequence has 128 x 129 / 2 query-key pairs; a flash
// kernel does 4 FLOPs per pair per head dimension (QK^T and PV).
constexpr double kTokens = 4 * 128;
constexpr double kAttentionPerLayer = 4.0 * 12 * 64 * (4 * 128.0 * 129 / 2);

}  // namespace

TEST_CASE("a dense model's training FLOPs are about 6 x parameters x tokens", "[workloads][training]") {
  Fixture f;
  const auto step = f.lower("gpt2", f.options(4, 128));
  CHECK(step.parameters == kGpt2Parameters);
  CHECK(step.tokens == kTokens);
  // Forward: 2 FLOPs per matrix parameter per token, plus attention; backward twice that.
  const double forward = 2 * kTokens * (12 * kGpt2LayerMatrix + kGpt2LmHead) + 12 * kAttentionPerLayer;
  CHECK(step.model_flops == Approx(3 * forward).epsilon(1e-12));
  // The rule of thumb holds within a percent at this short sequence.
  CHECK(step.model_flops == Approx(6 * kGpt2Parameters * kTokens).epsilon(0.01));
  // Every matmul's backward is a dgrad and a wgrad GEMM with the forward's FLOPs each.
  const auto& fwd = find_op(step.graph, "L0.ffn_up");
  CHECK(find_op(step.graph, "L0.ffn_up.dgrad").flops == fwd.flops);
  CHECK(find_op(step.graph, "L0.ffn_up.wgrad").flops == fwd.flops);
  CHECK(fwd.flops == 2 * kTokens * 768 * 3072);
}

TEST_CASE("AdamW keeps two fp32 moments per parameter and touches every state once", "[workloads][training]") {
  Fixture f;
  const auto step = f.lower("gpt2", f.options(4, 128));
  CHECK(step.optimizer_bytes == 2 * kGpt2Parameters * 4);
  CHECK(step.grads_bytes == kGpt2Parameters * 4);
  CHECK(step.weights_bytes == kGpt2Parameters * 4);
  const auto& adamw = find_op(step.graph, "adamw");
  // Reads weight, grad, m and v (16 bytes); writes weight, m and v (12 bytes).
  CHECK(adamw.act_read_bytes == 16 * kGpt2Parameters);
  CHECK(adamw.act_write_bytes == 12 * kGpt2Parameters);

  SECTION("AMP keeps an fp32 master copy next to the half casts") {
    auto o = f.options(4, 128);
    o.precision = "amp-bf16";
    const auto amp = f.lower("gpt2", o);
    CHECK(amp.optimizer_bytes == 8 * kGpt2Parameters);
    CHECK(amp.cast_bytes == 2 * kGpt2Parameters);
  }
  SECTION("pure bf16 halves everything, moments included") {
    auto o = f.options(4, 128);
    o.precision = "bf16";
    const auto bf16 = f.lower("gpt2", o, "bf16");
    CHECK(bf16.optimizer_bytes == 4 * kGpt2Parameters);
    CHECK(bf16.weights_bytes == 2 * kGpt2Parameters);
    CHECK(bf16.grads_bytes == 2 * kGpt2Parameters);
  }
  SECTION("Megatron mixed precision: bf16 weights, fp32 main copy, grads and moments, no casts") {
    auto o = f.options(4, 128);
    o.precision = "mixed-bf16";
    const auto mixed = f.lower("gpt2", o, "bf16");
    CHECK(mixed.weights_bytes == (2 + 4) * kGpt2Parameters);  // 18 bytes a parameter with the rest
    CHECK(mixed.grads_bytes == 4 * kGpt2Parameters);
    CHECK(mixed.optimizer_bytes == 8 * kGpt2Parameters);
    CHECK(mixed.cast_bytes == 0);
  }
}

TEST_CASE("FP8 training runs the layers' linear GEMMs in fp8 and keeps the LM head and attention in bf16",
          "[workloads][training]") {
  Fixture f;
  auto o = f.options(4, 128);
  o.precision = "fp8";
  const auto step = f.lower("gpt2", o, "bf16");
  CHECK(step.weights_bytes + step.grads_bytes + step.optimizer_bytes == 18 * kGpt2Parameters);
  for (const char* name : {"L0.ffn_up", "L0.ffn_up.dgrad", "L0.ffn_up.wgrad", "L11.attn_qkv"}) {
    INFO(name);
    CHECK(find_op(step.graph, name).weight_family == "float8");
  }
  // The dgrad GEMM reads the fp8 weight copy: one byte per weight (768 x 3072 for ffn_up).
  CHECK(find_op(step.graph, "L0.ffn_up.dgrad").weight_bytes == 768.0 * 3072);
  CHECK(find_op(step.graph, "lm_head").weight_family == "bfloat16");
  CHECK(find_op(step.graph, "L0.attention").operand_family == "bfloat16");
  CHECK(precision_bytes("fp8").fp8_gemms());
  CHECK_FALSE(precision_bytes("mixed-bf16").fp8_gemms());
}

TEST_CASE("saved activations are the tensors the backward reads, each counted once", "[workloads][training]") {
  Fixture f;
  const auto plain = f.lower("gpt2", f.options(2, 64));
  // B = one hidden state, 128 tokens x 768 f32. Per layer the backward reads: the first norm's
  // input (B) and output (B, the qkv GEMM's input), the qkv output (3B, flash attention's q, k
  // and v), the attention output (B), the second norm's input and output (2B), the up GEMM's
  // output (4B, the GELU's input) and the GELU's output (4B, the down GEMM's input): 16B. The
  // residual adds read nothing back. After the stack: the final norm's input and output (2B)
  // and the 128 x 50257 f32 logits L; the working set is the LM head's B + L.
  const double b = 128 * 768 * 4.0, logits = 128 * 50257 * 4.0;
  CHECK(plain.saved_activations == Approx(12 * 16 * b + 2 * b + logits + (b + logits)).epsilon(1e-12));
  // FP8: a tensor only fp8 GEMMs read is kept as its one-byte copy: per layer the two norm
  // outputs (B' each, B' = 128 x 768 bf16) and the GELU output (4B') are kept at half size,
  // 3B' less; the LM head stays bf16, so the final norm's output does not shrink.
  auto o = f.options(2, 64);
  o.base.activation_format = o.base.kv_format = &f.formats.format("bf16");
  o.precision = "mixed-bf16";
  const auto bf16 = f.lower("gpt2", o, "bf16");
  o.precision = "fp8";
  const auto fp8 = f.lower("gpt2", o, "bf16");
  const double b_half = 128 * 768 * 2.0;
  CHECK(bf16.saved_activations - fp8.saved_activations == Approx(12 * 3 * b_half).epsilon(1e-12));
}

TEST_CASE("activation checkpointing trades one more forward for less saved memory", "[workloads][training]") {
  Fixture f;
  const auto plain = f.lower("gpt2", f.options(4, 128));
  auto o = f.options(4, 128);
  o.checkpointing = Checkpointing::full;
  const auto ckpt = f.lower("gpt2", o);
  // The layers' forward runs again: their matrices and attention, not the LM head.
  const double layers_forward = 2 * kTokens * 12 * kGpt2LayerMatrix + 12 * kAttentionPerLayer;
  CHECK(total_flops(ckpt.graph) - total_flops(plain.graph) == Approx(layers_forward).epsilon(1e-12));
  // The work the model needs is unchanged; MFU does not count the recomputation.
  CHECK(ckpt.model_flops == plain.model_flops);
  // Kept: 12 layer inputs of 512 x 768 f32 values, the layer being recomputed, and the
  // largest op's working set - here the 512 x 50257 f32 logits, which dominate what is left.
  const double layer_inputs = 12 * kTokens * 768 * 4;
  const double logits = kTokens * 50257 * 4;
  CHECK(ckpt.saved_activations > layer_inputs + logits);
  CHECK(ckpt.saved_activations < plain.saved_activations / 3);
}

TEST_CASE("selective checkpointing recomputes only the core attention and keeps no score matrix",
          "[workloads][training]") {
  Fixture f;
  auto o = f.options(4, 128);
  o.base.flash_attention = false;  // unfused: the score matrix is what selective recomputation saves
  const auto plain = f.lower("gpt2", o);
  o.checkpointing = Checkpointing::selective;
  const auto selective = f.lower("gpt2", o);
  // One more attention forward per layer, no matrix recomputed. Unfused attention computes the
  // whole 128 x 128 score square (the causal mask is applied, not skipped): 4 FLOPs per score
  // and head dim (QK^T and PV, a multiply-add each).
  const double unfused_attention = 4.0 * 12 * 64 * (4 * 128.0 * 128);
  CHECK(total_flops(selective.graph) - total_flops(plain.graph) == Approx(12 * unfused_attention).epsilon(1e-12));
  CHECK(selective.model_flops == plain.model_flops);
  // Not kept: each layer's 4 x 12 heads x 128 x 128 f32 softmax probabilities.
  const double probabilities = 12 * 4.0 * 12 * 128 * 128 * 4;
  CHECK(plain.saved_activations - selective.saved_activations == Approx(probabilities).epsilon(1e-12));
  CHECK(find_op(selective.graph, "L0.attention.recompute").flops == Approx(unfused_attention).epsilon(1e-12));
  CHECK(checkpointing_named("true") == Checkpointing::full);
  CHECK(checkpointing_named("selective") == Checkpointing::selective);
  CHECK_FALSE(checkpointing_named("attention"));
}

TEST_CASE("data-parallel ranks all-reduce every gradient once, in buckets", "[workloads][training]") {
  Fixture f;
  auto o = f.options(2, 64);
  o.dp = 4;
  const auto step = f.lower("gpt2", o);
  double reduced = 0;
  int buckets = 0;
  for (OpId v = 0; v < step.graph.size(); ++v) {
    const auto& op = step.graph.op(v);
    if (op.collective != Collective::all_reduce) continue;
    reduced += op.comm_bytes;
    ++buckets;
    CHECK(op.ranks.size() == 4);
  }
  CHECK(reduced == Approx(kGpt2Parameters * 4).epsilon(1e-12));
  // A bucket closes once it holds 25 MB, in backward order: the 154 MB LM-head (token table)
  // gradient alone; then each layer's 28.3 MB of matrices (with the norms before them) closes
  // one; layer 0's first norm and the position table start a last one: 1 + 12 + 1.
  CHECK(buckets == 14);
  CHECK(step.tokens == 4 * 2 * 64);
}

TEST_CASE("a Mamba-2 SSD op's FLOPs and bytes follow its sizes", "[workloads][training][recurrent]") {
  Fixture f;
  const auto model = f.registry.load("hybrid-rwkv6-mamba2-3.8m");
  const ModelWeights w(model, f.formats, f.formats.mix("f32"));
  LoweringOptions o = f.options(2, 256).base;
  o.batch = 2;
  o.new_tokens = 256;
  const OpGraph g = lower_step(model, w, o);
  // d 256, expand 2: inner 512, 8 heads of 64, state 64, one group, chunk 256 (= the sequence).
  const double tokens = 2 * 256, heads = 8, headdim = 64, state = 64, chunk = 256, inner = 512;
  const auto& ssd = find_op(g, "L1.ssd");
  // Within a chunk C B^T (chunk x state) and its product with x (chunk x headdim), plus the
  // state's update and read-out (2 x headdim x state) per token and head.
  CHECK(ssd.flops == 2 * tokens * heads * (chunk * (state + headdim) + 2 * headdim * state));
  CHECK(ssd.flops == 335'544'320.0);
  // Reads x, B, C and dt (f32); writes y.
  CHECK(ssd.act_read_bytes == tokens * (inner + 2 * state + heads) * 4);
  CHECK(ssd.act_write_bytes == tokens * inner * 4);
  // The f32 state of each sequence and head: headdim x state.
  CHECK(ssd.kv_read_bytes == 2 * heads * headdim * state * 4);

  SECTION("the RWKV-6 WKV recurrence updates a head_size^2 state per head and token") {
    const auto& wkv = find_op(g, "L1.wkv");
    CHECK(wkv.vector_ops == tokens * 256 * 64 * 4);
    CHECK(wkv.kv_read_bytes == 2 * 4 * 64 * 64 * 4);
    // A per-token loop: 8 kernels per token unless the scenario says otherwise.
    CHECK(wkv.kernels == 256 * 8);
  }
  SECTION("its backward does twice the forward's work") {
    auto t = f.options(2, 256);
    const auto step = lower_training_step(model, w, t);
    CHECK(find_op(step.graph, "L1.ssd.bwd").flops == 2 * ssd.flops);
  }
}

TEST_CASE("bad training input is refused with the field named", "[workloads][training][errors]") {
  Fixture f;
  SECTION("batch 0") {
    CHECK_THROWS_WITH(f.lower("gpt2", f.options(0, 128)), Catch::Contains("batch") && Catch::Contains("at least 1"));
  }
  SECTION("a sequence longer than the model's positions") {
    CHECK_THROWS_WITH(f.lower("gpt2", f.options(1, 2048)), Catch::Contains("seq_len") && Catch::Contains("1024"));
  }
  SECTION("an unknown precision") {
    auto o = f.options(1, 128);
    o.precision = "fp4";  // FP4 training is not modelled
    CHECK_THROWS_AS(f.lower("gpt2", o), InputError);
  }
  SECTION("an unknown block type in a model file") {
    const auto path = test::write_temp("bad_block.json", R"({
      "architectures": ["LlmsimRecurrentForCausalLM"], "model_type": "llmsim_recurrent",
      "hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 65, "max_position_embeddings": 128,
      "layer_types": ["rwkv6", "rwkv7"],
      "rwkv": {"head_size": 64}, "mamba": {"d_state": 16}})");
    CHECK_THROWS_WITH(f.registry.load(path), Catch::Contains("unknown block type 'rwkv7'"));
  }
}
