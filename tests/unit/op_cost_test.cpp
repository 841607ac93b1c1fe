#include <catch2/catch.hpp>

#include "hwmodels/catalog.hpp"
#include "hwmodels/memory_kinds.hpp"
#include "sim/op_cost.hpp"
#include "test_paths.hpp"

using namespace llmsim;

namespace {

struct Fixture {
  hwmodels::System system = hwmodels::Catalog(test::catalog_dir()).load(test::fixture("hw/test-box.yaml"));

  sim::DeviceModel device(const std::string& id) const {
    sim::DeviceModel d;
    d.device = system.find_device(id);
    d.memory = &system.memory_of(*d.device);
    d.achievable_bytes_per_s = d.memory->measured_bandwidth_gbs->value * 1e9;
    d.efficiency.launch_overhead_us = 5;
    d.efficiency.vector_fraction = 0.5;
    d.efficiency.memory.kernel_fraction = 0.8;
    d.efficiency.matmul.max_fraction = 0.5;
    d.efficiency.matmul.tiles = {{128, 128, 1.0}};
    d.efficiency.matmul.vector_max_m = 8;
    d.efficiency.matmul.vector_fraction = 0.25;
    d.efficiency.matmul_dtype = {{"float16", "f16"}};
    return d;
  }
};

}  // namespace

TEST_CASE("a GEMV is memory-bound: bytes over achievable bandwidth", "[sim][roofline]") {
  Fixture f;
  workloads::Op op;
  op.kind = workloads::OpKind::matmul;
  op.m = 1, op.n = 4096, op.k = 4096;
  op.flops = 2.0 * 4096 * 4096;
  op.weight_family = "float16";
  op.weight_bytes = 4096.0 * 4096 * 2;
  const auto c = sim::cost_op(op, f.device("gpu"));
  CHECK(c.vector_path);
  CHECK(c.memory_s == Approx(op.weight_bytes / (100e9 * 0.8)));   // 100 GB/s measured, 80% kernel
  CHECK(c.compute_s == Approx(op.flops / (10e12 * 0.25)));         // f32 vector units at 25%
  CHECK(c.launch_s == Approx(5e-6));
  CHECK(c.bound() == sim::Bound::memory);
  CHECK(c.roofline_s() == Approx(5e-6 + c.memory_s));
}

TEST_CASE("a large GEMM is compute-bound on the matrix units", "[sim][roofline]") {
  Fixture f;
  workloads::Op op;
  op.kind = workloads::OpKind::matmul;
  op.m = 1024, op.n = 1024, op.k = 1024;
  op.flops = 2.0 * 1024 * 1024 * 1024;
  op.weight_family = "float16";
  op.weight_bytes = 1024.0 * 1024 * 2;
  op.kernels = 3;
  const auto c = sim::cost_op(op, f.device("gpu"));
  CHECK_FALSE(c.vector_path);
  CHECK(c.compute_dtype == "f16");
  // 64 tiles of 128x128 on 4 units: 16 full waves, so the efficiency is max_fraction.
  CHECK(c.compute_s == Approx(op.flops / (100e12 * 0.5)));
  CHECK(c.launch_s == Approx(15e-6));
  CHECK(c.bound() == sim::Bound::compute);
}

TEST_CASE("a device without the dtype falls back to the next one it has", "[sim][roofline]") {
  Fixture f;
  const auto npu = f.device("npu");
  std::string used;
  CHECK(npu.peak("f32", &used) == Approx(50e12));
  CHECK(used == "int8");
  const auto gpu = f.device("gpu");
  CHECK(gpu.peak("fp8", &used) == Approx(100e12));
  CHECK(used == "f16");
}

TEST_CASE("a profile's per-step host overhead lands on the sampling op alone", "[sim][roofline]") {
  Fixture f;
  auto device = f.device("gpu");
  device.efficiency.step_overhead_us = 4000;
  workloads::Op sampling;
  sampling.kind = workloads::OpKind::sampling;
  sampling.kernels = 1;
  workloads::Op norm;
  norm.kind = workloads::OpKind::norm;
  norm.kernels = 7;
  CHECK(sim::cost_op(sampling, device).launch_s == Approx(5e-6 + 4000e-6));  // one launch + the loop's host time
  CHECK(sim::cost_op(norm, device).launch_s == Approx(7 * 5e-6));
}

TEST_CASE("a GEMV whose activation and weight rows overflow L1 streams at row_spill_fraction", "[sim][roofline]") {
  Fixture f;
  auto cpu = f.device("cpu");  // L1d 32 KiB in the fixture
  cpu.efficiency.memory.row_spill_fraction = 0.7;
  const auto f32_gemv = [](double n, double k) {
    workloads::Op op;
    op.kind = workloads::OpKind::matmul;
    op.m = 1, op.n = n, op.k = k;
    op.flops = 2 * n * k;
    op.weight_family = "float32";
    op.weight_elements = n * k;
    op.weight_bytes = 4 * n * k;
    op.act_read_bytes = 4 * k;
    return op;
  };
  // k = 4096: 16 KiB of weights + 16 KiB of activation per row = 32 KiB, L1 full: spills.
  const auto spilling = f32_gemv(4096, 4096);
  const auto a = sim::cost_op(spilling, cpu);
  CHECK(a.row_spills_l1);
  CHECK(a.memory_s == Approx(spilling.bytes() / (100e9 * 0.8 * 0.7)));
  // k = 3072: 24 KiB per row fits.
  const auto fitting = f32_gemv(4096, 3072);
  const auto b = sim::cost_op(fitting, cpu);
  CHECK_FALSE(b.row_spills_l1);
  CHECK(b.memory_s == Approx(fitting.bytes() / (100e9 * 0.8)));
  // No L1 size known (the GPU of the fixture): no effect.
  auto gpu = f.device("gpu");
  gpu.efficiency.memory.row_spill_fraction = 0.7;
  CHECK_FALSE(sim::cost_op(spilling, gpu).row_spills_l1);
  // Attention reads K and V rows, not one activation row per weight row: not this effect.
  auto attention = spilling;
  attention.kind = workloads::OpKind::attention;
  CHECK_FALSE(sim::cost_op(attention, cpu).row_spills_l1);
  // A GEMM on the matrix path (M above the GEMV range) blocks its inputs: not this effect.
  auto gemm = spilling;
  gemm.m = 64;
  gemm.act_read_bytes = 64 * 4 * 4096.0;
  CHECK_FALSE(sim::cost_op(gemm, cpu).row_spills_l1);
}

TEST_CASE("a ggml GEMV counts its activation row as q8_0 blocks", "[sim][roofline]") {
  Fixture f;
  auto cpu = f.device("cpu");
  cpu.efficiency.memory.row_spill_fraction = 0.7;
  workloads::Op op;
  op.kind = workloads::OpKind::matmul;
  op.m = 1, op.n = 4096, op.k = 14336;
  op.flops = 2 * op.n * op.k;
  op.weight_family = "ggml";
  op.weight_format = "q8_0";
  op.weight_elements = op.n * op.k;
  op.weight_bytes = op.weight_elements * 34 / 32;
  op.act_read_bytes = 4 * op.k;  // f32 between ops: 56 KiB, but the kernel reads 15.2 KiB of q8_0
  // 15232 + 15232 = 30464 bytes < 32 KiB: fits.
  CHECK_FALSE(sim::cost_op(op, cpu).row_spills_l1);
  op.k = 16384;  // 17408 x 2 = 34816 >= 32768: spills
  op.weight_elements = op.n * op.k;
  op.weight_bytes = op.weight_elements * 34 / 32;
  CHECK(sim::cost_op(op, cpu).row_spills_l1);
}

TEST_CASE("transcendental evaluations cost their function's ops at the f32 vector peak", "[sim][roofline]") {
  Fixture f;
  auto d = f.device("gpu");  // f32 peak 10 TFLOP/s, vector_fraction 0.5, GEMV kernels 0.25
  d.efficiency.transcendental_ops = {{"exp", 200}, {"tanh", 900}};
  workloads::Op act;
  act.kind = workloads::OpKind::elementwise;
  act.vector_ops = 4e6;
  act.transcendentals = 1e6;
  act.transcendental_fn = "tanh";
  // 4e6 / (10e12 x 0.5) = 0.8 us of arithmetic, 1e6 x 900 / 10e12 = 90 us of tanh.
  CHECK(sim::cost_op(act, d).compute_s == Approx(0.8e-6 + 90e-6));
  act.transcendental_fn = "exp";
  CHECK(sim::cost_op(act, d).compute_s == Approx(0.8e-6 + 20e-6));
  act.transcendental_fn = "erf";  // no cost given for erf: the arithmetic alone
  CHECK(sim::cost_op(act, d).compute_s == Approx(0.8e-6));
  d.efficiency.transcendental_ops.clear();
  act.transcendental_fn = "exp";
  CHECK(sim::cost_op(act, d).compute_s == Approx(0.8e-6));

  // Decode attention (GEMV path at 25%): softmax's exps add at the peak, not at the fraction.
  d.efficiency.transcendental_ops = {{"exp", 200}};
  workloads::Op attn;
  attn.kind = workloads::OpKind::attention;
  attn.m = 1, attn.n = 1000, attn.k = 128, attn.batch_count = 32;
  attn.flops = 4.0 * 32 * 128 * 1000;
  attn.vector_ops = 5.0 * 32 * 1000;
  attn.transcendentals = 32 * 1000;
  attn.transcendental_fn = "exp";
  const double arithmetic = (16384000.0 + 160000.0) / (10e12 * 0.25);  // 6.6176 us
  CHECK(sim::cost_op(attn, d).compute_s == Approx(arithmetic + 32000.0 * 200 / 10e12));
}
