#include "validate/proto/measurement_writer.hpp"

#include <google/protobuf/util/delimited_message_util.h>
#include <unistd.h>

#include <filesystem>

#include "common/input_error.hpp"
#include "validate/proto/schema_version.hpp"

namespace llmsim::measurements {

MeasurementWriter::MeasurementWriter(const std::string& path) : path_(path) {
  // Checked now, created at the first record: a run that measures nothing (every case skipped)
  // leaves no empty file, and an earlier file at this path stays as it was.
  namespace fs = std::filesystem;
  const fs::path parent = fs::path(path).has_parent_path() ? fs::path(path).parent_path() : fs::path(".");
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw InputError(path, "is a directory; give a file name for the records");
  if (!fs::is_directory(parent, ec) || ::access(parent.c_str(), W_OK) != 0) {
    throw InputError(path, "cannot create the measurement file (check the directory exists and is writable)");
  }
}

void MeasurementWriter::write(Measurement record) {
  if (!out_.is_open()) {
    out_.open(path_, std::ios::binary | std::ios::trunc);
    if (!out_) throw InputError(path_, "cannot create the measurement file");
  }
  if (record.schema_version() == 0) record.set_schema_version(kSchemaVersion);
  if (!google::protobuf::util::SerializeDelimitedToOstream(record, &out_) || !out_.flush()) {
    throw InputError(path_, "writing a measurement record failed (disk full?)");
  }
  ++written_;
}

}  // namespace llmsim::measurements
