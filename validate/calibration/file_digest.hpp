// SHA-256 of a file, so a calibration can name exactly which measurements it was fitted to.
#pragma once

#include <string>

namespace llmsim::validate {

/// Lower-case hex SHA-256 of the file's bytes; InputError naming the path if unreadable.
std::string sha256_of_file(const std::string& path);

}  // namespace llmsim::validate
