// Joins the rank files of one trace into one DAG: every node of a rank file is one
// vertex, except that the nodes of one collective on its participating ranks become a
// single vertex, and so do a send and the receive it pairs with. Collectives match in
// order within their group (the k-th all-reduce of a group on every rank is one
// collective, as NCCL requires); sends match receives by (source, destination, tag), in
// order. The result is in a topological order.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "workloads/chakra/trace_file.hpp"

namespace llmsim::chakra {

/// One node of one rank file.
struct NodeRef {
  int rank = 0;
  std::size_t index = 0;  // into files[rank].nodes
};

struct MergedNode {
  std::vector<NodeRef> members;     // one per rank it appears in, in rank order
  std::vector<int> ranks;           // collective: its participants; send/recv: {source, destination}
  std::vector<std::size_t> inputs;  // earlier MergedNodes it waits for (data and control deps), no repeats
};

/// `files[r]` is rank r's file. InputError naming the file and node for a duplicate node id,
/// a dependency on an id not in the file, a collective or send without its partners, a rank
/// out of range, or a dependency cycle (listing the nodes on it).
std::vector<MergedNode> merge_rank_files(const std::vector<TraceFile>& files);

/// "t.0.et node 7 'L0.attn_q'": how errors name a node.
std::string describe_node(const std::vector<TraceFile>& files, const NodeRef& ref);

}  // namespace llmsim::chakra
