// Flat views of Measurement records for people and plotting scripts: one CSV row per record
// with the fields a comparison needs, or a JSON array with every field (proto names kept).
#pragma once

#include <ostream>
#include <vector>

#include "measurement.pb.h"

namespace llmsim::measurements {

/// Header line plus one row per record; units are in the column names (_s, _per_s, bytes).
void write_csv(const std::vector<Measurement>& records, std::ostream& out);

/// A JSON array of the records, every set field under its .proto name, enums as names.
void write_json(const std::vector<Measurement>& records, std::ostream& out);

}  // namespace llmsim::measurements
