// Properties every simulation must have, checked on random DAGs (fixed seeds, so a failure
// reproduces): the run completes; no op starts before all its inputs end; the makespan lies
// between the critical path of the ops' roofline times alone and the sum of those times (the
// executor can overlap ops but never slow the whole below one op at a time); and no link
// carries more bytes in any time window than its bandwidth allows.
//
// The platform is tests/fixtures/hw/test-box.yaml: gpu, npu and cpu on `shared` memory
// (100 GB/s measured), accel on `local` (1000 GB/s), a 10 GB/s bus with 2 us latency between.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "fresh_process.hpp"
#include "test_box_devices.hpp"
#include "hwmodels/catalog.hpp"
#include "sim/executor.hpp"
#include "sim/platform.hpp"
#include "test_paths.hpp"

using namespace llmsim;

namespace {

constexpr double kShared = 100e9;  // bytes/s of the memory link of `shared`
constexpr double kLocal = 1000e9;  // bytes/s of `local`
constexpr double kBus = 10e9;      // bytes/s of the bus, the narrowest link of a copy
constexpr double kBusLatency = 2e-6;

enum class Where { shared, local, copy };  // an op on a shared-memory device, on accel, a copy shared -> local

struct RandomOp {
  std::string device;  // gpu | npu | cpu | accel | "" for a copy
  Where where = Where::shared;
  double launch_s = 0;
  double work_s = 0;
  double bytes = 0;
  std::vector<std::size_t> inputs;  // all earlier ops: the graph is acyclic by construction
};

std::vector<RandomOp> random_dag(unsigned seed) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](double lo, double hi) { return lo + (hi - lo) * (static_cast<double>(rng() >> 11) * 0x1.0p-53); };
  const std::size_t n = 1 + rng() % 80;
  std::vector<RandomOp> ops(n);
  const char* devices[] = {"gpu", "npu", "cpu", "accel", ""};
  for (std::size_t i = 0; i < n; ++i) {
    auto& op = ops[i];
    op.device = devices[rng() % 5];
    op.where = op.device == "accel" ? Where::local : op.device.empty() ? Where::copy : Where::shared;
    op.launch_s = rng() % 3 == 0 ? 0 : uniform(0, 2e-5);
    op.work_s = op.where == Where::copy ? 0 : uniform(0, 2e-3);
    op.bytes = rng() % 4 == 0 && op.where != Where::copy ? 0 : uniform(1e3, 2e8);
    const std::size_t fan_in = i == 0 ? 0 : rng() % 4;
    for (std::size_t k = 0; k < fan_in; ++k) op.inputs.push_back(rng() % i);
    std::sort(op.inputs.begin(), op.inputs.end());
    op.inputs.erase(std::unique(op.inputs.begin(), op.inputs.end()), op.inputs.end());
  }
  return ops;
}

// Time of an op alone: launch, then the slower of its compute and its bytes over the narrowest link.
double alone_s(const RandomOp& op, bool with_latency) {
  const double bandwidth = op.where == Where::shared ? kShared : op.where == Where::local ? kLocal : kBus;
  const double latency = op.where == Where::copy && with_latency ? kBusLatency : 0;
  return op.launch_s + latency + std::max(op.work_s, op.bytes / bandwidth);
}

// issued, start, end per op, from a fresh SimGrid engine.
std::vector<double> simulate(const std::vector<RandomOp>& ops) {
  return test::in_fresh_process([&] {
    const auto system = hwmodels::Catalog(test::catalog_dir()).load(test::fixture("hw/test-box.yaml"));
    const std::vector<sim::DeviceModel> devices = test::devices_at_measured_bandwidth(system);
    sim::Platform platform(system, devices);
    const std::size_t shared = platform.memory_host(platform.memory_index("shared"));
    const std::size_t local = platform.memory_host(platform.memory_index("local"));
    workloads::OpGraph graph;
    std::vector<sim::PlannedOp> plan;
    std::size_t copy_streams = 0;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      workloads::Op op;
      op.name = "op" + std::to_string(i);
      graph.add(op, ops[i].inputs);
      if (ops[i].where == Where::copy) {
        plan.push_back(sim::PlannedOp::copy(platform.device_count() + copy_streams++ % 2, shared, local,
                                            ops[i].launch_s, ops[i].bytes));
      } else {
        const std::size_t d = platform.device_index(ops[i].device);
        plan.push_back(sim::PlannedOp::on_device(d, platform.device_host(d), ops[i].where == Where::local ? local : shared,
                                                 ops[i].launch_s, ops[i].work_s, ops[i].bytes));
      }
    }
    std::vector<int> limits(platform.device_count(), 2);  // two streams per device, two copy engines
    limits.push_back(1);
    limits.push_back(1);
    sim::Executor executor(platform);
    std::vector<double> out;
    for (const auto& t : executor.run(graph, plan, limits)) out.insert(out.end(), {t.issued, t.start, t.end});
    return out;
  });
}

}  // namespace

TEST_CASE("random DAGs simulate within their roofline bounds", "[sim][executor][property]") {
  for (unsigned seed = 1; seed <= 25; ++seed) {
    const auto ops = random_dag(seed);
    CAPTURE(seed, ops.size());
    const auto t = simulate(ops);
    REQUIRE(t.size() == 3 * ops.size());  // every op ran to completion
    auto issued = [&](std::size_t i) { return t[3 * i]; };
    auto start = [&](std::size_t i) { return t[3 * i + 1]; };
    auto end = [&](std::size_t i) { return t[3 * i + 2]; };
    const double origin = *std::min_element(t.begin(), t.end());
    const double tol = 1e-9;

    // Dependencies: an op takes its stream slot only after every input has ended.
    double makespan = 0, sum = 0;
    std::vector<double> path(ops.size(), 0);  // longest chain of alone-times ending with op i
    for (std::size_t i = 0; i < ops.size(); ++i) {
      CHECK(issued(i) <= start(i));
      CHECK(start(i) <= end(i));
      double ready = 0;
      for (std::size_t j : ops[i].inputs) {
        CHECK(issued(i) >= end(j) - tol);
        ready = std::max(ready, path[j]);
      }
      path[i] = ready + alone_s(ops[i], false);
      sum += alone_s(ops[i], true);
      makespan = std::max(makespan, end(i) - origin);
    }
    const double critical = *std::max_element(path.begin(), path.end());
    CHECK(makespan >= critical * (1 - 1e-9) - 1e-12);
    CHECK(makespan <= sum * (1 + 1e-9) + 1e-12);

    // Links: in every window between two event times, the bytes of the ops that ran wholly
    // inside it fit through each link they all cross.
    struct LinkUse {
      double bandwidth;
      std::vector<std::size_t> ops;
    };
    std::vector<LinkUse> links{{kShared, {}}, {kLocal, {}}, {kBus, {}}};
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (ops[i].where != Where::local) links[0].ops.push_back(i);  // copies read shared memory too
      if (ops[i].where != Where::shared) links[1].ops.push_back(i); // and write local memory
      if (ops[i].where == Where::copy) links[2].ops.push_back(i);
    }
    for (const auto& link : links) {
      for (std::size_t a : link.ops) {
        for (std::size_t b : link.ops) {
          if (end(b) < start(a)) continue;
          double bytes = 0;
          for (std::size_t k : link.ops) {
            if (start(k) >= start(a) - tol && end(k) <= end(b) + tol) bytes += ops[k].bytes;
          }
          CHECK(bytes <= link.bandwidth * (end(b) - start(a)) * (1 + 1e-6) + 1.0);
        }
      }
    }
  }
}

TEST_CASE("a random chain takes exactly the sum of its ops' times", "[sim][executor][property]") {
  // With every op depending on the one before, nothing overlaps: the makespan is the sum (and
  // the critical path) of the alone-times, so the two bounds above meet.
  for (unsigned seed = 100; seed < 105; ++seed) {
    auto ops = random_dag(seed);
    for (std::size_t i = 0; i < ops.size(); ++i) ops[i].inputs = i == 0 ? std::vector<std::size_t>{} : std::vector<std::size_t>{i - 1};
    CAPTURE(seed, ops.size());
    const auto t = simulate(ops);
    double sum = 0;
    for (const auto& op : ops) sum += alone_s(op, true);
    CHECK(t.back() - t.front() == Approx(sum).epsilon(1e-6));
  }
}
