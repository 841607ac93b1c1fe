// A runnable scenario file (scenarios/*.yaml) for `llmsim run`: one prediction
// request plus output options. Relative paths in it are relative to the file.
#pragma once

#include <string>

#include "sim/prediction.hpp"

namespace llmsim::sim {

struct Scenario {
  std::string file;
  std::string name;
  std::string description;
  PredictRequest request;
  int64_t trace_decode_steps = 3;
};

/// Throws InputError with file:line for unknown keys, missing or invalid fields.
Scenario load_scenario(const std::string& path);

}  // namespace llmsim::sim
