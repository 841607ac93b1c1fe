// Finds the runner's data (suites, model configs) wherever llmsim-bench runs from:
// $LLMSIM_DATA_DIR, else <prefix>/share/llmsim beside the installed binary, else the
// source tree it was built from.
#pragma once

#include <string>
#include <vector>

namespace llmsim::bench {

class DataLocator {
 public:
  /// `argv0` locates the installed share directory.
  explicit DataLocator(const std::string& argv0);

  /// A suite by name ("quick") or by path (anything ending in .yaml/.yml or holding a '/').
  /// Throws InputError listing the known suites when a name is unknown.
  std::string suite(const std::string& name_or_path) const;
  std::vector<std::string> suite_names() const;

  /// A model config by id ("gpt2" -> workloads/models/gpt2.json) or path to a config.json.
  std::string model_config(const std::string& id_or_path) const;

  const std::string& root() const { return root_; }

 private:
  std::string root_;  // holds validate/runner/suites and workloads/models
};

}  // namespace llmsim::bench
