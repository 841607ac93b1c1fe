// One Chakra execution trace file (one rank's part of a workload): a GlobalMetadata
// message, then Node messages, each preceded by its length as a varint32 (Chakra's
// framing, what protobuf's delimited-message utilities read and write).
#pragma once

#include <string>
#include <vector>

#include "et_def.pb.h"

namespace llmsim::chakra {

struct TraceFile {
  std::string path;  // where it was read from or is to be written
  ChakraProtoMsg::GlobalMetadata metadata;
  std::vector<ChakraProtoMsg::Node> nodes;  // in file order
};

/// Reads a whole trace file. InputError naming the file when it is missing, empty, or cut
/// off or corrupt (naming the last node read whole, so the break can be found).
TraceFile read_trace_file(const std::string& path);

/// Writes `trace` to `trace.path`, replacing the file. InputError when it cannot be written.
void write_trace_file(const TraceFile& trace);

/// Where rank `rank` of a trace with prefix `prefix` lives: "PREFIX.<rank>.et".
std::string rank_file_path(const std::string& prefix, int rank);

}  // namespace llmsim::chakra
