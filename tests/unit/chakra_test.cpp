// Chakra execution traces: an exported step imports back to the same graph and the same
// simulated time; hand-built traces give hand-worked times; bad traces fail with errors
// that name the file and the node.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>

#include "fresh_process.hpp"
#include "common/input_error.hpp"
#include "sim/executor.hpp"
#include "sim/predictor.hpp"
#include "sim/simulation_context.hpp"
#include "sim/step_export.hpp"
#include "sim/trace_simulation.hpp"
#include "test_paths.hpp"
#include "workloads/chakra/trace_file.hpp"
#include "workloads/chakra/trace_importer.hpp"

using namespace llmsim;
using Catch::Matchers::Contains;
using ChakraProtoMsg::Node;

namespace {

std::string temp_prefix(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("llmsim-chakra-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

// llama-3-8b, one decode step after a 512-token prompt, tp=2 on two H100s of a DGX.
sim::PredictRequest llama_tp2() {
  sim::PredictRequest r;
  r.hardware = "dgx-h100";
  r.model = "llama-3-8b";
  r.dtype = "bf16";
  r.prompt = 512;
  r.gen = 1;
  r.tp = 2;
  return r;
}

// --- building traces by hand ---

Node& add_node(chakra::TraceFile& f, uint64_t id, const std::string& name, ChakraProtoMsg::NodeType type,
               std::vector<uint64_t> deps = {}) {
  Node& n = f.nodes.emplace_back();
  n.set_id(id);
  n.set_name(name);
  n.set_type(type);
  for (auto d : deps) n.add_data_deps(d);
  return n;
}

ChakraProtoMsg::AttributeProto& attr(Node& n, const std::string& name) {
  auto* a = n.add_attr();
  a->set_name(name);
  return *a;
}

// A GPU compute node as Chakra's converters write it.
Node& compute(chakra::TraceFile& f, uint64_t id, const std::string& name, int64_t num_ops, uint64_t bytes,
              std::vector<uint64_t> deps = {}) {
  Node& n = add_node(f, id, name, ChakraProtoMsg::COMP_NODE, std::move(deps));
  attr(n, "is_cpu_op").set_bool_val(false);
  attr(n, "num_ops").set_int64_val(num_ops);
  attr(n, "tensor_size").set_uint64_val(bytes);
  return n;
}

Node& all_reduce(chakra::TraceFile& f, uint64_t id, int64_t bytes, std::vector<uint64_t> deps) {
  Node& n = add_node(f, id, "allreduce", ChakraProtoMsg::COMM_COLL_NODE, std::move(deps));
  attr(n, "is_cpu_op").set_bool_val(false);
  attr(n, "comm_type").set_int64_val(ChakraProtoMsg::ALL_REDUCE);
  attr(n, "comm_size").set_int64_val(bytes);
  return n;
}

Node& send_or_recv(chakra::TraceFile& f, uint64_t id, bool send, int src, int dst, std::vector<uint64_t> deps = {}) {
  Node& n = add_node(f, id, send ? "send" : "recv",
                     send ? ChakraProtoMsg::COMM_SEND_NODE : ChakraProtoMsg::COMM_RECV_NODE, std::move(deps));
  attr(n, "comm_src").set_int32_val(src);
  attr(n, "comm_dst").set_int32_val(dst);
  attr(n, "comm_tag").set_int32_val(0);
  attr(n, "comm_size").set_int64_val(1000);
  return n;
}

std::vector<chakra::TraceFile> empty_ranks(const std::string& prefix, int ranks) {
  std::vector<chakra::TraceFile> files(static_cast<std::size_t>(ranks));
  for (int r = 0; r < ranks; ++r) {
    files[static_cast<std::size_t>(r)].path = chakra::rank_file_path(prefix, r);
    files[static_cast<std::size_t>(r)].metadata.set_version("0.0.4");
  }
  return files;
}

void write_all(const std::vector<chakra::TraceFile>& files) {
  for (const auto& f : files) chakra::write_trace_file(f);
}

// Simulates PREFIX.<r>.et on the four-GPU test-ring (50 GB/s ports, 1 us each: 2 us a hop)
// under the llama.cpp profile (5 us launch, GEMMs at 0.77 of peak).
double simulate_on_ring(const std::string& prefix, int ranks, bool replay = false) {
  return test::in_fresh_process([&] {
    sim::TraceSimulationRequest q;
    q.hardware = test::fixture("hw/test-ring.yaml");
    q.replay = replay;
    const auto trace = chakra::import_trace(prefix, ranks);
    return std::vector<double>{sim::simulate_trace(sim::DataPaths(test::source_dir()), trace, q).seconds};
  })[0];
}

bool same_op(const workloads::Op& a, const workloads::Op& b) {
  return a.name == b.name && a.kind == b.kind && a.group == b.group && a.layer == b.layer && a.kernels == b.kernels &&
         a.rank == b.rank && a.microbatch == b.microbatch && a.m == b.m && a.n == b.n && a.k == b.k &&
         a.batch_count == b.batch_count && a.flops == b.flops && a.vector_ops == b.vector_ops &&
         a.weight_elements == b.weight_elements && a.weight_format == b.weight_format &&
         a.weight_family == b.weight_family && a.operand_family == b.operand_family && a.weight_key == b.weight_key &&
         a.weight_resident_bytes == b.weight_resident_bytes && a.weight_bytes == b.weight_bytes &&
         a.reads_expanded_weights == b.reads_expanded_weights && a.kv_read_bytes == b.kv_read_bytes &&
         a.kv_write_bytes == b.kv_write_bytes && a.act_read_bytes == b.act_read_bytes &&
         a.act_write_bytes == b.act_write_bytes && a.output_bytes == b.output_bytes && a.collective == b.collective &&
         a.comm_bytes == b.comm_bytes && a.ranks == b.ranks;
}

}  // namespace

TEST_CASE("an exported llama-3-8b tp=2 decode step imports to the same graph and the same time", "[chakra][sim]") {
  const std::string prefix = temp_prefix("llama-tp2");
  const sim::DataPaths paths(test::source_dir());
  const auto exported = test::in_fresh_process([&] {
    sim::StepExportRequest e;
    e.request = llama_tp2();
    e.prefix = prefix;
    const auto x = sim::export_step(paths, e);
    return std::vector<double>{static_cast<double>(x.files.size()), static_cast<double>(x.ops)};
  });
  REQUIRE(exported[0] == 2);

  // The same step lowered, placed and run directly, from time 0 like the import.
  const auto direct = test::in_fresh_process([&] {
    const auto r = llama_tp2();
    const sim::SimulationContext context(paths, r.hardware, r.model, r.software, r.dtype, r.kv_dtype);
    const sim::Deployment d = sim::make_deployment(context, {}, 2, 1, {});
    auto options = d.base;
    options.past_tokens = 512;
    const auto graph = workloads::lower_step(context.model, *context.weights, options);
    const auto imported = chakra::import_trace(prefix, 2);
    double mismatched = 0;
    for (workloads::OpId v = 0; v < graph.size() && v < imported.graph.size(); ++v) {
      if (!same_op(graph.op(v), imported.graph.op(v)) || graph.inputs(v) != imported.graph.inputs(v)) ++mismatched;
    }
    const auto step = d.placer->place(graph);
    sim::Executor executor(*context.platform);
    executor.run(step.graph, step.plan, d.placer->stream_limits());
    return std::vector<double>{static_cast<double>(graph.size()), static_cast<double>(imported.graph.size()),
                               mismatched, context.platform->now()};
  });
  CHECK(direct[0] == exported[1]);
  CHECK(direct[1] == direct[0]);
  CHECK(direct[2] == 0);  // every field of every op, and every edge

  const auto imported = test::in_fresh_process([&] {
    sim::TraceSimulationRequest q;
    q.hardware = "dgx-h100";
    const auto s = sim::simulate_trace(paths, chakra::import_trace(prefix, 2), q);
    return std::vector<double>{s.seconds, s.rank_times.at(0).busy_s, s.rank_times.at(1).busy_s};
  });
  const auto predicted = test::in_fresh_process(
      [&] { return std::vector<double>{sim::Predictor(paths).predict(llama_tp2()).decode.seconds}; });
  CHECK(imported[0] == direct[3]);  // same ops, same order, same placement: bit for bit
  // predict simulates the prefill first and measures the decode step from where it ended.
  CHECK(imported[0] == Approx(predicted[0]).epsilon(1e-12));
  CHECK(imported[1] > 0.5 * imported[0]);
  CHECK(imported[2] > 0.5 * imported[0]);
}

TEST_CASE("a hand-built two-rank trace (compute, all-reduce, compute) takes the hand-worked time", "[chakra][sim]") {
  // Each rank: A = 7.7e9 ops, an all-reduce of S = 1e8 bytes, C = 3.85e9 ops; no bytes.
  const std::string prefix = temp_prefix("hand");
  auto files = empty_ranks(prefix, 2);
  for (auto& f : files) {
    compute(f, 10, "A", 7'700'000'000, 0);
    all_reduce(f, 11, 100'000'000, {10});
    compute(f, 12, "C", 3'850'000'000, 0, {11});
  }
  write_all(files);
  // A and C at the f16 peak (100 TFLOP/s) x 0.77 after a 5 us launch: 105 us and 55 us.
  // Ring all-reduce over N = 2: each rank sends 2(N-1)/N x S = 1e8 bytes at 50 GB/s (2 ms) after
  // its 5 us launch, 2(N-1) = 2 hop latencies of 2 us: 2009 us.
  const double expected = (5e-6 + 100e-6) + (5e-6 + 2 * 2e-6 + 1e8 / 50e9) + (5e-6 + 50e-6);
  CHECK(simulate_on_ring(prefix, 2) == Approx(expected).epsilon(1e-9));

  // Replayed, the compute nodes take their recorded 300 us and 100 us; the all-reduce is simulated.
  for (auto& f : files) {
    f.nodes[0].set_duration_micros(300);
    f.nodes[2].set_duration_micros(100);
  }
  write_all(files);
  CHECK(simulate_on_ring(prefix, 2, true) == Approx(300e-6 + (5e-6 + 4e-6 + 2e-3) + 100e-6).epsilon(1e-9));
}

TEST_CASE("memory, CPU and send/receive nodes map to the memory model, recorded time and a link copy",
          "[chakra][sim]") {
  // Rank 0 loads 1e8 bytes (1 TB/s HBM at the profile's 0.95: 105.26 us, no launch), sends 1e6
  // bytes to rank 1 (5 us launch, 2 us hop, 1e6 / 50e9 = 20 us); rank 1 then runs a CPU op
  // recorded at 40 us (is_cpu_op left out: true, as in Chakra's feeder).
  const std::string prefix = temp_prefix("mixed");
  auto files = empty_ranks(prefix, 2);
  Node& load = add_node(files[0], 1, "load", ChakraProtoMsg::MEM_LOAD_NODE);
  attr(load, "tensor_size").set_uint64_val(100'000'000);
  send_or_recv(files[0], 2, true, 0, 1, {1}).mutable_attr(3)->set_int64_val(1'000'000);
  send_or_recv(files[1], 7, false, 0, 1).mutable_attr(3)->set_int64_val(1'000'000);
  Node& cpu = add_node(files[1], 8, "host work", ChakraProtoMsg::COMP_NODE, {7});
  cpu.set_duration_micros(40);
  attr(cpu, "some_tool.note").set_string_val("kept, not interpreted");
  write_all(files);
  const auto trace = chakra::import_trace(prefix, 2);
  CHECK(trace.graph.size() == 3);  // the send and its receive are one op
  CHECK(trace.kept_attribute_count() == 1);
  CHECK(simulate_on_ring(prefix, 2) == Approx(1e8 / 0.95 / 1000e9 + (5e-6 + 2e-6 + 1e6 / 50e9) + 40e-6).epsilon(1e-9));
}

TEST_CASE("attributes are read with any integer type, and a wrong kind names the node and attribute", "[chakra]") {
  const std::string prefix = temp_prefix("types");
  auto files = empty_ranks(prefix, 1);
  Node& a = add_node(files[0], 1, "uint-ops", ChakraProtoMsg::COMP_NODE);
  attr(a, "num_ops").set_uint64_val(123);
  attr(a, "is_cpu_op").set_int32_val(0);
  CHECK(chakra::import_trace(files).graph.op(0).flops == 123);
  attr(a, "tensor_size").set_string_val("large");
  CHECK_THROWS_WITH(chakra::import_trace(files),
                    Contains("types.0.et node 1 'uint-ops'") && Contains("'tensor_size' should hold a number"));
}

TEST_CASE("bad traces fail with errors naming the file and the node, never a hang", "[chakra][bad-input]") {
  const std::string prefix = temp_prefix("bad");
  auto check_error = [&](const std::vector<chakra::TraceFile>& files, int ranks, const std::string& fragment) {
    write_all(files);
    CHECK_THROWS_AS(chakra::import_trace(prefix, ranks), InputError);
    CHECK_THROWS_WITH(chakra::import_trace(prefix, ranks), Contains(fragment));
  };

  SECTION("a truncated file") {
    auto files = empty_ranks(prefix, 1);
    compute(files[0], 1, "first", 10, 10);
    compute(files[0], 2, "second", 10, 10, {1});
    write_all(files);
    const auto path = chakra::rank_file_path(prefix, 0);
    std::filesystem::resize_file(path, std::filesystem::file_size(path) - 5);
    CHECK_THROWS_WITH(chakra::import_trace(prefix, 1),
                      Contains(path) && Contains("truncated") && Contains("after node #0 (id 1, 'first')"));
    std::filesystem::resize_file(path, 0);
    CHECK_THROWS_WITH(chakra::import_trace(prefix, 1), Contains(path) && Contains("empty file"));
  }
  SECTION("a dependency on a missing id") {
    auto files = empty_ranks(prefix, 1);
    compute(files[0], 1, "first", 10, 10);
    compute(files[0], 2, "orphan", 10, 10, {99});
    check_error(files, 1, "bad.0.et: node 2 'orphan' depends on node 99, which is not in this file");
  }
  SECTION("a dependency cycle within a rank") {
    auto files = empty_ranks(prefix, 1);
    compute(files[0], 1, "a", 10, 10, {3});
    compute(files[0], 2, "b", 10, 10, {1});
    compute(files[0], 3, "c", 10, 10, {2});
    check_error(files, 1, "dependency cycle: ");
    CHECK_THROWS_WITH(chakra::import_trace(prefix, 1), Contains("node 1 'a' waits for") && Contains("node 3 'c'"));
  }
  SECTION("a cycle across ranks: each waits to receive before it sends") {
    auto files = empty_ranks(prefix, 2);
    send_or_recv(files[0], 1, false, 1, 0);
    send_or_recv(files[0], 2, true, 0, 1, {1});
    send_or_recv(files[1], 1, false, 0, 1);
    send_or_recv(files[1], 2, true, 1, 0, {1});
    check_error(files, 2, "dependency cycle");
  }
  SECTION("a missing rank file") {
    auto files = empty_ranks(prefix, 2);
    compute(files[0], 1, "a", 10, 10);
    compute(files[1], 1, "a", 10, 10);
    check_error(files, 3, "bad.2.et: missing: --ranks 3 needs one file per rank");
  }
  SECTION("a collective without its partner") {
    auto files = empty_ranks(prefix, 2);
    all_reduce(files[0], 1, 100, {});
    all_reduce(files[0], 2, 100, {1});
    all_reduce(files[1], 1, 100, {});
    check_error(files, 2, "bad.0.et node 2 'allreduce': collective #1 of the default process group has no partner");
  }
  SECTION("a send without its receive") {
    auto files = empty_ranks(prefix, 2);
    send_or_recv(files[0], 1, true, 0, 1);
    compute(files[1], 1, "a", 10, 10);
    check_error(files, 2, "bad.0.et node 1 'send': send to rank 1 (tag 0) has no matching receive");
  }
  SECTION("a duplicate node id") {
    auto files = empty_ranks(prefix, 1);
    compute(files[0], 4, "a", 10, 10);
    compute(files[0], 4, "b", 10, 10);
    check_error(files, 1, "node id 4 is used twice");
  }
}

TEST_CASE("numeric node attributes at their extremes are refused with the attribute named", "[chakra][bad-input]") {
  // Every number a Chakra node carries is a count: NaN (which never finished), inf, negative
  // and absurd values are refused where they are read; 0 and large real counts are kept.
  const std::string prefix = temp_prefix("extremes");
  for (const char* name : {"num_ops", "tensor_size", "llmsim.flops", "llmsim.weight_bytes"}) {
    for (const double value : {std::nan(""), std::numeric_limits<double>::infinity(), -1.0, 1e308}) {
      auto files = empty_ranks(prefix, 1);
      Node& n = add_node(files[0], 1, "mm", ChakraProtoMsg::COMP_NODE);
      const bool own = std::string(name).starts_with("llmsim.");
      if (own) attr(n, "llmsim.op_kind").set_string_val("matmul");  // llmsim's own attributes come with it
      attr(n, name).set_double_val(value);
      INFO(name << " = " << value);
      CHECK_THROWS_WITH(chakra::import_trace(files), Contains(std::string("'") + name + "' must be a finite count"));
    }
    auto files = empty_ranks(prefix, 1);
    Node& zero = add_node(files[0], 1, "mm", ChakraProtoMsg::COMP_NODE);
    if (std::string(name).starts_with("llmsim.")) attr(zero, "llmsim.op_kind").set_string_val("matmul");
    attr(zero, name).set_double_val(0);
    CHECK_NOTHROW(chakra::import_trace(files));
  }
}

TEST_CASE("repeated node names get #2, #3, ... and never take a name a node already has", "[chakra]") {
  const std::string prefix = temp_prefix("names");
  auto files = empty_ranks(prefix, 1);
  compute(files[0], 1, "aten::mm", 10, 10);
  compute(files[0], 2, "aten::mm#2", 10, 10);
  compute(files[0], 3, "aten::mm", 10, 10);
  compute(files[0], 4, "aten::mm", 10, 10);
  const auto graph = chakra::import_trace(files).graph;
  std::set<std::string> names;
  for (std::size_t v = 0; v < graph.size(); ++v) names.insert(graph.op(v).name);
  CHECK(names == std::set<std::string>{"aten::mm", "aten::mm#2", "aten::mm#3", "aten::mm#4"});
}
