// A runnable scenario file (scenarios/*.yaml) for `llmsim run`: one prediction
// request plus output options. Relative paths in it are relative to the file.
#pragma once

#include <string>
#include <vector>

#include "sim/prediction.hpp"

namespace YAML {
class Node;
}

namespace llmsim::sim {

/// One configuration of a scenario that compares several (placements, dtypes, hardware).
struct ScenarioVariant {
  std::string name;
  std::string description;
  PredictRequest request;
};

struct Scenario {
  std::string file;
  std::string name;
  std::string description;
  PredictRequest request;              // what a scenario without variants runs
  std::vector<ScenarioVariant> variants;  // each starts from `request` and changes what it names
  int64_t trace_decode_steps = 3;
};

/// Throws InputError with file:line for unknown keys, missing or invalid fields.
Scenario load_scenario(const std::string& path);
/// The same from a YAML tree already read (and perhaps changed, as `llmsim sweep` does);
/// `path` names the file in messages and anchors relative paths.
Scenario load_scenario(const YAML::Node& root, const std::string& path);

}  // namespace llmsim::sim
