#include <catch2/catch.hpp>

#include <algorithm>

#include "fresh_process.hpp"
#include "test_box_devices.hpp"
#include "hwmodels/catalog.hpp"
#include "common/input_error.hpp"
#include "sim/executor.hpp"
#include "sim/placement.hpp"
#include "sim/platform.hpp"
#include "sim/predictor.hpp"
#include "test_paths.hpp"

using namespace llmsim;
using Catch::Matchers::Contains;

namespace {

std::vector<sim::DeviceModel> models_of(const hwmodels::System& system) {
  std::vector<sim::DeviceModel> out = test::devices_at_measured_bandwidth(system);
  for (auto& m : out) m.efficiency.launch_overhead_us = 0;  // collective times below are link time and latency only
  return out;
}

// One all-reduce of `bytes` among the four GPUs of test-ring (50 GB/s ports to a switch,
// 1 us each, so 2 us a hop); returns when it completes.
double all_reduce_seconds(double bytes, sim::CollectiveAlgorithm algorithm,
                          const std::vector<hwmodels::AllReduceImpl>& impls = {}) {
  return test::in_fresh_process([&] {
    const auto system = hwmodels::Catalog(test::catalog_dir()).load(test::fixture("hw/test-ring.yaml"));
    auto devices = models_of(system);
    for (auto& d : devices) d.efficiency.all_reduce = impls;
    sim::Platform platform(system, devices);
    sim::PlacementSpec spec;
    spec.devices = {"gpu0", "gpu1", "gpu2", "gpu3"};
    spec.collectives = algorithm;
    const sim::Placer placer(system, platform, devices, spec, 4, {});
    workloads::OpGraph logical;
    workloads::Op ar;
    ar.name = "allreduce";
    ar.kind = workloads::OpKind::collective;
    ar.collective = workloads::Collective::all_reduce;
    ar.comm_bytes = bytes;
    ar.ranks = {0, 1, 2, 3};
    logical.add(ar, {});
    const auto step = placer.place(logical);
    sim::Executor executor(platform);
    const auto timings = executor.run(step.graph, step.plan, placer.stream_limits());
    double end = 0;
    for (const auto& t : timings) end = std::max(end, t.end);
    return std::vector<double>{end, static_cast<double>(step.graph.size())};
  })[0];
}

sim::PredictRequest tiny_on(const std::string& hardware, const std::string& device) {
  sim::PredictRequest r;
  r.hardware = test::fixture("hw/" + hardware + ".yaml");
  r.model = test::fixture("models/tiny-llama.json");
  r.device = device;
  r.dtype = "f16";
  r.prompt = 0;
  r.gen = 1;
  return r;
}

}  // namespace

TEST_CASE("a ring all-reduce takes 2(N-1)/N x S / bandwidth plus 2(N-1) hop latencies", "[sim][placement]") {
  const double s = 1e8;
  CHECK(all_reduce_seconds(s, sim::CollectiveAlgorithm::ring) == Approx(2.0 * 3 / 4 * s / 50e9 + 2 * 3 * 2e-6));
}

TEST_CASE("an engine's fitted all-reduce costs its alpha plus the ring's bytes at its share of the link",
          "[sim][placement]") {
  hwmodels::AllReduceImpl custom;
  custom.name = "custom";
  custom.max_bytes = 1e6;
  custom.latency_us = 9;
  custom.bandwidth_fraction = 0.5;
  custom.link_kinds = {"nvlink4"};
  hwmodels::AllReduceImpl nccl;
  nccl.name = "nccl-ring";
  nccl.latency_us = 30;
  nccl.bandwidth_fraction = 0.8;
  // 4 ranks on 50 GB/s ports: a ring moves 2 x 3/4 of the message per link.
  // 1e5 bytes take the custom kernel: 9 us + 1.5e5 / (50e9 x 0.5) = 9 + 6 = 15 us.
  CHECK(all_reduce_seconds(1e5, sim::CollectiveAlgorithm::ring, {custom, nccl}) == Approx(15e-6));
  // 1e8 bytes are over its limit and take NCCL's ring: 30 us + 1.5e8 / (50e9 x 0.8) = 30 + 3750 us.
  CHECK(all_reduce_seconds(1e8, sim::CollectiveAlgorithm::ring, {custom, nccl}) == Approx(3780e-6));
  // A kernel that needs links of another kind is passed over.
  custom.link_kinds = {"nvlink5"};
  CHECK(all_reduce_seconds(1e5, sim::CollectiveAlgorithm::ring, {custom, nccl}) == Approx(30e-6 + 1.5e5 / 40e9));
  // The formula the fit uses gives the same times.
  CHECK(hwmodels::all_reduce_seconds(nccl, 1e8, 4, 50) == Approx(3780e-6));
}

TEST_CASE("a tree all-reduce takes 2 log2(N) steps of the whole payload", "[sim][placement]") {
  const double s = 1e8;
  CHECK(all_reduce_seconds(s, sim::CollectiveAlgorithm::tree) == Approx(2 * 2 * (s / 50e9 + 2e-6)));
}

TEST_CASE("an offloaded layer costs its weight bytes over the link, plus a copy's fixed costs", "[sim][placement]") {
  // tiny-llama on test-box's accel (local memory), weights offloaded to the shared memory over
  // the 10 GB/s, 2 us bus. Per layer: 9 weight tensors (two norms of 64 f32, q and o 64x64,
  // k and v 32x64, gate, up and down 128x64, all f16) = 512 + 2 * 36864 bytes... per copy
  // the llama.cpp profile's 5 us launch and the bus's 2 us.
  const auto v = test::in_fresh_process([] {
    sim::Predictor predictor{sim::DataPaths(test::source_dir())};
    auto local = tiny_on("test-box", "accel");
    auto offloaded = local;
    offloaded.placement.policy = sim::PlacementPolicy::offload;
    offloaded.placement.memory_fraction = 1e-6;  // nothing fits: every layer offloaded
    const auto a = predictor.predict(local);
    return std::vector<double>{a.decode.seconds};
  });
  const auto w = test::in_fresh_process([] {
    sim::Predictor predictor{sim::DataPaths(test::source_dir())};
    auto offloaded = tiny_on("test-box", "accel");
    offloaded.placement.policy = sim::PlacementPolicy::offload;
    offloaded.placement.memory_fraction = 1e-6;
    const auto b = predictor.predict(offloaded);
    return std::vector<double>{b.decode.seconds, static_cast<double>(b.offloaded_layers.size())};
  });
  CHECK(w[1] == 2);
  const double layer_bytes = 2 * 64 * 4 + 2 * (2 * 64 * 64 + 2 * 32 * 64 + 3 * 128 * 64);
  const double copies = 2 * 9;
  const double copy_time = 2 * layer_bytes / 10e9 + copies * (5e-6 + 2e-6);
  CHECK(w[0] - v[0] == Approx(copy_time));
  // With prefetch the copies run on the copy engine while earlier layers compute: faster than
  // copying in line, never faster than the copies alone back to back.
  const auto p = test::in_fresh_process([] {
    auto r = tiny_on("test-box", "accel");
    r.placement.policy = sim::PlacementPolicy::offload;
    r.placement.memory_fraction = 1e-6;
    r.placement.prefetch = true;
    return std::vector<double>{sim::Predictor(sim::DataPaths(test::source_dir())).predict(r).decode.seconds};
  });
  CHECK(p[0] < w[0]);
  CHECK(p[0] >= copy_time);
}

TEST_CASE("devices sharing a memory hand over without copies; others copy the activations", "[sim][placement]") {
  const auto v = test::in_fresh_process([] {
    const auto system = hwmodels::Catalog(test::catalog_dir()).load(test::fixture("hw/test-box.yaml"));
    const auto devices = models_of(system);
    sim::Platform platform(system, devices);
    auto count_copies = [&](const std::string& other) {
      sim::PlacementSpec spec;
      spec.policy = sim::PlacementPolicy::by_op_class;
      spec.devices = {"gpu"};
      spec.op_classes = {{"attention", other}, {"default", "gpu"}};
      const sim::Placer placer(system, platform, devices, spec, 1, {});
      workloads::OpGraph g;
      workloads::Op a, b, c;
      a.name = "norm", a.group = "norm", a.output_bytes = 1000;
      b.name = "attn", b.group = "attention", b.kind = workloads::OpKind::attention, b.output_bytes = 500;
      c.name = "proj", c.group = "mlp";
      g.add(c, {g.add(b, {g.add(a, {})})});
      const auto step = placer.place(g);
      double copied = 0;
      for (std::size_t i = 0; i < step.graph.size(); ++i)
        if (step.graph.op(i).kind == workloads::OpKind::transfer) copied += step.graph.op(i).comm_bytes;
      return copied;
    };
    return std::vector<double>{count_copies("npu"), count_copies("accel")};
  });
  CHECK(v[0] == 0);            // npu reads the same shared memory as the gpu
  CHECK(v[1] == 1000 + 500);   // accel has its own memory: its input in, its output out
}

TEST_CASE("ranks sharing one memory all-reduce in place: one pass reading every partial, no copies",
          "[sim][placement]") {
  const auto v = test::in_fresh_process([] {
    const auto system = hwmodels::Catalog(test::catalog_dir()).load(test::fixture("hw/test-box.yaml"));
    const auto devices = models_of(system);
    sim::Platform platform(system, devices);
    sim::PlacementSpec spec;
    spec.devices = {"gpu", "cpu"};  // both read test-box's `shared` memory
    const sim::Placer placer(system, platform, devices, spec, 2, {});
    workloads::OpGraph g;
    workloads::Op ar;
    ar.name = "allreduce";
    ar.kind = workloads::OpKind::collective;
    ar.collective = workloads::Collective::all_reduce;
    ar.comm_bytes = 1e6;
    ar.ranks = {0, 1};
    g.add(ar, {});
    const auto step = placer.place(g);
    double copies = 0, sums = 0, read = 0, written = 0;
    for (std::size_t i = 0; i < step.graph.size(); ++i) {
      const auto& op = step.graph.op(i);
      if (op.kind == workloads::OpKind::transfer) ++copies;
      if (op.name == "allreduce.shared_memory_sum") ++sums, read += op.act_read_bytes, written += op.act_write_bytes;
    }
    return std::vector<double>{copies, sums, read, written};
  });
  CHECK(v[0] == 0);
  CHECK(v[1] == 1);
  CHECK(v[2] == 2e6);  // both ranks' partial sums
  CHECK(v[3] == 1e6);  // the total, read in place by both
}

TEST_CASE("impossible placements are refused with what is wrong", "[sim][placement][bad-input]") {
  const sim::Predictor predictor{sim::DataPaths(test::source_dir())};
  auto check_error = [&](sim::PredictRequest r, const std::string& fragment) {
    CHECK_THROWS_WITH(test::in_fresh_process([&] {
                        predictor.predict(r);
                        return std::vector<double>{};
                      }),
                      Contains(fragment));
  };
  auto r = tiny_on("test-box", "gpu");
  r.placement.policy = sim::PlacementPolicy::by_op_class;
  r.placement.op_classes = {{"attention", "tpu"}};
  check_error(r, "no device 'tpu'");
  r = tiny_on("test-ring", "gpu0");
  r.tp = 3;
  check_error(r, "4 attention heads of tiny-llama cannot be split over 3 ranks");
  r = tiny_on("test-ring", "gpu0");
  r.placement.policy = sim::PlacementPolicy::by_op_class;
  r.placement.op_classes = {{"attention", "lonely"}};
  check_error(r, "no link joins them");
  r = tiny_on("test-ring", "lonely");
  r.placement.policy = sim::PlacementPolicy::offload;
  check_error(r, "offload needs a second memory linked to 'island'");
  r = tiny_on("test-ring", "gpu0");
  r.tp = 2;
  r.pp = 4;
  check_error(r, "8 ranks need 8 devices");
  // A policy is parsed once, where it is read (flag or scenario key), and named when unknown.
  CHECK_THROWS_WITH(sim::parse_placement_policy("round-robin", "--placement"),
                    Catch::Contains("--placement") && Catch::Contains("unknown placement 'round-robin'") &&
                        Catch::Contains("single, by-op-class, layer-split, offload"));
  CHECK(sim::parse_placement_policy("layer-split", "--placement") == sim::PlacementPolicy::layer_split);
  CHECK(sim::to_string(sim::PlacementPolicy::by_op_class) == "by-op-class");
}

TEST_CASE("a catalog cluster is its node times the node count, joined by the fabric's rails", "[hwmodels][cluster]") {
  const auto system = hwmodels::Catalog(test::catalog_dir()).load("2x-dgx-h100");
  // Each DGX H100 node: 8 GPUs, 8 HBM stacks + host memory, one NVSwitch, 8 NVLink + 8 PCIe links.
  CHECK(system.devices_of(hwmodels::DeviceKind::gpu).size() == 16);
  CHECK(system.memories.size() == 2 * 9);
  CHECK(system.switches.size() == 2 + 8);  // two NVSwitches and eight rails
  CHECK(system.links.size() == 2 * 16 + 16);
  const auto nic = std::find_if(system.links.begin(), system.links.end(), [](const auto& l) { return l.id == "n1.nic3"; });
  REQUIRE(nic != system.links.end());
  CHECK(nic->from == "n1.hbm3");
  CHECK(nic->to == "rail3");
  CHECK(nic->bandwidth_gbs.value == 50);
  // Routes: inside a node the narrowest link is NVLink (450 GB/s a direction); between nodes on
  // the same rail it is the 400 Gb/s NIC; across rails the route also crosses NVLink first.
  const auto v = test::in_fresh_process([&] {
    std::vector<sim::DeviceModel> devices;
    for (const auto& d : system.devices) {
      sim::DeviceModel m;
      m.device = &d;
      m.memory = &system.memory_of(d);
      m.achievable_bytes_per_s = m.memory->bandwidth_bytes_per_s();
      devices.push_back(m);
    }
    sim::Platform p(system, devices);
    auto host = [&](const char* memory) { return p.memory_host(p.memory_index(memory)); };
    auto kind = [&](const char* a, const char* b) {
      const std::string& k = p.route_bottleneck(host(a), host(b));
      return k == "nvlink4" ? 1.0 : k == "infiniband-ndr" ? 2.0 : 0.0;
    };
    return std::vector<double>{kind("n0.hbm0", "n0.hbm5"), p.route_bandwidth(host("n0.hbm0"), host("n0.hbm5")),
                               kind("n0.hbm2", "n1.hbm2"), p.route_bandwidth(host("n0.hbm2"), host("n1.hbm2")),
                               kind("n0.hbm0", "n1.hbm5")};
  });
  CHECK(v[0] == 1.0);
  CHECK(v[1] == 450e9);
  CHECK(v[2] == 2.0);
  CHECK(v[3] == 50e9);
  CHECK(v[4] == 2.0);
}
