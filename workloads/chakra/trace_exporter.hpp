// An llmsim OpGraph to Chakra execution traces, one file per rank. Each op appears in the
// file of every rank it involves, with the same node id (its index in the graph):
//   compute ops      COMP_NODE: num_ops = FLOPs + other arithmetic, tensor_size = bytes moved
//   collectives      COMM_COLL_NODE in each participant's file: comm_type, comm_size (bytes
//                    each rank contributes), pg_name, and llmsim.ranks naming the participants
//   pipeline sends   COMM_SEND_NODE in the sender's file, COMM_RECV_NODE in the receiver's,
//                    with comm_src, comm_dst, comm_tag (the op index) and comm_size
//   transfers        MEM_LOAD_NODE of tensor_size bytes
// data_deps are the op's inputs found in the same file, and every node carries the llmsim.*
// attributes of its Op, so importing the files gives back the same graph.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "workloads/chakra/trace_file.hpp"
#include "workloads/op_graph.hpp"

namespace llmsim::chakra {

struct ExportOptions {
  std::string prefix;                                         // files are PREFIX.<rank>.et
  int ranks = 1;                                              // every op's rank (and participants) must be below this
  std::vector<std::pair<std::string, std::string>> metadata;  // extra GlobalMetadata string attributes
  std::vector<double> durations_s;  // optional, one per op: written as duration_micros (rounded)
};

/// The rank files of `graph` (not yet written). std::invalid_argument if an op names a rank
/// out of range or reads an op of another rank without a communication op between them
/// (Chakra has no dependencies across files).
std::vector<TraceFile> export_trace(const workloads::OpGraph& graph, const ExportOptions& options);

}  // namespace llmsim::chakra
