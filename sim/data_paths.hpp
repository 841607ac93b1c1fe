// Where llmsim's data lives: catalog, profiles, models, formats, scenarios. The
// installed binary looks in <prefix>/share/llmsim; a build-tree binary falls back to
// the source tree; LLMSIM_DATA_DIR overrides both.
#pragma once

#include <string>

namespace llmsim::sim {

class DataPaths {
 public:
  /// `argv0` locates the executable. Throws InputError when no data directory is found.
  static DataPaths discover(const char* argv0);
  explicit DataPaths(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }
  std::string catalog() const { return root_ + "/hwmodels/catalog"; }
  std::string profiles() const { return root_ + "/hwmodels/profiles"; }
  std::string memory_kinds() const { return root_ + "/hwmodels/defaults/memory-kinds.yaml"; }
  std::string models() const { return root_ + "/workloads/models"; }
  std::string model_defaults() const { return root_ + "/workloads/model_type_defaults.yaml"; }
  std::string formats() const { return root_ + "/workloads/formats.yaml"; }
  std::string scenarios() const { return root_ + "/scenarios"; }

 private:
  std::string root_;
};

}  // namespace llmsim::sim
