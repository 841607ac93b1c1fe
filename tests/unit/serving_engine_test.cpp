// Engine-level serving mechanisms against hand-worked numbers: host work per step and
// captured-graph padding, the front end's latency per request, the profile's scheduler
// defaults, and how a published serving row becomes a serve configuration.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fresh_process.hpp"
#include "profile_fixture.hpp"
#include "hwmodels/catalog.hpp"
#include "sim/serving/serving_simulator.hpp"
#include "sim/serving/step_timer.hpp"
#include "sim/serving/workload.hpp"
#include "test_paths.hpp"
#include "validate/corpus/corpus_reader.hpp"
#include "validate/serving/serving_rows.hpp"

using namespace llmsim;
using namespace llmsim::sim::serving;
using Catch::Matchers::Contains;

namespace {

sim::DataPaths paths() { return sim::DataPaths(test::source_dir()); }

std::string profile_with(const std::string& serving) { return test::vllm_profile_with_serving(serving, "host-profile.yaml"); }

const char* kKnownHost =
    "serving:\n  basis: test values\n  step_us: 1000\n  per_sequence_us: 10\n  per_token_us: 0.5\n"
    "  request_us: 25000\n  graph_batch_sizes: [1, 2, 4, 8]\n";

}  // namespace

TEST_CASE("a step's time adds the engine's host work, and decode batches pad to captured sizes", "[serving][sim]") {
  const std::string profile = profile_with(kKnownHost);
  const auto v = test::in_fresh_process([=] {
    sim::SimulationContext ctx(paths(), "h100-sxm5-80gb", test::fixture("models/tiny-llama.json"), profile, "bf16",
                               "bf16");
    sim::PlacementSpec spec;
    spec.devices = {ctx.system.devices_of(hwmodels::DeviceKind::gpu)[0]->id};
    const auto d = sim::make_deployment(ctx, spec, 1, 1, {});
    StepTimer timer(ctx, d, 16);
    auto decode = [](int n) {
      ScheduledStep s;
      for (int i = 0; i < n; ++i) s.slots.push_back({static_cast<std::size_t>(i), 1, 100, true, true});
      return s;
    };
    ScheduledStep prefill;
    prefill.slots.push_back({0, 200, 0, true, false});
    workloads::LoweringOptions five = d.base, eight = d.base, prompt = d.base;
    for (int i = 0; i < 5; ++i) five.sequences.push_back({1, 100, true});
    for (int i = 0; i < 8; ++i) eight.sequences.push_back({1, 100, true});
    workloads::LoweringOptions padded = five;  // the padding rows: one token, no past, no output
    for (int i = 0; i < 3; ++i) padded.sequences.push_back({1, 0, false});
    prompt.sequences = {{200, 0, true}};
    return std::vector<double>{timer.seconds(decode(5)), timer.seconds(padded), timer.seconds(five),
                               static_cast<double>(timer.padded_batch(decode(5))),
                               static_cast<double>(timer.padded_batch(decode(9))), timer.seconds(prefill),
                               timer.seconds(prompt), timer.seconds(eight)};
  });
  // 5 decodes run as the captured batch of 8 (5 real + 3 padding rows of one token with no
  // past), plus 1000 + 5 x 10 + 5 x 0.5 us of host work.
  CHECK(v[3] == 8);
  CHECK(v[4] == 9);  // beyond the largest captured size: no padding
  CHECK(v[0] == Approx(v[1] + 1052.5e-6).margin(2e-8));
  CHECK(v[1] >= v[2]);  // padding never makes a step faster
  CHECK(v[1] <= v[7]);  // nor slower than 8 real sequences
  // A 200-token prefill is never padded: kernels + 1000 + 10 + 200 x 0.5 us.
  CHECK(v[5] == Approx(v[6] + 1110e-6).margin(2e-8));
}

TEST_CASE("the front end's latency per request delays the first token by exactly that much", "[serving][sim]") {
  auto ttft = [](const std::string& profile) {
    return test::in_fresh_process([=] {
      ServeConfig c;
      c.hardware = "h100-sxm5-80gb";
      c.model = test::fixture("models/tiny-llama.json");
      c.software = profile;
      c.workload.lengths.distribution = "fixed";
      c.workload.lengths.prompt_mean = 64;
      c.workload.lengths.output_mean = 4;
      c.workload.rate = 0.001;
      c.workload.requests = 3;
      ServingSimulator s(paths(), c);
      const auto r = s.run(make_requests(c.workload));
      return std::vector<double>{r.metrics.ttft_s.mean, r.metrics.tpot_s.mean};
    });
  };
  std::string without = kKnownHost;
  without.replace(without.find("request_us: 25000"), 17, "request_us: 0");
  const auto slow = ttft(profile_with(kKnownHost));
  const auto fast = ttft(profile_with(without));
  CHECK(slow[0] == Approx(fast[0] + 0.025).margin(1e-8));
  CHECK(slow[1] == Approx(fast[1]).margin(1e-9));  // the tokens after the first are not delayed
}

TEST_CASE("a scenario's unstated scheduler keys take the engine profile's serving defaults", "[serving]") {
  hwmodels::EngineServing engine;
  engine.policy = "chunked";
  engine.max_batch = 160;
  engine.admission = "reserve";
  engine.block_tokens = 64;
  ServeConfig c;
  c.scheduler.max_batch = 32;
  c.stated = {"scheduler.max_batch"};
  CHECK(apply_engine_defaults(c, engine).empty());  // a config built in code keeps its values
  CHECK(c.scheduler.policy == "continuous");
  c.take_engine_defaults = true;
  const std::string taken = apply_engine_defaults(c, engine);
  CHECK(c.scheduler.policy == "chunked");
  CHECK(c.scheduler.max_batch == 32);  // stated by the scenario
  CHECK(c.scheduler.admission == "reserve");
  CHECK(c.block_tokens == 64);
  CHECK(c.scheduler.max_batched_tokens == 8192);  // the engine states none: llmsim's default
  CHECK_THAT(taken, Contains("scheduler.policy=chunked") && Contains("kv.block_tokens=64"));
}

TEST_CASE("vLLM's V1 limits apply on a GPU of 70 GiB or more that is not an A100", "[serving]") {
  const auto vllm = hwmodels::ProfileSet(test::source_dir() + "/hwmodels/profiles").load("vllm");
  const hwmodels::Catalog catalog(test::catalog_dir());
  auto on = [&](const std::string& system_id, std::string& why, const hwmodels::EngineServing& engine) {
    const auto system = catalog.load(system_id);
    return engine_defaults_on(engine, system, *system.first_device(hwmodels::DeviceKind::gpu), 8192, why);
  };
  ServeConfig c;
  c.take_engine_defaults = true;
  std::string why;
  const auto h100 = on("h100-sxm5-80gb", why, vllm.serving);  // 80 GiB
  CHECK(h100.max_batch == 1024);
  CHECK(h100.max_batched_tokens == 8192);
  CHECK_THAT(why, Contains("1024"));
  CHECK(on("a100-sxm4-80gb", why, vllm.serving).max_batch == 256);  // 80 GiB, but an A100
  CHECK(why.empty());
  CHECK(on("rtx-4090", why, vllm.serving).max_batch == 256);  // 24 GiB
  CHECK(on("mi300x", why, vllm.serving).max_batch == 1024);   // 192 GiB
  auto v0 = vllm.serving;
  v0.release = "0.6.3";  // an engine version before V1
  CHECK(on("h100-sxm5-80gb", why, v0).max_batch == 256);
  // A limit the scenario states wins over the engine's.
  c.scheduler.max_batch = 64;
  c.stated = {"scheduler.max_batch"};
  apply_engine_defaults(c, on("h100-sxm5-80gb", why, vllm.serving));
  CHECK(c.scheduler.max_batch == 64);
  CHECK(c.scheduler.max_batched_tokens == 8192);
}

TEST_CASE("vLLM releases before 0.8 take V0's scheduler defaults, chunked prefill only above 32K", "[serving]") {
  const hwmodels::ProfileSet profiles(test::source_dir() + "/hwmodels/profiles");
  const auto v0 = profiles.load("vllm@0.6.3");
  CHECK(v0.serving.release == "0.6.3");
  CHECK(v0.label() == "vllm@0.6.3");
  REQUIRE(v0.serving.earlier_release());
  const auto system = hwmodels::Catalog(test::catalog_dir()).load("h100-sxm5-80gb");
  const auto& h100 = *system.first_device(hwmodels::DeviceKind::gpu);
  std::string why;
  // Llama-3-8B's 8192 positions: no chunked prefill, prompts in prefill-only steps, and
  // max(8192, 2048) tokens per step; V1's 1024 sequences on an 80 GiB GPU do not apply.
  auto short_context = engine_defaults_on(v0.serving, system, h100, 8192, why);
  CHECK(short_context.policy == "continuous");
  CHECK(short_context.max_batched_tokens == 8192);
  CHECK(short_context.max_batch == 256);
  CHECK_THAT(why, Contains("0.6.3") && Contains("before 0.8"));
  // A 4096-token server: the 2048 floor does not bind, 4096 does.
  CHECK(engine_defaults_on(v0.serving, system, h100, 4096, why).max_batched_tokens == 4096);
  CHECK(engine_defaults_on(v0.serving, system, h100, 1024, why).max_batched_tokens == 2048);
  // Llama-3.1's 131072 positions (> 32768): chunked prefill by itself, 512 tokens per step.
  auto long_context = engine_defaults_on(v0.serving, system, h100, 131072, why);
  CHECK(long_context.policy == "chunked");
  CHECK(long_context.max_batched_tokens == 512);
  CHECK(long_context.chunk_tokens == 512);
  CHECK_THAT(why, Contains("chunked prefill on by itself"));
  // V0 runs steps without CUDA graphs beyond decode-only batches up to a context of 8192;
  // V1 (0.8 on) replays graphs for every step.
  CHECK(long_context.eager_kernel_us == Approx(4.6));
  CHECK(long_context.graph_max_context == 8192);
  CHECK(engine_defaults_on(profiles.load("vllm@0.8").serving, system, h100, 131072, why).eager_kernel_us == 0);
  // From 0.8 on, and with no release named, V1's defaults.
  CHECK_FALSE(profiles.load("vllm@0.10.1").serving.earlier_release());
  CHECK(engine_defaults_on(profiles.load("vllm@0.8").serving, system, h100, 131072, why).max_batch == 1024);
  CHECK(engine_defaults_on(profiles.load("vllm").serving, system, h100, 131072, why).policy == "chunked");
  // The profile of vLLM 0.6's ROCm build is that release by itself.
  CHECK(profiles.load("vllm-rocm-0.6").serving.earlier_release());
  CHECK_THROWS_WITH(profiles.load("vllm@0.6.x"), Contains("NAME@X.Y.Z"));
  CHECK_THROWS_WITH(profiles.load("sglang@0.4.6"), Contains("no release defaults"));
}

TEST_CASE("release versions compare part by part", "[serving]") {
  CHECK(hwmodels::release_older("0.6.3", "0.8"));
  CHECK(hwmodels::release_older("0.7.99", "0.8"));
  CHECK_FALSE(hwmodels::release_older("0.8", "0.8.0"));
  CHECK_FALSE(hwmodels::release_older("0.10.0", "0.8"));  // 10 > 8, not "1" < "8"
  CHECK(hwmodels::release_older("0.8", "0.8.1"));
  CHECK_THROWS_WITH(hwmodels::release_older("0.6.3rc1", "0.8"), Contains("0.6.3rc1"));
}

TEST_CASE("a published serving row becomes the serve configuration it describes", "[serving][corpus]") {
  const std::string header =
      "id,source,hardware,mem_bw_gbs_spec,model,params_b,dtype,batch,prompt_len,gen_len,software,backend,metric,value,"
      "unit,notes\n";
  const std::string dir = std::filesystem::temp_directory_path() / "llmsim_serving_rows";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/rows.csv")
      << header
      << "1,github.com/a/b x.md @1234567,8x NVIDIA H100 SXM5 80GB HBM3,,meta-llama/Meta-Llama-3-8B,8,BF16,,1024,128,"
         "vLLM 0.6.3,CUDA; tp=8; concurrency=64; num_prompts=500; dataset=random,output_throughput,9000,tokens/s,"
         "\"[rel:A] quote: \"\"x\"\"\"\n"
      << "2,github.com/a/b x.md @1234567,NVIDIA H100 SXM5 80GB HBM3,,meta-llama/Meta-Llama-3-8B,8,BF16,,200,100,"
         "SGLang 0.4,CUDA; rate=4; dataset=sharegpt,ttft_median,40,ms,\"[rel:A] quote: \"\"x\"\"\"\n"
      << "3,github.com/a/b x.md @1234567,NVIDIA H100 SXM5 80GB HBM3,,meta-llama/Meta-Llama-3-8B,8,BF16,16,128,128,"
         "vLLM 0.6,offline llm.generate,total_throughput,5000,tokens/s,\"[rel:A] quote: \"\"x\"\"\"\n"
      << "4,github.com/a/b x.md @1234567,8x NVIDIA H100 SXM5 80GB HBM3,,meta-llama/Meta-Llama-3-8B,8,BF16,,128,128,"
         "vLLM 0.6,CUDA; tp=8; ep=8,output_throughput,5000,tokens/s,\"[rel:A] quote: \"\"x\"\"\"\n"
      << "5,github.com/a/b x.md @1234567,NVIDIA H100 SXM5 80GB HBM3,,meta-llama/Meta-Llama-3-8B,8,BF16,,,,"
         "vLLM 0.6,CUDA,output_throughput,5000,tokens/s,\"[rel:A] quote: \"\"x\"\"\"\n";
  const auto rows = validate::CorpusReader(validate::ReservedSources::of({})).read_dir(dir);
  const auto mapping = validate::CorpusMapping::load(test::source_dir() + "/validate/data/corpus/mapping.yaml");
  REQUIRE(rows.size() == 5);
  const auto a = validate::map_serving_row(rows[0], mapping);
  REQUIRE(a.serving);
  const auto& c = a.serving->config;
  CHECK(c.hardware == "dgx-h100");
  CHECK(c.replica.tp == 8);
  CHECK(c.workload.max_concurrency == 64);
  CHECK(c.workload.requests == 500);
  CHECK(std::isinf(c.workload.rate));  // no rate stated: all at once, as the benchmark tools default
  CHECK(c.workload.lengths.distribution == "fixed");
  CHECK(c.workload.lengths.prompt_mean == 1024);
  CHECK(c.software == "vllm@0.6.3");  // vLLM 0.6.3 ran the V0 engine's defaults
  CHECK(a.serving->family.rfind("vllm / ", 0) == 0);  // fitted with vLLM's other releases
  const auto b = validate::map_serving_row(rows[1], mapping);
  REQUIRE(b.serving);
  CHECK(b.serving->config.hardware == "h100-sxm5-80gb");
  CHECK(b.serving->config.software == "sglang");
  CHECK(b.serving->config.workload.rate == 4);
  CHECK(b.serving->config.workload.lengths.distribution == "sharegpt");
  CHECK(b.serving->config.workload.lengths.output_mean == 100);
  CHECK(b.serving->key != a.serving->key);
  const auto offline = validate::map_serving_row(rows[2], mapping);  // an offline batch of 16 prompts
  REQUIRE(offline.serving);
  CHECK(offline.serving->config.workload.max_concurrency == 16);
  CHECK(offline.serving->config.workload.requests == 16);
  CHECK(validate::map_serving_row(rows[3], mapping).why_kind == "parallelism ep");
  CHECK(validate::map_serving_row(rows[4], mapping).why_kind == "lengths not stated");
}

TEST_CASE("a row's random range ratio becomes the tool's spread of lengths", "[serving][corpus]") {
  const std::string header =
      "id,source,hardware,mem_bw_gbs_spec,model,params_b,dtype,batch,prompt_len,gen_len,software,backend,metric,value,"
      "unit,notes\n";
  const std::string dir = std::filesystem::temp_directory_path() / "llmsim_serving_ranges";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/rows.csv")
      << header
      // SGLang's bench_serving with ratio 0: uniform in [1, 1024] (mean 512.5, +-1023/1025).
      << "1,github.com/a/b x.md @1234567,NVIDIA H100 SXM5 80GB HBM3,,meta-llama/Meta-Llama-3-8B,8,BF16,,509,534,"
         "SGLang 0.4,CUDA; rate=1; num_prompts=300; dataset=random; random_input_len=1024; random_output_len=1024; "
         "random_range_ratio=0.0,output_throughput,500,tokens/s,\"[rel:A] quote: \"\"x\"\"\"\n"
      // vllm bench serve with ratio 0.15: uniform within +-15% of the stated lengths.
      << "2,github.com/a/b x.md @1234567,NVIDIA H100 SXM5 80GB HBM3,,meta-llama/Meta-Llama-3-8B,8,BF16,,2000,200,"
         "vLLM 0.19.1,CUDA; concurrency=8; num_prompts=150; dataset=random; random_range_ratio=0.15,"
         "output_throughput,500,tokens/s,\"[rel:A] quote: \"\"x\"\"\"\n"
      // SGLang with lengths but no ratio: the tool's default 0.
      << "3,github.com/a/b x.md @1234567,NVIDIA H100 SXM5 80GB HBM3,,meta-llama/Meta-Llama-3-8B,8,BF16,,960,82,"
         "SGLang 0.4,CUDA; rate=16; num_prompts=960; dataset=random; random_input_len=1913; random_output_len=162,"
         "output_throughput,500,tokens/s,\"[rel:A] quote: \"\"x\"\"\"\n";
  const auto rows = validate::CorpusReader(validate::ReservedSources::of({})).read_dir(dir);
  const auto mapping = validate::CorpusMapping::load(test::source_dir() + "/validate/data/corpus/mapping.yaml");
  REQUIRE(rows.size() == 3);
  const auto sglang = validate::map_serving_row(rows[0], mapping);
  REQUIRE(sglang.serving);
  const auto& l = sglang.serving->config.workload.lengths;
  CHECK(l.distribution == "uniform");
  CHECK(l.prompt_mean == Approx(512.5));
  CHECK(l.output_mean == Approx(512.5));
  CHECK(l.range_ratio == Approx(1023.0 / 1025.0));
  const auto vllm = validate::map_serving_row(rows[1], mapping);
  REQUIRE(vllm.serving);
  CHECK(vllm.serving->config.workload.lengths.distribution == "uniform");
  CHECK(vllm.serving->config.workload.lengths.prompt_mean == 2000);
  CHECK(vllm.serving->config.workload.lengths.range_ratio == Approx(0.15));
  const auto sglang_default = validate::map_serving_row(rows[2], mapping);
  REQUIRE(sglang_default.serving);
  CHECK(sglang_default.serving->config.workload.lengths.prompt_mean == Approx(957));   // (1 + 1913) / 2
  CHECK(sglang_default.serving->config.workload.lengths.output_mean == Approx(81.5));  // (1 + 162) / 2
}
