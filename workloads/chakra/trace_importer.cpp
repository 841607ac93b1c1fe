#include "workloads/chakra/trace_importer.hpp"
#include "common/input_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "common/input_error.hpp"
#include "workloads/chakra/llmsim_attributes.hpp"
#include "workloads/chakra/node_attributes.hpp"
#include "workloads/chakra/trace_merger.hpp"

namespace llmsim::chakra {

using ChakraProtoMsg::Node;
using workloads::Op;
using workloads::OpKind;

std::size_t ImportedTrace::kept_attribute_count() const {
  std::size_t n = 0;
  for (const auto& attrs : kept_attributes) n += attrs.size();
  return n;
}

namespace {

// Chakra attributes llmsim interprets; everything else is kept as it came.
const std::set<std::string> kInterpreted = {"is_cpu_op", "num_ops",  "tensor_size", "comm_type", "comm_size",
                                            "comm_src",  "comm_dst", "comm_tag",    "pg_name"};

class GraphBuilder {
 public:
  explicit GraphBuilder(const std::vector<TraceFile>& files) : files_(files) {
    trace_.ranks = static_cast<int>(files.size());
    for (const auto& f : files) {
      trace_.nodes += f.nodes.size();
      for (const auto& n : f.nodes) ++trace_.node_types[ChakraProtoMsg::NodeType_Name(n.type())];
    }
  }

  ImportedTrace build() {
    for (const MergedNode& m : merge_rank_files(files_)) {
      // Merged nodes come in topological order and become ops one for one, so indices agree.
      std::vector<workloads::OpId> inputs(m.inputs.begin(), m.inputs.end());
      Op op = convert(m);
      op.name = unique_name(op.name);
      trace_.graph.add(std::move(op), inputs);
    }
    return std::move(trace_);
  }

 private:
  const Node& node(const NodeRef& ref) const { return files_[static_cast<std::size_t>(ref.rank)].nodes[ref.index]; }

  Op convert(const MergedNode& m) {
    double recorded = 0;
    std::vector<ChakraProtoMsg::AttributeProto> kept;
    std::set<std::string> known = kInterpreted;
    known.insert(llmsim_attribute_names().begin(), llmsim_attribute_names().end());
    for (const NodeRef& ref : m.members) {
      recorded = std::max(recorded, static_cast<double>(node(ref).duration_micros()) * 1e-6);
      for (auto& a : NodeAttributes(node(ref), "").others(known)) {
        known.insert(a.name());  // a merged op keeps one copy of each
        kept.push_back(std::move(a));
      }
    }
    trace_.recorded_s.push_back(recorded);
    trace_.kept_attributes.push_back(std::move(kept));

    const NodeRef& first = m.members.front();
    const Node& n = node(first);
    const NodeAttributes a(n, describe_node(files_, first));
    if (a.has(kOpKindAttr)) {
      Op op = read_llmsim_attributes(a, n);
      check_rank(op.rank, a);
      for (int r : op.ranks) check_rank(r, a);
      trace_.basis.push_back(op.is_communication() ? CostBasis::none : CostBasis::op);
      return op;
    }
    Op op;
    op.name = n.name().empty() ? fmt::format("node{}", n.id()) : n.name();
    if (m.members.size() == 1 && trace_.ranks > 1) op.name += fmt::format("@r{}", first.rank);
    op.rank = first.rank;
    op.kernels = 0;
    op.group = "other";
    CostBasis basis = CostBasis::none;
    switch (n.type()) {
      case ChakraProtoMsg::COMP_NODE: {
        const bool cpu = a.flag("is_cpu_op").value_or(true);
        op.group = cpu ? "cpu" : "compute";
        op.kernels = cpu ? 0 : 1;
        op.flops = a.number("num_ops").value_or(0.0);
        op.act_read_bytes = a.number("tensor_size").value_or(0.0);
        basis = cpu ? CostBasis::recorded : CostBasis::counts;
        if (!cpu && !a.has("num_ops") && !a.has("tensor_size")) {
          ++trace_.approximations["GPU compute nodes without num_ops or tensor_size: launch overhead only"];
        }
        break;
      }
      case ChakraProtoMsg::MEM_LOAD_NODE:
      case ChakraProtoMsg::MEM_STORE_NODE: {
        op.group = "memory";
        const double bytes = a.number("tensor_size").value_or(0.0);
        (n.type() == ChakraProtoMsg::MEM_LOAD_NODE ? op.act_read_bytes : op.act_write_bytes) = bytes;
        basis = CostBasis::counts;
        break;
      }
      case ChakraProtoMsg::COMM_COLL_NODE:
        collective(op, a, m);
        break;
      case ChakraProtoMsg::COMM_SEND_NODE:
      case ChakraProtoMsg::COMM_RECV_NODE:
        send(op, m);
        break;
      default:
        ++trace_.approximations[fmt::format("{} nodes: no work, dependencies kept",
                                            ChakraProtoMsg::NodeType_Name(n.type()))];
    }
    trace_.basis.push_back(basis);
    return op;
  }

  void collective(Op& op, const NodeAttributes& a, const MergedNode& m) {
    op.kind = OpKind::collective;
    op.group = "comm";
    op.ranks = m.ranks;
    op.rank = m.ranks.front();
    const auto type = a.integer("comm_type");
    const auto size = a.number("comm_size");
    if (!type) throw InputError(a.where(), "a collective needs comm_type (a CollectiveCommType value)");
    if (!size) throw InputError(a.where(), "a collective needs comm_size (bytes)");
    op.comm_bytes = *size;
    op.output_bytes = *size;
    if (!ChakraProtoMsg::CollectiveCommType_IsValid(static_cast<int>(*type))) {
      throw InputError(a.where(),
                       fmt::format("comm_type {} is no CollectiveCommType (0 = ALL_REDUCE .. 9 = BARRIER)", *type));
    }
    const auto kind = static_cast<ChakraProtoMsg::CollectiveCommType>(*type);
    const std::string name = ChakraProtoMsg::CollectiveCommType_Name(kind);
    if (kind == ChakraProtoMsg::ALL_REDUCE) {
      op.collective = workloads::Collective::all_reduce;
    } else if (kind == ChakraProtoMsg::ALL_GATHER) {
      op.collective = workloads::Collective::all_gather;
    } else if (kind == ChakraProtoMsg::REDUCE_SCATTER) {
      op.collective = workloads::Collective::reduce_scatter;
    } else if (kind == ChakraProtoMsg::ALL_TO_ALL) {
      op.collective = workloads::Collective::all_to_all;
    } else if (kind == ChakraProtoMsg::BARRIER) {
      op.collective = workloads::Collective::all_reduce;
      op.comm_bytes = 0;
      trace_.approximations["BARRIER collectives: zero-byte all-reduces (latency only)"] += m.members.size();
    } else {
      // The rooted ones (reduce, gather, scatter, broadcast) and the block reduce-scatter are
      // costed as a ring all-gather of the same size.
      op.collective = workloads::Collective::all_gather;
      trace_.approximations[fmt::format("{} collectives: costed as ring all-gathers of the same comm_size", name)] +=
          m.members.size();
    }
  }

  void send(Op& op, const MergedNode& m) {
    op.kind = OpKind::send;
    op.group = "comm";
    op.ranks = m.ranks;
    op.rank = m.ranks[1];
    for (const NodeRef& ref : m.members) {
      const NodeAttributes a(node(ref), describe_node(files_, ref));
      if (auto size = a.number("comm_size")) op.comm_bytes = *size;
    }
    op.output_bytes = op.comm_bytes;
    // Named after the send (members are in rank order; the receiver's rank may come first).
    const NodeRef& sender = m.members[0].rank == m.ranks[0] ? m.members[0] : m.members[1];
    const auto& s = node(sender);
    op.name = s.name().empty() ? fmt::format("send{}", s.id()) : s.name();
  }

  void check_rank(int rank, const NodeAttributes& a) const {
    if (rank < 0 || rank >= trace_.ranks) {
      throw InputError(a.where(), fmt::format("rank {} is not one of the {} ranks imported", rank, trace_.ranks));
    }
  }

  // Real PyTorch traces name 10^5 nodes `aten::mm`: each name remembers the next suffix to try,
  // so naming stays linear instead of scanning #2, #3, ... again for every repeat.
  std::string unique_name(const std::string& name) {
    if (names_.insert(name).second) return name;
    int& next = next_suffix_.try_emplace(name, 2).first->second;
    std::string out = fmt::format("{}#{}", name, next++);
    while (!names_.insert(out).second) out = fmt::format("{}#{}", name, next++);  // "x#2" was a real name
    return out;
  }

  const std::vector<TraceFile>& files_;
  ImportedTrace trace_;
  std::unordered_set<std::string> names_;
  std::unordered_map<std::string, int> next_suffix_;
};

}  // namespace

ImportedTrace import_trace(const std::vector<TraceFile>& files) { return GraphBuilder(files).build(); }

ImportedTrace import_trace(const std::string& prefix, int ranks) {
  if (ranks < 1 || ranks > 4096) throw InputError("--ranks", fmt::format("must be between 1 and 4096, got {}", ranks));
  std::vector<TraceFile> files;
  for (int r = 0; r < ranks; ++r) {
    const std::string path = rank_file_path(prefix, r);
    if (!path_exists(path)) {
      throw InputError(path, fmt::format("missing: --ranks {} needs one file per rank, {} .. {}", ranks,
                                         rank_file_path(prefix, 0), rank_file_path(prefix, ranks - 1)));
    }
    files.push_back(read_trace_file(path));
  }
  return import_trace(files);
}

}  // namespace llmsim::chakra
