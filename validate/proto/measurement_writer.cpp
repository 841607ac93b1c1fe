#include "validate/proto/measurement_writer.hpp"

#include <google/protobuf/util/delimited_message_util.h>

#include "common/input_error.hpp"
#include "validate/proto/schema_version.hpp"

namespace llmsim::measurements {

MeasurementWriter::MeasurementWriter(const std::string& path)
    : path_(path), out_(path, std::ios::binary | std::ios::trunc) {
  if (!out_) throw InputError(path, "cannot create the measurement file (check the directory exists and is writable)");
}

void MeasurementWriter::write(Measurement record) {
  if (record.schema_version() == 0) record.set_schema_version(kSchemaVersion);
  if (!google::protobuf::util::SerializeDelimitedToOstream(record, &out_) || !out_.flush()) {
    throw InputError(path_, "writing a measurement record failed (disk full?)");
  }
  ++written_;
}

}  // namespace llmsim::measurements
