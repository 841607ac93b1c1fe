// The scenario a sweep starts from, and how a grid point changes it: each override is written
// into the YAML tree before the scenario's own loader reads it, so every key the file format
// accepts can be swept and a misspelt key gets the loader's usual "unknown key" error.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "sim/sweep/sweep_grid.hpp"

namespace llmsim::sim::sweep {

/// Which loader and simulation a scenario file is for.
enum class ScenarioKind { kRun, kServe, kTrain };

/// "run", "serve", "train"; parse_kind throws InputError naming `--kind` for anything else.
std::string kind_name(ScenarioKind kind);
ScenarioKind parse_kind(const std::string& name);

class SweepScenario {
 public:
  /// Reads the file; `kind` "auto" guesses from its keys (a `workload:` is a serve scenario,
  /// `seq_len`/`precision`/... a training one, anything else a `llmsim run` scenario).
  SweepScenario(const std::string& path, const std::string& kind);

  const std::string& path() const { return path_; }
  const std::string& content() const { return content_; }  // the file's bytes (for the sweep's identity)
  ScenarioKind kind() const { return kind_; }
  const std::vector<std::string>& variant_names() const { return variants_; }

  /// The YAML tree of one point: the chosen variant (the `variant` override) folded into the
  /// top level, then every other override written at its dotted key ("scheduler.max_batch").
  /// Throws InputError when `variant` names no variant of the file.
  YAML::Node tree_for(const SweepPoint& point) const;

 private:
  std::string path_;
  std::string content_;
  ScenarioKind kind_ = ScenarioKind::kRun;
  YAML::Node root_;
  std::vector<std::string> variants_;
};

/// Writes `value` as a scalar at the dotted `key` of `root`, creating mappings on the way.
/// InputError when a key on the way is not a mapping (e.g. "batch.x").
void set_dotted(YAML::Node root, const std::string& key, const std::string& value, const std::string& file);

}  // namespace llmsim::sim::sweep
