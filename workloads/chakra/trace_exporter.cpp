#include "workloads/chakra/trace_exporter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "workloads/chakra/llmsim_attributes.hpp"
#include "workloads/chakra/node_attributes.hpp"

namespace llmsim::chakra {

using ChakraProtoMsg::Node;
using workloads::Op;
using workloads::OpGraph;
using workloads::OpId;
using workloads::OpKind;

namespace {

// Chakra's schema version these files follow.
constexpr const char* kChakraVersion = "0.0.4";

// The ranks whose files hold `op`.
std::vector<int> ranks_of(const Op& op) {
  if (op.kind == OpKind::collective && !op.ranks.empty()) return op.ranks;
  if (op.kind == OpKind::send && op.ranks.size() == 2 && op.ranks[0] != op.ranks[1]) return op.ranks;
  return {op.rank};
}

int64_t whole(double v) { return static_cast<int64_t>(std::llround(v)); }

ChakraProtoMsg::CollectiveCommType chakra_comm_type(workloads::Collective collective) {
  switch (collective) {
    case workloads::Collective::all_gather: return ChakraProtoMsg::ALL_GATHER;
    case workloads::Collective::reduce_scatter: return ChakraProtoMsg::REDUCE_SCATTER;
    case workloads::Collective::all_to_all: return ChakraProtoMsg::ALL_TO_ALL;
    case workloads::Collective::all_reduce:
    case workloads::Collective::none: break;
  }
  return ChakraProtoMsg::ALL_REDUCE;
}

// Chakra's attributes with the types its feeder reads them as.
void write_chakra_attributes(const Op& op, OpId id, int rank, Node& node) {
  add_attribute(node, "is_cpu_op").set_bool_val(false);
  if (op.kind == OpKind::collective && !op.ranks.empty()) {
    node.set_type(ChakraProtoMsg::COMM_COLL_NODE);
    add_attribute(node, "comm_type").set_int64_val(chakra_comm_type(op.collective));
    add_attribute(node, "comm_size").set_int64_val(whole(op.comm_bytes));
    add_attribute(node, "pg_name").set_string_val(fmt::format("ranks {}", fmt::join(op.ranks, ",")));
  } else if (ranks_of(op).size() == 2) {
    node.set_type(rank == op.ranks[0] ? ChakraProtoMsg::COMM_SEND_NODE : ChakraProtoMsg::COMM_RECV_NODE);
    add_attribute(node, "comm_src").set_int32_val(op.ranks[0]);
    add_attribute(node, "comm_dst").set_int32_val(op.ranks[1]);
    add_attribute(node, "comm_tag").set_int32_val(static_cast<int32_t>(id % 0x7fffffff));
    add_attribute(node, "comm_size").set_int64_val(whole(op.comm_bytes));
  } else if (op.kind == OpKind::transfer) {
    node.set_type(ChakraProtoMsg::MEM_LOAD_NODE);
    add_attribute(node, "tensor_size").set_uint64_val(static_cast<uint64_t>(whole(std::max(op.comm_bytes, 0.0))));
  } else {
    node.set_type(ChakraProtoMsg::COMP_NODE);
    add_attribute(node, "num_ops").set_int64_val(whole(op.flops + op.vector_ops));
    add_attribute(node, "tensor_size").set_uint64_val(static_cast<uint64_t>(whole(op.bytes())));
  }
}

}  // namespace

std::vector<TraceFile> export_trace(const OpGraph& graph, const ExportOptions& options) {
  std::vector<TraceFile> files(static_cast<std::size_t>(options.ranks));
  for (int r = 0; r < options.ranks; ++r) {
    TraceFile& f = files[static_cast<std::size_t>(r)];
    f.path = rank_file_path(options.prefix, r);
    f.metadata.set_version(kChakraVersion);
    auto attr = [&](const char* name) -> ChakraProtoMsg::AttributeProto& {
      auto* a = f.metadata.add_attr();
      a->set_name(name);
      return *a;
    };
    attr("llmsim.rank").set_int64_val(r);
    attr("llmsim.ranks").set_int64_val(options.ranks);
    // Node ids are the graph's op indices, a topological order shared by all files.
    attr("llmsim.global_ids").set_bool_val(true);
    for (const auto& [key, value] : options.metadata) {
      auto* a = f.metadata.add_attr();
      a->set_name(key);
      a->set_string_val(value);
    }
  }
  std::vector<std::vector<int>> present(graph.size());
  for (OpId v = 0; v < graph.size(); ++v) {
    const Op& op = graph.op(v);
    present[v] = ranks_of(op);
    for (int r : present[v]) {
      if (r < 0 || r >= options.ranks) {
        throw std::invalid_argument(
            fmt::format("export_trace: op {} is on rank {}, outside 0..{}", op.name, r, options.ranks - 1));
      }
    }
    const auto inputs = graph.inputs(v);
    for (OpId u : inputs) {
      const auto& theirs = present[u];
      if (std::none_of(present[v].begin(), present[v].end(),
                       [&](int r) { return std::find(theirs.begin(), theirs.end(), r) != theirs.end(); })) {
        throw std::invalid_argument(
            fmt::format("export_trace: op {} reads {} of another rank without a "
                        "communication op",
                        op.name, graph.op(u).name));
      }
    }
    for (int r : present[v]) {
      Node& node = files[static_cast<std::size_t>(r)].nodes.emplace_back();
      node.set_id(v);
      node.set_name(op.name);
      for (OpId u : inputs) {
        if (std::find(present[u].begin(), present[u].end(), r) != present[u].end()) node.add_data_deps(u);
      }
      if (v < options.durations_s.size()) {
        node.set_duration_micros(static_cast<uint64_t>(whole(std::max(options.durations_s[v], 0.0) * 1e6)));
      }
      write_chakra_attributes(op, v, r, node);
      write_llmsim_attributes(op, node);
    }
  }
  return files;
}

}  // namespace llmsim::chakra
