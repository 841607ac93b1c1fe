#include "workloads/op_graph.hpp"

#include <algorithm>
#include <stdexcept>

namespace llmsim::workloads {

OpId OpGraph::add(Op op, const std::vector<OpId>& inputs) {
  const OpId id = boost::add_vertex(std::move(op), graph_);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i] >= id) throw std::logic_error("OpGraph::add: input added after its consumer");
    // One edge per distinct input: an op reading the same producer twice waits for it once.
    if (std::find(inputs.begin(), inputs.begin() + static_cast<std::ptrdiff_t>(i), inputs[i]) ==
        inputs.begin() + static_cast<std::ptrdiff_t>(i)) {
      boost::add_edge(inputs[i], id, graph_);
    }
  }
  return id;
}

std::vector<OpId> OpGraph::inputs(OpId id) const {
  std::vector<OpId> out;
  for (auto [it, end] = boost::in_edges(id, graph_); it != end; ++it) out.push_back(boost::source(*it, graph_));
  return out;
}

std::vector<OpId> OpGraph::outputs(OpId id) const {
  std::vector<OpId> out;
  for (auto [it, end] = boost::out_edges(id, graph_); it != end; ++it) out.push_back(boost::target(*it, graph_));
  return out;
}

double OpGraph::total_flops() const {
  double sum = 0;
  for (OpId v = 0; v < size(); ++v) sum += graph_[v].flops;
  return sum;
}

double OpGraph::total_bytes() const {
  double sum = 0;
  for (OpId v = 0; v < size(); ++v) sum += graph_[v].bytes();
  return sum;
}

double OpGraph::total_weight_bytes() const {
  double sum = 0;
  for (OpId v = 0; v < size(); ++v) sum += graph_[v].weight_bytes;
  return sum;
}

}  // namespace llmsim::workloads
