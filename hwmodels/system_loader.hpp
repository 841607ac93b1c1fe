// Reads a system file (docs/hardware-schema.md) into a System, rejecting unknown
// keys, missing sources and inconsistent references with file:line messages.
#pragma once

#include <string>

#include "hwmodels/system.hpp"

namespace llmsim::hwmodels {

/// Throws InputError on any problem. The id must equal the file's stem.
System load_system(const std::string& path);

}  // namespace llmsim::hwmodels
