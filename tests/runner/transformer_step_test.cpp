// The model-level mode on a tiny GPT-2-shaped config: the optimised step matches a plain
// double-precision step in every weight format, and its ops are the simulator's ops.
#include <catch2/catch.hpp>

#include "common/input_error.hpp"
#include "validate/runner/cpu/cpu_step_benchmark.hpp"
#include "validate/runner/cpu/transformer_config.hpp"

using namespace llmsim::bench;

namespace {
const std::string kTiny = std::string(LLMSIM_RUNNER_FIXTURES) + "/tiny_gpt2.json";
}

TEST_CASE("a GPT-2 config gives the model's shapes", "[step]") {
  const auto gpt2 = read_transformer_config(std::string(LLMSIM_SOURCE_DIR) + "/workloads/models/gpt2.json");
  CHECK(gpt2.layers == 12);
  CHECK(gpt2.hidden == 768);
  CHECK(gpt2.heads == 12);
  CHECK(gpt2.vocab == 50257);
  CHECK(gpt2.ffn() == 3072);
  CHECK_THROWS_WITH(read_transformer_config(std::string(LLMSIM_SOURCE_DIR) + "/workloads/models/llama-3-8b.json"),
                    Catch::Contains("model_type"));
}

TEST_CASE("the step's logits match the double-precision reference in every format", "[step]") {
  const auto config = read_transformer_config(kTiny);
  for (const char* format : {"f32", "f16", "q8_0", "q4_0"}) {
    for (int threads : {1, 2}) {
      INFO(format << " threads=" << threads);
      CpuStepBenchmark bench(config, format, 9, threads);
      const CheckResult r = bench.check();
      INFO(r.detail);
      CHECK(r.ok);
      CHECK(r.method.find("all 100 outputs") != std::string::npos);
    }
  }
}

TEST_CASE("the step's ops are named and counted like the simulator's", "[step]") {
  const auto config = read_transformer_config(kTiny);
  CpuStepBenchmark bench(config, "f32", 5, 1);
  const auto& ops = bench.ops();
  REQUIRE(ops.size() == 1 + 11 * 2 + 3);  // embedding, 11 per layer, output_norm, lm_head, sampling
  const std::vector<std::string> layer0 = {"L0.attn_norm",   "L0.attn_qkv", "L0.kv_store", "L0.attention",
                                           "L0.attn_output", "L0.attn_residual", "L0.ffn_norm", "L0.ffn_up",
                                           "L0.ffn_act",     "L0.ffn_down", "L0.ffn_residual"};
  CHECK(ops[0].name == "embedding");
  for (std::size_t i = 0; i < layer0.size(); ++i) CHECK(ops[1 + i].name == layer0[i]);
  CHECK(ops[ops.size() - 3].name == "output_norm");
  CHECK(ops[ops.size() - 2].name == "lm_head");
  CHECK(ops.back().name == "sampling");
  // The QKV matmul: 64 -> 192 with bias; 2 flops per MAC plus the bias adds.
  CHECK(ops[2].kind == "matmul");
  CHECK(ops[2].n == 192);
  CHECK(ops[2].k == 64);
  CHECK(ops[2].work.flops == 2 * 192 * 64 + 192);
  CHECK(ops[4].kind == "attention");
  CHECK(ops[4].context == 6);  // 5 cached positions + this token
  const auto times = bench.time_ops();
  CHECK(times.size() == ops.size());
  CHECK(bench.time_steps(2) > 0);
}
