// Chakra execution traces to one llmsim OpGraph over all ranks. A node written by llmsim
// (it has llmsim.op_kind) becomes exactly the Op it was exported from. Any other node
// becomes what its Chakra type and attributes say:
//   COMP_NODE        an op of num_ops operations reading tensor_size bytes, on its rank
//   MEM_LOAD/STORE   tensor_size bytes read from / written to its rank's memory
//   COMM_COLL_NODE   one collective over its participants (comm_type, comm_size bytes each)
//   COMM_SEND/RECV   one send op from comm_src to comm_dst (comm_size bytes)
//   other types      no work, dependencies only
// Data and control dependencies both become edges.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "et_def.pb.h"
#include "workloads/chakra/trace_file.hpp"
#include "workloads/op_graph.hpp"

namespace llmsim::chakra {

/// How the simulator should time an imported op that is not communication.
enum class CostBasis {
  op,        // a full llmsim Op: the cost model as for a lowered step
  counts,    // only num_ops and tensor_size are known: roofline of those
  recorded,  // a CPU op (is_cpu_op, true unless a node says otherwise, as in Chakra's feeder): its duration_micros
  none,      // communication, or a node type without work
};

struct ImportedTrace {
  workloads::OpGraph graph;
  int ranks = 0;
  std::size_t nodes = 0;                          // read over all rank files
  std::map<std::string, std::size_t> node_types;  // Chakra node type name -> count
  // Per op of `graph`:
  std::vector<CostBasis> basis;
  std::vector<double> recorded_s;  // duration_micros in seconds (the longest over a merged op's nodes)
  std::vector<std::vector<ChakraProtoMsg::AttributeProto>> kept_attributes;  // not interpreted by llmsim
  /// What was mapped only approximately, in words -> how many nodes.
  std::map<std::string, std::size_t> approximations;

  std::size_t kept_attribute_count() const;
};

/// Reads PREFIX.<r>.et for r in [0, ranks) and builds the graph. InputError naming the file
/// (and node) for a missing rank file, an unreadable one, or an inconsistent trace.
ImportedTrace import_trace(const std::string& prefix, int ranks);

/// The same from files already read: `files[r]` is rank r.
ImportedTrace import_trace(const std::vector<TraceFile>& files);

}  // namespace llmsim::chakra
