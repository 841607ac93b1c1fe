#include "validate/proto/measurement_reader.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/util/delimited_message_util.h>
#include <unistd.h>

#include <memory>

#include "common/input_error.hpp"
#include "common/input_file.hpp"
#include "validate/proto/schema_version.hpp"

namespace llmsim::measurements {

namespace {

// Closes the descriptor however reading ends.
struct FileDescriptor {
  int fd;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::vector<Measurement> read_measurements(const std::string& path) {
  check_input_file(path, kMaxBinaryBytes);
  FileDescriptor file{::open(path.c_str(), O_RDONLY)};
  if (file.fd < 0) throw InputError(path, "cannot open the measurement file");
  // protobuf also reports a clean end for a length prefix that is not a varint: compare with the size.
  const auto size = static_cast<std::int64_t>(::lseek(file.fd, 0, SEEK_END));
  ::lseek(file.fd, 0, SEEK_SET);
  google::protobuf::io::FileInputStream stream(file.fd);
  std::vector<Measurement> records;
  for (;;) {
    Measurement record;
    bool clean_eof = false;
    const auto offset = stream.ByteCount();
    const bool parsed = google::protobuf::util::ParseDelimitedFromZeroCopyStream(&record, &stream, &clean_eof);
    if (!parsed) {
      if (clean_eof && offset == size) break;
      throw InputError(path, fmt::format("record {} is not a valid Measurement (corrupt or truncated file; expected "
                                         "length-delimited llmsim.measurements.Measurement records)",
                                         records.size() + 1));
    }
    const std::size_t number = records.size() + 1;
    if (record.schema_version() == 0) {
      throw InputError(path, fmt::format("record {} has no schema_version: not a file written by llmsim-bench "
                                         "(expected length-delimited Measurement records)",
                                         number));
    }
    if (record.schema_version() > kSchemaVersion) {
      throw InputError(path, fmt::format("record {} has schema_version {}, newer than the {} this build reads; "
                                         "update llmsim",
                                         number, record.schema_version(), kSchemaVersion));
    }
    records.push_back(std::move(record));
  }
  if (records.empty()) throw InputError(path, "contains no measurement records (empty file)");
  return records;
}

}  // namespace llmsim::measurements
