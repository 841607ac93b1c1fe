#include "workloads/chakra/trace_file.hpp"

#include <fmt/format.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/util/delimited_message_util.h>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/input_error.hpp"
#include "common/input_file.hpp"
#include "common/output_files.hpp"

namespace llmsim::chakra {

namespace {

std::string describe_last(const TraceFile& trace) {
  if (trace.nodes.empty()) return "right after the GlobalMetadata";
  const auto& last = trace.nodes.back();
  return fmt::format("after node #{} (id {}, '{}')", trace.nodes.size() - 1, last.id(), last.name());
}

}  // namespace

TraceFile read_trace_file(const std::string& path) {
  TraceFile trace;
  trace.path = path;
  // protobuf also reports a clean end for a length prefix that is not a varint: compare with the size.
  const auto size = static_cast<std::int64_t>(check_input_file(path, kMaxBinaryBytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "cannot open the trace file");
  google::protobuf::io::IstreamInputStream stream(&in);
  bool clean_eof = false;
  if (!google::protobuf::util::ParseDelimitedFromZeroCopyStream(&trace.metadata, &stream, &clean_eof)) {
    throw InputError(path, size == 0 ? "empty file: a Chakra trace starts with a length-prefixed GlobalMetadata"
                                     : "not a Chakra trace: the GlobalMetadata at its start does not parse");
  }
  for (;;) {
    const auto offset = stream.ByteCount();
    ChakraProtoMsg::Node node;
    if (!google::protobuf::util::ParseDelimitedFromZeroCopyStream(&node, &stream, &clean_eof)) {
      if (clean_eof && offset == size) break;
      // A length prefix promising more bytes than are left, or bytes that are no Node.
      throw InputError(path,
                       fmt::format("truncated or corrupt node message at byte {} ({})", offset, describe_last(trace)));
    }
    trace.nodes.push_back(std::move(node));
  }
  return trace;
}

void write_trace_file(const TraceFile& trace) {
  // Serialised in memory, then through the output layer (temporary file, fsync, rename; links
  // and devices handled as for every result): never a cut-off trace under the final name.
  std::ostringstream out(std::ios::binary);
  bool ok = google::protobuf::util::SerializeDelimitedToOstream(trace.metadata, &out);
  for (const auto& node : trace.nodes) ok = ok && google::protobuf::util::SerializeDelimitedToOstream(node, &out);
  if (!ok) throw InputError(trace.path, "a trace node could not be serialised");
  write_file_atomically(trace.path, out.str());
}

std::string rank_file_path(const std::string& prefix, int rank) { return fmt::format("{}.{}.et", prefix, rank); }

}  // namespace llmsim::chakra
