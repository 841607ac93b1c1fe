// Which communication nodes of different rank files are one operation. A collective
// belongs to a group: the ranks its llmsim.ranks attribute lists, else its pg_name, else
// the default group; a group without a list has as participants the ranks that issue it.
// The k-th collective of a group on each participant is one collective (NCCL issues a
// communicator's collectives in the same order on every rank). A send pairs with the
// receive of the same (comm_src, comm_dst, comm_tag), the k-th with the k-th.
#pragma once

#include <vector>

#include "workloads/chakra/trace_file.hpp"
#include "workloads/chakra/trace_merger.hpp"

namespace llmsim::chakra {

/// One MergedNode (members and ranks; no inputs yet) per collective and per send/receive
/// pair. InputError naming the node for a collective or send without its partners, partners
/// that disagree on comm_type or comm_size, or a rank out of range.
std::vector<MergedNode> match_communication(const std::vector<TraceFile>& files);

}  // namespace llmsim::chakra
