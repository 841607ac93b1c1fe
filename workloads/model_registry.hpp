// Finds model configs by id (workloads/models/ID.json) or path.
#pragma once

#include <string>
#include <vector>

#include "workloads/model_config.hpp"

namespace llmsim::workloads {

class ModelRegistry {
 public:
  /// `models_dir` holds ID.json files; `defaults_file` is model_type_defaults.yaml.
  ModelRegistry(std::string models_dir, std::string defaults_file);

  std::vector<std::string> ids() const;
  /// An id or a path to a config.json; unknown ids throw InputError listing the known ones.
  ModelConfig load(const std::string& id_or_path) const;

 private:
  std::string models_dir_;
  std::string defaults_file_;
};

}  // namespace llmsim::workloads
