// Results are written to a temporary file and renamed into place, so an interrupted
// run never leaves a truncated file that looks complete.
#pragma once

#include <string>

namespace llmsim::sim {

/// Throws InputError naming the path if it cannot be written.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace llmsim::sim
