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
