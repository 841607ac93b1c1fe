// Reads a file of length-delimited Measurement records, refusing what is not one: an empty
// file, a record that does not parse, or a schema version newer than this build knows.
#pragma once

#include <string>
#include <vector>

#include "measurement.pb.h"

namespace llmsim::measurements {

/// Every record of `path`, in file order. Throws InputError naming the file, the record
/// number (1-based) and what was wrong.
std::vector<Measurement> read_measurements(const std::string& path);

}  // namespace llmsim::measurements
