#include <catch2/catch.hpp>

#include <map>

#include "hwmodels/software_profile.hpp"
#include "lowering_fixture.hpp"
#include "test_paths.hpp"
#include "workloads/lowering.hpp"
#include "workloads/memory_footprint.hpp"
#include "workloads/model_registry.hpp"

using namespace llmsim;
using namespace llmsim::workloads;

namespace {

using Fixture = test::LoweringFixture;

std::map<std::string, OpId> by_name(const OpGraph& g) {
  std::map<std::string, OpId> out;
  for (OpId v = 0; v < g.size(); ++v) out[g.op(v).name] = v;
  return out;
}

}  // namespace

TEST_CASE("a decode step multiplies every matrix parameter once", "[workloads][lowering]") {
  Fixture f;
  const auto model = f.registry.load("llama-3-8b");
  const ModelWeights w(model, f.formats, f.formats.mix("f16"));
  const OpGraph g = lower_step(model, w, f.options(1, 1, 0));
  double matmul_flops = 0;
  double attention_flops = 0;
  for (OpId v = 0; v < g.size(); ++v) {
    if (g.op(v).kind == OpKind::matmul) matmul_flops += g.op(v).flops;
    if (g.op(v).kind == OpKind::attention) attention_flops += g.op(v).flops;
  }
  // 8,030,261,248 parameters less the embedding table (128256 x 4096) and the norm vectors (65 x 4096).
  CHECK(matmul_flops == 2.0 * 7'504'658'432.0);
  // One query against one key: 4 x heads x head_dim per layer.
  CHECK(attention_flops == 4.0 * 32 * 128 * 1 * 32);
  // 15 logical ops per layer plus embedding, final norm, LM head and sampling.
  CHECK(g.size() == 32 * 15 + 4);
  // Every weight is read once except the embedding table, of which one row is gathered.
  const double table = w.get("token_embd", -1).bytes();
  CHECK(g.total_weight_bytes() == Approx(w.bytes() - table + 4096 * 2));
}

TEST_CASE("KV-cache reads grow with context", "[workloads][lowering]") {
  Fixture f;
  const auto model = f.registry.load("llama-3-8b");
  const ModelWeights w(model, f.formats, f.formats.mix("f16"));
  auto kv_read = [&](int64_t past) {
    const OpGraph g = lower_step(model, w, f.options(1, 1, past));
    double sum = 0;
    for (OpId v = 0; v < g.size(); ++v) sum += g.op(v).kv_read_bytes;
    return sum;
  };
  // 1024 cached tokens x 8 KV heads x 128 dims x (K and V) x 2 bytes, in 32 layers.
  CHECK(kv_read(1023) == 32.0 * 1024 * 1024 * 2 * 2);
  CHECK(kv_read(2047) == 2 * kv_read(1023));
  CHECK(kv_cache_bytes(model, 1, 1024, f.formats.format("f16")) == 32.0 * 1024 * 1024 * 2 * 2);
}

TEST_CASE("sliding-window layers read only their window", "[workloads][lowering]") {
  Fixture f;
  const auto model = f.registry.load("gemma-3-27b");
  const ModelWeights w(model, f.formats, f.formats.mix("q8_0"));
  const OpGraph g = lower_step(model, w, f.options(1, 1, 5000));
  const auto ops = by_name(g);
  const double per_token = 16.0 * 128 * 2 * 2;  // KV heads x head_dim x (K, V) x f16
  CHECK(g.op(ops.at("L0.attention")).kv_read_bytes == 1024 * per_token);
  CHECK(g.op(ops.at("L5.attention")).kv_read_bytes == 5001 * per_token);
}

TEST_CASE("the graph is a DAG in topological order with the architecture's dataflow", "[workloads][lowering]") {
  Fixture f;
  const auto model = f.registry.load("gpt-j-6b");
  const ModelWeights w(model, f.formats, f.formats.mix("f16"));
  const OpGraph g = lower_step(model, w, f.options(2, 16, 0));
  for (OpId v = 0; v < g.size(); ++v)
    for (OpId input : g.inputs(v)) CHECK(input < v);
  const auto ops = by_name(g);
  // GPT-J runs attention and MLP side by side from the same layernorm output.
  CHECK(g.inputs(ops.at("L0.ffn_up")) == std::vector<OpId>{ops.at("L0.attn_norm")});
  CHECK(g.inputs(ops.at("L0.residual")).size() == 3);
}

TEST_CASE("MoE decode reads only the experts its tokens pick", "[workloads][lowering]") {
  Fixture f;
  const auto model = f.registry.load("mixtral-8x7b");
  const ModelWeights w(model, f.formats, f.formats.mix("f16"));
  const OpGraph g = lower_step(model, w, f.options(1, 1, 0));
  const auto ops = by_name(g);
  CHECK(g.op(ops.at("L0.ffn_gate")).weight_elements == Approx(2.0 * 14336 * 4096));
  CHECK(expected_distinct_experts(1, 2, 8) == Approx(2.0));
  CHECK(expected_distinct_experts(1000, 2, 8) == Approx(8.0));
}

TEST_CASE("causal attention work counts each query's visible keys", "[workloads][lowering]") {
  CHECK(attended_keys(4, 0, 0) == 10);   // 1 + 2 + 3 + 4
  CHECK(attended_keys(3, 10, 0) == 36);  // 11 + 12 + 13
  CHECK(attended_keys(4, 2, 4) == 15);   // 3 + 4 + 4 + 4
  CHECK(attended_keys(2, 100, 8) == 16); // window-limited
}

TEST_CASE("quantised GEMMs on the cuBLAS path expand weights first", "[workloads][lowering]") {
  Fixture f;
  const auto model = f.registry.load("llama-3-8b");
  const ModelWeights w(model, f.formats, f.formats.mix("q4_k_m"));
  auto options = f.options(1, 512, 0);
  options.dequant_before_gemm = true;
  options.gemv_max_m = 8;
  const OpGraph g = lower_step(model, w, options);
  const auto ops = by_name(g);
  const Op& dq = g.op(ops.at("L0.attn_q.dequant"));
  CHECK(dq.act_write_bytes == 4096.0 * 4096 * 2);
  CHECK(dq.weight_bytes == 4096.0 * 4096 * 4.5 / 8);  // q4_k blocks
  const Op& gemm = g.op(ops.at("L0.attn_q"));
  CHECK(gemm.weight_bytes == 4096.0 * 4096 * 2);
  CHECK(gemm.reads_expanded_weights);
  // The decode step (M = 1) uses the GEMV kernels and needs no expansion.
  const OpGraph decode = lower_step(model, w, [&] { auto o = options; o.new_tokens = 1; return o; }());
  CHECK(by_name(decode).count("L0.attn_q.dequant") == 0);
}

TEST_CASE("quantised matmuls up to the in-kernel limit read their packed blocks (MMQ)", "[workloads][lowering]") {
  Fixture f;
  const auto model = f.registry.load("llama-3-8b");
  const ModelWeights w(model, f.formats, f.formats.mix("q4_k_m"));
  auto options = f.options(16, 1, 128);  // a decode step of 16 sequences: M = 16, above the GEMV limit
  options.dequant_before_gemm = true;
  options.gemm_converts_io = true;
  options.gemv_max_m = 8;
  options.quantised_kernel_max_m = 32;
  const OpGraph mmq = lower_step(model, w, options);
  const auto ops = by_name(mmq);
  CHECK(ops.count("L0.attn_q.dequant") == 0);
  const Op& q = mmq.op(ops.at("L0.attn_q"));
  CHECK(q.weight_bytes == 4096.0 * 4096 * 4.5 / 8);  // the q4_k blocks, read once
  CHECK_FALSE(q.reads_expanded_weights);
  CHECK(q.kernels == 1);  // no f16 conversion kernels around it
  CHECK(q.kernel_path == KernelPath::quantised_unpack);  // costed like a GEMV (dp4a on the vector units)
  // M = 64 is past the limit: dequantise + cuBLAS with its two conversions, as before.
  options.batch = 64;
  const OpGraph cublas = lower_step(model, w, options);
  const auto ops64 = by_name(cublas);
  REQUIRE(ops64.count("L0.attn_q.dequant") == 1);
  const Op& q64 = cublas.op(ops64.at("L0.attn_q"));
  CHECK(q64.weight_bytes == 4096.0 * 4096 * 2);
  CHECK(q64.kernels == 3);
  CHECK(q64.kernel_path == KernelPath::dequantise_first);
  // The rule itself, with a GEMV limit of 8, in-kernel unpacking to 32 and dequantisation past it.
  const KernelPathRule rule{8, 32, true};
  CHECK(choose_kernel_path(rule, 8, "ggml") == KernelPath::vector);
  CHECK(choose_kernel_path(rule, 9, "ggml") == KernelPath::quantised_unpack);
  CHECK(choose_kernel_path(rule, 33, "int4") == KernelPath::dequantise_first);
  CHECK(choose_kernel_path(rule, 33, "bfloat16") == KernelPath::matrix);
  CHECK(choose_kernel_path({8, 32, false}, 33, "int8") == KernelPath::matrix);  // int8 tensor cores
  CHECK(on_matrix_units(KernelPath::dequantise_first));
  CHECK_FALSE(on_matrix_units(KernelPath::quantised_unpack));
}

TEST_CASE("kernel counts per op follow the model's norm and activation where the profile says", "[workloads][lowering]") {
  Fixture f;
  auto options = f.options(1, 1, 16);
  options.kernels_per_op = {{"norm", 7}, {"norm.layer", 1}, {"ffn_act", 2}, {"ffn_act.gelu_new", 8}};
  // GPT-2: LayerNorm and gelu_new take their specific counts.
  const auto gpt2 = f.registry.load("gpt2");
  const OpGraph g = lower_step(gpt2, ModelWeights(gpt2, f.formats, f.formats.mix("f32")), options);
  const auto ops = by_name(g);
  CHECK(g.op(ops.at("L0.attn_norm")).kernels == 1);
  CHECK(g.op(ops.at("L0.ffn_act")).kernels == 8);
  // Llama: RMSNorm and SiLU have no specific entry and take the generic ones.
  const auto llama = f.registry.load("llama-3-8b");
  const OpGraph l = lower_step(llama, ModelWeights(llama, f.formats, f.formats.mix("f16")), options);
  const auto lops = by_name(l);
  CHECK(l.op(lops.at("L0.attn_norm")).kernels == 7);
  CHECK(l.op(lops.at("L0.ffn_act")).kernels == 2);
}

TEST_CASE("activations and softmax count their transcendental evaluations", "[workloads][lowering]") {
  Fixture f;
  CHECK(activation_transcendental("silu") == "exp");
  CHECK(activation_transcendental("swish") == "exp");
  CHECK(activation_transcendental("gelu_new") == "tanh");
  CHECK(activation_transcendental("gelu_pytorch_tanh") == "tanh");
  CHECK(activation_transcendental("gelu") == "erf");
  CHECK(activation_transcendental("relu").empty());

  // Llama 3 8B, one token after 99 cached: SiLU over 14336 gate values per layer; softmax
  // over 32 heads x 100 keys.
  const auto llama = f.registry.load("llama-3-8b");
  const ModelWeights lw(llama, f.formats, f.formats.mix("f16"));
  const OpGraph lg = lower_step(llama, lw, f.options(1, 1, 99));
  const auto ln = by_name(lg);
  CHECK(lg.op(ln.at("L0.ffn_act")).transcendentals == 14336.0);
  CHECK(lg.op(ln.at("L0.ffn_act")).transcendental_fn == "exp");
  CHECK(lg.op(ln.at("L0.attention")).transcendentals == 32.0 * 100);
  CHECK(lg.op(ln.at("L0.attention")).transcendental_fn == "exp");
  CHECK(lg.op(ln.at("L0.attn_norm")).transcendentals == 0);

  // GPT-2 (gelu_new), batch 2: tanh over 3072 values per token.
  const auto gpt2 = f.registry.load("gpt2");
  const ModelWeights gw(gpt2, f.formats, f.formats.mix("f32"));
  const OpGraph gg = lower_step(gpt2, gw, f.options(2, 1, 0));
  const auto gn = by_name(gg);
  CHECK(gg.op(gn.at("L0.ffn_act")).transcendentals == 2.0 * 3072);
  CHECK(gg.op(gn.at("L0.ffn_act")).transcendental_fn == "tanh");
}

TEST_CASE("every op the lowering makes takes its kernel count from a key profiles may name", "[workloads][lowering]") {
  // kernels_per_op keys are checked against hwmodels::kernel_op_keys() when a profile loads;
  // that list must cover what the lowering asks for. With every listed key (and the variants
  // the lowering looks up) set to 7, an op still at the default of one kernel used a key the
  // list lacks, which a profile could then not set.
  Fixture f;
  for (const char* id : {"gpt2", "llama-3-8b", "qwen3-30b-a3b", "deepseek-v2-lite", "gemma-3-4b", "mamba-130m",
                         "rwkv-4-169m", "hybrid-rwkv6-mamba2-3.8m", "qwen3-next-80b-a3b", "llama-3.2-11b-vision"}) {
    const auto model = f.registry.load(id);
    const ModelWeights w(model, f.formats, f.formats.mix("q8_0"));
    auto o = f.options(2, 3, 16);
    for (const auto& key : llmsim::hwmodels::kernel_op_keys()) o.kernels_per_op[key] = 7;
    for (const char* family : {"float32", "float16", "bfloat16", "fp8", "fp4", "int8", "int4", "ggml"}) {
      o.kernels_per_op[std::string("matmul.") + family] = 7;
    }
    o.kernels_per_op["norm.layer"] = o.kernels_per_op["norm.rms"] = 7;
    o.kernels_per_op["ffn_act." + model.activation] = 7;
    const OpGraph g = lower_step(model, w, o);
    for (OpId v = 0; v < g.size(); ++v) {
      INFO(id << ": " << g.op(v).name);
      CHECK(g.op(v).kernels % 7 == 0);
    }
  }
}
