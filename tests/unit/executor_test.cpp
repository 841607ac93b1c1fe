#include <catch2/catch.hpp>

#include "fresh_process.hpp"
#include "test_box_devices.hpp"
#include "hwmodels/catalog.hpp"
#include "sim/executor.hpp"
#include "sim/platform.hpp"
#include "test_paths.hpp"

using namespace llmsim;

namespace {

struct Task {
  std::string device;
  std::string memory;
  double launch_s = 0;
  double work_s = 0;
  double bytes = 0;
  std::vector<std::size_t> inputs;
};

// Simulates `tasks` on the test box (shared memory: 100 GB/s; local memory: 1000 GB/s;
// bus between them: 10 GB/s, 2 us) and returns start and end time of each task.
std::vector<double> simulate(const std::vector<Task>& tasks, int streams = 1) {
  return test::in_fresh_process([&] {
    const auto system = hwmodels::Catalog(test::catalog_dir()).load(test::fixture("hw/test-box.yaml"));
    const std::vector<sim::DeviceModel> devices = test::devices_at_measured_bandwidth(system);
    sim::Platform platform(system, devices);
    workloads::OpGraph graph;
    std::vector<sim::PlannedOp> plan;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      workloads::Op op;
      op.name = "t" + std::to_string(i);
      graph.add(op, tasks[i].inputs);
      const std::size_t memory = platform.memory_index(tasks[i].memory);
      if (tasks[i].device.rfind("copy:", 0) == 0) {
        // A copy from `memory` to the memory named after "copy:", on its own stream.
        const std::size_t to = platform.memory_index(tasks[i].device.substr(5));
        plan.push_back(sim::PlannedOp::copy(platform.device_count() + i, platform.memory_host(memory),
                                            platform.memory_host(to), tasks[i].launch_s, tasks[i].bytes));
      } else {
        const std::size_t device = platform.device_index(tasks[i].device);
        plan.push_back(sim::PlannedOp::on_device(device, platform.device_host(device), platform.memory_host(memory),
                                                 tasks[i].launch_s, tasks[i].work_s, tasks[i].bytes));
      }
    }
    sim::Executor executor(platform);
    std::vector<int> limits(platform.device_count(), streams);
    limits.resize(platform.device_count() + tasks.size(), 1);
    const auto timings = executor.run(graph, plan, limits);
    std::vector<double> out;
    for (const auto& t : timings) {
      out.push_back(t.start);
      out.push_back(t.end);
    }
    return out;
  });
}

}  // namespace

TEST_CASE("a memory-bound op alone takes bytes / bandwidth", "[sim][executor]") {
  const auto t = simulate({{"gpu", "shared", 0, 1e-3, 1e9, {}}});
  CHECK(t[1] == Approx(1e9 / 100e9));
}

TEST_CASE("a compute-bound op alone takes its compute time", "[sim][executor]") {
  const auto t = simulate({{"gpu", "shared", 0, 5e-3, 1e6, {}}});
  CHECK(t[1] == Approx(5e-3));
}

TEST_CASE("two ops streaming from one memory link take twice as long", "[sim][executor][contention]") {
  // GPU and NPU both read 1 GB from the shared 100 GB/s memory at the same time.
  const auto t = simulate({{"gpu", "shared", 0, 1e-6, 1e9, {}}, {"npu", "shared", 0, 1e-6, 1e9, {}}});
  CHECK(t[1] == Approx(2 * 1e9 / 100e9));
  CHECK(t[3] == Approx(2 * 1e9 / 100e9));
}

TEST_CASE("ops on different memories do not slow each other", "[sim][executor][contention]") {
  const auto t = simulate({{"gpu", "shared", 0, 1e-6, 1e9, {}}, {"accel", "local", 0, 1e-6, 1e9, {}}});
  CHECK(t[1] == Approx(1e9 / 100e9));
  CHECK(t[3] == Approx(1e9 / 1000e9));
}

TEST_CASE("launch overhead comes before the op's roofline time", "[sim][executor]") {
  const auto t = simulate({{"gpu", "shared", 1e-3, 1e-6, 1e9, {}}});
  CHECK(t[0] == Approx(1e-3));
  CHECK(t[1] == Approx(1e-3 + 1e9 / 100e9));
}

TEST_CASE("dependencies order the ops", "[sim][executor][dag]") {
  // a -> b -> c, and d depends on both a and c: each 1 ms (1e8 bytes at 100 GB/s).
  const auto t = simulate({{"gpu", "shared", 0, 0, 1e8, {}},
                           {"gpu", "shared", 0, 0, 1e8, {0}},
                           {"cpu", "shared", 0, 0, 1e8, {1}},
                           {"npu", "shared", 0, 0, 1e8, {0, 2}}});
  CHECK(t[1] == Approx(1e-3));
  CHECK(t[2] >= t[1]);
  CHECK(t[3] == Approx(2e-3));
  CHECK(t[5] == Approx(3e-3));
  CHECK(t[6] >= t[5]);
  CHECK(t[7] == Approx(4e-3));
}

TEST_CASE("a device runs as many ops at once as it has streams", "[sim][executor]") {
  const std::vector<Task> two = {{"gpu", "shared", 0, 0, 1e9, {}}, {"gpu", "shared", 0, 0, 1e9, {}}};
  const auto serial = simulate(two, 1);
  CHECK(serial[1] == Approx(0.01));
  CHECK(serial[3] == Approx(0.02));
  const auto parallel = simulate(two, 2);
  CHECK(parallel[1] == Approx(0.02));
  CHECK(parallel[3] == Approx(0.02));
}

TEST_CASE("a copy between memories takes bytes / link bandwidth plus latency", "[sim][executor]") {
  // 1e8 bytes from the shared memory to the local one over the 10 GB/s, 2 us bus.
  const auto t = simulate({{"copy:local", "shared", 0, 0, 1e8, {}}});
  CHECK(t[1] == Approx(1e8 / 10e9 + 2e-6));
}

TEST_CASE("a full-duplex link carries both directions at full speed", "[sim][executor][contention]") {
  const auto t = simulate({{"copy:local", "shared", 0, 0, 1e8, {}}, {"copy:shared", "local", 0, 0, 1e8, {}}});
  CHECK(t[1] == Approx(1e8 / 10e9 + 2e-6));
  CHECK(t[3] == Approx(1e8 / 10e9 + 2e-6));
  // Two copies the same way share it.
  const auto same = simulate({{"copy:local", "shared", 0, 0, 1e8, {}}, {"copy:local", "shared", 0, 0, 1e8, {}}});
  CHECK(same[1] == Approx(2 * 1e8 / 10e9 + 2e-6));
}

TEST_CASE("reading another memory crosses the link between them", "[sim][executor]") {
  // 1e8 bytes over the 10 GB/s bus with 2 us latency, then the local memory link.
  const auto t = simulate({{"gpu", "local", 0, 0, 1e8, {}}});
  CHECK(t[1] == Approx(1e8 / 10e9 + 2e-6));
}
