// CPU instruction sets: llama.cpp multiplies quantised weights by 8-bit activations with the
// cores' int8 dot products (SDOT/SMMLA on Arm, VNNI or maddubs on x86), so a quantised GEMM runs
// at the catalog's int8 rate of the vector units, which differs from the f32 rate by the ISA's
// ratio; a matrix unit (Intel AMX) that llama.cpp's default build does not use is not counted.
#include <catch2/catch.hpp>

#include "hwmodels/catalog.hpp"
#include "hwmodels/memory_kinds.hpp"
#include "hwmodels/software_profile.hpp"
#include "sim/device_model.hpp"
#include "sim/op_cost.hpp"
#include "test_paths.hpp"

using namespace llmsim;

namespace {

struct Cpu {
  explicit Cpu(const std::string& id) : system(hwmodels::Catalog(test::catalog_dir()).load(id)) {}
  hwmodels::System system;
  hwmodels::MemoryKinds kinds = hwmodels::MemoryKinds::load(test::source_dir() + "/hwmodels/defaults/memory-kinds.yaml");
  hwmodels::SoftwareProfile profile = hwmodels::ProfileSet(test::source_dir() + "/hwmodels/profiles").load("llama.cpp");
  sim::DeviceModel model() const {
    return sim::make_device_model(system, *system.first_device(hwmodels::DeviceKind::cpu), profile, kinds, 0);
  }
};

// A prompt chunk of 512 tokens through a 4096 x 4096 projection.
workloads::Op prompt_gemm(const std::string& family, double bytes_per_weight) {
  workloads::Op op;
  op.kind = workloads::OpKind::matmul;
  op.m = 512, op.n = 4096, op.k = 4096;
  op.flops = 2.0 * 512 * 4096 * 4096;
  op.weight_family = family;
  op.weight_elements = 4096.0 * 4096;
  op.weight_bytes = op.weight_elements * bytes_per_weight;
  return op;
}

}  // namespace

TEST_CASE("a q4_0 prompt GEMM on Graviton3 runs at 8x the f32 rate (SMMLA), on a Pi 4 at 2x", "[sim][cpu-isa]") {
  // Graviton3: 64 Neoverse V1 cores x 2.6 GHz x 32 f32 FLOP = 5.3248 TFLOP/s; SMMLA does 8x the
  // multiply-adds of FMLA per cycle: 42.5984 TOPS. Pi 4: 0.048 TFLOP/s, no dot product (2x at most).
  for (const auto& [id, int8_tops] : {std::pair<std::string, double>{"graviton3", 42.5984}, {"raspberry-pi-4", 0.096}}) {
    const Cpu cpu(id);
    const auto d = cpu.model();
    const auto q4 = sim::cost_op(prompt_gemm("ggml", 18.0 / 32), d);
    CHECK(q4.compute_dtype == "int8");
    const double fraction = d.efficiency.matmul.max_fraction;  // one 1 x 1 tile: no fill loss
    CHECK(q4.compute_s == Approx(2.0 * 512 * 4096 * 4096 / (int8_tops * 1e12 * fraction)).epsilon(0.01));
    const auto f32 = sim::cost_op(prompt_gemm("float32", 4), d);
    CHECK(f32.compute_s / q4.compute_s == Approx(int8_tops / d.peak("f32") * 1e12).epsilon(0.01));
  }
}

TEST_CASE("on a Sapphire Rapids Xeon the quantised GEMM takes AVX-512 VNNI (4x f32), not AMX (32x)", "[sim][cpu-isa]") {
  // w9-3475X at 2.2 GHz: 36 x 2.2 x 64 = 5.0688 TFLOP/s f32; VNNI 4x = 20.2752 TOPS; AMX 162.2 TOPS.
  const Cpu cpu("xeon-w9-3475x");
  const auto d = cpu.model();
  const auto q4 = sim::cost_op(prompt_gemm("ggml", 18.0 / 32), d);
  CHECK(q4.compute_dtype == "int8_simd");
  CHECK(q4.compute_s == Approx(2.0 * 512 * 4096 * 4096 / (20.2752e12 * d.efficiency.matmul.max_fraction)).epsilon(0.01));
  CHECK(d.peak("int8") == Approx(162.2e12));
}

TEST_CASE("an N100's Gracemont cores run the quantised GEMM with AVX-VNNI at 2x their f32 rate", "[sim][cpu-isa]") {
  // 4 cores x 2.89 GHz: 16 f32 FLOP/cycle (185 GFLOP/s), VPDPBUSD 32 int8 ops/cycle (370 GOPS).
  const Cpu cpu("intel-n100");
  const auto d = cpu.model();
  const auto q4 = sim::cost_op(prompt_gemm("ggml", 18.0 / 32), d);
  CHECK(q4.compute_dtype == "int8");
  CHECK(q4.compute_s == Approx(2.0 * 512 * 4096 * 4096 / (0.370e12 * d.efficiency.matmul.max_fraction)).epsilon(0.01));
  CHECK(sim::cost_op(prompt_gemm("float32", 4), d).compute_s / q4.compute_s == Approx(0.370 / 0.185).epsilon(0.01));
}

TEST_CASE("a Zen 2 core has no faster int8 path: q4_0 and f32 GEMMs run at one rate", "[sim][cpu-isa]") {
  // Zen 2 issues maddubs and madd on one pipe (16 int8 MACs/cycle) and FMA on two (16 f32 MACs).
  const Cpu cpu("threadripper-3970x");
  const auto d = cpu.model();
  CHECK(sim::cost_op(prompt_gemm("ggml", 18.0 / 32), d).compute_s ==
        Approx(sim::cost_op(prompt_gemm("float32", 4), d).compute_s).epsilon(0.001));
}

TEST_CASE("bf16 weights run at AVX512_BF16's 2x on Zen 4, at f32 on Zen 3, at the vector rate beside AMX",
          "[sim][cpu-isa]") {
  // Ryzen 9 7940HS: 1.024 TFLOP/s f32, 2.048 bf16 (VDPBF16PS). Ryzen 9 5950X: no AVX512_BF16.
  // Xeon w9-3475X: AMX bf16 81.1 TFLOP/s, AVX512_BF16 2 x 5.0688.
  const Cpu zen4("ryzen-9-7940hs"), zen3("ryzen-9-5950x"), spr("xeon-w9-3475x");
  const auto bf16_zen4 = sim::cost_op(prompt_gemm("bfloat16", 2), zen4.model());
  CHECK(bf16_zen4.compute_dtype == "bf16");
  CHECK(sim::cost_op(prompt_gemm("float32", 4), zen4.model()).compute_s / bf16_zen4.compute_s == Approx(2.0).epsilon(0.01));
  CHECK(sim::cost_op(prompt_gemm("bfloat16", 2), zen3.model()).compute_dtype == "f32");
  const auto d = spr.model();
  const auto bf16_spr = sim::cost_op(prompt_gemm("bfloat16", 2), d);
  CHECK(bf16_spr.compute_dtype == "bf16_simd");
  CHECK(bf16_spr.compute_s ==
        Approx(2.0 * 512 * 4096 * 4096 / (2 * 5.0688e12 * d.efficiency.matmul.max_fraction)).epsilon(0.01));
}
