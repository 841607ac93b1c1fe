// Appends Measurement records to a file as length-delimited Protobuf, flushing after each
// record so an interrupted run keeps everything measured so far.
#pragma once

#include <fstream>
#include <string>

#include "measurement.pb.h"

namespace llmsim::measurements {

class MeasurementWriter {
 public:
  /// Checks that `path` can be created (InputError if not); the file is created, truncating
  /// an earlier one, with the first record, so a run that writes none leaves no file.
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
