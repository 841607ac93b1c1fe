// Values of a scenario that are checked after it is read (rates, sizes, policy names) come
// back as InputError naming only the field ("rate: must be positive"); the CLI adds the
// scenario file so that the message names both, as every error should.
#pragma once

#include <string>

#include "common/input_error.hpp"

namespace llmsim::cli {

/// `e` unchanged when it already names `file` or a command-line flag; else `file: e.what()`.
inline InputError in_scenario(const std::string& file, const InputError& e) {
  const std::string& where = e.where();
  if (where.rfind(file, 0) == 0 || where.rfind("--", 0) == 0) return e;
  return InputError(file, e.what());
}

}  // namespace llmsim::cli
