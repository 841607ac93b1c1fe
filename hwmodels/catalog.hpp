// The hardware catalog: one YAML file per system in a directory. Looks systems up by
// id or by path, and lists what it holds.
#pragma once

#include <string>
#include <vector>

#include "hwmodels/system.hpp"

namespace llmsim::hwmodels {

class Catalog {
 public:
  explicit Catalog(std::string directory);

  /// Ids of every `*.yaml` in the directory, sorted.
  std::vector<std::string> ids() const;
  /// `id_or_path` is a catalog id or a path to a system file. Unknown ids throw an
  /// InputError listing the known ones.
  System load(const std::string& id_or_path) const;

  const std::string& directory() const { return directory_; }

 private:
  std::string directory_;
};

}  // namespace llmsim::hwmodels
