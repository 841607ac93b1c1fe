// GGUF files: a small file is written here byte by byte (the format of ggml/docs/gguf.md) and
// read back; its shapes become a model config and its tensor types a weight mix whose bytes
// are the tensors' own. Broken files are refused with the byte where they break.
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>

#include "common/input_error.hpp"
#include "test_paths.hpp"
#include "workloads/gguf/gguf_model.hpp"
#include "workloads/model_registry.hpp"
#include "workloads/model_weights.hpp"

using namespace llmsim;
using namespace llmsim::workloads;
using Catch::Matchers::Contains;

namespace {

// Writes GGUF v3: header, metadata, tensor infos (no tensor data: llmsim never reads it).
class GgufWriter {
 public:
  void u32(const std::string& key, std::uint32_t v) { kv(key, 4, &v, 4); }
  void u64(const std::string& key, std::uint64_t v) { kv(key, 10, &v, 8); }
  void i32(const std::string& key, std::int32_t v) { kv(key, 5, &v, 4); }
  void text(const std::string& key, const std::string& v) {
    std::string body;
    append_string(body, v);
    kv(key, 8, body.data(), body.size());
  }
  void tensor(const std::string& name, std::vector<std::uint64_t> dims, std::uint32_t type) {
    append_string(tensors_, name);
    append(tensors_, static_cast<std::uint32_t>(dims.size()));
    for (auto d : dims) append(tensors_, d);
    append(tensors_, type);
    append(tensors_, std::uint64_t{0});
    ++tensor_count_;
  }
  std::string bytes() const {
    std::string out = "GGUF";
    append(out, std::uint32_t{3});
    append(out, tensor_count_);
    append(out, kv_count_);
    return out + kvs_ + tensors_;
  }
  std::string write(const std::string& name, std::size_t keep = std::string::npos) const {
    const auto path = (std::filesystem::temp_directory_path() / name).string();
    const auto b = bytes();
    std::ofstream(path, std::ios::binary).write(b.data(), static_cast<std::streamsize>(std::min(keep, b.size())));
    return path;
  }

 private:
  template <typename T>
  static void append(std::string& out, T v) {
    char raw[sizeof(T)];
    std::memcpy(raw, &v, sizeof(T));
    out.append(raw, sizeof(T));
  }
  static void append_string(std::string& out, const std::string& s) {
    append(out, static_cast<std::uint64_t>(s.size()));
    out += s;
  }
  void kv(const std::string& key, std::uint32_t type, const void* value, std::size_t size) {
    append_string(kvs_, key);
    append(kvs_, type);
    kvs_.append(static_cast<const char*>(value), size);
    ++kv_count_;
  }
  std::string kvs_, tensors_;
  std::uint64_t kv_count_ = 0, tensor_count_ = 0;
};

constexpr std::uint32_t kF32 = 0, kF16 = 1, kQ8_0 = 8, kQ4_K = 12, kQ6_K = 14;

// The shape keys of tiny_llama, with their values.
const std::vector<std::pair<std::string, std::uint32_t>> kTinyShape = {
    {"llama.embedding_length", 256}, {"llama.block_count", 2},          {"llama.attention.head_count", 4},
    {"llama.attention.head_count_kv", 2}, {"llama.feed_forward_length", 512}, {"llama.context_length", 2048}};

// A two-layer llama: hidden 256, 4 heads of 64, 2 KV heads, FFN 512, vocabulary 1000.
// `replace` writes one shape key with another value (`write(writer, key)` instead of u32).
GgufWriter tiny_llama(const std::string& replaced = "",
                      const std::function<void(GgufWriter&, const std::string&)>& write = {}) {
  GgufWriter w;
  w.text("general.architecture", "llama");
  w.text("general.name", "tiny-llama");
  for (const auto& [key, value] : kTinyShape) {
    if (key == replaced) write(w, key);
    else w.u32(key, value);
  }
  w.tensor("token_embd.weight", {256, 1000}, kF16);
  for (int l = 0; l < 2; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    w.tensor(b + "attn_norm.weight", {256}, kF32);
    w.tensor(b + "attn_q.weight", {256, 256}, kQ8_0);
    w.tensor(b + "attn_k.weight", {256, 128}, kQ8_0);
    w.tensor(b + "attn_v.weight", {256, 128}, l == 1 ? kQ4_K : kQ8_0);  // one layer differs
    w.tensor(b + "attn_output.weight", {256, 256}, kQ8_0);
    w.tensor(b + "ffn_norm.weight", {256}, kF32);
    w.tensor(b + "ffn_gate.weight", {256, 512}, kQ8_0);
    w.tensor(b + "ffn_up.weight", {256, 512}, kQ8_0);
    w.tensor(b + "ffn_down.weight", {512, 256}, kQ8_0);
  }
  w.tensor("output_norm.weight", {256}, kF32);
  w.tensor("output.weight", {256, 1000}, kQ6_K);
  w.tensor("rope_freqs.weight", {32}, kF32);  // a tensor llmsim has no role for
  return w;
}

}  // namespace

TEST_CASE("a GGUF file's header becomes a model config and a per-tensor weight mix", "[workloads][gguf]") {
  const auto path = tiny_llama().write("llmsim_tiny.gguf");
  const GgufFile f = read_gguf(path);
  CHECK(f.version == 3);
  CHECK(f.tensors.size() == 22);
  const GgufModel g = gguf_model(f);
  const ModelConfig& m = g.config;
  CHECK(m.architecture == "LlamaForCausalLM");
  CHECK(m.hidden == 256);
  CHECK(m.layers == 2);
  CHECK(m.heads == 4);
  CHECK(m.kv_heads == 2);
  CHECK(m.head_dim == 64);
  CHECK(m.intermediate == 512);
  CHECK(m.vocab == 1000);
  CHECK(m.max_positions == 2048);
  CHECK_FALSE(m.tied_embeddings);
  CHECK(g.mix.default_format == "q8_0");
  CHECK(g.unmatched == std::vector<std::string>{"rope_freqs.weight"});

  // The bytes the mix gives are the tensor infos' own, worked out by hand from the block layouts:
  // q8_0 8.5 bits, q4_k 4.5, q6_k 6.5625, f16 16, f32 32 bits per weight.
  auto t = FormatTable::load(test::formats_file());
  t.add_mix(g.mix);
  const ModelWeights w(m, t, t.mix(g.mix.name));
  const double q8 = (2 * (256 * 256 + 256 * 128 + 256 * 256 + 3 * 256 * 512) + 256 * 128) * 8.5 / 8;
  const double q4 = 256 * 128 * 4.5 / 8;  // layer 1's attn_v
  const double expected = q8 + q4 + 256 * 1000 * 2.0 + 256 * 1000 * 6.5625 / 8 + 5 * 256 * 4.0;
  CHECK(w.bytes() == Approx(expected));
  CHECK(w.get("attn_v", 1).format->name == "q4_k");
  CHECK(w.get("attn_v", 0).format->name == "q8_0");
  CHECK(w.get("output", -1).format->name == "q6_k");
  CHECK(w.get("token_embd", -1).format->name == "f16");

  // --model file.gguf goes through the registry like a config.json.
  const auto via_registry = ModelRegistry(test::models_dir(), test::model_defaults()).load(path);
  CHECK(via_registry.hidden == 256);
}

TEST_CASE("a DeepSeek (MLA, shared experts, dense first layer) GGUF reads back its own bytes", "[workloads][gguf]") {
  // Two layers: layer 0 dense, layer 1 with 4 experts (2 per token) and one shared expert.
  // hidden 64, 4 heads; MLA: q_lora 64, kv_lora 32, key 24 = 16 no-RoPE + 8 RoPE, value 16.
  GgufWriter w;
  w.text("general.architecture", "deepseek2");
  w.u32("deepseek2.embedding_length", 64);
  w.u32("deepseek2.block_count", 2);
  w.u32("deepseek2.attention.head_count", 4);
  w.u32("deepseek2.attention.head_count_kv", 4);
  w.u32("deepseek2.feed_forward_length", 128);
  w.u32("deepseek2.context_length", 256);
  w.u32("deepseek2.attention.q_lora_rank", 64);
  w.u32("deepseek2.attention.kv_lora_rank", 32);
  w.u32("deepseek2.attention.key_length", 24);
  w.u32("deepseek2.attention.value_length", 16);
  w.u32("deepseek2.rope.dimension_count", 8);
  w.u32("deepseek2.expert_count", 4);
  w.u32("deepseek2.expert_used_count", 2);
  w.u32("deepseek2.expert_shared_count", 1);
  w.u32("deepseek2.expert_feed_forward_length", 32);
  w.u32("deepseek2.leading_dense_block_count", 1);
  w.tensor("token_embd.weight", {64, 100}, kF16);
  for (int l = 0; l < 2; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    w.tensor(b + "attn_norm.weight", {64}, kF32);
    w.tensor(b + "attn_q_a.weight", {64, 64}, kQ8_0);
    w.tensor(b + "attn_q_a_norm.weight", {64}, kF32);
    w.tensor(b + "attn_q_b.weight", {64, 96}, kQ8_0);
    w.tensor(b + "attn_kv_a_mqa.weight", {64, 40}, kQ8_0);
    w.tensor(b + "attn_kv_a_norm.weight", {32}, kF32);
    w.tensor(b + "attn_kv_b.weight", {32, 128}, kQ8_0);
    w.tensor(b + "attn_output.weight", {64, 64}, kQ8_0);
    w.tensor(b + "ffn_norm.weight", {64}, kF32);
    if (l == 0) {
      w.tensor(b + "ffn_gate.weight", {64, 128}, kQ8_0);
      w.tensor(b + "ffn_up.weight", {64, 128}, kQ8_0);
      w.tensor(b + "ffn_down.weight", {128, 64}, kQ8_0);
    } else {
      w.tensor(b + "ffn_gate_inp.weight", {64, 4}, kF32);
      w.tensor(b + "ffn_gate_exps.weight", {64, 32, 4}, kQ8_0);
      w.tensor(b + "ffn_up_exps.weight", {64, 32, 4}, kQ8_0);
      w.tensor(b + "ffn_down_exps.weight", {32, 64, 4}, kQ8_0);
      w.tensor(b + "ffn_gate_shexp.weight", {64, 32}, kQ8_0);
      w.tensor(b + "ffn_up_shexp.weight", {64, 32}, kQ8_0);
      w.tensor(b + "ffn_down_shexp.weight", {32, 64}, kQ8_0);
    }
  }
  w.tensor("output_norm.weight", {64}, kF32);
  w.tensor("output.weight", {64, 100}, kQ8_0);
  const GgufModel g = gguf_model(read_gguf(w.write("llmsim_tiny_deepseek.gguf")));
  const ModelConfig& m = g.config;
  REQUIRE(m.mla);
  CHECK(m.mla->qk_nope_head_dim == 16);
  CHECK(m.mla->cached_values() == 40);
  CHECK(m.moe_layers == std::vector<bool>{false, true});
  CHECK(m.mlp_width(0) == 128);
  CHECK(m.mlp_width(1) == 32);
  CHECK(m.shared_expert_intermediate == 32);
  CHECK(g.unmatched.empty());
  auto t = FormatTable::load(test::formats_file());
  t.add_mix(g.mix);
  const ModelWeights weights(m, t, t.mix(g.mix.name));
  // The tensor infos above, element by element: q8_0 is 8.5 bits, f16 16, f32 32.
  const double attention = 64 * 64 + 64 * 96 + 64 * 40 + 32 * 128 + 64 * 64;
  const double q8 = 2 * attention + 3 * 64 * 128 + 3 * 64 * 32 * 4 + 3 * 64 * 32 + 64 * 100;
  const double f32 = 2 * (64 + 64 + 32 + 64) + 64 + 64 * 4;
  CHECK(weights.bytes() == Approx(q8 * 8.5 / 8 + 64 * 100 * 2.0 + f32 * 4));
}

TEST_CASE("broken GGUF files are refused with where they break", "[workloads][gguf][bad-input]") {
  const auto whole = tiny_llama();
  SECTION("truncated in the tensor infos") {
    const auto path = whole.write("llmsim_truncated.gguf", whole.bytes().size() - 30);
    CHECK_THROWS_WITH(read_gguf(path), Contains("truncated") || Contains("past the end"));
  }
  SECTION("an unknown ggml type") {
    GgufWriter w = tiny_llama();
    w.tensor("blk.0.odd.weight", {256, 256}, 77);
    CHECK_THROWS_WITH(read_gguf(w.write("llmsim_badtype.gguf")), Contains("ggml type 77"));
  }
  SECTION("not GGUF at all") {
    const auto path = (std::filesystem::temp_directory_path() / "llmsim_notgguf.gguf").string();
    std::ofstream(path) << "{\"architectures\": [\"LlamaForCausalLM\"]}";
    CHECK_THROWS_WITH(read_gguf(path), Contains("not a GGUF file"));
  }
  SECTION("a header claiming more tensors than the file holds") {
    std::string b = whole.bytes();
    const std::uint64_t huge = 1ull << 40;
    std::memcpy(b.data() + 8, &huge, 8);
    const auto path = (std::filesystem::temp_directory_path() / "llmsim_liar.gguf").string();
    std::ofstream(path, std::ios::binary).write(b.data(), static_cast<std::streamsize>(b.size()));
    CHECK_THROWS_WITH(read_gguf(path), Contains("more than the file"));
  }
  SECTION("an architecture llmsim does not read from GGUF") {
    GgufWriter w;
    w.text("general.architecture", "rwkv7");
    CHECK_THROWS_WITH(gguf_model(read_gguf(w.write("llmsim_rwkv.gguf"))), Contains("config.json"));
  }
}

TEST_CASE("GGUF shape keys at their extremes are refused by name or read as sane shapes", "[workloads][gguf][bad-input]") {
  // The GGUF part of the field-extremes check (docs/reliability.md): each shape key as 0, the
  // largest u32, 2^63 as u64 and -1 as i32. A value is either refused with the key named or
  // read as a model whose shapes are positive and within llmsim's limits.
  const std::vector<std::pair<std::string, std::function<void(GgufWriter&, const std::string&)>>> extremes = {
      {"0", [](GgufWriter& w, const std::string& k) { w.u32(k, 0); }},
      {"2^32-1", [](GgufWriter& w, const std::string& k) { w.u32(k, 0xFFFFFFFFu); }},
      {"2^63", [](GgufWriter& w, const std::string& k) { w.u64(k, 1ull << 63); }},
      {"-1", [](GgufWriter& w, const std::string& k) { w.i32(k, -1); }},
  };
  for (const auto& [key, value] : kTinyShape) {
    for (const auto& [label, write] : extremes) {
      INFO(key << " = " << label);
      const auto path = tiny_llama(key, write).write("llmsim_extreme.gguf");
      try {
        const auto m = gguf_model(read_gguf(path)).config;
        CHECK(m.hidden > 0);
        CHECK(m.layers > 0);
        CHECK(m.layers <= ModelConfig::kMaxLayers);
        CHECK(m.heads > 0);
        CHECK(m.kv_heads > 0);
        CHECK(m.intermediate > 0);
        CHECK(m.max_positions > 0);
      } catch (const InputError& e) {
        CHECK_THAT(e.what(), Contains(key));
      }
    }
  }
}
