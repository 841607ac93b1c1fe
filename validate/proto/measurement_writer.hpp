// Appends Measurement records to a file as length-delimited Protobuf, flushing after each
// record so an interrupted run keeps everything measured so far.
#pragma once

#include <fstream>
#include <string>

#include "measurement.pb.h"

namespace llmsim::measurements {

class MeasurementWriter {
 public:
  /// Creates (truncates) `path`; throws InputError when it cannot be opened.
  explicit MeasurementWriter(const std::string& path);

  /// Stamps the schema version when unset and writes one record.
  void write(Measurement record);

  int written() const { return written_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ofstream out_;
  int written_ = 0;
};

}  // namespace llmsim::measurements
