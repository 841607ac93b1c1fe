// The 2026 architectures (MLA, shared experts, chunked attention, linear-attention hybrids,
// ALiBi, HF Mamba/RWKV), expert parallelism and experts kept in host memory. Expected values
// are counted by hand from the published configs or quoted from the model cards.
#include <catch2/catch.hpp>

#include <cmath>

#include "common/input_error.hpp"
#include "lowering_fixture.hpp"
#include "test_paths.hpp"
#include "workloads/hf_config_reader.hpp"
#include "workloads/lowering.hpp"
#include "workloads/memory_footprint.hpp"
#include "workloads/model_registry.hpp"

using namespace llmsim;
using namespace llmsim::workloads;

namespace {

// f16 activations: the byte counts below are worked out for 2-byte values.
struct Fixture : test::LoweringFixture {
  LoweringOptions options(int64_t batch, int64_t fresh, int64_t past) const {
    return LoweringFixture::options(batch, fresh, past, "f16");
  }
};

double sum_if(const OpGraph& g, const std::function<bool(const Op&)>& pick, double Op::*field) {
  double total = 0;
  for (OpId v = 0; v < g.size(); ++v)
    if (pick(g.op(v))) total += g.op(v).*field;
  return total;
}

}  // namespace

TEST_CASE("published parameter totals of the new architectures", "[workloads][architectures]") {
  Fixture f;
  // Model cards: DeepSeek-V3 671B (the 14B multi-token-prediction module excluded), DeepSeek-V2-Lite
  // 15.7B, Qwen1.5-MoE-A2.7B 14.3B, Qwen3-Next-80B-A3B 80B, GLM-4.5-Air 106B (its MTP layer
  // excluded), Llama 4 Scout 109B (text model 108B of it: the vision encoder is not modelled),
  // MPT-7B 6.7B, Mistral-Small-3.1 24B (text 23.6B), mamba-130m, RWKV-4 169M.
  const std::vector<std::pair<std::string, double>> cards = {
      {"deepseek-v3", 671e9},       {"deepseek-v2-lite", 15.7e9}, {"qwen1.5-moe-a2.7b", 14.3e9},
      {"qwen3-next-80b-a3b", 80e9}, {"glm-4.5-air", 106e9},       {"llama-4-scout-17b-16e", 108e9},
      {"mpt-7b", 6.7e9},            {"mamba-130m", 130e6},        {"rwkv-4-169m", 169e6}};
  for (const auto& [id, published] : cards) {
    const auto model = f.registry.load(id);
    const ModelWeights w(model, f.formats, f.formats.mix("f16"));
    INFO(id << " " << w.parameter_count());
    CHECK(w.parameter_count() == Approx(published).epsilon(0.03));
  }
}

TEST_CASE("MLA caches one latent and one rotary key per token and layer", "[workloads][architectures]") {
  Fixture f;
  const auto v3 = f.registry.load("deepseek-v3");
  REQUIRE(v3.mla);
  // kv_lora_rank 512 + qk_rope_head_dim 64 values, 61 layers, 2 bytes each.
  CHECK(kv_cache_bytes(v3, 1, 1, f.formats.format("f16")) == 61.0 * 576 * 2);
  // Every tensor rank keeps the whole latent: tp does not divide it.
  CHECK(kv_values_per_token_per_rank(v3, 8) == 61.0 * 576);
  // A GQA model for contrast: Llama-3-8B, 32 layers x 2 x 8 KV heads x 128, split over 2 ranks.
  const auto llama = f.registry.load("llama-3-8b");
  CHECK(kv_values_per_token_per_rank(llama, 2) == 32.0 * 2 * 4 * 128);
  // Dense first layers and shared experts: 3 dense layers, 58 MoE layers with 1 shared expert.
  CHECK(std::count(v3.moe_layers.begin(), v3.moe_layers.end(), true) == 58);
  CHECK(v3.mlp_width(0) == 18432);
  CHECK(v3.mlp_width(3) == 2048);
  CHECK(v3.shared_expert_intermediate == 2048);
}

TEST_CASE("MLA decode attends over the latent, prefill expands it", "[workloads][architectures]") {
  Fixture f;
  const auto m = f.registry.load("deepseek-v2-lite");
  const ModelWeights w(m, f.formats, f.formats.mix("f16"));
  auto attention_in = [&](const OpGraph& g, int layer) {
    for (OpId v = 0; v < g.size(); ++v)
      if (g.op(v).kind == OpKind::attention && g.op(v).layer == layer) return g.op(v);
    FAIL("no attention op");
    return Op{};
  };
  // Decode with 1000 cached tokens: one latent read of (512 + 64) values per position, f16.
  const OpGraph decode = lower_step(m, w, f.options(1, 1, 1000));
  CHECK(attention_in(decode, 0).kv_read_bytes == 1001.0 * 576 * 2);
  CHECK(attention_in(decode, 0).k == 576);
  // Prefill of 100 tokens: keys and values of 16 heads expanded (192 + 128 wide), read as activations.
  const OpGraph prefill = lower_step(m, w, f.options(1, 100, 0));
  CHECK(attention_in(prefill, 0).kv_read_bytes == 100.0 * 16 * (192 + 128) * 2);
}

TEST_CASE("chunked attention sees only its own chunk", "[workloads][architectures]") {
  // Chunk of 4: positions 1..6 see 1, 2, 3, 4, 1, 2 keys.
  CHECK(attended_keys(6, 0, -4) == 13);
  // Two more tokens after those six: positions 7, 8 see 3 and 4.
  CHECK(attended_keys(2, 6, -4) == 7);
  Fixture f;
  const auto scout = f.registry.load("llama-4-scout-17b-16e");
  // 48 layers; every 4th is a global NoPE layer, the other 36 attend within 8192-token chunks.
  CHECK(std::count(scout.attention_window.begin(), scout.attention_window.end(), -8192) == 36);
  CHECK(scout.cached_positions(0, 20000) == 8192);
  CHECK(scout.cached_positions(3, 20000) == 20000);
}

TEST_CASE("expert parallelism: all-to-all bytes match a hand count", "[workloads][moe]") {
  Fixture f;
  const auto m = f.registry.load("mixtral-8x7b");
  const ModelWeights w(m, f.formats, f.formats.mix("f16"));
  LoweringOptions o = f.options(4, 1, 100);  // 4 sequences decoding one token each
  o.tp = 2;
  o.ep = 2;
  const OpGraph g = lower_step(m, w, o);
  // Each of the 2 ranks dispatches its 4 / 2 = 2 tokens x top-2 experts x 4096 values x 2 bytes,
  // of which half go to experts on the other rank: 16384 bytes per rank, and as much back.
  std::vector<double> sent;
  for (OpId v = 0; v < g.size(); ++v)
    if (g.op(v).collective == workloads::Collective::all_to_all && g.op(v).layer == 0) sent.push_back(g.op(v).comm_bytes);
  REQUIRE(sent.size() == 2);
  CHECK(sent[0] == 2.0 * 2 * 4096 * 2 / 2);
  CHECK(sent[1] == sent[0]);
  // Each rank holds 4 whole experts: 4 x 3 x 4096 x 14336 x 2 bytes resident in layer 0.
  const double resident = sum_if(
      g, [](const Op& op) { return op.layer == 0 && op.rank == 0 && op.weight_key.rfind("ffn_", 0) == 0 && op.kind == OpKind::matmul && op.weight_key.find("gate_inp") == std::string::npos; },
      &Op::weight_resident_bytes);
  CHECK(resident == 4.0 * 3 * 4096 * 14336 * 2);
  // ep must be a multiple of tp and divide the experts.
  o.ep = 3;
  CHECK_THROWS_AS(lower_step(m, w, o), InputError);
}

TEST_CASE("experts in host memory: bytes streamed per token for a cache hit rate", "[workloads][moe]") {
  Fixture f;
  const auto m = f.registry.load("qwen3-30b-a3b");
  const ModelWeights w(m, f.formats, f.formats.mix("q8_0"));
  LoweringOptions o = f.options(1, 1, 100);
  o.host_expert_layers = 48;
  o.expert_cache_hit = 0.25;
  const OpGraph g = lower_step(m, w, o);
  // One token picks 8 experts per layer; 75% of that work misses the device cache. An expert is
  // gate + up + down = 3 x 2048 x 768 weights of q8_0 (8.5 bits): 5,013,504 bytes.
  const double host_bytes =
      sum_if(g, [](const Op& op) { return op.host_expert && op.layer == 0 && op.kind == OpKind::matmul; },
             &Op::weight_bytes);
  CHECK(host_bytes == Approx(0.75 * 8 * 3 * 2048 * 768 * 8.5 / 8));
  const double cached_bytes = sum_if(
      g, [](const Op& op) { return !op.host_expert && op.layer == 0 && op.name.find(".cached") != std::string::npos && op.kind == OpKind::matmul; },
      &Op::weight_bytes);
  CHECK(cached_bytes == Approx(0.25 * 8 * 3 * 2048 * 768 * 8.5 / 8));
}

TEST_CASE("skewed routing concentrates load on the first experts", "[workloads][moe]") {
  const ExpertRouting zipf = parse_expert_routing("zipf:1", 4);
  // Popularity 1, 1/2, 1/3, 1/4 over 25/12: the first two experts take (1 + 1/2) / (25/12) = 0.72.
  CHECK(expert_load(zipf, 1, 1, 4, 0, 2).share == Approx(0.72));
  CHECK(expert_load(ExpertRouting{}, 1, 1, 4, 0, 2).share == Approx(0.5));
  CHECK_THROWS_AS(parse_expert_routing("zipf:x", 4), InputError);
  CHECK_THROWS_AS(parse_expert_routing(test::write_temp("hist.csv", "1,2,3\n"), 4), InputError);
  CHECK(parse_expert_routing(test::write_temp("hist4.csv", "1,2\n3 4\n"), 4).popularity.size() == 4);
}

TEST_CASE("an MoE config whose top-k exceeds its experts is refused", "[workloads][architectures]") {
  const std::string path = test::write_temp(
      "bad_topk.json",
      R"({"architectures": ["Qwen2MoeForCausalLM"], "model_type": "qwen2_moe", "hidden_size": 64, "intermediate_size": 128,
          "moe_intermediate_size": 32, "shared_expert_intermediate_size": 32, "num_experts": 4, "num_experts_per_tok": 6,
          "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 4, "vocab_size": 100,
          "max_position_embeddings": 128})");
  CHECK_THROWS_WITH(read_hf_config(path, test::model_defaults()), Catch::Contains("num_experts_per_tok / experts_per_token: 6)"));
}

TEST_CASE("a cache of the most popular experts serves their share of the routing", "[workloads][moe]") {
  // Uniform: 32 of 128 experts serve a quarter of the work.
  CHECK(cache_hit_rate(ExpertRouting{}, 128, 32) == Approx(0.25));
  // Counts 1, 4, 3, 2 (any order): the 2 most popular take (4 + 3) / 10.
  const ExpertRouting measured = parse_expert_routing(test::write_temp("hist_cache.csv", "1\n4\n3\n2\n"), 4);
  CHECK(cache_hit_rate(measured, 4, 2) == Approx(0.7));
  CHECK(cache_hit_rate(measured, 4, 9) == Approx(1.0));
}

TEST_CASE("linear-attention and recurrent blocks read and write a fixed state", "[workloads][architectures]") {
  Fixture f;
  auto state_of = [&](const std::string& id, const std::string& op_name) {
    const auto m = f.registry.load(id);
    const ModelWeights w(m, f.formats, f.formats.mix("f16"));
    const OpGraph g = lower_step(m, w, f.options(2, 1, 500));
    for (OpId v = 0; v < g.size(); ++v)
      if (g.op(v).name == op_name) return g.op(v).kv_read_bytes;
    return -1.0;
  };
  // Qwen3-Next Gated DeltaNet: 32 value heads x 128 x 128 f32 per sequence, 2 sequences.
  CHECK(state_of("qwen3-next-80b-a3b", "L0.gated_delta") == 2.0 * 32 * 128 * 128 * 4);
  // Mamba-130m (Mamba-1): 1536 channels x 16 states, f32.
  CHECK(state_of("mamba-130m", "L0.selective_scan") == 2.0 * 1536 * 16 * 4);
  // RWKV-4: numerator, denominator and maximum per channel of the 768-wide attention.
  CHECK(state_of("rwkv-4-169m", "L0.wkv") == 2.0 * 768 * 3 * 4);
  // Qwen3-Next caches K and V only in its 12 full-attention layers (2 KV heads x 256).
  const auto next = f.registry.load("qwen3-next-80b-a3b");
  CHECK(kv_cache_bytes(next, 1, 1, f.formats.format("f16")) == 12.0 * 2 * 2 * 256 * 2);
}

TEST_CASE("ALiBi models have no rotary op and pay a bias per score", "[workloads][architectures]") {
  Fixture f;
  const auto mpt = f.registry.load("mpt-7b");
  CHECK(mpt.positions == PositionKind::alibi);
  CHECK(mpt.tied_embeddings);
  const ModelWeights w(mpt, f.formats, f.formats.mix("f16"));
  const OpGraph g = lower_step(mpt, w, f.options(1, 1, 99));
  for (OpId v = 0; v < g.size(); ++v) CHECK(g.op(v).kind != OpKind::rope);
}
