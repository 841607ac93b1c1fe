// The operator DAG: a Boost.Graph adjacency list whose vertices are Ops and whose
// edges are data dependencies. Vertices are added in a topological order by
// construction (an op can only depend on ops added before it).
#pragma once

#include <boost/graph/adjacency_list.hpp>

#include <vector>

#include "workloads/op.hpp"

namespace llmsim::workloads {

using OpGraphImpl = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, Op>;
using OpId = OpGraphImpl::vertex_descriptor;

class OpGraph {
 public:
  /// Adds `op` after all of `inputs`, which must already be in the graph.
  OpId add(Op op, const std::vector<OpId>& inputs);

  std::size_t size() const { return boost::num_vertices(graph_); }
  const Op& op(OpId id) const { return graph_[id]; }
  Op& op(OpId id) { return graph_[id]; }
  std::vector<OpId> inputs(OpId id) const;
  std::vector<OpId> outputs(OpId id) const;
  std::size_t input_count(OpId id) const { return boost::in_degree(id, graph_); }
  const OpGraphImpl& boost_graph() const { return graph_; }

  /// Sums over all ops, for reports and tests.
  double total_flops() const;
  double total_bytes() const;
  double total_weight_bytes() const;

 private:
  OpGraphImpl graph_;
};

}  // namespace llmsim::workloads
