// CPU thread counts: a CPU runs on the threads the engine starts, so its peaks scale with the
// cores in use and its memory reads are capped at threads x the bandwidth one core can draw,
// on its own access link (test-box: 8 cores, 1 TFLOP/s f32, 20 GB/s per core, memory 100 GB/s).
#include <catch2/catch.hpp>

#include "cpu_fixture.hpp"
#include "fresh_process.hpp"
#include "sim/op_cost.hpp"
#include "sim/platform.hpp"
#include "test_paths.hpp"

using namespace llmsim;

namespace {

struct Box : test::CpuFixture {
  Box() : CpuFixture("hw/test-box.yaml") {}
};

workloads::Op big_gemm() {
  workloads::Op op;
  op.kind = workloads::OpKind::matmul;
  op.m = 512, op.n = 4096, op.k = 4096;
  op.flops = 2.0 * 512 * 4096 * 4096;
  op.weight_family = "float32";
  op.weight_bytes = 4096.0 * 4096 * 4;
  return op;
}

}  // namespace

TEST_CASE("2 of 8 cores: a quarter of every peak and 2 x 20 GB/s of the memory's 100", "[sim][threads]") {
  Box b;
  const auto d = b.model("cpu", 2);
  CHECK(d.units() == 2);
  CHECK(d.peak("f32") == Approx(0.25e12));
  CHECK(d.achievable_bytes_per_s == Approx(40e9));
  CHECK(d.bandwidth_basis.find("2 threads x 20 GB/s") != std::string::npos);
  const auto all = b.model("cpu", 0);
  CHECK(all.units() == 8);
  CHECK(all.peak("f32") == Approx(1e12));
  CHECK(all.achievable_bytes_per_s == Approx(100e9));  // the memory's measured bandwidth
}

TEST_CASE("a compute-bound GEMM on 1 thread takes 8x as long as on all 8 cores", "[sim][threads]") {
  Box b;
  const auto one = sim::cost_op(big_gemm(), b.model("cpu", 1));
  const auto eight = sim::cost_op(big_gemm(), b.model("cpu", 8));
  REQUIRE(eight.bound() == sim::Bound::compute);
  CHECK(one.compute_s == Approx(8 * eight.compute_s));
  // 5 threads draw 100 GB/s between them (5 x 20): the memory, not the cores, is the limit.
  CHECK(b.model("cpu", 5).achievable_bytes_per_s == Approx(100e9));
  CHECK(b.model("cpu", 4).achievable_bytes_per_s == Approx(80e9));
}

TEST_CASE("more threads than cores add nothing, and other devices ignore the thread count", "[sim][threads]") {
  Box b;
  const auto smt = b.model("cpu", 16);
  CHECK(smt.peak("f32") == Approx(1e12));
  CHECK(smt.achievable_bytes_per_s == Approx(100e9));
  const auto gpu = b.model("gpu", 2);
  CHECK(gpu.peak("f32") == Approx(10e12));
  CHECK(gpu.units() == 4);
}

TEST_CASE("a CPU on few threads reads through its own access link, the GPU on the same memory does not",
          "[sim][threads]") {
  const auto v = test::in_fresh_process([] {
    Box b;
    std::vector<sim::DeviceModel> devices;
    for (const auto& d : b.system.devices) devices.push_back(b.model(d.id, 2));
    sim::Platform platform(b.system, devices);
    const std::size_t shared = platform.memory_index("shared");
    const std::size_t cpu = platform.device_index("cpu"), gpu = platform.device_index("gpu");
    const auto& cpu_links = platform.route_links(platform.memory_host(shared), platform.device_host(cpu));
    const auto& gpu_links = platform.route_links(platform.memory_host(shared), platform.device_host(gpu));
    auto has_access = [](const std::vector<std::string>& links) {
      for (const auto& l : links)
        if (l.rfind("access:", 0) == 0) return 1.0;
      return 0.0;
    };
    return std::vector<double>{has_access(cpu_links), has_access(gpu_links),
                               platform.route_bandwidth(platform.memory_host(shared), platform.device_host(cpu)),
                               platform.route_bandwidth(platform.memory_host(shared), platform.device_host(gpu))};
  });
  CHECK(v[0] == 1.0);
  CHECK(v[1] == 0.0);
  CHECK(v[2] == Approx(40e9));
  CHECK(v[3] == Approx(100e9));
}
