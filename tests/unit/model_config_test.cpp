#include <catch2/catch.hpp>

#include "common/input_error.hpp"
#include "test_paths.hpp"
#include "workloads/hf_config_reader.hpp"
#include "workloads/model_registry.hpp"
#include "workloads/model_weights.hpp"

using namespace llmsim;
using namespace llmsim::workloads;
using Catch::Matchers::Contains;

namespace {
ModelConfig load_model(const std::string& id) {
  return ModelRegistry(test::models_dir(), test::model_defaults()).load(id);
}
double parameters(const std::string& id) {
  const auto t = FormatTable::load(test::formats_file());
  return ModelWeights(load_model(id), t, t.mix("bf16")).parameter_count();
}
}  // namespace

TEST_CASE("parameter counts match hand-worked totals", "[workloads][models]") {
  // Llama-3-8B: embedding 128256 x 4096 twice (untied) + 32 x (q 4096^2 + k, v 1024 x 4096 + o 4096^2
  // + 3 x 4096 x 14336 + two norms of 4096) + final norm 4096.
  CHECK(parameters("llama-3-8b") == 8'030'261'248.0);
  // Llama-3-70B the same way with 8192 / 28672 / 80 layers.
  CHECK(parameters("llama-3-70b") == 70'553'706'496.0);
  // GPT-2 small: wte + wpe + 12 x (2 layernorms with bias, c_attn, c_proj, c_fc, c_proj with biases) + ln_f.
  CHECK(parameters("gpt2") == 124'439'808.0);
  // Mixtral 8x7B: 8 experts of 3 x 4096 x 14336 per layer plus a 8 x 4096 router.
  CHECK(parameters("mixtral-8x7b") == 46'702'792'704.0);
  // Llama-3.2-11B-Vision: the parameter count Hugging Face lists for the safetensors checkpoint
  // (vision tower with its gated positional tables, projector, 32 self- + 8 cross-attention layers).
  CHECK(parameters("llama-3.2-11b-vision") == 10'670'220'835.0);
}

TEST_CASE("the 2025 architectures read from their published configs, with hand-counted parameters",
          "[workloads][models]") {
  // Qwen3-8B: 36 x (q, o 4096^2; k, v 1024 x 4096; q/k norms 128 each; 2 norms; 3 x 4096 x 12288)
  // + untied 151936 x 4096 twice + final norm = 8,190,735,360 (model card: 8.2B).
  const auto q = load_model("qwen3-8b");
  CHECK(q.qk_norm);
  CHECK(q.head_dim == 128);
  CHECK(parameters("qwen3-8b") == 8'190'735'360.0);
  // Qwen3-30B-A3B: 48 x (q 4096 x 2048, k, v 512 x 2048, o 2048 x 4096, q/k norms, 2 norms,
  // router 128 x 2048, 128 experts of 3 x 768 x 2048) + untied 151936 x 2048 twice + final norm
  // = 30,532,122,624 (model card: 30.5B in total, 3.3B activated).
  const auto moe = load_model("qwen3-30b-a3b");
  CHECK(moe.experts == 128);
  CHECK(moe.experts_per_token == 8);
  CHECK(moe.intermediate == 768);
  CHECK(parameters("qwen3-30b-a3b") == 30'532'122'624.0);
  // gpt-oss-20b: 24 x (q 4096 x 2880, k, v 512 x 2880, o 2880 x 4096, q/k/v biases, 2 norms, router
  // 32 x 2880, 32 experts of 3 x 2880^2) + untied 201088 x 2880 twice + final norm = 20,908,050,240
  // (model card: 21B; the o_proj, router and expert biases and attention sinks, ~7M, are not counted).
  const auto oss = load_model("gpt-oss-20b");
  CHECK(oss.experts == 32);
  CHECK(oss.experts_per_token == 4);
  CHECK(oss.attention_window[0] == 128);  // layer_types: sliding, full, sliding, ...
  CHECK(oss.attention_window[1] == 0);
  CHECK(parameters("gpt-oss-20b") == 20'908'050'240.0);
  // Phi-3-mini: 32 x (4 x 3072^2 + 3 x 3072 x 8192 + 2 norms) + untied 32064 x 3072 twice + norm
  // = 3,821,079,552 (model card: 3.8B).
  CHECK(parameters("phi-3-mini-4k") == 3'821'079'552.0);
}

TEST_CASE("Nemotron reads as partial-rotary attention with a squared-ReLU MLP", "[workloads][models]") {
  // Nemotron-4-340B (NeMo's Nemotron4Config340B): 96 x (q, o 18432 x 96 heads of 192; k, v 18432 x
  // 8 x 192; up and down 18432 x 73728, not gated; two LayerNorms with bias) + untied 256000 x
  // 18432 twice + final LayerNorm = 341,029,195,776 (NVIDIA: 340B).
  const auto n = load_model("nemotron-4-340b");
  CHECK_FALSE(n.gated_mlp);
  CHECK(n.activation == "relu2");
  CHECK(n.norm == NormKind::layer);
  CHECK(n.head_dim == 192);
  CHECK(n.rotary_dim == 96);  // partial_rotary_factor 0.5
  CHECK(parameters("nemotron-4-340b") == 341'029'195'776.0);
  // Nemotron-3-8B: 32 x (4 x 4096^2 + 2 x 4096 x 16384 + 2 LayerNorms with bias) + 256000 x 4096
  // twice + final LayerNorm = 8,540,135,424.
  CHECK(parameters("nemotron-3-8b") == 8'540'135'424.0);
}

TEST_CASE("configs are normalised across architectures", "[workloads][models]") {
  const auto g = load_model("gemma-3-27b");  // nested text_config, vocab from transformers defaults
  CHECK(g.hidden == 5376);
  CHECK(g.head_dim == 128);
  CHECK(g.vocab == 262208);
  CHECK(g.tied_embeddings);
  CHECK(g.qk_norm);
  REQUIRE(g.attention_window.size() == 62);
  CHECK(g.attention_window[0] == 1024);
  CHECK(g.attention_window[5] == 0);  // every sixth layer is global
  const auto j = load_model("gpt-j-6b");
  CHECK(j.parallel_residual);
  CHECK(j.rotary_dim == 64);
  CHECK(j.intermediate == 4 * 4096);
  const auto q = load_model("qwen2.5-7b");
  CHECK(q.qkv_bias);
  CHECK(q.gqa_ratio() == 7);
  const auto m = load_model("mistral-7b");
  CHECK(m.attention_window[0] == 4096);
}

TEST_CASE("bad model configs name the file and the field", "[workloads][models][bad-input]") {
  const auto broken = test::write_temp("broken.json", "{\"architectures\": [\"LlamaForCausalLM\"],");
  CHECK_THROWS_WITH(read_hf_config(broken, test::model_defaults()), Contains("broken.json") && Contains("malformed JSON"));
  const auto missing = test::write_temp("missing.json", R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama",
    "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 8})");
  CHECK_THROWS_WITH(read_hf_config(missing, test::model_defaults()), Contains("'hidden_size' is missing"));
  const auto negative = test::write_temp("negative.json", R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama",
    "hidden_size": -64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 8})");
  CHECK_THROWS_WITH(read_hf_config(negative, test::model_defaults()), Contains("'hidden_size' must be a non-negative"));
  const auto falcon = test::write_temp("falcon.json", R"({"architectures": ["FalconForCausalLM"], "hidden_size": 64})");
  CHECK_THROWS_WITH(read_hf_config(falcon, test::model_defaults()),
                    Contains("unsupported architecture 'FalconForCausalLM'") && Contains("LlamaForCausalLM"));
  CHECK_THROWS_WITH(load_model("llama-5"), Contains("unknown model id 'llama-5'") && Contains("llama-3-8b"));
}
