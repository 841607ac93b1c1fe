#include <catch2/catch.hpp>

#include "common/input_error.hpp"
#include "test_paths.hpp"
#include "workloads/model_registry.hpp"
#include "workloads/model_weights.hpp"
#include "workloads/storage_formats.hpp"

using namespace llmsim;
using namespace llmsim::workloads;
using Catch::Matchers::Contains;

namespace {
constexpr double kGiB = 1073741824.0;

ModelConfig load_model(const std::string& id) {
  return ModelRegistry(test::models_dir(), test::model_defaults()).load(id);
}
}  // namespace

TEST_CASE("storage formats cost what their ggml blocks cost", "[workloads][formats]") {
  const auto t = FormatTable::load(test::formats_file());
  CHECK(t.format("q8_0").bits_per_weight == 34.0 * 8 / 32);   // f16 scale + 32 int8
  CHECK(t.format("q4_0").bits_per_weight == 18.0 * 8 / 32);   // f16 scale + 16 bytes
  CHECK(t.format("q4_k").bits_per_weight == 144.0 * 8 / 256);
  CHECK(t.format("q6_k").bits_per_weight == 210.0 * 8 / 256);
  CHECK(t.format("iq4_xs").bits_per_weight == 136.0 * 8 / 256);
  CHECK_THROWS_WITH(t.mix("q3_k_xl"), Contains("unknown dtype 'q3_k_xl'") && Contains("q4_k_m"));
}

TEST_CASE("q4_k_m bumps the tensors llama.cpp bumps", "[workloads][formats]") {
  const auto t = FormatTable::load(test::formats_file());
  const auto& mix = t.mix("q4_k_m");
  MixContext c;
  c.layers = 32;
  c.gqa_ratio = 4;
  auto fmt_of = [&](const char* role, int layer) {
    c.layer = layer;
    return t.weight_format(mix, role, false, c).name;
  };
  // use_more_bits(i, 32): i < 4, i >= 28, or (i - 4) % 3 == 2.
  CHECK(fmt_of("attn_v", 0) == "q6_k");
  CHECK(fmt_of("attn_v", 4) == "q4_k");
  CHECK(fmt_of("attn_v", 6) == "q6_k");
  CHECK(fmt_of("ffn_down", 7) == "q4_k");
  CHECK(fmt_of("ffn_down", 31) == "q6_k");
  CHECK(fmt_of("attn_q", 0) == "q4_k");
  CHECK(fmt_of("output", -1) == "q6_k");
  CHECK(fmt_of("token_embd", -1) == "q4_k");
  c.tied_embeddings = true;
  CHECK(fmt_of("token_embd", -1) == "q6_k");  // a tied table is the output too
  c.tied_embeddings = false;
  c.layers = 80;  // llama.cpp's 70B type: attn_v that stays Q4_K goes to Q5_K
  CHECK(fmt_of("attn_v", 10) == "q5_k");
  CHECK(fmt_of("attn_v", 12) == "q6_k");
}

TEST_CASE("weight bytes match the published GGUF file sizes", "[workloads][formats]") {
  // llama-bench reported these model sizes (validate/data/public_llamacpp.csv rows 1-34).
  const auto t = FormatTable::load(test::formats_file());
  const auto llama8 = load_model("llama-3-8b");
  const auto llama70 = load_model("llama-3-70b");
  CHECK(ModelWeights(llama8, t, t.mix("q4_k_m")).bytes() / kGiB == Approx(4.58).epsilon(0.002));
  CHECK(ModelWeights(llama8, t, t.mix("f16")).bytes() / kGiB == Approx(14.96).epsilon(0.002));
  CHECK(ModelWeights(llama70, t, t.mix("q4_k_m")).bytes() / kGiB == Approx(39.59).epsilon(0.002));
}

TEST_CASE("a dtype may override the format of chosen roles", "[workloads][formats]") {
  // Seed 004's GPT-2: attention matrices in f32, the rest q8_0 ("q8_0+attn=f32").
  const auto t = FormatTable::load(test::formats_file());
  const auto& mix = t.mix("q8_0+attn=f32");
  CHECK(mix.name == "q8_0+attn=f32");
  MixContext c;
  c.layers = 12;
  c.layer = 3;
  CHECK(t.weight_format(mix, "attn_qkv", false, c).name == "f32");
  CHECK(t.weight_format(mix, "attn_output", false, c).name == "f32");
  CHECK(t.weight_format(mix, "ffn_up", false, c).name == "q8_0");
  CHECK(t.weight_format(mix, "attn_norm", true, c).name == "f32");
  CHECK(&t.mix("q8_0+attn=f32") == &mix);  // built once
  CHECK(t.weight_format(t.mix("q4_k_m+ffn_down=q8_0"), "ffn_down", false, c).name == "q8_0");
  // 12 layers x (768 x 2304 + 768 x 768) attention weights at 4 instead of 34/32 bytes.
  const auto gpt2 = load_model("gpt2");
  const double extra = ModelWeights(gpt2, t, mix).bytes() - ModelWeights(gpt2, t, t.mix("q8_0")).bytes();
  CHECK(extra == Approx(12.0 * 2359296 * (4 - 34.0 / 32)));
  CHECK_THROWS_WITH(t.mix("q8_0+mlp=f32"), Contains("unknown weight role 'mlp'") && Contains("ffn_down"));
  CHECK_THROWS_WITH(t.mix("q8_0+attn=f33"), Contains("unknown storage format 'f33'"));
  CHECK_THROWS_WITH(t.mix("q8_0+attn"), Contains("expected ROLE=FORMAT"));
  CHECK_THROWS_WITH(t.mix("q9+attn=f32"), Contains("unknown dtype 'q9'"));
}

TEST_CASE("engine checkpoint formats: NVFP4, NF4, FP6, AWQ/GPTQ and W8A8", "[workloads][formats]") {
  const auto t = FormatTable::load(test::formats_file());
  // NVFP4: 4-bit E2M1 + one 8-bit scale per 16 values = 4.5; NF4: 4 bits + an f32 absmax per 64
  // = 4.5; FP6 E3M2: 6 bits.
  CHECK(t.format("fp4").bits_per_weight == 4 + 8.0 / 16);
  CHECK(t.format("fp4").family == "fp4");
  CHECK(t.format("NF4").bits_per_weight == 4 + 32.0 / 64);
  CHECK(t.format("fp6").bits_per_weight == 6);
  // AWQ, GPTQ and vLLM's w4a16 name the same storage as int4: 4 bits + (f16 scale + 4-bit zero) / 128.
  for (const char* name : {"awq", "GPTQ", "w4a16"}) CHECK(t.mix(name).default_format == "int4");
  CHECK(t.format("int4").bits_per_weight == 4 + 20.0 / 128);
  CHECK(t.mix("w8a8").default_format == "int8");
  MixContext c;
  c.layers = 2;
  // Quantised checkpoints keep embeddings and the LM head in 16 bit.
  CHECK(t.weight_format(t.mix("fp4"), "output", false, c).name == "f16");
  CHECK(t.weight_format(t.mix("fp4"), "attn_kv_b", false, c).name == "fp4");
}
