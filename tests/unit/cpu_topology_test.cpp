// CPU dies and caches (test-ccd-box: 16 cores on 4 dies with 25 GB/s links, 40 GB/s per core,
// 1 MiB L2 per core plus a 32 MiB LLC read at 50 GB/s per core, memory 400 GB/s), and GEMVs
// whose multiply-adds run at the int8 dot-product rate. Every expected number is worked out
// here from those round figures.
#include <catch2/catch.hpp>

#include "cpu_fixture.hpp"
#include "sim/op_cost.hpp"

using namespace llmsim;

namespace {

struct CcdBox : test::CpuFixture {
  CcdBox() : CpuFixture("hw/test-ccd-box.yaml") {}
  sim::DeviceModel model(int threads, double resident_bytes = 0) const {
    return CpuFixture::model("cpu", threads, resident_bytes);
  }
};

// A decode GEMV (one token) over a 4096 x 4096 q4_0 matrix: 4.5 bits per weight.
workloads::Op q4_0_gemv() {
  workloads::Op op;
  op.kind = workloads::OpKind::matmul;
  op.m = 1, op.n = 4096, op.k = 4096;
  op.flops = 2.0 * 4096 * 4096;
  op.weight_family = "ggml";
  op.weight_format = "q4_0";
  op.weight_elements = 4096.0 * 4096;
  op.weight_bytes = 4096.0 * 4096 * 18 / 32;
  return op;
}

constexpr double kMiB = 1048576.0;

}  // namespace

TEST_CASE("4 dies cap a 16-core CPU at 4 x the die link, fewer threads reach fewer dies", "[sim][topology]") {
  CcdBox b;
  // 16 threads: cores could draw 16 x 40 = 640 GB/s and memory gives 400, but 4 links give 100.
  const auto all = b.model(0);
  CHECK(all.achievable_bytes_per_s == Approx(100e9));
  CHECK(all.bandwidth_basis.find("4 of 4 dies x 25 GB/s") != std::string::npos);
  // 2 threads spread over 2 dies: min(2 x 40, 2 x 25) = 50 GB/s.
  CHECK(b.model(2).achievable_bytes_per_s == Approx(50e9));
  // 1 thread: one die link (25) is tighter than the core (40).
  CHECK(b.model(1).achievable_bytes_per_s == Approx(25e9));
  // A decode GEMV is memory-bound here, so 1 thread takes 100 / 25 = 4x as long as 16.
  const auto one = sim::cost_op(q4_0_gemv(), b.model(1));
  const auto sixteen = sim::cost_op(q4_0_gemv(), b.model(16));
  CHECK(one.memory_s == Approx(4 * sixteen.memory_s));
}

TEST_CASE("a model that fits in the LLC plus the cores' L2 is read from cache, not DRAM", "[sim][topology]") {
  CcdBox b;
  // Capacity with every core: 32 MiB LLC + 16 x 1 MiB L2 = 48 MiB.
  CHECK(sim::cache_capacity_bytes(*b.system.find_device("cpu")) == Approx(48 * kMiB));
  const auto fits = b.model(0, 40 * kMiB);
  CHECK(fits.cache_resident);
  CHECK(fits.achievable_bytes_per_s == Approx(16 * 50e9));  // 16 cores x 50 GB/s from cache
  const auto too_big = b.model(0, 60 * kMiB);
  CHECK_FALSE(too_big.cache_resident);
  CHECK(too_big.achievable_bytes_per_s == Approx(100e9));  // the 4 die links
  // On 4 threads only 32 + 4 x 1 = 36 MiB is there: the 40 MiB model streams from DRAM again.
  CHECK_FALSE(b.model(4, 40 * kMiB).cache_resident);
  // The same GEMV reads 8x faster from cache (800 GB/s) than through the die links (100 GB/s).
  const auto cached = sim::cost_op(q4_0_gemv(), fits);
  const auto dram = sim::cost_op(q4_0_gemv(), too_big);
  CHECK(dram.memory_s == Approx(8 * cached.memory_s));
}

TEST_CASE("a q4_0 GEMV on a CPU multiplies at the int8 dot rate and unpacks on the f32 lanes", "[sim][topology]") {
  CcdBox b;
  const auto d = b.model(0);
  REQUIRE(d.efficiency.matmul.vector_max_m == 1);
  REQUIRE(d.efficiency.gemv_dtype.at("ggml") == "int8_simd");
  const double fraction = d.efficiency.matmul.vector_fraction;
  const double unpack = d.efficiency.dequant_ops_per_weight.at("q4_0");
  const auto c = sim::cost_op(q4_0_gemv(), d);
  CHECK(c.vector_path);
  CHECK(c.compute_dtype == "int8");
  // 33.55 M multiply-add FLOP at 4 TOPS int8 plus 16.78 M weights x `unpack` ops at 1 TFLOP/s
  // f32, both at the GEMV fraction: with the profile's 0.5 and 2 ops, 16.8 us + 67.1 us.
  const double weights = 4096.0 * 4096;
  const double expected = 2 * weights / (4e12 * fraction) + weights * unpack / (1e12 * fraction);
  CHECK(c.compute_s == Approx(expected));
  // Without the int8 path (f32 weights as in a profile that maps nothing), the same FLOP run at
  // the f32 rate: 4x as long for the multiply-adds.
  auto f32_profile = d;
  f32_profile.efficiency.gemv_dtype.clear();
  const auto slow = sim::cost_op(q4_0_gemv(), f32_profile);
  CHECK(slow.compute_s == Approx(2 * weights / (1e12 * fraction) + weights * unpack / (1e12 * fraction)));
}
